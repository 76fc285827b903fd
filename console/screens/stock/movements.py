"""The ledger of one store, newest first (``movement-list``)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import Books, StockClient
from console.components.widgets import button, error_text, muted, panel, table
from console.context import use_office
from console.logic.stock import movement_row, ordered_stores
from console.logic.times import full
from console.screens.stock.common import store_chips
from console.state import ConsoleState, use_remote
from ui.logic.clocks import parse_time


@ft.component
def MovementsSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    stores = ordered_stores(books.stores)
    store, set_store = ft.use_state("")
    limit, set_limit = ft.use_state(50)
    store = store or (stores[0]["id"] if stores else "")
    loaded = use_remote(
        office,
        lambda api: StockClient(api).movements(store, limit),
        [store, limit, state.revision],
    )
    items, total = (loaded.value.items, loaded.value.total) if loaded.value else ([], 0)
    rows = [movement_row(state.lang, m, full(parse_time(m.get("at")), office.tz)) for m in items]
    controls: list[ft.Control] = [store_chips(state, office, stores, store, set_store, "mov-store")]
    if loaded.error:
        controls.append(error_text(loaded.error))
    controls.append(muted(t("console.stock.showing", n=len(rows), total=total)))
    if rows:
        controls.append(
            table(
                [
                    t("console.stock.col_at"),
                    t("console.stock.col_kind"),
                    t("console.stock.col_part"),
                    t("parts_report.col.quantity"),
                    t("console.stock.col_other"),
                    t("console.stock.reason_col"),
                    t("console.stock.col_by"),
                ],
                rows,
                numeric=(3,),
                ident="movement-list",
            )
        )
    if len(rows) < total:
        controls.append(
            button(t("console.stock.more"), lambda _e: set_limit(min(limit + 100, 500)), kind="quiet")
        )
    return panel(t("console.stock.movements_title"), controls, ident="stock-movements")
