"""Moving parts from the new-parts store or a van to another (``xfer-*``), with both stores' balances
under the form."""

from __future__ import annotations

import flet as ft

from console.api import ApiError
from console.clients.stock import Books, StockClient, checked
from console.components.widgets import button, chip, chips, muted, on, panel
from console.context import use_office
from console.logic.stock import by_store, held, ordered_stores, parse_quantity, store_label, transfer_refused
from console.screens.stock.balances import BalancesSection
from console.screens.stock.common import store_chips
from console.state import ConsoleState, use_draft
from shared.stock import TransferIn
from ui.components.common import INK, RED, tagged, text_field


@ft.component
def TransferSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    movable = [s for s in ordered_stores(books.stores) if s["kind"] in ("new", "van") and s.get("active")]
    default = next((s["id"] for s in movable if s["kind"] == "new"), "")
    source, set_source = ft.use_state(default)
    part, set_part = use_draft(office, "stock.transfer.part", "")
    target, set_target = use_draft(office, "stock.transfer.target", "")
    quantity, set_quantity = use_draft(office, "stock.transfer.quantity", "")
    note, set_note = use_draft(office, "stock.transfer.note", "")
    result, set_result = ft.use_state(("", False))
    source = source or default
    stores = {s["id"]: s for s in books.stores}
    parts = {p["id"]: p for p in books.parts}
    in_source = [b for b in by_store(books.balances).get(source, []) if b["quantity"] > 0]

    def pick_source(store_id: str) -> None:
        set_source(store_id)
        set_part("")
        if target == store_id:
            set_target("")

    async def submit() -> None:
        n = parse_quantity(quantity)
        if not (source and part and target):
            set_result((t("console.stock.transfer_pick"), True))
            return
        if n is None:
            set_result((t("console.stock.bad_quantity"), True))
            return
        try:
            done = await StockClient(office.require()).transfer(
                checked(
                    TransferIn, from_store_id=source, to_store_id=target, part_id=part, quantity=n, note=note
                )
            )
        except ApiError as exc:
            text = transfer_refused(
                state.lang, exc.body, store_label(state.lang, stores.get(source, {})), state.error_text(exc)
            )
            set_result((text, True))
            if exc.code == "signed_out":
                office.failed(exc)
            else:
                state.tell(text, error=True)
            return
        part_row = parts.get(part, {})
        text = t(
            "console.stock.transferred",
            n=n,
            unit=part_row.get("unit", ""),
            part=part_row.get("name", ""),
            to=store_label(state.lang, stores.get(target, {})),
        )
        if done.pending is not None:  # 审查控制: nothing moved; a manager approves it under 备件计划
            text = t("console.plan.transfer_pending", n=n, part=part_row.get("name", ""))
        set_result((text, False))
        set_quantity("")
        state.tell(text)
        state.changed()

    targets = [s for s in movable if s["id"] != source]
    controls: list[ft.Control] = [
        muted(t("console.stock.transfer_from")),
        store_chips(state, office, movable, source, pick_source, "xfer-from"),
        muted(t("console.stock.transfer_part")),
    ]
    if in_source:
        controls.append(
            chips(
                [
                    chip(
                        t(
                            "console.stock.part_held",
                            code=b["part_code"],
                            name=b["part_name"],
                            n=b["quantity"],
                            unit=b["unit"],
                        ),
                        b["part_id"] == part,
                        on(set_part, b["part_id"]),
                        ident=f"xfer-part-{b['part_code']}",
                    )
                    for b in in_source
                ]
            )
        )
    else:
        controls.append(muted(t("console.stock.empty_store")))
    controls += [
        muted(t("console.stock.transfer_to")),
        store_chips(state, office, targets, target, set_target, "xfer-to"),
        ft.Row(
            [
                ft.Container(
                    text_field(
                        t("console.stock.quantity"),
                        quantity,
                        lambda e: set_quantity(e.control.value),
                        number=True,
                    ),
                    width=180,
                ),
                ft.Container(
                    text_field(t("console.stock.note"), note, lambda e: set_note(e.control.value)), width=360
                ),
                button(
                    t("console.stock.transfer_submit"),
                    on(submit),
                    ident="xfer-submit",
                    icon=ft.Icons.LOCAL_SHIPPING,
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]
    if part and source:
        controls.append(muted(t("console.stock.source_holds", n=held(books.balances, source, part))))
    if result[0]:
        controls.append(tagged("xfer-result", ft.Text(result[0], size=16, color=RED if result[1] else INK)))
    form = panel(t("console.stock.transfer_title"), controls, ident="stock-transfer")
    # what the two stores hold, right under the form: the clerk sees the van's balance change
    return ft.Column(
        [form, BalancesSection(state, books, tuple(x for x in (target, source) if x))], spacing=12, tight=True
    )
