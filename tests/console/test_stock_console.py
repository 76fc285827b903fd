"""The stock screen's rules without a browser, and its calls to the server in-process (SQLite and
PostgreSQL): store order and keys, typed quantities, the count's preview and body, a refused transfer in
words with what the store holds, ledger lines and van shortfalls in words."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from console.api import ApiError
from console.clients.stock import StockClient, checked
from console.logic.conflicts import field_label, resolution_text, value_text
from console.logic.stock import (
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
    stock_conflict_text,
    store_key,
    store_label,
    transfer_refused,
)
from console.roles import ROUTES, STOCK_ROLES, Screen, screen_of, screens_for
from console.state import ConsoleState, Office
from shared.enums import Role
from shared.stock import (
    CountIn,
    CountOut,
    DecisionIn,
    OperationOut,
    ReceiptIn,
    ReorderLevelIn,
    ShipmentIn,
    TransferIn,
)
from tests.support import PASSWORD, World

ENGINEERS: dict[str, dict[str, Any]] = {"e1": {"id": "e1", "username": "eng01", "display_name": "张伟"}}
STORES: list[dict[str, Any]] = [
    {
        "id": "v1",
        "kind": "van",
        "name": "张伟的车载库",
        "engineer_id": "e1",
        "engineer_name": "张伟",
        "active": True,
    },
    {
        "id": "r1",
        "kind": "returned",
        "name": "旧件库",
        "engineer_id": None,
        "engineer_name": None,
        "active": True,
    },
    {
        "id": "n2",
        "kind": "new",
        "name": "备用新件库",
        "engineer_id": None,
        "engineer_name": None,
        "active": False,
    },
    {"id": "n1", "kind": "new", "name": "新件库", "engineer_id": None, "engineer_name": None, "active": True},
]
PARTS: list[dict[str, Any]] = [
    {"id": "p1", "code": "P-1", "name": "机械密封", "unit": "套"},
    {"id": "p2", "code": "P-2", "name": "叶轮", "unit": "个"},
    {"id": "p3", "code": "P-3", "name": "滤网", "unit": "个"},
]
BALANCES: list[dict[str, Any]] = [
    {"store_id": "n1", "part_id": "p2", "part_code": "P-2", "quantity": 4},
    {"store_id": "n1", "part_id": "p1", "part_code": "P-1", "quantity": 5},
    {"store_id": "v1", "part_id": "p1", "part_code": "P-1", "quantity": -1},
    {"store_id": "v1", "part_id": "p2", "part_code": "P-2", "quantity": 0},
]


def test_the_stock_screen_is_for_the_warehouse_managers_and_admins() -> None:
    assert ROUTES[Screen.STOCK] == "/stock" and screen_of("/stock") is Screen.STOCK
    for role in Role:
        assert (Screen.STOCK in screens_for(role)) == (role in STOCK_ROLES), role
    assert {Role.WAREHOUSE, Role.MANAGER, Role.ADMIN} == STOCK_ROLES


def test_stores_in_order_with_stable_keys_and_names_in_both_languages() -> None:
    ordered = ordered_stores(STORES)
    assert [s["id"] for s in ordered] == ["n1", "n2", "r1", "v1"]  # open new store before the closed one
    assert [store_key(s, ENGINEERS) for s in ordered] == ["new", "new", "returned", "eng01"]
    assert store_key({"id": "x", "kind": "van", "engineer_id": "gone"}, ENGINEERS) == "van-x"
    assert store_label("zh-CN", STORES[0]) == "张伟的车载库" and store_label("en", STORES[0]) == "张伟's van"
    assert store_label("en", STORES[1]) == "旧件库"
    grouped = by_store(BALANCES)
    assert [b["part_code"] for b in grouped["n1"]] == ["P-1", "P-2"]
    assert [b["quantity"] for b in grouped["v1"]] == [-1]  # a shortfall shows; zero rows do not
    assert held(BALANCES, "n1", "p1") == 5 and held(BALANCES, "n1", "p3") == 0


def test_typed_quantities_and_costs() -> None:
    assert parse_quantity(" 12 ") == 12 and parse_quantity("１２") == 12
    for bad in ("", "0", "-1", "1.5", "abc", "2000000"):
        assert parse_quantity(bad) is None, bad
    assert parse_quantity("0", allow_zero=True) == 0
    assert parse_cost("") == 0.0 and parse_cost("12.5") == 12.5 and parse_cost("¥380元") == 380.0
    assert parse_cost("-1") is None and parse_cost("x") is None


def test_a_count_preview_shows_differences_and_asks_for_reasons_before_posting() -> None:
    typed = {"p1": ("3", ""), "p2": ("4", ""), "p3": ("", "")}
    lines = count_preview(PARTS, BALANCES, "n1", typed)
    assert [(x.part_code, x.book, x.counted, x.difference, x.needs_reason) for x in lines] == [
        ("P-1", 5, 3, -2, True),
        ("P-2", 4, 4, 0, False),
    ]
    assert count_problem(lines) == "console.stock.count_needs_reason"
    typed["p1"] = ("3", "两套破损")
    typed["p3"] = ("2", "货架上找到")  # a part the books do not have
    lines = count_preview(PARTS, BALANCES, "n1", typed)
    assert [(x.part_code, x.difference) for x in lines] == [("P-1", -2), ("P-2", 0), ("P-3", 2)]
    assert count_problem(lines) == ""
    assert count_body("n1", " 月末 ", lines) == {
        "store_id": "n1",
        "note": "月末",
        "lines": [
            {"part_id": "p1", "counted_quantity": 3, "reason": "两套破损"},
            {"part_id": "p2", "counted_quantity": 4, "reason": ""},
            {"part_id": "p3", "counted_quantity": 2, "reason": "货架上找到"},
        ],
    }
    assert count_problem(count_preview(PARTS, BALANCES, "n1", {"p1": ("x", "r")})) == (
        "console.stock.count_bad_number"
    )
    assert count_problem(count_preview(PARTS, BALANCES, "n1", {})) == "console.stock.count_empty"


def test_refusals_ledger_lines_and_van_shortfalls_read_in_words() -> None:
    body = {"reason": "insufficient_stock", "held": 3, "requested": 8}
    assert transfer_refused("zh-CN", body, "新件库", "x") == "调拨未执行：新件库账面只有 3 件，不能调出 8 件"
    assert transfer_refused("en", body, "New", "x") == "Not transferred: New holds 3, not 8"
    assert transfer_refused("en", {"reason": "wrong_store"}, "New", "fallback") == "fallback"
    row = movement_row(
        "zh-CN",
        {
            "kind": "consume",
            "part_code": "P-1",
            "part_name": "机械密封",
            "quantity": -1,
            "job_number": "WO-1",
            "reason": "shortfall",
            "user_name": "张伟",
        },
        "2026-05-10 16:00",
    )
    assert row == ["2026-05-10 16:00", "工单领用", "P-1 机械密封", "-1", "WO-1", "超出账面领用", "张伟"]
    assert movement_row("en", {"kind": "transfer_in", "quantity": 2, "other_store_name": "新件库"}, "t")[
        1:5
    ] == [
        "Transferred in",
        " ",
        "+2",
        "新件库",
    ]
    conflict: dict[str, Any] = {
        "entity": "van_stock",
        "field": "quantity",
        "status": "open",
        "device_value": {"part_id": "p1", "used": 3},
        "server_value": {"on_hand": 1},
        "resolution": "device_wins",
        "reason": "insufficient_stock",
    }
    assert (
        stock_conflict_text("zh-CN", conflict, {"p1": "P-1 机械密封"})
        == "用了 3 件 P-1 机械密封，车载库账面只有 1 件"
    )
    assert stock_conflict_text("en", conflict, {}) == "used 3 of a part; the van's books had 1"
    # the shared conflict queue words them too
    assert field_label("zh-CN", conflict) == "车载库存"
    assert value_text("zh-CN", conflict["device_value"]) == "用了 3 件"
    assert value_text("en", conflict["server_value"]) == "the van's books had 1"
    assert "count the van" in resolution_text("en", conflict)
    assert report_cells({"opening": 1, "closing": -1, "closing_value": 8}) == [
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "-1",
        "8.00",
    ]


TZ = ZoneInfo("Asia/Shanghai")


async def test_the_clerk_transfers_to_a_van_and_is_told_what_the_store_holds(world: World) -> None:
    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "warehouse", PASSWORD, "仓库电脑")
    api = office.require()
    new = await api.post("/api/stock/stores", {"kind": "new", "name": "新件库"})
    stores = {store_key(s, office.directory.engineers): s for s in await api.get("/api/stock/stores")}
    assert set(stores) == {"new", "eng1", "eng2"}
    await api.post(
        "/api/stock/receipts",
        {"store_id": new["id"], "part_id": str(world.part_id), "quantity": 3, "unit_cost": 9},
    )
    body = {"from_store_id": new["id"], "to_store_id": stores["eng1"]["id"], "part_id": str(world.part_id)}
    with pytest.raises(ApiError) as refused:
        await api.post("/api/stock/transfers", {**body, "quantity": 5})
    assert refused.value.status == 409 and refused.value.body["held"] == 3
    text = transfer_refused("zh-CN", refused.value.body, store_label("zh-CN", new), "")
    assert text == "调拨未执行：新件库账面只有 3 件，不能调出 5 件"
    done = await office.act(lambda a: a.post("/api/stock/transfers", {**body, "quantity": 2}))
    assert isinstance(done, dict)
    balances = await api.get("/api/stock/balances")
    assert held(balances, stores["eng1"]["id"], str(world.part_id)) == 2
    assert held(balances, new["id"], str(world.part_id)) == 1
    # the count screen's body posts as it previewed
    lines = count_preview(
        [{"id": str(world.part_id), "code": "P-DP-001", "name": "机械密封"}],
        balances,
        stores["eng1"]["id"],
        {str(world.part_id): ("1", "车上少一套")},
    )
    count = await api.post("/api/stock/counts", count_body(stores["eng1"]["id"], "", lines))
    assert [(x["book_quantity"], x["difference"]) for x in count["lines"]] == [(2, -1)]
    await office.sign_out()


async def test_the_stock_client_sends_the_servers_own_schemas_and_reads_its_answers(world: World) -> None:
    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "warehouse", PASSWORD, "仓库电脑")
    api = office.require()
    stock = StockClient(api)
    new = await api.post("/api/stock/stores", {"kind": "new", "name": "新件库"})
    books = await stock.books()
    assert {s["id"] for s in books.stores} >= {new["id"]} and books.parts
    van = next(s for s in books.stores if s["kind"] == "van")
    part = str(world.part_id)
    received = await stock.receive(
        checked(ReceiptIn, store_id=new["id"], part_id=part, quantity=3, unit_cost=9)
    )
    assert isinstance(received, OperationOut) and [b.quantity for b in received.balances] == [3]
    with pytest.raises(ApiError) as refused:  # the server's 409, with what the store holds
        await stock.transfer(
            checked(TransferIn, from_store_id=new["id"], to_store_id=van["id"], part_id=part, quantity=5)
        )
    assert refused.value.status == 409 and refused.value.body["held"] == 3
    with pytest.raises(ApiError) as invalid:  # the schema refuses it before it is sent, as the server would
        checked(TransferIn, from_store_id=new["id"], to_store_id=van["id"], part_id=part, quantity=0)
    assert invalid.value.code == "invalid"
    moved = await stock.transfer(
        checked(
            TransferIn,
            from_store_id=new["id"],
            to_store_id=van["id"],
            part_id=part,
            quantity=2,
            note=" 补货 ",
        )
    )
    assert sorted(b.quantity for b in moved.balances) == [1, 2]
    assert [m.reason for m in moved.movements] == ["补货", "补货"]  # stripped, as the server does
    page = await stock.movements(new["id"], 50)
    assert page.total == 2 and {m["kind"] for m in page.items} == {"receive", "transfer_out"}
    lines = count_preview(books.parts, (await stock.books()).balances, van["id"], {part: ("1", "车上少一套")})
    count = await stock.count(checked(CountIn, **count_body(van["id"], "", lines)))
    assert isinstance(count, CountOut) and [(x.book_quantity, x.difference) for x in count.lines] == [(2, -1)]
    assert (await stock.pending_returns()).items == []
    assert (await stock.open_conflicts()).total == 0
    report = await stock.parts_report("day", office.state.now.astimezone(TZ).date().isoformat())
    assert {r["part_code"] for r in report["rows"]} >= {"P-DP-001"}
    await office.sign_out()


async def test_the_planning_client_sets_levels_ships_and_a_manager_decides(world: World) -> None:
    """The 备件计划 section's calls: a level that makes a shortage, the plan's file, a shipment in transit,
    and a pending issue (审查控制) that the warehouse cannot decide and a manager approves."""
    world.app.state.settings = world.app.state.settings.model_copy(update={"parts_approval": True})
    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "warehouse", PASSWORD, "仓库电脑")
    stock = StockClient(office.require())
    new = await office.require().post("/api/stock/stores", {"kind": "new", "name": "新件库"})
    part = str(world.part_id)
    await stock.receive(checked(ReceiptIn, store_id=new["id"], part_id=part, quantity=3, unit_cost=9))
    level = await stock.set_reorder_level(checked(ReorderLevelIn, store_id=new["id"], part_id=part, level=5))
    assert (level.level, level.target) == (5, 5)
    [short] = await stock.shortages()
    assert (short.on_hand, short.to_order) == (3, 2)
    data, name = await stock.export_plan("csv", "zh-CN")
    assert name.endswith(".csv") and "应补数量" in data.decode("utf-8-sig")
    van = next(s for s in (await stock.books()).stores if s["kind"] == "van")
    sent = await stock.ship(
        checked(ShipmentIn, from_store_id=new["id"], engineer_id=van["engineer_id"], part_id=part, quantity=1)
    )
    assert sent.status.value == "in_transit" and [s.id for s in await stock.shipments()] == [sent.id]

    manager = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await manager.sign_in("http://levee.test", "manager", PASSWORD, "经理电脑")
    await manager.require().post("/api/stock/approval/rules", {"kind": "issue", "min_quantity": 2})
    held = await stock.transfer(
        checked(TransferIn, from_store_id=new["id"], to_store_id=van["id"], part_id=part, quantity=2)
    )
    assert held.pending is not None and held.movements == []
    [pending] = await stock.requests()
    with pytest.raises(ApiError) as refused:
        await stock.decide(str(pending.id), True, DecisionIn())
    assert refused.value.status == 403
    approved = await StockClient(manager.require()).decide(
        str(pending.id), True, checked(DecisionIn, note="同意")
    )
    assert approved.status.value == "approved" and await stock.requests() == []
    await manager.sign_out()
    await office.sign_out()
