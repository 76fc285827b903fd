"""Parts stores for the warehouse: what each store and van holds, receiving parts, transferring them to
a van, counting a store (the differences shown before posting), the ledger of a store, van shortfalls
from the tablets, old parts still to hand in, and the daily or monthly parts report with its files.

Every control a test drives has a stable identifier: ``stock-tab-<section>``, ``store-<key>`` (``new``,
``returned`` or the engineer's username), ``xfer-from-<key>``, ``xfer-part-<code>``, ``xfer-to-<key>``,
``xfer-submit``, ``xfer-result``; text fields are found by their labels.
"""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from console.api import ApiError, ConsoleApi
from console.components.widgets import (
    button,
    chip,
    chips,
    error_text,
    muted,
    on,
    panel,
    table,
    title,
)
from console.context import use_office
from console.logic.stock import (
    SECTIONS,
    PreviewLine,
    by_store,
    count_body,
    count_preview,
    count_problem,
    held,
    movement_row,
    ordered_stores,
    parse_cost,
    parse_quantity,
    report_cells,
    signed,
    stock_conflict_text,
    store_key,
    store_label,
    transfer_refused,
)
from console.logic.times import full
from console.state import ConsoleState, Office, use_draft, use_remote
from ui.components.common import INK, MUTED, RED, SURFACE, badge, keyed, tagged, text_field
from ui.logic.clocks import parse_time

Json = dict[str, Any]


async def _load_books(api: ConsoleApi) -> Json:
    stores, balances, parts = await asyncio.gather(
        api.get("/api/stock/stores"), api.get("/api/stock/balances"), api.get("/api/parts")
    )
    return {"stores": stores, "balances": balances, "parts": parts}


def _key(office: Office, store: Json) -> str:
    return store_key(store, office.directory.engineers)


def _store_chips(
    state: ConsoleState,
    office: Office,
    stores: list[Json],
    selected: str,
    pick: Any,
    prefix: str,
) -> ft.Control:
    return chips(
        [
            chip(
                store_label(state.lang, s),
                s["id"] == selected,
                on(pick, s["id"]),
                ident=f"{prefix}-{_key(office, s)}",
            )
            for s in stores
        ]
    )


@ft.component
def BalancesSection(state: ConsoleState, books: Json, only: tuple[str, ...] = ()) -> ft.Control:
    """A panel per store (``store-<key>``); with ``only``, just those stores and no picker. The picker
    (``bal-store-<key>``, ``bal-store-all``) shows one store at a time, so a van is on screen at once."""
    office = use_office()
    t = state.t
    picked, set_picked = ft.use_state("")
    rows = by_store(books["balances"])
    stores = ordered_stores(books["stores"])
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
                        ident=f"bal-store-{_key(office, s)}",
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
        panels.append(panel(heading, body, ident=f"store-{_key(office, store)}"))
    return ft.Column(panels, spacing=12, tight=True)


@ft.component
def TransferSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    movable = [s for s in ordered_stores(books["stores"]) if s["kind"] in ("new", "van") and s.get("active")]
    default = next((s["id"] for s in movable if s["kind"] == "new"), "")
    source, set_source = ft.use_state(default)
    part, set_part = use_draft(office, "stock.transfer.part", "")
    target, set_target = use_draft(office, "stock.transfer.target", "")
    quantity, set_quantity = use_draft(office, "stock.transfer.quantity", "")
    note, set_note = use_draft(office, "stock.transfer.note", "")
    result, set_result = ft.use_state(("", False))
    source = source or default
    stores = {s["id"]: s for s in books["stores"]}
    parts = {p["id"]: p for p in books["parts"]}
    in_source = [b for b in by_store(books["balances"]).get(source, []) if b["quantity"] > 0]

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
        body = {"from_store_id": source, "to_store_id": target, "part_id": part, "quantity": n, "note": note}
        try:
            await office.require().post("/api/stock/transfers", body)
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
        set_result((text, False))
        set_quantity("")
        state.tell(text)
        state.changed()

    targets = [s for s in movable if s["id"] != source]
    controls: list[ft.Control] = [
        muted(t("console.stock.transfer_from")),
        _store_chips(state, office, movable, source, pick_source, "xfer-from"),
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
        _store_chips(state, office, targets, target, set_target, "xfer-to"),
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
        controls.append(muted(t("console.stock.source_holds", n=held(books["balances"], source, part))))
    if result[0]:
        controls.append(tagged("xfer-result", ft.Text(result[0], size=16, color=RED if result[1] else INK)))
    form = panel(t("console.stock.transfer_title"), controls, ident="stock-transfer")
    # what the two stores hold, right under the form: the clerk sees the van's balance change
    return ft.Column(
        [form, BalancesSection(state, books, tuple(x for x in (target, source) if x))], spacing=12, tight=True
    )


@ft.component
def ReceiveSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    new_stores = [s for s in ordered_stores(books["stores"]) if s["kind"] == "new" and s.get("active")]
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
        for p in books["parts"]
        if not find.strip() or find.strip().lower() in f"{p['code']} {p['name']}".lower()
    ]

    async def submit() -> None:
        n, unit_cost = parse_quantity(quantity), parse_cost(cost)
        if not part or n is None or unit_cost is None:
            state.tell(t("console.stock.receive_incomplete"), error=True)
            return
        body = {
            "store_id": store,
            "part_id": part,
            "quantity": n,
            "unit_cost": unit_cost,
            "reference": reference,
        }
        name = next((p["name"] for p in books["parts"] if p["id"] == part), "")
        if await office.act(
            lambda api: api.post("/api/stock/receipts", body),
            done=t("console.stock.received", n=n, part=name),
        ):
            set_quantity("")
            set_cost("")
            set_reference("")

    return panel(
        t("console.stock.receive_title"),
        [
            _store_chips(state, office, new_stores, store, set_store, "recv-store"),
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


@ft.component
def CountLineRow(state: ConsoleState, line: PreviewLine, typed: tuple[str, str], change: Any) -> ft.Control:
    t = state.t
    diff_text = "—" if line.counted is None else signed(line.difference)
    return tagged(
        f"count-line-{line.part_code}",
        ft.Row(
            [
                ft.Text(f"{line.part_code} {line.part_name}", size=15, color=INK, width=260),
                ft.Text(t("console.stock.book", n=line.book), size=15, color=MUTED, width=110),
                ft.Container(
                    text_field(
                        t("console.stock.counted_of", code=line.part_code),
                        typed[0],
                        lambda e: change(line.part_id, counted=e.control.value),
                        number=True,
                        error=t("console.stock.bad_quantity") if line.bad_number else None,
                    ),
                    width=180,
                ),
                ft.Text(
                    t("console.stock.difference", d=diff_text),
                    size=15,
                    color=RED if line.difference else INK,
                    width=110,
                ),
                ft.Container(
                    text_field(
                        t("console.stock.reason_of", code=line.part_code),
                        typed[1],
                        lambda e: change(line.part_id, reason=e.control.value),
                        error=t("console.stock.reason_needed") if line.needs_reason else None,
                    ),
                    width=320,
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )


@ft.component
def CountSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    stores = [s for s in ordered_stores(books["stores"]) if s.get("active")]
    store, set_store = use_draft(office, "stock.count.store", "")
    nothing_typed: dict[str, tuple[str, str]] = {}
    no_count: Json | None = None
    typed, set_typed = use_draft(office, "stock.count.typed", nothing_typed)
    note, set_note = use_draft(office, "stock.count.note", "")
    adding, set_adding = use_draft(office, "stock.count.adding", "")
    posted, set_posted = ft.use_state(no_count)
    store = store or (stores[0]["id"] if stores else "")
    lines = count_preview(books["parts"], books["balances"], store, typed)
    problem = count_problem(lines)

    def pick(store_id: str) -> None:
        set_store(store_id)
        set_typed({})
        set_posted(None)

    def change(part_id: str, *, counted: str | None = None, reason: str | None = None) -> None:
        """One field of one line, applied to the newest typed values (not those of the render that made
        the field: a line scrolled away and back, or a second keystroke before the re-render, would
        otherwise put back an old value of the other field)."""

        def update(current: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
            old = current.get(part_id, ("", ""))
            new = (old[0] if counted is None else counted, old[1] if reason is None else reason)
            return {**current, part_id: new}

        set_typed(update)

    def add_part() -> None:
        match = next(
            (
                p
                for p in books["parts"]
                if adding.strip() and adding.strip().lower() in f"{p['code']} {p['name']}".lower()
            ),
            None,
        )
        if match is None:
            state.tell(t("console.stock.no_such_part"), error=True)
            return
        part_id = str(match["id"])
        set_typed(lambda current: {**current, part_id: (current.get(part_id, ("0", ""))[0] or "0", "")})
        set_adding("")

    async def post() -> None:
        result = await office.act(
            lambda api: api.post("/api/stock/counts", count_body(store, note, lines)),
            done=t("console.stock.count_posted"),
        )
        if isinstance(result, dict):
            set_posted(result)
            set_typed({})
            set_note("")

    controls: list[ft.Control] = [
        _store_chips(state, office, stores, store, pick, "count-store"),
        muted(t("console.stock.count_explain")),
        *[
            keyed(CountLineRow)(state, line, typed.get(line.part_id, ("", "")), change, key=line.part_id)
            for line in lines
        ],
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.stock.add_part"), adding, lambda e: set_adding(e.control.value)),
                    width=300,
                ),
                button(
                    t("console.stock.add_part_button"), lambda _e: add_part(), kind="quiet", ident="count-add"
                ),
            ],
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]
    changed = [line for line in lines if line.counted is not None and line.difference]
    if changed:
        controls.append(
            tagged(
                "count-preview",
                table(
                    [
                        t("parts_report.col.part_code"),
                        t("console.stock.book_col"),
                        t("console.stock.counted_col"),
                        t("console.stock.difference_col"),
                        t("console.stock.reason_col"),
                    ],
                    [
                        [x.part_code, str(x.book), str(x.counted), signed(x.difference), x.reason]
                        for x in changed
                    ],
                    numeric=(1, 2, 3),
                ),
            )
        )
    controls += [
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.stock.count_note"), note, lambda e: set_note(e.control.value)),
                    width=360,
                ),
                button(
                    t("console.stock.count_submit"), on(post), ident="count-submit", disabled=bool(problem)
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    ]
    if problem:
        controls.append(tagged("count-problem", muted(t(problem))))
    if isinstance(posted, dict):
        controls.append(
            tagged(
                "count-result",
                panel(
                    t(
                        "console.stock.count_result",
                        when=full(parse_time(posted.get("counted_at")), office.tz),
                    ),
                    [
                        table(
                            [
                                t("parts_report.col.part_code"),
                                t("console.stock.book_col"),
                                t("console.stock.counted_col"),
                                t("console.stock.difference_col"),
                                t("console.stock.reason_col"),
                            ],
                            [
                                [
                                    x["part_code"],
                                    str(x["book_quantity"]),
                                    str(x["counted_quantity"]),
                                    signed(x["difference"]),
                                    x["reason"],
                                ]
                                for x in posted.get("lines", [])
                            ],
                            numeric=(1, 2, 3),
                        )
                    ],
                ),
            )
        )
    return panel(t("console.stock.count_title"), controls, ident="stock-count")


@ft.component
def MovementsSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    stores = ordered_stores(books["stores"])
    store, set_store = ft.use_state("")
    limit, set_limit = ft.use_state(50)
    store = store or (stores[0]["id"] if stores else "")
    loaded = use_remote(
        office,
        lambda api: api.get("/api/stock/movements", store_id=store, limit=limit),
        [store, limit, state.revision],
    )
    page = loaded.value or {"items": [], "total": 0}
    rows = [movement_row(state.lang, m, full(parse_time(m.get("at")), office.tz)) for m in page["items"]]
    controls: list[ft.Control] = [_store_chips(state, office, stores, store, set_store, "mov-store")]
    if loaded.error:
        controls.append(error_text(loaded.error))
    controls.append(muted(t("console.stock.showing", n=len(rows), total=page["total"])))
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
    if len(rows) < page["total"]:
        controls.append(
            button(t("console.stock.more"), lambda _e: set_limit(min(limit + 100, 500)), kind="quiet")
        )
    return panel(t("console.stock.movements_title"), controls, ident="stock-movements")


@ft.component
def StockConflictCard(state: ConsoleState, conflict: Json, part_names: dict[str, str]) -> ft.Control:
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
def ConflictsSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(
        office,
        lambda api: api.get("/api/conflicts", entity="van_stock", status="open", limit=200),
        [state.revision],
    )
    page = loaded.value or {"items": [], "total": 0}
    part_names = {p["id"]: f"{p['code']} {p['name']}" for p in books["parts"]}
    controls: list[ft.Control] = [muted(t("console.stock.conflicts_explain"))]
    if loaded.error:
        controls.append(error_text(loaded.error))
    cards = [keyed(StockConflictCard)(state, c, part_names, key=c["id"]) for c in page["items"]]
    if not cards and not loaded.loading:
        controls.append(muted(t("console.stock.no_conflicts")))
    controls.append(ft.Column(cards, spacing=10, tight=True))
    return panel(t("console.stock.conflicts_title"), controls, ident="stock-conflicts")


@ft.component
def ReturnsSection(state: ConsoleState, books: Json) -> ft.Control:
    office = use_office()
    t = state.t
    returned = [s for s in ordered_stores(books["stores"]) if s["kind"] == "returned" and s.get("active")]
    store, set_store = ft.use_state("")
    store = store or (returned[0]["id"] if returned else "")
    loaded = use_remote(
        office, lambda api: api.get("/api/stock/returns/pending", limit=200), [state.revision]
    )
    page = loaded.value or {"items": [], "total": 0}

    async def hand_in(item: Json) -> None:
        await office.act(
            lambda api: api.post(
                "/api/stock/returns", {"job_part_id": item["job_part_id"], "store_id": store}
            ),
            done=t("console.stock.handed_in", part=item["part_name"], number=item["job_number"]),
        )

    controls: list[ft.Control] = []
    if not returned:
        controls.append(muted(t("console.stock.no_returned_store")))
    elif len(returned) > 1:
        controls.append(_store_chips(state, office, returned, store, set_store, "ret-store"))
    if loaded.error:
        controls.append(error_text(loaded.error))
    if not page["items"] and not loaded.loading:
        controls.append(muted(t("console.stock.no_returns")))
    for item in page["items"]:
        controls.append(
            ft.Row(
                [
                    ft.Text(item["job_number"], size=15, color=INK, width=170),
                    ft.Text(item.get("engineer_name") or "—", size=15, color=INK, width=90),
                    ft.Text(
                        f"{item['part_code']} {item['part_name']} × {item['quantity']}",
                        size=15,
                        color=INK,
                        expand=True,
                    ),
                    muted(full(parse_time(item.get("used_at")), office.tz), 14),
                    button(
                        t("console.stock.hand_in"),
                        on(hand_in, item),
                        kind="quiet",
                        disabled=not store,
                        ident=f"return-{item['job_number']}-{item['part_code']}",
                    ),
                ],
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    return panel(t("console.stock.returns_title", n=page["total"]), controls, ident="stock-returns")


@ft.component
def ReportSection(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    today = state.now.astimezone(office.tz).date().isoformat()
    period, set_period = ft.use_state("day")
    day, set_day = ft.use_state(today)
    asked = day.strip() or today
    loaded = use_remote(
        office,
        lambda api: api.get("/api/reports/parts", period=period, date=asked),
        [period, asked, state.revision],
    )
    report = loaded.value or {"rows": [], "by_engineer": [], "by_job": []}

    async def export(fmt: str) -> None:
        result = await office.act(
            lambda api: api.download(
                f"/api/reports/parts/export/parts.{fmt}", period=period, date=asked, lang=state.lang
            )
        )
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])
            state.tell(t("console.reports.exported", file=result[1]))

    columns = [
        t(f"parts_report.col.{c}")
        for c in (
            "opening",
            "received",
            "transferred_in",
            "transferred_out",
            "consumed",
            "returned",
            "adjusted",
            "closing",
            "closing_value",
        )
    ]
    controls: list[ft.Control] = [
        ft.Row(
            [
                chips(
                    [
                        chip(
                            t(f"console.stock.period_{p}"),
                            period == p,
                            on(set_period, p),
                            ident=f"parts-period-{p}",
                        )
                        for p in ("day", "month")
                    ]
                ),
                ft.Container(
                    text_field(
                        t("console.stock.report_date"), day, lambda e: set_day(e.control.value), hint=today
                    ),
                    width=200,
                ),
                button(
                    t("console.reports.export_csv"), on(export, "csv"), kind="quiet", ident="parts-export-csv"
                ),
                button(
                    t("console.reports.export_xlsx"),
                    on(export, "xlsx"),
                    kind="quiet",
                    ident="parts-export-xlsx",
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    ]
    if loaded.error:
        controls.append(error_text(loaded.error))
    if report.get("rows"):
        controls.append(
            table(
                [t("parts_report.col.store"), t("parts_report.col.part_name"), *columns],
                [
                    [r["store_name"], f"{r['part_code']} {r['part_name']}", *report_cells(r)]
                    for r in report["rows"]
                ],
                numeric=tuple(range(2, 2 + len(columns))),
                ident="parts-report",
            )
        )
    elif not loaded.loading:
        controls.append(muted(t("console.stock.report_empty")))
    if report.get("by_engineer"):
        controls.append(
            panel(
                t("parts_report.title.engineers"),
                [
                    table(
                        [
                            t("parts_report.col.engineer"),
                            t("parts_report.col.part_name"),
                            t("parts_report.col.quantity"),
                            t("parts_report.col.value"),
                            t("parts_report.col.shortfall"),
                        ],
                        [
                            [
                                c.get("engineer_name") or "—",
                                f"{c['part_code']} {c['part_name']}",
                                str(c["quantity"]),
                                f"{c['value']:.2f}",
                                str(c["shortfall"]),
                            ]
                            for c in report["by_engineer"]
                        ],
                        numeric=(2, 3, 4),
                    )
                ],
            )
        )
    return panel(t("console.stock.report_title"), controls, ident="stock-report")


@ft.component
def StockScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    section, set_section = ft.use_state("balances")

    def open_section(name: str) -> None:
        set_section(name)
        state.changed()  # a section opens on fresh books (a tablet may have synced since)

    loaded = use_remote(office, _load_books, [state.revision])
    books = loaded.value
    body: list[ft.Control] = [
        ft.Row([title(t("console.stock.title"))], wrap=True),
        chips(
            [
                chip(
                    t(f"console.stock.section.{s}"), s == section, on(open_section, s), ident=f"stock-tab-{s}"
                )
                for s in SECTIONS
            ]
        ),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    if books is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    views = {
        "balances": lambda: BalancesSection(state, books),
        "transfer": lambda: TransferSection(state, books),
        "receive": lambda: ReceiveSection(state, books),
        "count": lambda: CountSection(state, books),
        "movements": lambda: MovementsSection(state, books),
        "conflicts": lambda: ConflictsSection(state, books),
        "returns": lambda: ReturnsSection(state, books),
        "report": lambda: ReportSection(state),
    }
    body.append(views[section]())
    return ft.ListView(body, spacing=12, padding=16, expand=True)
