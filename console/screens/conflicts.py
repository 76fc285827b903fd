"""The conflict review queue: each value that lost (or won) a merge, with both values, who and when, and
what the server did automatically; accept that, or override it (an office change that syncs to the
device). The server audits both."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import button, chip, chips, error_text, muted, on, title
from console.context import use_office
from console.logic.conflicts import (
    can_override,
    chosen_value,
    field_label,
    override_choices,
    override_default,
    override_label,
    resolution_text,
    value_text,
)
from console.logic.times import full
from console.state import ConsoleState, Office, use_draft, use_remote
from ui.components.common import (
    INK,
    LINE,
    MUTED,
    RED,
    SURFACE,
    TypedDropdown,
    badge,
    handing,
    keyed,
    tagged,
    text_field,
)
from ui.logic.clocks import parse_time


def _value_box(label: str, text: str, ident: str, *, winner: bool) -> ft.Control:
    return tagged(
        ident,
        ft.Container(
            expand=1,
            bgcolor="#eef8f0" if winner else "#f4f6f8",
            border=ft.Border.all(2 if winner else 1, "#0b6b1d" if winner else LINE),
            border_radius=8,
            padding=10,
            content=ft.Column(
                [ft.Text(label, size=13, color=MUTED), ft.Text(text, size=16, color=INK)],
                spacing=4,
                tight=True,
            ),
        ),
    )


@ft.component
def ConflictCard(state: ConsoleState, office: Office, conflict: dict[str, Any]) -> ft.Control:
    t, lang = state.t, state.lang
    default = override_default(conflict)
    note_key, custom_key = f"conflict.{conflict['id']}.note", f"conflict.{conflict['id']}.custom"
    note, set_note = use_draft(office, note_key, "")
    # the office's own value: chosen from the allowed values, or typed (nothing filled in for it)
    custom, set_custom = use_draft(office, custom_key, "")

    def newest(key: str) -> str:  # what was typed or chosen up to the press (Office.draft)
        return str(office.draft(key, "") or "")

    choices = override_choices(lang, conflict)
    field = str(conflict.get("field", ""))
    number = conflict.get("job_number") or "—"
    device_wins = conflict.get("resolution") == "device_wins"
    who = conflict.get("engineer_name") or "—"
    if conflict.get("device_name"):
        who += f"（{conflict['device_name']}）"

    async def resolve(override: bool, value: Any = None) -> None:
        done = t("console.conflicts.overridden" if override else "console.conflicts.accepted", number=number)
        if await office.act(
            lambda api: api.resolve_conflict(
                conflict["id"], note=newest(note_key).strip(), value=value, override=override
            ),
            done=done,
        ):
            office.forget(f"conflict.{conflict['id']}.")

    async def resolve_custom() -> None:
        chosen = newest(custom_key)
        if not chosen.strip():
            state.tell(t("console.conflicts.need_value"), error=True)
            return
        await resolve(True, chosen_value(conflict, chosen))

    open_ = conflict.get("status") == "open"
    head: list[ft.Control] = [
        ft.Text(number, size=17, weight=ft.FontWeight.BOLD, color=INK),
        badge(field_label(lang, conflict), bg="#dbe9ff"),
        badge(t(f"enum.conflict_status.{conflict.get('status', 'open')}"), bg="#e9eef3"),
        ft.Text(
            t("console.conflicts.who", who=who, when=full(parse_time(conflict.get("created_at")), office.tz)),
            size=14,
            color=MUTED,
        ),
    ]
    if conflict.get("job_id"):
        head.append(
            button(
                t("console.conflicts.open_job"),
                lambda _e: office.go(f"/job/{conflict['job_id']}"),
                kind="quiet",
            )
        )
    lines: list[ft.Control] = [
        ft.Row(head, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ft.Row(
            [
                _value_box(
                    t("console.conflicts.device_value"),
                    value_text(lang, conflict.get("device_value"), field),
                    f"device-value-{number}",
                    winner=device_wins,
                ),
                _value_box(
                    t("console.conflicts.server_value"),
                    value_text(lang, conflict.get("server_value"), field),
                    f"server-value-{number}",
                    winner=not device_wins,
                ),
            ],
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.START,
        ),
        ft.Text(resolution_text(lang, conflict), size=15, color=INK),
    ]
    if conflict.get("server_by_name") or conflict.get("server_at"):
        lines.insert(
            2,
            tagged(
                f"server-side-{number}",
                muted(
                    t(
                        "console.conflicts.server_side",
                        who=conflict.get("server_by_name") or "—",
                        when=full(parse_time(conflict.get("server_at")), office.tz),
                    )
                ),
            ),
        )
    if conflict.get("reviewed_at"):
        lines.append(
            muted(
                t(
                    "console.conflicts.reviewed",
                    who=conflict.get("reviewer_name") or "—",
                    when=full(parse_time(conflict.get("reviewed_at")), office.tz),
                    note=conflict.get("review_note") or "",
                )
            )
        )
    if open_:
        actions: list[ft.Control] = [
            ft.Container(
                text_field(t("console.conflicts.note"), note, lambda e: set_note(e.control.value)), width=300
            ),
            button(
                t("console.conflicts.accept"),
                on(resolve, False),
                kind="ok",
                ident=f"accept-{number}",
            ),
        ]
        if can_override(conflict):
            if default is not None:
                actions.append(
                    button(
                        t(override_label(conflict)),
                        on(resolve, True, default),
                        ident=f"override-{number}",
                    )
                )
            if not isinstance(default, dict):
                entry: ft.Control = (
                    tagged(
                        f"override-choice-{number}",
                        TypedDropdown(
                            label=t("console.conflicts.choose"),
                            value=custom or None,
                            options=[ft.DropdownOption(key=k, text=v) for k, v in choices],
                            on_select=handing(lambda e: set_custom(str(e.control.value or ""))),
                            width=300,
                            bgcolor=SURFACE,
                            border_color=LINE,
                            color=INK,
                        ),
                    )
                    if choices is not None
                    else ft.Container(
                        text_field(
                            t("console.conflicts.custom"), custom, lambda e: set_custom(e.control.value)
                        ),
                        width=300,
                    )
                )
                actions += [
                    entry,
                    button(
                        t("console.conflicts.set_custom"),
                        on(resolve_custom),
                        kind="quiet",
                        ident=f"override-custom-{number}",
                    ),
                ]
        else:
            actions.append(muted(t("console.conflicts.accept_only")))
        lines.append(ft.Row(actions, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    card = tagged(
        f"conflict-{number}",
        ft.Container(
            bgcolor=SURFACE,
            border=ft.Border.all(1, LINE if not open_ else RED),
            border_radius=10,
            padding=14,
            content=ft.Column(lines, spacing=8, tight=True),
        ),
    )
    return tagged(f"conflict-{number}-{field}", card)  # a job may have several: one per field


@ft.component
def ConflictsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    status, set_status = ft.use_state("open")
    loaded = use_remote(
        office,
        lambda api: api.get("/api/console/conflicts", status=status, limit=100),
        [state.revision, status],
    )
    page = loaded.value or {"items": [], "total": 0}
    body: list[ft.Control] = [
        ft.Row(
            [
                title(t("console.conflicts.title")),
                tagged("conflict-count", badge(t("console.conflicts.count", n=page["total"]), bg="#e9eef3")),
                chips(
                    [
                        chip(
                            t("console.conflicts.only_open"),
                            status == "open",
                            lambda _e: set_status("open"),
                            ident="conflicts-open",
                        ),
                        chip(
                            t("console.conflicts.all"),
                            status == "",
                            lambda _e: set_status(""),
                            ident="conflicts-all",
                        ),
                    ]
                ),
            ],
            wrap=True,
            spacing=12,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        muted(t("console.conflicts.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    cards = [keyed(ConflictCard)(state, office, c, key=c["id"]) for c in page["items"]]
    if not cards and not loaded.loading:
        body.append(muted(t("console.conflicts.none"), 17))
    body.append(tagged("conflict-list", ft.Column(cards, spacing=10, tight=True)))
    return ft.ListView(body, spacing=12, padding=16, expand=True)
