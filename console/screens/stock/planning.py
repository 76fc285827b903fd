"""Parts planning (``plan-*``): shortage alerts and the stock plan with its files, the reorder level editor,
shipments to engineers, and the issues and returns waiting for a manager (审查控制)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import Books, StockClient, checked
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table
from console.context import use_office
from console.logic.stock import ordered_stores, parse_quantity, store_label
from console.screens.stock.common import key_of, store_chips
from console.state import ConsoleState, use_draft, use_remote
from shared.stock import DecisionIn, ReorderLevelIn, ShipmentIn
from ui.components.common import text_field


@ft.component
def PlanningSection(state: ConsoleState, books: Books) -> ft.Control:
    return ft.Column(
        [
            ShortagesPanel(state),
            RequestsPanel(state),
            LevelEditor(state, books),
            ShipmentsPanel(state, books),
        ],
        spacing=12,
        tight=True,
    )


@ft.component
def ShortagesPanel(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: StockClient(api).shortages(), [state.revision])
    rows = loaded.value or []

    async def export(fmt: str) -> None:
        result = await office.act(lambda api: StockClient(api).export_plan(fmt, state.lang))
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])
            state.tell(t("console.reports.exported", file=result[1]))

    controls: list[ft.Control] = [
        ft.Row(
            [
                button(
                    t("console.reports.export_csv", what=t("console.stock.section.planning")),
                    on(export, "csv"),
                    kind="quiet",
                    ident="plan-export-csv",
                ),
                button(
                    t("console.reports.export_xlsx", what=t("console.stock.section.planning")),
                    on(export, "xlsx"),
                    kind="quiet",
                    ident="plan-export-xlsx",
                ),
            ],
            wrap=True,
            spacing=10,
        )
    ]
    if loaded.error:
        controls.append(error_text(loaded.error))
    if rows:
        controls.append(
            table(
                [
                    t("parts_report.col.store"),
                    t("parts_report.col.part_name"),
                    t("stock_plan.col.on_hand"),
                    t("stock_plan.col.in_transit"),
                    t("stock_plan.col.level"),
                    t("stock_plan.col.target"),
                    t("stock_plan.col.to_order"),
                ],
                [
                    [
                        r.store_name,
                        f"{r.part_code} {r.part_name}",
                        str(r.on_hand),
                        str(r.in_transit),
                        str(r.level),
                        str(r.target),
                        str(r.to_order),
                    ]
                    for r in rows
                ],
                numeric=(2, 3, 4, 5, 6),
                red=[(i, 2) for i in range(len(rows))],
                ident="plan-shortages",
            )
        )
    elif not loaded.loading:
        controls.append(muted(t("console.plan.no_shortage")))
    return panel(t("console.plan.shortages_title", n=len(rows)), controls, ident="plan-shortage-panel")


@ft.component
def RequestsPanel(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: StockClient(api).requests(), [state.revision])
    rows = loaded.value or []
    note, set_note = use_draft(office, "stock.plan.decision_note", "")
    manager = state.role == "manager"

    async def decide(request_id: str, approve: bool) -> None:
        word = "console.plan.approved" if approve else "console.plan.rejected"
        if await office.act(
            lambda api: StockClient(api).decide(request_id, approve, checked(DecisionIn, note=note)),
            done=t(word),
        ):
            set_note("")

    controls: list[ft.Control] = []
    if loaded.error:
        controls.append(error_text(loaded.error))
    if not rows:
        controls.append(muted(t("console.plan.no_requests")))
    else:
        if manager:
            controls.append(
                ft.Container(
                    text_field(t("console.plan.decision_note"), note, lambda e: set_note(e.control.value)),
                    width=360,
                )
            )
        for r in rows:
            where = r.to_store_name or t("console.plan.shipment_to_engineer")
            line = t(
                "console.plan.request_line",
                kind=t(f"enum.request_kind.{r.kind.value}"),
                n=r.quantity,
                part=f"{r.part_code} {r.part_name}",
                source=r.from_store_name,
                target=where,
                who=r.requested_by_name or "—",
            )
            actions: list[ft.Control] = []
            if manager:
                actions = [
                    button(
                        t("console.plan.approve"),
                        on(decide, str(r.id), True),
                        kind="ok",
                        ident=f"plan-approve-{r.id}",
                    ),
                    button(
                        t("console.plan.reject"),
                        on(decide, str(r.id), False),
                        kind="danger",
                        ident=f"plan-reject-{r.id}",
                    ),
                ]
            status = t(f"enum.request_status.{r.status.value}")
            controls.append(
                ft.Row([ft.Text(f"{status} · {line}", size=15, expand=True), *actions], spacing=10)
            )
        if not manager:
            controls.append(muted(t("console.plan.manager_decides")))
    return panel(
        t("console.plan.requests_title", n=len(rows)),
        controls,
        ident="plan-requests",
    )


@ft.component
def LevelEditor(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    stores = [s for s in ordered_stores(books.stores) if s["kind"] in ("new", "van") and s.get("active")]
    store, set_store = use_draft(office, "stock.plan.level_store", "")
    part, set_part = use_draft(office, "stock.plan.level_part", "")
    find, set_find = use_draft(office, "stock.plan.level_find", "")
    level, set_level = use_draft(office, "stock.plan.level", "")
    target, set_target = use_draft(office, "stock.plan.target", "")
    store = store or (stores[0]["id"] if stores else "")
    found = [
        p
        for p in books.parts
        if not find.strip() or find.strip().lower() in f"{p['code']} {p['name']}".lower()
    ]

    async def save() -> None:
        n = parse_quantity(level) if level.strip() != "0" else 0
        goal = None if not target.strip() else parse_quantity(target)
        if not store or not part or n is None or (target.strip() and goal is None):
            state.tell(t("console.plan.level_incomplete"), error=True)
            return
        name = next((p["name"] for p in books.parts if p["id"] == part), "")
        if await office.act(
            lambda api: StockClient(api).set_reorder_level(
                checked(ReorderLevelIn, store_id=store, part_id=part, level=n, target=goal)
            ),
            done=t("console.plan.level_saved", part=name, n=n),
        ):
            set_level("")
            set_target("")

    return panel(
        t("console.plan.level_title"),
        [
            store_chips(state, office, stores, store, set_store, "plan-level-store"),
            ft.Container(
                text_field(t("console.stock.find_part"), find, lambda e: set_find(e.control.value)), width=360
            ),
            chips(
                [
                    chip(
                        f"{p['code']} {p['name']}",
                        p["id"] == part,
                        on(set_part, p["id"]),
                        ident=f"plan-level-part-{p['code']}",
                    )
                    for p in found[:40]
                ]
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(
                            t("stock_plan.col.level"),
                            level,
                            lambda e: set_level(e.control.value),
                            number=True,
                        ),
                        width=160,
                    ),
                    ft.Container(
                        text_field(
                            t("stock_plan.col.target"),
                            target,
                            lambda e: set_target(e.control.value),
                            number=True,
                        ),
                        width=160,
                    ),
                    button(
                        t("console.plan.level_save"), on(save), ident="plan-level-save", icon=ft.Icons.SAVE
                    ),
                ],
                wrap=True,
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ],
        ident="plan-levels",
    )


@ft.component
def ShipmentsPanel(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: StockClient(api).shipments(), [state.revision])
    new_stores = [s for s in ordered_stores(books.stores) if s["kind"] == "new" and s.get("active")]
    vans = [s for s in ordered_stores(books.stores) if s["kind"] == "van" and s.get("active")]
    source = new_stores[0]["id"] if new_stores else ""
    engineer, set_engineer = use_draft(office, "stock.ship.engineer", "")
    part, set_part = use_draft(office, "stock.ship.part", "")
    find, set_find = use_draft(office, "stock.ship.find", "")
    quantity, set_quantity = use_draft(office, "stock.ship.quantity", "")
    courier, set_courier = use_draft(office, "stock.ship.courier", "")
    tracking, set_tracking = use_draft(office, "stock.ship.tracking", "")
    site, set_site = use_draft(office, "stock.ship.site", "")
    found = [
        p
        for p in books.parts
        if not find.strip() or find.strip().lower() in f"{p['code']} {p['name']}".lower()
    ]

    async def send() -> None:
        n = parse_quantity(quantity)
        if not source or not engineer or not part or n is None:
            state.tell(t("console.plan.ship_incomplete"), error=True)
            return
        result = await office.act(
            lambda api: StockClient(api).ship(
                checked(
                    ShipmentIn,
                    from_store_id=source,
                    engineer_id=engineer,
                    part_id=part,
                    quantity=n,
                    courier=courier,
                    tracking_no=tracking,
                    site=site,
                )
            )
        )
        if result is not None and result is not True:
            state.tell(t(f"console.plan.shipped_{result.status.value}", n=n, who=result.engineer_name))
            for clear in (set_quantity, set_tracking, set_site):
                clear("")

    shipments = loaded.value or []
    controls: list[ft.Control] = [
        chips(
            [
                chip(
                    store_label(state.lang, v),
                    v["engineer_id"] == engineer,
                    on(set_engineer, v["engineer_id"]),
                    ident=f"ship-to-{key_of(office, v)}",
                )
                for v in vans
            ]
        ),
        ft.Container(
            text_field(t("console.stock.find_part"), find, lambda e: set_find(e.control.value)), width=360
        ),
        chips(
            [
                chip(
                    f"{p['code']} {p['name']}",
                    p["id"] == part,
                    on(set_part, p["id"]),
                    ident=f"ship-part-{p['code']}",
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
                    width=120,
                ),
                ft.Container(
                    text_field(t("console.plan.courier"), courier, lambda e: set_courier(e.control.value)),
                    width=160,
                ),
                ft.Container(
                    text_field(
                        t("console.plan.tracking_no"), tracking, lambda e: set_tracking(e.control.value)
                    ),
                    width=220,
                ),
                ft.Container(
                    text_field(t("console.plan.site"), site, lambda e: set_site(e.control.value)), width=220
                ),
                button(t("console.plan.ship"), on(send), ident="ship-submit", icon=ft.Icons.LOCAL_SHIPPING),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]
    if loaded.error:
        controls.append(error_text(loaded.error))
    if shipments:
        controls.append(
            table(
                [
                    t("console.plan.engineer"),
                    t("parts_report.col.part_name"),
                    t("console.stock.quantity"),
                    t("console.plan.courier"),
                    t("console.plan.tracking_no"),
                    t("console.plan.status"),
                ],
                [
                    [
                        s.engineer_name,
                        f"{s.part_code} {s.part_name}",
                        str(s.quantity),
                        s.courier,
                        s.tracking_no,
                        t(f"enum.shipment_status.{s.status.value}"),
                    ]
                    for s in shipments[:50]
                ],
                numeric=(2,),
                ident="ship-list",
            )
        )
    return panel(t("console.plan.ship_title"), controls, ident="plan-shipments")
