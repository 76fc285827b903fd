"""Receiving parts from a supplier into a new-parts store (``recv-*``)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import Books, StockClient, checked
from console.components.widgets import button, chip, chips, muted, on, panel
from console.context import use_office
from console.logic.stock import ordered_stores, parse_cost, parse_quantity
from console.screens.stock.common import store_chips
from console.state import ConsoleState, use_draft
from shared.stock import ReceiptIn
from ui.components.common import text_field


@ft.component
def ReceiveSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    new_stores = [s for s in ordered_stores(books.stores) if s["kind"] == "new" and s.get("active")]
    store, set_store = ft.use_state("")
    part, set_part = use_draft(office, "stock.receive.part", "")
    find, set_find = use_draft(office, "stock.receive.find", "")
    quantity, set_quantity = use_draft(office, "stock.receive.quantity", "")
    cost, set_cost = use_draft(office, "stock.receive.cost", "")
    reference, set_reference = use_draft(office, "stock.receive.reference", "")
    store = store or (new_stores[0]["id"] if new_stores else "")
    if not new_stores:
        return panel(t("console.stock.receive_title"), [muted(t("console.stock.no_new_store"))])
    found = [
        p
        for p in books.parts
        if not find.strip() or find.strip().lower() in f"{p['code']} {p['name']}".lower()
    ]

    async def submit() -> None:
        n, unit_cost = parse_quantity(quantity), parse_cost(cost)
        if not part or n is None or unit_cost is None:
            state.tell(t("console.stock.receive_incomplete"), error=True)
            return
        name = next((p["name"] for p in books.parts if p["id"] == part), "")
        if await office.act(
            lambda api: StockClient(api).receive(
                checked(
                    ReceiptIn,
                    store_id=store,
                    part_id=part,
                    quantity=n,
                    unit_cost=unit_cost,
                    reference=reference,
                )
            ),
            done=t("console.stock.received", n=n, part=name),
        ):
            set_quantity("")
            set_cost("")
            set_reference("")

    return panel(
        t("console.stock.receive_title"),
        [
            store_chips(state, office, new_stores, store, set_store, "recv-store"),
            ft.Container(
                text_field(t("console.stock.find_part"), find, lambda e: set_find(e.control.value)), width=360
            ),
            chips(
                [
                    chip(
                        f"{p['code']} {p['name']}",
                        p["id"] == part,
                        on(set_part, p["id"]),
                        ident=f"recv-part-{p['code']}",
                    )
                    for p in found[:40]
                ]
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(
                            t("console.stock.quantity"),
                            quantity,
                            lambda e: set_quantity(e.control.value),
                            number=True,
                        ),
                        width=160,
                    ),
                    ft.Container(
                        text_field(t("console.stock.unit_cost"), cost, lambda e: set_cost(e.control.value)),
                        width=180,
                    ),
                    ft.Container(
                        text_field(
                            t("console.stock.reference"), reference, lambda e: set_reference(e.control.value)
                        ),
                        width=240,
                    ),
                    button(
                        t("console.stock.receive_submit"),
                        on(submit),
                        ident="recv-submit",
                        icon=ft.Icons.INVENTORY,
                    ),
                ],
                wrap=True,
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ],
        ident="stock-receive",
    )
