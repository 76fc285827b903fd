"""Knowledge on the job (维护经验、用户手册、培训教材), offline: the published cases of the job's equipment model
closest to its symptom, a search over every case on the tablet (Chinese, any word of two characters or
more), and the model's manuals and training materials, whose files are fetched when online and kept."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from mobile.services.jobs import ActionError
from ui.components.common import INK, LINE, MUTED, SURFACE, badge, big_button, section, tagged, text_field


def _case_card(state: AppState, case: dict[str, Any], ident: str) -> ft.Control:
    t = state.t
    lines: list[ft.Control] = [
        ft.Text(case.get("title") or case.get("symptom", ""), size=18, weight=ft.FontWeight.W_600, color=INK),
        ft.Text(f"{case.get('number', '')} · {case.get('model', '')}", size=14, color=MUTED),
    ]
    for key in ("symptom", "cause", "fix"):
        if case.get(key):
            lines.append(ft.Text(f"{t(f'app.knowledge.{key}')}: {case[key]}", size=16, color=INK))
    if case.get("parts"):
        lines.append(ft.Text(f"{t('app.knowledge.parts')}: {'、'.join(case['parts'])}", size=16, color=INK))
    return tagged(
        ident,
        ft.Container(
            bgcolor=SURFACE,
            border=ft.Border.all(1, LINE),
            border_radius=10,
            padding=12,
            content=ft.Column(lines, spacing=4, tight=True),
        ),
    )


@ft.component
def KnowledgeSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t = state.t
    query, set_query = ft.use_state("")
    searched, set_searched = ft.use_state("")
    actions = device.app.actions
    model = actions.model_of(view.job)
    offered = ft.use_memo(lambda: actions.cases_for_job(view.job), [view.id, view.job.get("symptom"), model])
    found = ft.use_memo(lambda: actions.search_cases(searched) if searched.strip() else [], [searched])
    manuals = actions.manuals_for_job(view.job)

    def fetcher(manual: dict[str, Any]) -> Any:
        async def fetch(_e: object) -> None:
            try:
                await device.app.fetch_manual(manual)
            except ActionError as exc:
                state.say_error(exc)
                return
            state.say("app.knowledge.kept", title=manual.get("title", ""))
            device.binding.refresh()

        return fetch

    parts: list[ft.Control] = [
        section(
            t("app.knowledge.offered", model=model or "—"),
            [_case_card(state, c, f"offered-case-{i}") for i, c in enumerate(offered)]
            or [ft.Text(t("app.knowledge.none_offered"), size=16, color=MUTED)],
        )
    ]
    search_row = ft.Row(
        [
            ft.Container(
                tagged(
                    "case-search",
                    text_field(t("app.knowledge.search"), query, lambda e: set_query(e.control.value)),
                ),
                expand=True,
            ),
            tagged("case-search-go", big_button(t("app.knowledge.find"), lambda _: set_searched(query))),
        ],
        spacing=8,
    )
    results: list[ft.Control] = [search_row, ft.Text(t("app.knowledge.search_hint"), size=14, color=MUTED)]
    if searched.strip():
        results += [_case_card(state, c, f"found-case-{i}") for i, c in enumerate(found)] or [
            ft.Text(t("app.knowledge.none_found", q=searched.strip()), size=16, color=MUTED)
        ]
    parts.append(section(t("app.knowledge.library"), results))
    rows: list[ft.Control] = []
    for i, manual in enumerate(manuals):
        rows.append(
            ft.Row(
                [
                    ft.Text(manual.get("title", ""), size=17, color=INK, expand=True),
                    badge(t(f"console.knowledge.kind.{manual.get('kind', 'manual')}"), bg="#e9eef3"),
                    ft.Text(f"{int(manual.get('size', 0)) // 1024} KB", size=14, color=MUTED),
                    badge(t("app.knowledge.on_tablet"), bg="#dff3e4")
                    if manual.get("kept")
                    else tagged(
                        f"manual-fetch-{i}",
                        big_button(t("app.knowledge.fetch"), fetcher(manual), kind="quiet"),
                    ),
                ],
                spacing=8,
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    parts.append(
        section(
            t("app.knowledge.manuals"),
            rows or [ft.Text(t("app.knowledge.no_manuals"), size=16, color=MUTED)],
        )
    )
    return ft.Column(parts, spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
