"""Old parts taken out on jobs and not yet handed in to the returned-parts store (``return-*``)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import Books, StockClient, checked
from console.components.widgets import button, error_text, muted, on, panel
from console.context import use_office
from console.logic.stock import ordered_stores
from console.logic.times import full
from console.screens.stock.common import store_chips
from console.state import ConsoleState, use_remote
from shared.stock import PendingReturnOut, ReturnIn
from ui.components.common import INK


@ft.component
def ReturnsSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    returned = [s for s in ordered_stores(books.stores) if s["kind"] == "returned" and s.get("active")]
    store, set_store = ft.use_state("")
    store = store or (returned[0]["id"] if returned else "")
    loaded = use_remote(office, lambda api: StockClient(api).pending_returns(), [state.revision])
    items, total = (loaded.value.items, loaded.value.total) if loaded.value else ([], 0)

    async def hand_in(item: PendingReturnOut) -> None:
        await office.act(
            lambda api: StockClient(api).hand_in(
                checked(ReturnIn, job_part_id=item.job_part_id, store_id=store)
            ),
            done=t("console.stock.handed_in", part=item.part_name, number=item.job_number),
        )

    controls: list[ft.Control] = []
    if not returned:
        controls.append(muted(t("console.stock.no_returned_store")))
    elif len(returned) > 1:
        controls.append(store_chips(state, office, returned, store, set_store, "ret-store"))
    if loaded.error:
        controls.append(error_text(loaded.error))
    if not items and not loaded.loading:
        controls.append(muted(t("console.stock.no_returns")))
    for item in items:
        controls.append(
            ft.Row(
                [
                    ft.Text(item.job_number, size=15, color=INK, width=170),
                    ft.Text(item.engineer_name or "—", size=15, color=INK, width=90),
                    ft.Text(
                        f"{item.part_code} {item.part_name} × {item.quantity}",
                        size=15,
                        color=INK,
                        expand=True,
                    ),
                    muted(full(item.used_at, office.tz), 14),
                    button(
                        t("console.stock.hand_in"),
                        on(hand_in, item),
                        kind="quiet",
                        disabled=not store,
                        ident=f"return-{item.job_number}-{item.part_code}",
                    ),
                ],
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    return panel(t("console.stock.returns_title", n=total), controls, ident="stock-returns")
