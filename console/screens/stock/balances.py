"""What each store and van holds, one panel per store (``store-<key>``)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import Books
from console.components.widgets import chip, chips, muted, on, panel, table
from console.context import use_office
from console.logic.stock import by_store, ordered_stores, store_label
from console.screens.stock.common import key_of
from console.state import ConsoleState


@ft.component
def BalancesSection(state: ConsoleState, books: Books, only: tuple[str, ...] = ()) -> ft.Control:
    """A panel per store (``store-<key>``); with ``only``, just those stores and no picker. The picker
    (``bal-store-<key>``, ``bal-store-all``) shows one store at a time, so a van is on screen at once."""
    office = use_office()
    t = state.t
    picked, set_picked = ft.use_state("")
    rows = by_store(books.balances)
    stores = ordered_stores(books.stores)
    controls: list[ft.Control] = []
    if only:
        shown = [s for i in only for s in stores if s["id"] == i]  # in the order asked
    else:
        controls.append(
            chips(
                [
                    chip(
                        t("console.stock.all_stores"),
                        not picked,
                        lambda _e: set_picked(""),
                        ident="bal-store-all",
                    )
                ]
                + [
                    chip(
                        store_label(state.lang, s),
                        s["id"] == picked,
                        on(set_picked, s["id"]),
                        ident=f"bal-store-{key_of(office, s)}",
                    )
                    for s in stores
                ]
            )
        )
        shown = [s for s in stores if not picked or s["id"] == picked]
    panels: list[ft.Control] = controls
    for store in shown:
        lines = rows.get(store["id"], [])
        heading = store_label(state.lang, store)
        if not store.get("active", True):
            heading += t("console.stock.closed_suffix")
        body: list[ft.Control]
        if lines:
            body = [
                table(
                    [
                        t("parts_report.col.part_code"),
                        t("parts_report.col.part_name"),
                        t("parts_report.col.unit"),
                        t("console.stock.on_hand"),
                    ],
                    [[b["part_code"], b["part_name"], b["unit"], str(b["quantity"])] for b in lines],
                    numeric=(3,),
                    red=[(i, 3) for i, b in enumerate(lines) if b["quantity"] < 0],
                )
            ]
        else:
            body = [muted(t("console.stock.empty_store"))]
        panels.append(panel(heading, body, ident=f"store-{key_of(office, store)}"))
    return ft.Column(panels, spacing=12, tight=True)
