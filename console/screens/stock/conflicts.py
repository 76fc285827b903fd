"""Van shortfalls the tablets reported, for the office to close with a note (``stock-conflict-<id>``)."""

from __future__ import annotations

import flet as ft

from console.api import JsonObject
from console.clients.stock import Books, StockClient
from console.components.widgets import button, error_text, muted, on, panel
from console.context import use_office
from console.logic.stock import stock_conflict_text
from console.logic.times import full
from console.state import ConsoleState, use_draft, use_remote
from ui.components.common import INK, RED, SURFACE, badge, keyed, tagged, text_field
from ui.logic.clocks import parse_time


@ft.component
def StockConflictCard(state: ConsoleState, conflict: JsonObject, part_names: dict[str, str]) -> ft.Control:
    office = use_office()
    t = state.t
    note, set_note = use_draft(office, f"stock.conflict.{conflict['id']}.note", "")
    who = office.directory.name("engineers", conflict.get("user_id")) or "—"

    async def accept() -> None:
        if await office.act(
            lambda api: api.resolve_conflict(conflict["id"], note=note.strip()),
            done=t("console.stock.conflict_closed"),
        ):
            office.forget(f"stock.conflict.{conflict['id']}.")

    return tagged(
        f"stock-conflict-{conflict['id']}",
        ft.Container(
            bgcolor=SURFACE,
            border=ft.Border.all(1, RED),
            border_radius=10,
            padding=12,
            content=ft.Column(
                [
                    ft.Row(
                        [
                            badge(who, bg="#dbe9ff"),
                            ft.Text(
                                stock_conflict_text(state.lang, conflict, part_names), size=16, color=INK
                            ),
                            muted(full(parse_time(conflict.get("created_at")), office.tz), 14),
                        ],
                        wrap=True,
                        spacing=10,
                    ),
                    ft.Row(
                        [
                            ft.Container(
                                text_field(
                                    t("console.conflicts.note"), note, lambda e: set_note(e.control.value)
                                ),
                                width=360,
                            ),
                            button(t("console.stock.conflict_accept"), on(accept), kind="ok"),
                        ],
                        wrap=True,
                        spacing=10,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                ],
                spacing=8,
                tight=True,
            ),
        ),
    )


@ft.component
def ConflictsSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(
        office,
        lambda api: StockClient(api).open_conflicts(),
        [state.revision],
    )
    items = loaded.value.items if loaded.value else []
    part_names = {p["id"]: f"{p['code']} {p['name']}" for p in books.parts}
    controls: list[ft.Control] = [muted(t("console.stock.conflicts_explain"))]
    if loaded.error:
        controls.append(error_text(loaded.error))
    cards = [keyed(StockConflictCard)(state, c, part_names, key=c["id"]) for c in items]
    if not cards and not loaded.loading:
        controls.append(muted(t("console.stock.no_conflicts")))
    controls.append(ft.Column(cards, spacing=10, tight=True))
    return panel(t("console.stock.conflicts_title"), controls, ident="stock-conflicts")
