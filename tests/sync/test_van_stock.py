"""Van stock through real sync (SQLite and PostgreSQL): transfers reach the tablet, uses on the tablet
come off the van's books at push, a use beyond the books is kept as a shortfall with a conflict for the
warehouse, and concurrent pushes of the last unit from two tablets neither lose it nor deadlock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import Conflict, JobPart, Part, StockBalance, StockLot, StockMovement, Store
from server.stock.ledger import Ledger
from shared.enums import JobEventType
from shared.stock import MovementKind, StoreKind
from sync.protocol import PushRequest
from tests.conftest import DeviceFactory
from tests.support import Device, World
from ui.logic.explain import explain_conflict


async def _new_store(world: World) -> uuid.UUID:
    async with world.app.state.sessionmaker() as s:
        found = await s.scalar(select(Store.id).where(Store.kind == StoreKind.NEW.value))
        if found is not None:
            return uuid.UUID(str(found))
        store = Store(kind=StoreKind.NEW.value, name="新件库")
        s.add(store)
        await s.commit()
        return store.id


async def _to_van(world: World, engineer: str, quantity: int, part_id: uuid.UUID | None = None) -> None:
    """The warehouse receives ``quantity`` units and transfers them to the engineer's van."""
    part = part_id or world.part_id
    new = await _new_store(world)
    async with world.app.state.sessionmaker() as s:
        ledger = Ledger(s, world.users["warehouse"])
        van = await ledger.van_of(world.users[engineer], name=engineer)
        await ledger.receive(new, part, quantity, unit_cost=100)
        await ledger.transfer(new, van.id, part, quantity)
        await ledger.log_van_changes()
        await s.commit()


async def _add_part(world: World, code: str) -> uuid.UUID:
    async with world.app.state.sessionmaker() as s:
        part = Part(code=code, name=f"配件 {code}", unit="个", unit_price=10, categories=["drainage_pump"])
        s.add(part)
        await s.commit()
        return part.id


async def _van_books(world: World, engineer: str, part_id: uuid.UUID | None = None) -> tuple[int, int]:
    """(balance row, sum of movements) of the engineer's van for one part."""
    part = part_id or world.part_id
    async with world.app.state.sessionmaker() as s:
        van = await s.scalar(select(Store.id).where(Store.engineer_id == world.users[engineer]))
        balance = await s.scalar(
            select(StockBalance.quantity).where(StockBalance.store_id == van, StockBalance.part_id == part)
        )
        total = await s.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.store_id == van, StockMovement.part_id == part
            )
        )
    return int(balance or 0), int(total or 0)


async def _movements(world: World, kind: MovementKind) -> list[StockMovement]:
    async with world.app.state.sessionmaker() as s:
        rows = await s.scalars(
            select(StockMovement).where(StockMovement.kind == kind.value).order_by(StockMovement.seq)
        )
        return list(rows.all())


async def _all_books_agree(world: World) -> None:
    """Every balance equals its movements, and the lots left never exceed it."""
    async with world.app.state.sessionmaker() as s:
        for balance in (await s.scalars(select(StockBalance))).all():
            moved = await s.scalar(
                select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                    StockMovement.store_id == balance.store_id, StockMovement.part_id == balance.part_id
                )
            )
            lots = await s.scalar(
                select(func.coalesce(func.sum(StockLot.remaining), 0)).where(
                    StockLot.store_id == balance.store_id, StockLot.part_id == balance.part_id
                )
            )
            assert balance.quantity == moved, (balance.store_id, balance.part_id)
            assert lots == max(balance.quantity, 0), (balance.store_id, balance.part_id, lots)


def _line(device: Device, part_id: uuid.UUID) -> tuple[int, int]:
    line = device.replica.van_stock().get(str(part_id))
    assert line is not None, device.replica.van_stock()
    return line.synced, line.believed


async def test_a_transfer_reaches_the_tablet_and_an_offline_use_comes_off_the_van(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await _to_van(world, "eng1", 3)
    device = await new_device("eng1")
    await device.sync()
    assert _line(device, world.part_id) == (3, 3)

    device.offline()
    used = device.actions.use_part(job_id, world.part_id, 2)
    assert used.args["believed_on_hand"] == 3
    assert _line(device, world.part_id) == (3, 1)  # the tablet believes what it has not sent yet
    assert device.actions.van_shortfall(world.part_id, 1) == 0
    assert not await device.runner.sync_once()
    assert _line(device, world.part_id) == (3, 1)

    device.online()
    await device.sync()
    assert _line(device, world.part_id) == (1, 1)
    assert await _van_books(world, "eng1") == (1, 1)
    consumed = await _movements(world, MovementKind.CONSUME)
    assert [(m.quantity, m.lot_id is not None, m.usage_id, m.job_id) for m in consumed] == [
        (-2, True, uuid.UUID(used.args["usage_id"]), job_id)
    ]
    assert consumed[0].user_id == world.users["eng1"] and consumed[0].device_id is not None

    # Voiding gives the units back: at once on the tablet, at the next sync on the server.
    device.actions.void_part(job_id, uuid.UUID(used.args["usage_id"]))
    assert _line(device, world.part_id) == (1, 3)
    await device.sync()
    assert _line(device, world.part_id) == (3, 3)
    assert await _van_books(world, "eng1") == (3, 3)
    await _all_books_agree(world)


async def test_a_use_and_its_void_in_one_batch_leave_the_van_as_it_was(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await _to_van(world, "eng1", 2)
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    first = device.actions.use_part(job_id, world.part_id, 1)
    device.actions.use_part(job_id, world.part_id, 1)
    device.actions.void_part(job_id, uuid.UUID(first.args["usage_id"]))
    assert _line(device, world.part_id) == (2, 1)
    device.online()
    await device.sync()
    assert _line(device, world.part_id) == (1, 1)
    assert await _van_books(world, "eng1") == (1, 1)
    assert len(await _movements(world, MovementKind.UNCONSUME)) == 1
    await _all_books_agree(world)


async def test_using_more_than_the_van_holds_is_kept_warned_and_sent_to_the_warehouse(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await _to_van(world, "eng1", 1)
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    assert device.actions.van_shortfall(world.part_id, 3) == 2  # what the app warns about
    used = device.actions.use_part(job_id, world.part_id, 3)
    assert _line(device, world.part_id) == (1, -2)
    device.online()
    pending = device.replica.pending()
    await device.sync()

    async with world.app.state.sessionmaker() as s:
        from server.db.models import Mutation as MutationRow

        stored = await s.get(MutationRow, pending[0].id)
        assert stored is not None and stored.outcome == "applied"
        assert stored.detail["reason"] == "insufficient_stock"
        assert "warehouse" in stored.detail["message"]
        conflicts = (await s.scalars(select(Conflict))).all()
        usage = await s.get(JobPart, uuid.UUID(used.args["usage_id"]))
    assert usage is not None and usage.quantity == 3  # the truth from the site is kept
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict.entity, conflict.field, conflict.resolution, conflict.reason, conflict.status) == (
        "van_stock",
        "quantity",
        "recorded_short",
        "insufficient_stock",
        "open",
    )
    assert conflict.device_value == {"part_id": str(world.part_id), "used": 3, "believed": 1}
    assert conflict.server_value == {"on_hand": 1}
    assert conflict.job_id == job_id and conflict.user_id == world.users["eng1"]
    assert stored.detail["conflict_ids"] == [str(conflict.id)]

    assert await _van_books(world, "eng1") == (-2, -2)  # negative, and every unit has its line
    consumed = await _movements(world, MovementKind.CONSUME)
    assert sorted((m.quantity, m.lot_id is None, m.reason) for m in consumed) == [
        (-2, True, "shortfall"),
        (-1, False, ""),
    ]
    async with world.app.state.sessionmaker() as s:
        balance_id = await s.scalar(
            select(StockBalance.id).where(
                StockBalance.part_id == world.part_id,
                StockBalance.store_id.in_(select(Store.id).where(Store.engineer_id == world.users["eng1"])),
            )
        )
    assert conflict.entity_id == balance_id

    # The tablet gets the figure and the conflict, and explains it in words.
    assert _line(device, world.part_id) == (-2, -2)
    on_device = [c for c in device.replica.conflicts() if c["id"] == str(conflict.id)]
    assert len(on_device) == 1 and on_device[0]["reason"] == "insufficient_stock"
    text = explain_conflict("en", on_device[0], job["number"], part_names={str(world.part_id): "机械密封"})
    assert "used 3" in text and "机械密封" in text and "had 1" in text and "warehouse" in text
    zh = explain_conflict("zh-CN", on_device[0], job["number"], part_names={str(world.part_id): "机械密封"})
    assert "机械密封" in zh and "仓库" in zh

    # The office may accept it; overriding a count from here is not possible.
    headers = await world.login("manager")
    r = await world.client.post(f"/api/conflicts/{conflict.id}/override", json={"value": 3}, headers=headers)
    assert r.status_code == 409, r.text
    r = await world.client.post(
        f"/api/conflicts/{conflict.id}/accept", json={"note": "已补货"}, headers=headers
    )
    assert r.status_code == 200, r.text

    # Units arriving later cover the shortfall first.
    await _to_van(world, "eng1", 5)
    await device.sync()
    assert _line(device, world.part_id) == (3, 3)
    await _all_books_agree(world)


async def test_two_tablets_of_one_engineer_use_the_last_unit_at_once(
    world: World, new_device: DeviceFactory, backend: str
) -> None:
    first_job = await world.create_job(engineer="eng1")
    second_job = await world.create_job(engineer="eng1")
    await _to_van(world, "eng1", 1)
    a = await new_device("eng1", "平板 A")
    b = await new_device("eng1", "平板 B")
    await a.sync()
    await b.sync()
    a.offline()
    b.offline()
    use_a = a.actions.use_part(uuid.UUID(first_job["id"]), world.part_id, 1)
    use_b = b.actions.use_part(uuid.UUID(second_job["id"]), world.part_id, 1)
    assert _line(a, world.part_id) == (1, 0) and _line(b, world.part_id) == (1, 0)
    bodies = [
        PushRequest(device_time=datetime.now(UTC), mutations=d.replica.pending()).model_dump(mode="json")
        for d in (a, b)
    ]
    a.online()
    b.online()
    if backend == "postgres":  # two requests, two connections, racing for the balance row
        await asyncio.gather(a.runner.push(), b.runner.push())
    else:  # SQLite has one writer: the pushes take turns, which is the same race, decided
        await a.runner.push()
        await b.runner.push()

    assert await _van_books(world, "eng1") == (-1, -1)
    consumed = await _movements(world, MovementKind.CONSUME)
    assert sorted(m.lot_id is None for m in consumed) == [False, True]  # one took the unit, one is short
    short = next(m for m in consumed if m.lot_id is None)
    async with world.app.state.sessionmaker() as s:
        conflicts = (await s.scalars(select(Conflict))).all()
        usages = (await s.scalars(select(JobPart))).all()
    assert len(conflicts) == 1 and conflicts[0].reason == "insufficient_stock"
    assert conflicts[0].server_value == {"on_hand": 0}
    assert conflicts[0].device_value["believed"] == 1
    # The conflict belongs to the push that came second, whose usage is the short one.
    loser = use_a if short.usage_id == uuid.UUID(use_a.args["usage_id"]) else use_b
    assert short.usage_id == uuid.UUID(loser.args["usage_id"])
    assert conflicts[0].mutation_id == loser.id
    assert conflicts[0].job_id == uuid.UUID(loser.args["job_id"])
    assert {u.id for u in usages} == {uuid.UUID(use_a.args["usage_id"]), uuid.UUID(use_b.args["usage_id"])}

    # The same push sent again (a lost answer) takes nothing more.
    for device, body in zip((a, b), bodies, strict=True):
        r = await world.client.post("/api/sync/push", json=body, headers=dict(device.runner.client.headers))
        assert r.status_code == 200, r.text
        assert all(x["outcome"] == "applied" for x in r.json()["results"])
    assert await _van_books(world, "eng1") == (-1, -1)
    assert len(await _movements(world, MovementKind.CONSUME)) == 2

    await a.sync()
    await b.sync()
    assert _line(a, world.part_id) == (-1, -1) and _line(b, world.part_id) == (-1, -1)
    assert [c["reason"] for c in a.replica.conflicts()] == ["insufficient_stock"]
    assert [c["reason"] for c in b.replica.conflicts()] == ["insufficient_stock"]
    await _all_books_agree(world)


async def test_pushes_using_several_parts_in_opposite_orders_do_not_deadlock(
    world: World, new_device: DeviceFactory
) -> None:
    # The deadlock is PostgreSQL's (row locks); on SQLite's single writer the same pushes queue, and the
    # outcome checked below must be the same.
    parts = [world.part_id, *[await _add_part(world, f"P-X-{i}") for i in range(4)]]
    for part in parts:
        await _to_van(world, "eng1", 3, part)
        await _to_van(world, "eng2", 3, part)
    jobs = {
        "a": await world.create_job(engineer="eng1"),
        "b": await world.create_job(engineer="eng1"),
        "c": await world.create_job(engineer="eng2"),
    }
    devices = {
        "a": await new_device("eng1", "A"),
        "b": await new_device("eng1", "B"),
        "c": await new_device("eng2"),
    }
    for device in devices.values():
        await device.sync()
    for round_ in range(3):
        for name, device in devices.items():
            order = parts if (name == "a") == (round_ % 2 == 0) else list(reversed(parts))
            job_id = uuid.UUID(jobs[name]["id"])
            for part in order:
                device.actions.use_part(job_id, part, 1)
            if round_ == 2:  # voids give units back to the van in the same batch
                for usage in device.replica.pending()[:2]:
                    device.actions.void_part(job_id, uuid.UUID(usage.args["usage_id"]))
        sent = await asyncio.wait_for(
            asyncio.gather(*(d.runner.push() for d in devices.values())), timeout=60
        )
        assert all(n > 0 for n in sent)
        assert all(d.replica.pending_count() == 0 for d in devices.values())
    # Both of eng1's tablets drew on one van: 3 rounds x 2 tablets x one unit of each of 5 parts,
    # less the 2 voids of each tablet in the last round; every balance still equals its movements.
    totals = {"eng1": 0, "eng2": 0}
    for part in parts:
        for engineer in totals:
            balance, moved = await _van_books(world, engineer, part)
            assert balance == moved
            totals[engineer] += balance
    assert totals == {"eng1": 15 - 30 + 4, "eng2": 15 - 15 + 2}
    await _all_books_agree(world)
    for device in devices.values():
        await device.sync()
        believed = {p: line.believed for p, line in device.replica.van_stock().items()}
        synced = {p: line.synced for p, line in device.replica.van_stock().items()}
        assert believed == synced


@pytest.mark.parametrize("where", ["finish", "consume"])
async def test_a_batch_run_again_with_savepoints_takes_the_units_once(
    world: World, new_device: DeviceFactory, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """When the database refuses something, the batch is rolled back and run again mutation by mutation;
    the ledger of the first attempt must leave nothing behind (no second consumption, no stale cache)."""
    from sqlalchemy.exc import IntegrityError

    from server.replication.context import PushContext

    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await _to_van(world, "eng1", 2)
    device = await new_device("eng1")
    await device.sync()
    device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    device.actions.use_part(job_id, world.part_id, 3)
    refused: list[str] = []

    def refuse_once() -> None:
        if not refused:
            refused.append(where)
            raise IntegrityError("injected", {}, Exception("the database refused the first attempt"))

    if where == "finish":  # after every handler and the ledger ran: the whole batch rolls back
        finish = PushContext.finish

        async def finish_then_refuse(self: PushContext) -> None:
            await finish(self)
            refuse_once()

        monkeypatch.setattr(PushContext, "finish", finish_then_refuse)
    else:  # inside the part's handler, on the fast path
        consume = Ledger.consume

        async def refuse_then_consume(self: Ledger, *args: object, **kwargs: object) -> object:
            refuse_once()
            return await consume(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Ledger, "consume", refuse_then_consume)
    await device.sync()
    assert refused == [where]
    assert await _van_books(world, "eng1") == (-1, -1)
    assert len(await _movements(world, MovementKind.CONSUME)) == 2  # one lotted line, one shortfall
    async with world.app.state.sessionmaker() as s:
        conflicts = (await s.scalars(select(Conflict))).all()
    assert [c.reason for c in conflicts] == ["insufficient_stock"]
    assert _line(device, world.part_id) == (-1, -1)
    assert (await _server_status(world, job["id"])) == "acknowledged"
    await _all_books_agree(world)


async def _server_status(world: World, job_id: str) -> str:
    r = await world.client.get(f"/api/jobs/{job_id}", headers=await world.login("dispatcher"))
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def test_a_push_without_parts_does_not_touch_the_stock_tables(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1")
    await device.sync()
    device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    device.actions.edit(job_id, notes="到场发现密封圈老化")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.lower())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await device.runner.push() == 2
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert any("insert into job_events" in s for s in statements)
    assert not [s for s in statements if "stock_" in s or " stores" in s]
