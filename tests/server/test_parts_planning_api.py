"""Parts planning through HTTP on SQLite and PostgreSQL (issue 16 part 6 and part 5's 审查控制): reorder
levels and the shortages they raise (counting units in transit), the stock plan's file, shipments that move
through the ledger's transit store until the engineer receives them, the manager's approval of issues and
returns that a rule names (nothing moves while pending), the weekly parts report and the satisfaction
report's files."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_sessionmaker
from server.db.models import AuditEntry, StockMovement, Store
from tests.server.test_stock_api import balance_of, h, new_part, open_stores, receive, stores
from tests.support import World


async def _audited(engine: AsyncEngine, action: str) -> int:
    async with make_sessionmaker(engine)() as s:
        return int(
            await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))
            or 0
        )


async def _moves(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as s:
        return int(await s.scalar(select(func.count()).select_from(StockMovement)) or 0)


def _approval(world: World, on: bool) -> None:
    world.app.state.settings = world.app.state.settings.model_copy(update={"parts_approval": on})


async def _ship(world: World, s: dict[str, Any], part: str, quantity: int, who: str = "warehouse") -> Any:
    return await world.client.post(
        "/api/stock/shipments",
        json={
            "from_store_id": s["new"]["id"],
            "engineer_id": s["eng1"]["engineer_id"],
            "part_id": part,
            "quantity": quantity,
            "site": "樟树泵站",
            "courier": "顺丰",
            "tracking_no": "SF1234567890",
        },
        headers=await h(world, who),
    )


async def test_reorder_levels_shortages_and_the_stock_plan(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    part = await new_part(world, "P-SEAL", '=HYPERLINK("x")机械密封')
    await receive(world, s["new"]["id"], part, 4, 120.5)

    put = await world.client.put(
        "/api/stock/reorder-levels",
        json={"store_id": s["new"]["id"], "part_id": part, "level": 10, "target": 20},
        headers=await h(world),
    )
    assert put.status_code == 200, put.text
    assert (put.json()["level"], put.json()["target"]) == (10, 20)
    van = await world.client.put(
        "/api/stock/reorder-levels",
        json={"store_id": s["eng1"]["id"], "part_id": part, "level": 2},
        headers=await h(world),
    )
    assert van.status_code == 200 and van.json()["target"] == 2  # the target defaults to the level
    assert await _audited(engine, "stock.reorder_level") == 2

    for body, code in (
        (
            {"store_id": s["new"]["id"], "part_id": part, "level": 5, "target": 3},
            "reorder.target_below_level",
        ),
        ({"store_id": s["returned"]["id"], "part_id": part, "level": 5}, "reorder.wrong_store"),
    ):
        r = await world.client.put("/api/stock/reorder-levels", json=body, headers=await h(world))
        assert r.status_code == 400 and r.json()["code"] == code, r.text
    r = await world.client.put(
        "/api/stock/reorder-levels",
        json={"store_id": s["new"]["id"], "part_id": part, "level": -1},
        headers=await h(world),
    )
    assert r.status_code == 400
    r = await world.client.put(
        "/api/stock/reorder-levels",
        json={"store_id": s["new"]["id"], "part_id": part, "level": 1},
        headers=await h(world, "dispatcher"),
    )
    assert r.status_code == 403

    short = (await world.client.get("/api/stock/shortages", headers=await h(world, "manager"))).json()
    by_store = {x["store_id"]: x for x in short}
    assert by_store[s["new"]["id"]]["to_order"] == 16 and by_store[s["new"]["id"]]["on_hand"] == 4
    assert by_store[s["eng1"]["id"]]["to_order"] == 2

    # one unit shipped to eng1 is in transit: it counts for the van (short by 1 now), not for the store
    assert (await _ship(world, s, part, 1)).status_code == 201
    short = {
        x["store_id"]: x
        for x in (await world.client.get("/api/stock/shortages", headers=await h(world))).json()
    }
    assert (short[s["eng1"]["id"]]["in_transit"], short[s["eng1"]["id"]]["to_order"]) == (1, 1)
    assert short[s["new"]["id"]]["on_hand"] == 3 and short[s["new"]["id"]]["to_order"] == 17

    csv_file = await world.client.get(
        "/api/stock/plan/export/plan.csv", params={"lang": "en"}, headers=await h(world)
    )
    assert csv_file.status_code == 200, csv_file.text
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "To order"
    line = next(r for r in rows if r[0] == "新件库")
    assert line[2].startswith("'=HYPERLINK") and line[-1] == "17"  # neutralised text, numbers as numbers
    xlsx = await world.client.get("/api/stock/plan/export/plan.xlsx", headers=await h(world))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and any(c.value == "应补数量" for row in sheet.iter_rows() for c in row)
    assert (
        await world.client.get("/api/stock/plan/export/plan.pdf", headers=await h(world))
    ).status_code == 404

    levels = (await world.client.get("/api/stock/reorder-levels", headers=await h(world))).json()
    gone = await world.client.delete(f"/api/stock/reorder-levels/{levels[0]['id']}", headers=await h(world))
    assert gone.status_code == 204
    assert len((await world.client.get("/api/stock/reorder-levels", headers=await h(world))).json()) == 1


async def test_a_shipment_waits_in_transit_until_its_engineer_receives_it(
    world: World, engine: AsyncEngine
) -> None:
    s = await open_stores(world)
    part = await new_part(world, "P-IMP")
    await receive(world, s["new"]["id"], part, 10, 50)
    sent = await _ship(world, s, part, 3)
    assert sent.status_code == 201, sent.text
    shipment = sent.json()
    assert (shipment["status"], shipment["courier"], shipment["tracking_no"]) == (
        "in_transit",
        "顺丰",
        "SF1234567890",
    )
    every = await stores(world)
    transit = next(x for x in every.values() if x["kind"] == "transit")
    assert await balance_of(world, s["new"]["id"], part) == 7
    assert await balance_of(world, transit["id"], part) == 3
    assert await balance_of(world, s["eng1"]["id"], part) == 0

    mine = (await world.client.get("/api/stock/shipments", headers=await h(world, "eng1"))).json()
    assert [x["id"] for x in mine] == [shipment["id"]]
    assert (await world.client.get("/api/stock/shipments", headers=await h(world, "eng2"))).json() == []
    other = await world.client.post(
        f"/api/stock/shipments/{shipment['id']}/receive", json={}, headers=await h(world, "eng2")
    )
    assert other.status_code == 404  # another engineer's shipment does not exist for them

    got = await world.client.post(
        f"/api/stock/shipments/{shipment['id']}/receive", json={}, headers=await h(world, "eng1")
    )
    assert got.status_code == 200, got.text
    assert got.json()["status"] == "received" and got.json()["received_at"]
    assert await balance_of(world, transit["id"], part) == 0
    assert await balance_of(world, s["eng1"]["id"], part) == 3
    before = await _moves(engine)
    again = await world.client.post(
        f"/api/stock/shipments/{shipment['id']}/receive", json={}, headers=await h(world)
    )
    assert again.status_code == 409 and again.json()["code"] == "stock.shipment_not_in_transit", again.text
    assert await _moves(engine) == before
    assert await _audited(engine, "stock.shipment_send") == 1
    assert await _audited(engine, "stock.shipment_receive") == 1

    for body, status in (
        ({"quantity": 99}, 409),  # more than the store holds: nothing shipped
        ({"engineer_id": s["new"]["id"]}, 400),
        ({"from_store_id": s["eng1"]["id"]}, 400),
        ({"quantity": 0}, 400),
    ):
        full = {
            "from_store_id": s["new"]["id"],
            "engineer_id": s["eng1"]["engineer_id"],
            "part_id": part,
            "quantity": 1,
        } | body
        r = await world.client.post("/api/stock/shipments", json=full, headers=await h(world))
        assert r.status_code == status, r.text
    assert await _moves(engine) == before
    assert len((await world.client.get("/api/stock/shipments", headers=await h(world))).json()) == 1
    r = await world.client.post(
        "/api/stock/shipments",
        json={
            "from_store_id": s["new"]["id"],
            "engineer_id": s["eng1"]["engineer_id"],
            "part_id": part,
            "quantity": 1,
        },
        headers=await h(world, "qa"),
    )
    assert r.status_code == 403


async def test_two_first_shipments_at_once_share_the_one_transit_store(
    world: World, engine: AsyncEngine
) -> None:
    """Both requests find no transit store and make one: the unique index lets one insert through and the
    other reads it, so every unit in transit is in the one store the receipts take from."""
    s = await open_stores(world)
    part = await new_part(world, "P-RACE")
    await receive(world, s["new"]["id"], part, 10, 50)
    answers = await asyncio.gather(*(_ship(world, s, part, n) for n in (2, 3)))
    codes = sorted(a.status_code for a in answers)
    assert codes in ([201, 201], [201, 503]), [a.text for a in answers]  # SQLite may turn one away to retry
    async with make_sessionmaker(engine)() as db:
        transit = (await db.scalars(select(Store).where(Store.kind == "transit"))).all()
    assert len(transit) == 1
    shipped = sum(a.json()["quantity"] for a in answers if a.status_code == 201)
    assert await balance_of(world, str(transit[0].id), part) == shipped
    assert await balance_of(world, s["new"]["id"], part) == 10 - shipped


async def test_issues_and_returns_a_rule_names_wait_for_a_manager(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    part = await new_part(world, "P-BRG")
    await receive(world, s["new"]["id"], part, 20, 30)
    manager = await h(world, "manager")
    rule = await world.client.post(
        "/api/stock/approval/rules",
        json={"kind": "issue", "part_id": part, "min_quantity": 5},
        headers=manager,
    )
    assert rule.status_code == 200, rule.text
    assert rule.json()["enabled"] is False  # LEVEE_PARTS_APPROVAL is off by default
    r = await world.client.post("/api/stock/approval/rules", json={"kind": "return"}, headers=await h(world))
    assert r.status_code == 403  # the warehouse does not set its own controls

    def issue(quantity: int) -> dict[str, Any]:
        return {
            "from_store_id": s["new"]["id"],
            "to_store_id": s["eng1"]["id"],
            "part_id": part,
            "quantity": quantity,
        }

    off = await world.client.post("/api/stock/transfers", json=issue(5), headers=await h(world))
    assert off.status_code == 201 and off.json()["pending"] is None  # setting off: no rule applies

    _approval(world, True)
    before = await _moves(engine)
    held = await world.client.post("/api/stock/transfers", json=issue(6), headers=await h(world))
    assert held.status_code == 201, held.text
    pending = held.json()["pending"]
    assert held.json()["movements"] == [] and pending["status"] == "pending" and pending["kind"] == "issue"
    assert await _moves(engine) == before and await balance_of(world, s["eng1"]["id"], part) == 5
    small = await world.client.post("/api/stock/transfers", json=issue(2), headers=await h(world))
    assert small.json()["pending"] is None and await balance_of(world, s["eng1"]["id"], part) == 7
    own = await world.client.post("/api/stock/transfers", json=issue(5), headers=manager)
    assert own.json()["pending"] is None  # a manager's own issue does not wait
    back = {"from_store_id": s["eng1"]["id"], "to_store_id": s["new"]["id"], "part_id": part, "quantity": 5}
    assert (await world.client.post("/api/stock/transfers", json=back, headers=await h(world))).json()[
        "pending"
    ] is None

    listed = (
        await world.client.get("/api/stock/requests", params={"status": "pending"}, headers=await h(world))
    ).json()
    assert [x["id"] for x in listed] == [pending["id"]]
    r = await world.client.post(
        f"/api/stock/requests/{pending['id']}/approve", json={}, headers=await h(world)
    )
    assert r.status_code == 403
    ok = await world.client.post(
        f"/api/stock/requests/{pending['id']}/approve", json={"note": "泵站抢修"}, headers=manager
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["decided_by_name"], ok.json()["decision_note"])[0:3:2] == (
        "approved",
        "泵站抢修",
    )
    assert await balance_of(world, s["eng1"]["id"], part) == 7 - 5 + 5 + 6
    twice = await world.client.post(f"/api/stock/requests/{pending['id']}/approve", json={}, headers=manager)
    assert twice.status_code == 409 and twice.json()["code"] == "stock_request.decided"

    # a shipment is an issue too: pending, then rejected, and nothing moved; the tablet cannot receive it
    moved = await _moves(engine)
    ship = await _ship(world, s, part, 5)
    assert ship.status_code == 201 and ship.json()["status"] == "pending"
    request = next(
        x for x in (await world.client.get("/api/stock/requests", headers=manager)).json() if x["shipment_id"]
    )
    early = await world.client.post(
        f"/api/stock/shipments/{ship.json()['id']}/receive", json={}, headers=await h(world, "eng1")
    )
    assert early.status_code == 409 and early.json()["params"]["state"] == "pending"
    no = await world.client.post(
        f"/api/stock/requests/{request['id']}/reject", json={"note": "先用库存"}, headers=manager
    )
    assert no.status_code == 200 and no.json()["status"] == "rejected"
    assert (
        await world.client.get("/api/stock/shipments", params={"status": "rejected"}, headers=manager)
    ).json()[0]["id"] == ship.json()["id"]
    assert await _moves(engine) == moved
    settings = (await world.client.get("/api/stock/approval", headers=await h(world))).json()
    assert settings["enabled"] is True and [r["min_quantity"] for r in settings["rules"]] == [5]
    assert await _audited(engine, "stock.request") == 1
    assert await _audited(engine, "stock.request_approve") == 1
    assert await _audited(engine, "stock.request_reject") == 1
    gone = await world.client.delete(
        f"/api/stock/approval/rules/{settings['rules'][0]['id']}", headers=manager
    )
    assert gone.status_code == 204


async def test_the_weekly_parts_report_and_the_satisfaction_files(world: World) -> None:
    week = await world.client.get(
        "/api/reports/parts", params={"period": "week", "date": "2026-12-09"}, headers=await h(world)
    )
    assert week.status_code == 200, week.text
    assert (week.json()["period"], week.json()["label"]) == ("week", "2026-12-07")  # Monday to Sunday
    assert week.json()["from_at"].startswith("2026-12-07T00:00:00+08:00") and week.json()["to_at"].startswith(
        "2026-12-14T00:00:00+08:00"
    )
    bad = await world.client.get("/api/reports/parts", params={"period": "year"}, headers=await h(world))
    assert bad.status_code == 400 and bad.json()["code"] == "period.invalid"
    f = await world.client.get(
        "/api/reports/parts/export/parts.csv",
        params={"period": "week", "date": "2026-12-09"},
        headers=await h(world),
    )
    assert f.status_code == 200 and "levee-parts-week-20261207" in f.headers["content-disposition"]

    care = await h(world, "manager")
    sat = await world.client.get(
        "/api/reports/satisfaction/export/satisfaction.csv",
        params={"month": "2026-12", "lang": "en"},
        headers=care,
    )
    assert sat.status_code == 200, sat.text
    rows = list(csv.reader(io.StringIO(sat.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Engineer" and rows[-1][0] == "Everyone"
    x = await world.client.get(
        "/api/reports/satisfaction/export/satisfaction.xlsx", params={"month": "2026-12"}, headers=care
    )
    assert x.status_code == 200 and x.content[:2] == b"PK"
    for params, status in (({"month": "2026-13"}, 422), ({"month": "2026-12", "lang": "fr"}, 400)):
        r = await world.client.get(
            "/api/reports/satisfaction/export/satisfaction.csv", params=params, headers=care
        )
        assert r.status_code == status, r.text
    r = await world.client.get(
        "/api/reports/satisfaction/export/x.csv", params={"month": "2026-12"}, headers=care
    )
    assert r.status_code == 404
    r = await world.client.get(
        "/api/reports/satisfaction/export/satisfaction.csv",
        params={"month": "2026-12"},
        headers=await h(world),
    )
    assert r.status_code == 403  # the warehouse does not read customer care


async def test_the_planning_routes_are_described_in_the_openapi_schema(world: World) -> None:
    paths = (await world.client.get("/schema/openapi.json")).json()["paths"]
    for path, method in (
        ("/api/stock/reorder-levels", "put"),
        ("/api/stock/shortages", "get"),
        ("/api/stock/plan/export/{name}", "get"),
        ("/api/stock/shipments", "post"),
        ("/api/stock/shipments/{shipment_id}/receive", "post"),
        ("/api/stock/approval/rules", "post"),
        ("/api/stock/requests/{request_id}/approve", "post"),
        ("/api/reports/satisfaction/export/{name}", "get"),
    ):
        operation = paths[path][method]
        assert operation.get("summary") and operation.get("description"), (path, method)
