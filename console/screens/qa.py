"""QA review: resolved and signed-off jobs waiting for review, and one job's whole service form to
approve (only approved jobs count as closed) or return to the engineer with a reason."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.service_form import service_form_view
from console.components.widgets import button, error_text, muted, on, panel, title
from console.context import use_office
from console.logic.times import full
from console.roles import can_review
from console.state import ConsoleState, use_draft, use_remote
from shared import job_rules
from shared.service_form import ServiceForm
from ui.components.common import INK, LINE, MUTED, RED, RED_BG, SURFACE, badge, tagged, text_field
from ui.logic.clocks import parse_time


@ft.component
def QaListScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    find, set_find = use_draft(office, "qa.find", "")
    query = find.strip()
    loaded = use_remote(
        office,
        lambda api: api.get(
            "/api/jobs", status=sorted(job_rules.REVIEWABLE), limit=200, **({"q": query} if query else {})
        ),
        [state.revision, query],
    )
    page = loaded.value or {"items": [], "total": 0}
    directory = office.directory
    rows: list[ft.Control] = []
    for job in sorted(page["items"], key=lambda j: j.get("resolved_at") or j["call_received_at"]):
        flags: list[ft.Control] = [badge(t(f"enum.status.{job['status']}"), bg="#dbe9ff")]
        if job.get("times_flagged"):
            flags.append(badge(t("console.qa.times_flagged"), bg=RED_BG, fg=RED, border=RED))
        if job["status"] == "resolved":
            flags.append(badge(t("console.qa.not_signed"), bg=RED_BG, fg=RED))
        if job.get("qa_returns"):
            flags.append(badge(t("console.qa.returned_before", n=job["qa_returns"]), bg="#fff1c2"))
        rows.append(
            ft.Semantics(
                identifier=f"qa-{job['number']}",
                button=True,
                label=job["number"],
                content=ft.Container(
                    bgcolor=SURFACE,
                    border=ft.Border.all(1, LINE),
                    border_radius=8,
                    padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                    ink=True,
                    on_click=lambda _e, ident=job["id"]: office.go(f"/qa/{ident}"),
                    content=ft.Row(
                        [
                            ft.Text(job["number"], size=16, weight=ft.FontWeight.BOLD, color=INK, width=150),
                            ft.Text(
                                f"{directory.name('customers', job['customer_id'])} · {directory.name('sites', job['site_id'])}",
                                size=15,
                                color=INK,
                                expand=True,
                            ),
                            ft.Text(
                                directory.name("engineers", job.get("assigned_engineer_id")),
                                size=15,
                                color=INK,
                                width=80,
                            ),
                            ft.Text(
                                t(
                                    "console.qa.resolved_at",
                                    when=full(parse_time(job.get("resolved_at")), office.tz),
                                ),
                                size=14,
                                color=MUTED,
                                width=210,
                            ),
                            ft.Container(ft.Row(flags, spacing=6), width=240),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                ),
            )
        )
    body: list[ft.Control] = [
        ft.Row(
            [
                title(t("console.qa.title")),
                tagged("qa-count", badge(t("console.qa.count", n=page["total"]), bg="#e9eef3")),
            ],
            spacing=12,
        ),
        muted(t("console.qa.explain")),
        tagged(
            "qa-search",
            ft.Container(
                text_field(
                    t("console.qa.search"),
                    find,
                    lambda e: set_find(e.control.value),
                    hint=t("console.qa.search_hint"),
                ),
                width=480,
            ),
        ),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    if not rows and not loaded.loading:
        body.append(muted(t("console.qa.no_match" if query else "console.qa.none"), 17))
    body.append(tagged("qa-list", ft.Column(rows, spacing=6, tight=True)))
    return ft.ListView(body, spacing=12, padding=16, expand=True)


@ft.component
def QaFormScreen(state: ConsoleState, job_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    text, set_text = use_draft(office, f"qa.{job_id}.text", "")

    async def load(api: ConsoleApi) -> tuple[ServiceForm, dict[str, bytes]]:
        form = ServiceForm.model_validate(await api.get(f"/api/jobs/{job_id}/form"))
        photos: dict[str, bytes] = {}

        async def one(photo_id: str) -> None:
            data, _ = await api.download(f"/api/photos/{photo_id}")
            photos[photo_id] = data

        await asyncio.gather(*(one(str(p.id)) for p in form.photos[:12]))
        return form, photos

    loaded = use_remote(office, load, [job_id, state.revision])
    body: list[ft.Control] = [
        ft.Row(
            [
                button(
                    t("console.qa.back"), lambda _e: office.go("/qa"), kind="quiet", icon=ft.Icons.ARROW_BACK
                )
            ]
        )
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    if loaded.value is None:
        if loaded.loading:
            body.append(muted(t("console.common.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    form, photos = loaded.value
    job = form.job

    async def decide(verdict: str) -> None:
        if verdict == "return" and len(text.strip()) < 2:
            state.tell(t("console.qa.reason_needed"), error=True)
            return
        done = t(f"console.qa.done.{verdict}", number=job.number)
        if await office.act(lambda api: api.review(job.id, verdict, text.strip()), done=done):
            set_text("")
            office.go("/qa")

    async def pdf(_e: object) -> None:
        result: Any = await office.act(
            lambda api: api.download(f"/api/jobs/{job.id}/form.pdf", lang=state.lang)
        )
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])

    decision: list[ft.Control] = [
        button(t("console.job.print"), pdf, kind="quiet", icon=ft.Icons.PICTURE_AS_PDF, ident="qa-pdf")
    ]
    if form.reviewable and can_review(state.role):
        decision = [
            ft.Container(
                text_field(t("console.qa.text"), text, lambda e: set_text(e.control.value), multiline=True),
                width=520,
            ),
            button(
                t("console.qa.approve"),
                on(decide, "approve"),
                kind="ok",
                icon=ft.Icons.CHECK,
                ident="qa-approve",
            ),
            button(
                t("console.qa.return"),
                on(decide, "return"),
                kind="danger",
                icon=ft.Icons.UNDO,
                ident="qa-return",
            ),
            *decision,
        ]
    body += service_form_view(state, form, office.tz, state.now, photos)
    body.append(
        panel(
            t("console.qa.decision"),
            [
                muted(
                    t("console.qa.decision_explain")
                    if form.reviewable
                    else t("console.qa.not_reviewable", status=t(f"enum.status.{job.status.value}"))
                ),
                ft.Row(decision, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.END),
            ],
            ident="qa-decision",
        )
    )
    return ft.ListView(body, spacing=12, padding=16, expand=True)
