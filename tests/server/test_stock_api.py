"""The parts stores through HTTP, on SQLite and PostgreSQL: stores and vans, receipts, transfers (FIFO,
refusals that leave nothing behind), old parts handed in, stock counts that reconcile the books with the
goods, who may do what, and the warehouse's review of van stock conflicts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_sessionmaker
from server.db.models import (
    AuditEntry,
    ChangeLog,
    Conflict,
    JobPart,
    StockBalance,
    StockCount,
    StockCountLine,
    StockLot,
    StockMovement,
    Store,
)
from server.stock.ledger import Ledger
from tests.support import World


async def h(world: World, username: str = "warehouse") -> dict[str, str]:
    return await world.login(username)


async def stores(world: World, username: str = "warehouse") -> dict[str, dict[str, Any]]:
    """Stores by a short name: new, returned, and each van by its engineer's username."""
    r = await world.client.get("/api/stock/stores", headers=await h(world, username))
    assert r.status_code == 200, r.text
    by_engineer = {v: k for k, v in world.users.items()}
    out = {}
    for s in r.json():
        key = s["kind"] if s["kind"] != "van" else by_engineer[uuid.UUID(s["engineer_id"])]
        out[key] = s
    return out


async def open_stores(world: World) -> dict[str, dict[str, Any]]:
    for kind, name in (("new", "新件库"), ("returned", "旧件库")):
        r = await world.client.post(
            "/api/stock/stores", json={"kind": kind, "name": name}, headers=await h(world)
        )
        assert r.status_code == 201, r.text
    return await stores(world)


async def new_part(world: World, code: str, name: str = "叶轮") -> str:
    r = await world.client.post(
        "/api/parts",
        json={"code": code, "name": name, "unit": "个", "unit_price": 100},
        headers=await h(world, "manager"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def receive(
    world: World, store_id: str, part_id: str, quantity: int, cost: float, who: str = "warehouse"
) -> dict[str, Any]:
    r = await world.client.post(
        "/api/stock/receipts",
        json={
            "store_id": store_id,
            "part_id": part_id,
            "quantity": quantity,
            "unit_cost": cost,
            "reference": f"PO-{quantity}",
        },
        headers=await h(world, who),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def balance_of(world: World, store_id: str, part_id: str) -> int:
    r = await world.client.get(
        "/api/stock/balances", params={"store_id": store_id, "part_id": part_id}, headers=await h(world)
    )
    assert r.status_code == 200, r.text
    return sum(b["quantity"] for b in r.json())


async def snapshot(engine: AsyncEngine) -> dict[str, Any]:
    """Everything a stock write can touch, to show a refusal left nothing behind."""
    async with make_sessionmaker(engine)() as s:
        out: dict[str, Any] = {}
        for model in (StockMovement, StockLot, StockCount, StockCountLine, ChangeLog):
            out[model.__tablename__] = await s.scalar(select(func.count()).select_from(model))
        out["audit"] = await s.scalar(  # sign-ins are audited too; stock writes are what matters here
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("stock.%"))
        )
        out["balances"] = sorted(
            (str(r.store_id), str(r.part_id), r.quantity)
            for r in (await s.scalars(select(StockBalance))).all()
        )
        out["lots"] = sorted((str(r.id), r.remaining) for r in (await s.scalars(select(StockLot))).all())
        return out


async def test_stores_vans_and_who_may_open_them(world: World, engine: AsyncEngine) -> None:
    s = await stores(world)
    assert {"eng1", "eng2"} <= set(s)  # every engineer has a van, made on first sight
    assert s["eng1"]["kind"] == "van" and s["eng1"]["engineer_name"] == "张伟"
    s = await open_stores(world)
    assert s["new"]["name"] == "新件库" and s["returned"]["active"] is True
    r = await world.client.post(
        "/api/stock/stores", json={"kind": "new", "name": "x"}, headers=await h(world, "dispatcher")
    )
    assert r.status_code == 403
    r = await world.client.post(
        "/api/stock/stores", json={"kind": "van", "name": "x"}, headers=await h(world)
    )
    assert r.status_code == 400 and "automatically" in r.json()["detail"]
    r = await world.client.post("/api/stock/stores", json={"kind": "new", "name": ""}, headers=await h(world))
    assert r.status_code == 400
    # an engineer sees only their own van
    r = await world.client.get("/api/stock/stores", headers=await h(world, "eng1"))
    assert [x["engineer_id"] for x in r.json()] == [str(world.users["eng1"])]
    # a new engineer gets a van when created
    r = await world.client.post(
        "/api/users",
        json={
            "username": "eng3",
            "display_name": "王磊",
            "role": "engineer",
            "password": "correct-horse-7",
        },
        headers=await h(world, "admin"),
    )
    assert r.status_code == 201, r.text
    async with make_sessionmaker(engine)() as session:
        van = await session.scalar(select(Store).where(Store.engineer_id == uuid.UUID(r.json()["id"])))
        assert van is not None and van.kind == "van" and van.name == "王磊的车载库"
    # a store that holds parts cannot be closed; an empty one can, and then takes nothing
    part = str(world.part_id)
    await receive(world, s["new"]["id"], part, 2, 10)
    r = await world.client.patch(
        f"/api/stock/stores/{s['new']['id']}", json={"active": False}, headers=await h(world)
    )
    assert r.status_code == 409 and "still holds" in r.json()["detail"]
    r = await world.client.patch(
        f"/api/stock/stores/{s['returned']['id']}", json={"active": False}, headers=await h(world)
    )
    assert r.status_code == 200 and r.json()["active"] is False
    r = await world.client.post(
        "/api/stock/counts",
        json={
            "store_id": s["returned"]["id"],
            "lines": [{"part_id": part, "counted_quantity": 1, "reason": "x"}],
        },
        headers=await h(world),
    )
    assert r.status_code == 409 and "closed" in r.json()["detail"]


async def test_receipt_and_transfer_take_the_oldest_units_first(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    new, van = s["new"]["id"], s["eng1"]["id"]
    part = str(world.part_id)
    first = await receive(world, new, part, 5, 10.0)
    assert [m["kind"] for m in first["movements"]] == ["receive"]
    assert first["balances"][0]["quantity"] == 5 and first["balances"][0]["part_code"] == "P-DP-001"
    await receive(world, new, part, 5, 12.5, who="manager")
    r = await world.client.post(
        "/api/stock/transfers",
        json={"from_store_id": new, "to_store_id": van, "part_id": part, "quantity": 7, "note": "补货"},
        headers=await h(world),
    )
    assert r.status_code == 201, r.text
    moved = r.json()["movements"]
    assert [(m["kind"], m["quantity"], m["unit_cost"]) for m in moved] == [
        ("transfer_out", -5, 10.0),
        ("transfer_in", 5, 10.0),
        ("transfer_out", -2, 12.5),
        ("transfer_in", 2, 12.5),
    ]
    assert {m["reason"] for m in moved} == {"补货"} and len({m["batch_id"] for m in moved}) == 1
    assert {(b["store_name"], b["quantity"]) for b in r.json()["balances"]} == {
        ("新件库", 3),
        ("张伟的车载库", 7),
    }
    # the van's lots keep their receipt order and cost; the store keeps the newer lot
    r = await world.client.get(f"/api/stock/stores/{van}/lots", headers=await h(world))
    assert [(x["remaining"], x["unit_cost"]) for x in r.json()] == [(5, 10.0), (2, 12.5)]
    assert r.json()[0]["received_at"] < r.json()[1]["received_at"]
    r = await world.client.get(f"/api/stock/stores/{new}/lots", headers=await h(world, "dispatcher"))
    assert [(x["remaining"], x["unit_cost"]) for x in r.json()] == [(3, 12.5)]
    # balances with names
    r = await world.client.get("/api/stock/balances", headers=await h(world, "qa"))
    rows = {(b["store_kind"], b["part_name"], b["unit"]): b["quantity"] for b in r.json()}
    assert rows == {("new", "机械密封", "套"): 3, ("van", "机械密封", "套"): 7}
    # the ledger, newest first, paged, filtered
    r = await world.client.get(
        "/api/stock/movements", params={"store_id": new, "limit": 2}, headers=await h(world)
    )
    page = r.json()
    assert page["total"] == 4 and [m["kind"] for m in page["items"]] == ["transfer_out", "transfer_out"]
    assert (
        page["items"][0]["other_store_name"] == "张伟的车载库" and page["items"][0]["user_name"] == "仓管小吴"
    )
    r = await world.client.get(
        "/api/stock/movements", params={"store_id": new, "limit": 2, "offset": 2}, headers=await h(world)
    )
    assert [m["kind"] for m in r.json()["items"]] == ["receive", "receive"]
    r = await world.client.get(
        "/api/stock/movements", params={"from": "2000-01-01T00:00:00"}, headers=await h(world)
    )
    assert r.status_code == 400 and "time zone" in r.json()["detail"]
    r = await world.client.get(
        "/api/stock/movements", params={"to": "2000-01-01T00:00:00+08:00"}, headers=await h(world)
    )
    assert r.json()["total"] == 0
    # the engineer's tablet hears of its van; every write is audited
    async with make_sessionmaker(engine)() as session:
        log = (await session.execute(select(ChangeLog.entity, ChangeLog.audience))).all()
        assert ("van_stock", world.users["eng1"]) in log
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
        assert actions.count("stock.receive") == 2 and actions.count("stock.transfer") == 1


async def test_refused_transfers_say_why_and_leave_nothing_behind(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    new, van, van2, returned = s["new"]["id"], s["eng1"]["id"], s["eng2"]["id"], s["returned"]["id"]
    part = str(world.part_id)
    await receive(world, new, part, 3, 10.0)
    before = await snapshot(engine)

    def body(**over: Any) -> dict[str, Any]:
        return {"from_store_id": new, "to_store_id": van, "part_id": part, "quantity": 2, **over}

    r = await world.client.post("/api/stock/transfers", json=body(quantity=8), headers=await h(world))
    assert r.status_code == 409
    problem = r.json()
    assert problem["held"] == 3 and problem["requested"] == 8 and problem["reason"] == "insufficient_stock"
    assert "holds 3" in problem["detail"] and r.headers["content-type"].startswith("application/problem+json")
    r = await world.client.post(
        "/api/stock/transfers", json=body(from_store_id=van2, quantity=1), headers=await h(world)
    )
    assert r.status_code == 409 and r.json()["held"] == 0
    refusals: list[tuple[dict[str, Any], int, str]] = [
        (body(quantity=0), 400, "quantity"),
        (body(quantity=-1), 400, "quantity"),
        (body(quantity=1.5), 400, "quantity"),
        (body(to_store_id=new), 400, "two different stores"),
        (body(to_store_id=returned), 400, "old parts"),
        (body(part_id=str(uuid.uuid4())), 404, "catalogue"),
        (body(to_store_id=str(uuid.uuid4())), 404, "store"),
        (body(extra=1), 400, "extra"),
        ({"from_store_id": new}, 400, ""),
    ]
    for payload, status, words in refusals:
        r = await world.client.post("/api/stock/transfers", json=payload, headers=await h(world))
        assert r.status_code == status, (payload, r.text)
        assert words in r.text, r.text
    for payload, status in (
        ({"store_id": van, "part_id": part, "quantity": 1}, 400),  # receipts go to the new store
        ({"store_id": new, "part_id": part, "quantity": 1, "unit_cost": -1}, 400),
        ({"store_id": new, "part_id": part, "quantity": 10_000_000}, 400),
    ):
        r = await world.client.post("/api/stock/receipts", json=payload, headers=await h(world))
        assert r.status_code == status, r.text
    for who in ("dispatcher", "qa", "eng1"):
        r = await world.client.post("/api/stock/transfers", json=body(), headers=await h(world, who))
        assert r.status_code == 403, who
    assert await snapshot(engine) == before
    # and the same transfer within what the store holds goes through
    r = await world.client.post(
        "/api/stock/transfers", json=body(quantity=3), headers=await h(world, "admin")
    )
    assert r.status_code == 201 and await balance_of(world, new, part) == 0


async def test_a_stock_count_reconciles_books_and_goods(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    new = s["new"]["id"]
    seal = str(world.part_id)
    impeller, bearing, filter_ = (
        await new_part(world, "P-1", "叶轮"),
        await new_part(world, "P-2", "轴承"),
        await new_part(world, "P-3", "滤网"),
    )
    await receive(world, new, seal, 2, 10.0)
    await receive(world, new, seal, 3, 11.0)  # seal: 5 in two lots
    await receive(world, new, impeller, 4, 50.0)
    await receive(world, new, bearing, 1, 30.0)
    before = await snapshot(engine)

    lines = [
        {"part_id": seal, "counted_quantity": 1, "reason": "两套包装破损报废，一套找不到"},  # 5 -> 1
        {"part_id": impeller, "counted_quantity": 4, "reason": ""},  # agrees
        {"part_id": bearing, "counted_quantity": 3, "reason": "上次入库少登记"},  # 1 -> 3
        {"part_id": filter_, "counted_quantity": 2, "reason": "货架上发现，无入库记录"},  # none -> 2
    ]
    # a difference without a reason is refused, and nothing of the count stays
    bad = [dict(line) for line in lines]
    bad[2]["reason"] = " "
    r = await world.client.post(
        "/api/stock/counts", json={"store_id": new, "note": "月末盘点", "lines": bad}, headers=await h(world)
    )
    assert r.status_code == 400 and "reason" in r.json()["detail"]
    for payload in (
        {"store_id": new, "lines": []},
        {"store_id": new, "lines": [{"part_id": seal, "counted_quantity": -1, "reason": "x"}]},
        {"store_id": new, "lines": [lines[0], lines[0]]},
        {"store_id": new, "lines": [{"part_id": str(uuid.uuid4()), "counted_quantity": 1, "reason": "x"}]},
    ):
        r = await world.client.post("/api/stock/counts", json=payload, headers=await h(world))
        assert r.status_code in (400, 404), r.text
    r = await world.client.post(
        "/api/stock/counts", json={"store_id": new, "lines": lines}, headers=await h(world, "qa")
    )
    assert r.status_code == 403
    assert await snapshot(engine) == before

    r = await world.client.post(
        "/api/stock/counts",
        json={"store_id": new, "note": "月末盘点", "lines": lines},
        headers=await h(world),
    )
    assert r.status_code == 201, r.text
    count = r.json()
    got = {
        line["part_code"]: (line["book_quantity"], line["counted_quantity"], line["difference"])
        for line in count["lines"]
    }
    assert got == {"P-DP-001": (5, 1, -4), "P-1": (4, 4, 0), "P-2": (1, 3, 2), "P-3": (0, 2, 2)}
    assert count["note"] == "月末盘点" and count["counted_by_name"] == "仓管小吴"
    # the books now equal the goods
    for part, counted in ((seal, 1), (impeller, 4), (bearing, 3), (filter_, 2)):
        assert await balance_of(world, new, part) == counted
    # every difference is booked as adjustment lines with its reason (oldest units first), and the
    # ledger still adds up to the balance
    async with make_sessionmaker(engine)() as session:
        adjust = (
            await session.scalars(
                select(StockMovement)
                .where(StockMovement.count_id == uuid.UUID(count["id"]))
                .order_by(StockMovement.seq)
            )
        ).all()
        per_part: dict[str, list[tuple[int, float, str]]] = {}
        for m in adjust:
            assert m.kind == "adjust"
            per_part.setdefault(str(m.part_id), []).append((m.quantity, m.unit_cost, m.reason))
        assert per_part == {
            seal: [(-2, 10.0, lines[0]["reason"]), (-2, 11.0, lines[0]["reason"])],
            bearing: [(2, 0.0, lines[2]["reason"])],
            filter_: [(2, 0.0, lines[3]["reason"])],
        }
        sums = {}
        for part in (seal, impeller, bearing, filter_):
            total = await session.scalar(
                select(func.sum(StockMovement.quantity)).where(
                    StockMovement.store_id == uuid.UUID(new), StockMovement.part_id == uuid.UUID(part)
                )
            )
            lots = await session.scalar(
                select(func.sum(StockLot.remaining)).where(
                    StockLot.store_id == uuid.UUID(new), StockLot.part_id == uuid.UUID(part)
                )
            )
            sums[part] = (total, lots)
        assert "stock.count" in set(await session.scalars(select(AuditEntry.action)))
    for part, (total, lots) in sums.items():  # the ledger and the lots add up to the balance
        assert total == lots == await balance_of(world, new, part)
    r = await world.client.get(f"/api/stock/counts/{count['id']}", headers=await h(world, "dispatcher"))
    assert r.status_code == 200 and r.json() == count and count["adjustments"] == 4
    r = await world.client.get(f"/api/stock/counts/{uuid.uuid4()}", headers=await h(world))
    assert r.status_code == 404
    # counting again with the goods as they are changes nothing
    again = [{"part_id": p, "counted_quantity": n} for p, n in ((seal, 1), (filter_, 2))]
    r = await world.client.post(
        "/api/stock/counts", json={"store_id": new, "lines": again}, headers=await h(world)
    )
    assert r.status_code == 201 and r.json()["adjustments"] == 0


async def test_a_van_count_tells_the_tablet(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    part = str(world.part_id)
    r = await world.client.post(
        "/api/stock/counts",
        json={
            "store_id": s["eng2"]["id"],
            "lines": [{"part_id": part, "counted_quantity": 2, "reason": "车上清点"}],
        },
        headers=await h(world),
    )
    assert r.status_code == 201
    async with make_sessionmaker(engine)() as session:
        log = (await session.execute(select(ChangeLog.entity, ChangeLog.audience))).all()
        assert ("van_stock", world.users["eng2"]) in log
    r = await world.client.get("/api/stock/balances", headers=await h(world, "eng2"))
    assert [(b["store_kind"], b["quantity"]) for b in r.json()] == [("van", 2)]


async def test_old_parts_to_hand_in_and_handed_in(world: World, engine: AsyncEngine) -> None:
    part = str(world.part_id)
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    used = datetime(2026, 5, 2, 3, 0, tzinfo=UTC)
    usages = {name: uuid.uuid4() for name in ("returned", "kept", "voided", "second")}
    async with make_sessionmaker(engine)() as session:
        for name, ident in usages.items():
            session.add(
                JobPart(
                    id=ident,
                    job_id=job_id,
                    part_id=world.part_id,
                    quantity=2 if name == "returned" else 1,
                    old_part_returned=name != "kept",
                    used_at=used,
                    voided_at=used if name == "voided" else None,
                )
            )
        await session.commit()
    # no returned store yet: the clerk is told to open one
    r = await world.client.post(
        "/api/stock/returns", json={"job_part_id": str(usages["returned"])}, headers=await h(world)
    )
    assert r.status_code == 400 and "store_id" in r.json()["detail"]
    s = await open_stores(world)
    r = await world.client.get("/api/stock/returns/pending", headers=await h(world, "dispatcher"))
    assert r.status_code == 200
    pending = r.json()
    assert pending["total"] == 2
    assert {uuid.UUID(p["job_part_id"]) for p in pending["items"]} == {usages["returned"], usages["second"]}
    item = next(p for p in pending["items"] if p["quantity"] == 2)
    assert (item["job_number"], item["engineer_name"], item["part_code"]) == (
        job["number"],
        "张伟",
        "P-DP-001",
    )

    r = await world.client.post(
        "/api/stock/returns",
        json={"job_part_id": str(usages["returned"]), "note": "旧密封件已交回"},
        headers=await h(world),
    )
    assert r.status_code == 201, r.text
    [m] = r.json()["movements"]
    assert (m["kind"], m["quantity"], m["job_number"], m["store_id"]) == (
        "return_old",
        2,
        job["number"],
        s["returned"]["id"],
    )
    assert await balance_of(world, s["returned"]["id"], part) == 2
    r = await world.client.get("/api/stock/returns/pending", headers=await h(world))
    assert [uuid.UUID(p["job_part_id"]) for p in r.json()["items"]] == [usages["second"]]
    r = await world.client.get("/api/stock/movements", params={"job_id": job["id"]}, headers=await h(world))
    assert [x["kind"] for x in r.json()["items"]] == ["return_old"]

    before = await snapshot(engine)
    for usage, store, status, words in (
        (usages["returned"], None, 409, "already"),
        (usages["voided"], None, 409, "voided"),
        (uuid.uuid4(), None, 404, "usage"),
        (usages["second"], s["new"]["id"], 400, "returned-parts store"),
    ):
        body: dict[str, Any] = {"job_part_id": str(usage)}
        if store:
            body["store_id"] = store
        r = await world.client.post("/api/stock/returns", json=body, headers=await h(world))
        assert r.status_code == status and words in r.json()["detail"], r.text
    r = await world.client.post(
        "/api/stock/returns", json={"job_part_id": str(usages["second"])}, headers=await h(world, "eng1")
    )
    assert r.status_code == 403
    assert await snapshot(engine) == before


async def test_an_engineer_reads_their_own_van_only(world: World, engine: AsyncEngine) -> None:
    s = await open_stores(world)
    part = str(world.part_id)
    await receive(world, s["new"]["id"], part, 4, 9.0)
    for van, n in (("eng1", 3), ("eng2", 1)):
        r = await world.client.post(
            "/api/stock/transfers",
            json={
                "from_store_id": s["new"]["id"],
                "to_store_id": s[van]["id"],
                "part_id": part,
                "quantity": n,
            },
            headers=await h(world),
        )
        assert r.status_code == 201
    eng = await h(world, "eng1")
    r = await world.client.get("/api/stock/balances", headers=eng)
    assert [(b["store_id"], b["quantity"]) for b in r.json()] == [(s["eng1"]["id"], 3)]
    for path in (
        f"/api/stock/stores/{s['new']['id']}/lots",
        f"/api/stock/stores/{s['eng2']['id']}/lots",
    ):
        assert (await world.client.get(path, headers=eng)).status_code == 404
    r = await world.client.get(f"/api/stock/stores/{s['eng1']['id']}/lots", headers=eng)
    assert [x["remaining"] for x in r.json()] == [3]
    for params in ({"store_id": s["new"]["id"]}, {"store_id": s["eng2"]["id"]}):
        r = await world.client.get("/api/stock/movements", params=params, headers=eng)
        assert r.status_code == 404
    r = await world.client.get("/api/stock/balances", params={"store_id": s["eng2"]["id"]}, headers=eng)
    assert r.status_code == 404
    r = await world.client.get("/api/stock/movements", headers=eng)
    assert [m["store_id"] for m in r.json()["items"]] == [s["eng1"]["id"]]
    for path in ("/api/stock/returns/pending", "/api/reports/parts", f"/api/stock/counts/{uuid.uuid4()}"):
        assert (await world.client.get(path, headers=eng)).status_code == 403


async def test_the_warehouse_reviews_van_stock_conflicts(world: World, engine: AsyncEngine) -> None:
    job = await world.create_job(engineer="eng1")
    async with make_sessionmaker(engine)() as session:
        van = await Ledger(session).van_of(world.users["eng1"], "张伟的车载库")
        stock = Conflict(
            entity="van_stock",
            entity_id=van.id,
            job_id=uuid.UUID(job["id"]),
            field="quantity",
            device_value={"part_id": str(world.part_id), "used": 3},
            server_value={"on_hand": 1},
            user_id=world.users["eng1"],
            resolution="device_wins",
            reason="insufficient_stock",
        )
        other = Conflict(
            entity="job",
            entity_id=uuid.UUID(job["id"]),
            job_id=uuid.UUID(job["id"]),
            field="symptom",
            device_value="a",
            server_value="b",
            resolution="device_wins",
            reason="both_changed",
        )
        session.add_all([stock, other])
        await session.commit()
        stock_id, other_id = stock.id, other.id
    wh = await h(world)
    r = await world.client.get("/api/conflicts", headers=wh)
    assert r.status_code == 200 and [c["id"] for c in r.json()["items"]] == [str(stock_id)]
    r = await world.client.get("/api/conflicts", params={"entity": "job"}, headers=wh)
    assert [c["id"] for c in r.json()["items"]] == [str(stock_id)]  # the warehouse sees stock only
    r = await world.client.get(
        "/api/conflicts", params={"entity": "van_stock"}, headers=await h(world, "manager")
    )
    assert [c["id"] for c in r.json()["items"]] == [str(stock_id)]
    r = await world.client.post(f"/api/conflicts/{other_id}/accept", json={"note": "x"}, headers=wh)
    assert r.status_code == 403
    r = await world.client.post(f"/api/conflicts/{stock_id}/override", json={"value": 1}, headers=wh)
    assert r.status_code == 409
    r = await world.client.post(
        f"/api/conflicts/{stock_id}/accept", json={"note": "已盘点车载库，补调 2 套"}, headers=wh
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["review_note"]) == ("accepted", "已盘点车载库，补调 2 套")
    assert r.json()["reviewed_by"] == str(world.users["warehouse"])
    r = await world.client.get("/api/conflicts", headers=wh)
    assert r.json()["total"] == 0
