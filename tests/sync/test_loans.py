"""Backup loans through real sync (SQLite and PostgreSQL): a unit lent and returned on the tablet offline
reaches the server with the tablet's times, the pool follows on every tablet, and two tablets lending the
same unit offline end with one loan: the first to arrive, the second refused with a reason the tablet words."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.db.models import BackupUnit, Job, JobLoan
from shared.ids import uuid7
from tests.conftest import DeviceFactory
from tests.support import World
from ui.logic.explain import explain_rejection


async def add_unit(world: World, serial: str = "BY-001") -> uuid.UUID:
    r = await world.client.post(
        "/api/backup-units",
        json={"category": "drainage_pump", "model": "QW100-30", "serial_no": serial, "place_note": "新件库"},
        headers=await world.login("warehouse"),
    )
    assert r.status_code == 201, r.text
    return uuid.UUID(r.json()["id"])


async def _loans(world: World) -> list[JobLoan]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(JobLoan).order_by(JobLoan.lent_at))).all())


async def _unit(world: World, unit_id: uuid.UUID) -> BackupUnit:
    async with world.app.state.sessionmaker() as s:
        unit = await s.get(BackupUnit, unit_id)
        assert unit is not None
        return unit


async def test_a_unit_lent_and_returned_offline_keeps_the_tablets_times_and_the_pool_follows(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    unit_id = await add_unit(world)
    tablet = await new_device("eng1")
    other = await new_device("eng2")
    await tablet.sync()
    await other.sync()
    assert [u["serial_no"] for u in tablet.actions.backup_units()] == ["BY-001"]

    tablet.offline()
    lent_at = datetime.now(UTC) - timedelta(hours=3)
    tablet.actions.clock = lambda: lent_at
    lend = tablet.actions.lend_unit(job_id, unit_id, note="客户泵站临时排涝")
    view = tablet.replica.job(job_id)
    assert view is not None and view["backup_lent"] is True
    assert [loan["unit_id"] for loan in view["loans"]] == [str(unit_id)]
    assert await _loans(world) == []  # nothing left the tablet yet

    tablet.online()
    await tablet.sync()
    [loan] = await _loans(world)
    assert loan.id == uuid.UUID(lend.args["loan_id"]) and loan.job_id == job_id
    assert abs(loan.lent_at.replace(tzinfo=UTC) - lent_at) < timedelta(milliseconds=1)  # the tablet's time
    unit = await _unit(world, unit_id)
    assert (unit.status, unit.place, unit.current_loan_id) == ("lent", "customer_site", loan.id)
    async with world.app.state.sessionmaker() as s:
        row = await s.get(Job, job_id)
        assert row is not None and row.backup_lent is True
    await other.sync()  # the other engineer's pool shows the unit out
    [seen] = other.actions.backup_units()
    assert seen["status"] == "lent"
    # whether it is free is the tablet's business; the job (another customer's) it is lent on is not
    assert unit.place_note and unit.place_note not in str(seen)
    assert {"place_note", "note", "current_loan_id"}.isdisjoint(seen)

    tablet.offline()
    returned_at = lent_at + timedelta(hours=2)
    tablet.actions.clock = lambda: returned_at
    tablet.actions.return_unit(job_id, loan.id, condition="worn", note="外壳有划痕")
    tablet.online()
    await tablet.sync()
    [loan] = await _loans(world)
    assert loan.returned_at is not None
    assert abs(loan.returned_at.replace(tzinfo=UTC) - returned_at) < timedelta(milliseconds=1)
    assert (loan.condition, loan.return_note) == ("worn", "外壳有划痕")
    unit = await _unit(world, unit_id)
    assert (unit.status, unit.place, unit.current_loan_id) == ("available", "engineer", None)
    synced = tablet.replica.job(job_id)
    assert synced is not None and synced["loans"][0]["condition"] == "worn"
    assert tablet.replica.pending() == []


async def test_two_tablets_lending_one_unit_offline_end_with_one_loan_and_a_worded_refusal(
    world: World, new_device: DeviceFactory, backend: str
) -> None:
    first_job = await world.create_job(engineer="eng1")
    second_job = await world.create_job(engineer="eng2")
    unit_id = await add_unit(world)
    a = await new_device("eng1", "平板 A")
    b = await new_device("eng2", "平板 B")
    await a.sync()
    await b.sync()
    a.offline()
    b.offline()
    lend_a = a.actions.lend_unit(uuid.UUID(first_job["id"]), unit_id)
    lend_b = b.actions.lend_unit(uuid.UUID(second_job["id"]), unit_id)
    a.online()
    b.online()
    if backend == "postgres":  # two requests, two connections, racing for the unit row
        await asyncio.gather(a.runner.push(), b.runner.push())
    else:  # SQLite has one writer: the pushes take turns, which is the same race, decided
        await a.runner.push()
        await b.runner.push()

    [loan] = await _loans(world)
    winner, loser = (a, b) if loan.id == uuid.UUID(lend_a.args["loan_id"]) else (b, a)
    loser_lend = lend_b if winner is a else lend_a
    [refused] = loser.replica.rejections()
    assert (refused.mutation.id, refused.reason) == (loser_lend.id, "unit_out")
    assert "已借出" in explain_rejection("zh-CN", "loan.lend", refused.reason, refused.message, "")
    unit = await _unit(world, unit_id)
    assert (unit.status, unit.current_loan_id) == ("lent", loan.id)

    await winner.sync()
    await loser.sync()
    loser_job = loser.replica.job(uuid.UUID(loser_lend.args["job_id"]))
    assert loser_job is not None and loser_job["loans"] == []  # the refused loan is not shown as made


async def test_a_lend_and_its_return_in_one_batch_then_the_unit_is_lent_again(
    world: World, new_device: DeviceFactory
) -> None:
    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    unit_id = await add_unit(world)
    tablet = await new_device("eng1")
    await tablet.sync()
    tablet.offline()
    start = datetime.now(UTC) - timedelta(hours=5)
    tablet.actions.clock = lambda: start
    lend = tablet.actions.lend_unit(job_id, unit_id)
    tablet.actions.clock = lambda: start + timedelta(hours=1)
    tablet.actions.return_unit(job_id, uuid.UUID(lend.args["loan_id"]), condition="damaged")
    tablet.online()
    await tablet.sync()
    [loan] = await _loans(world)
    assert loan.condition == "damaged"
    assert (await _unit(world, unit_id)).status == "repair"  # came back damaged: not lent again

    # A lend on the server's word "in repair" is refused; the same lend id sent twice is one loan.
    refused = await _push(world, tablet, "loan.lend", job_id, unit_id, start + timedelta(hours=2))
    assert refused == ("rejected", "unit_unavailable")
    r = await world.client.patch(
        f"/api/backup-units/{unit_id}", json={"status": "available"}, headers=await world.login("warehouse")
    )
    assert r.status_code == 200, r.text
    before_return = await _push(world, tablet, "loan.lend", job_id, unit_id, start + timedelta(minutes=30))
    assert before_return == ("rejected", "unit_out")  # would overlap the loan that ended an hour later


async def _push(
    world: World, tablet: object, name: str, job_id: uuid.UUID, unit_id: uuid.UUID, at: datetime
) -> tuple[str, str]:
    from tests.support import Device

    assert isinstance(tablet, Device)
    body = {
        "protocol": 1,
        "device_time": datetime.now(UTC).isoformat(),
        "mutations": [
            {
                "id": str(uuid7()),
                "client_seq": 1,
                "name": name,
                "args": {
                    "job_id": str(job_id),
                    "loan_id": str(uuid7()),
                    "unit_id": str(unit_id),
                    "lent_at": at.isoformat(),
                },
                "created_at": datetime.now(UTC).isoformat(),
            }
        ],
    }
    r = await world.client.post("/api/sync/push", json=body, headers=dict(tablet.runner.client.headers))
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    return result["outcome"], result["reason"]


async def test_the_condition_picked_before_the_return_is_a_draft_until_the_return_is_recorded(
    world: World, new_device: DeviceFactory
) -> None:
    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    unit_id = await add_unit(world)
    tablet = await new_device("eng1")
    await tablet.sync()
    lend = tablet.actions.lend_unit(job_id, unit_id)
    loan_id = lend.args["loan_id"]
    tablet.actions.keep_draft(job_id, f"return_condition:{loan_id}", "damaged")  # what the screen does
    assert tablet.actions.draft(job_id, f"return_condition:{loan_id}") == "damaged"
    tablet.actions.return_unit(job_id, loan_id, condition="damaged")
    assert tablet.actions.draft(job_id, f"return_condition:{loan_id}") is None


async def test_the_backup_flag_cannot_be_switched_off_while_a_unit_is_out_and_can_after_its_return(
    world: World, new_device: DeviceFactory
) -> None:
    """The loan record owns ``backup_lent`` while a unit is out: a tablet switching it off is refused
    and the refusal kept for review (never a board saying "no backup" with a unit at the customer's)."""
    from server.db.models import Conflict as ConflictRow

    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    unit_id = await add_unit(world)
    tablet = await new_device("eng1")
    await tablet.sync()
    tablet.actions.lend_unit(job_id, unit_id)
    await tablet.sync()
    tablet.actions.edit(job_id, backup_lent=False)
    await tablet.sync()
    async with world.app.state.sessionmaker() as s:
        row = await s.get(Job, job_id)
        assert row is not None and row.backup_lent is True
        [kept] = (await s.scalars(select(ConflictRow).where(ConflictRow.job_id == job_id))).all()
    assert (kept.field, kept.reason, kept.resolution, kept.device_value) == (
        "backup_lent",
        "server_owned",
        "rejected",
        False,
    )
    synced = tablet.replica.job(job_id)
    assert synced is not None and synced["backup_lent"] is True  # the tablet shows the server's word again
    [loan] = await _loans(world)
    tablet.actions.return_unit(job_id, loan.id, condition="good")
    tablet.actions.edit(job_id, backup_lent=False)
    await tablet.sync()
    async with world.app.state.sessionmaker() as s:
        row = await s.get(Job, job_id)
        assert row is not None and row.backup_lent is False  # returned: the engineer's word again


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_batch_lending_two_units_locks_both_before_it_takes_the_change_log(
    world: World, new_device: DeviceFactory, db_url: str
) -> None:
    """A batch lending units one after another took the change-log counter after the first and then
    waited for the second; another push holding the second and waiting for the counter deadlocked with
    it. Here the second unit is held by an open transaction: the batch must wait *before* it holds the
    counter, so the counter stays free for everyone else (seen failing without the up-front lock)."""
    import asyncpg

    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    first, second = sorted([await add_unit(world, "BY-101"), await add_unit(world, "BY-102")])
    tablet = await new_device("eng1")
    at = datetime.now(UTC) - timedelta(minutes=5)
    lends = [
        {
            "id": str(uuid7()),
            "client_seq": seq,
            "name": "loan.lend",
            "args": {
                "job_id": str(job_id),
                "loan_id": str(uuid7()),
                "unit_id": str(unit),
                "lent_at": at.isoformat(),
            },
            "created_at": at.isoformat(),
        }
        for seq, unit in enumerate([first, second], start=1)
    ]
    body = {"protocol": 1, "device_time": datetime.now(UTC).isoformat(), "mutations": lends}
    dsn = db_url.replace("postgresql+asyncpg://", "postgresql://")
    holder, probe = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        holder_tx = holder.transaction()
        await holder_tx.start()
        await holder.execute("SELECT 1 FROM backup_units WHERE id = $1 FOR UPDATE", second)
        push = asyncio.create_task(
            world.client.post("/api/sync/push", json=body, headers=dict(tablet.runner.client.headers))
        )
        for _ in range(600):  # the push is waiting for a lock (the unit the holder has)
            waiting = await probe.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> $1",
                holder.get_server_pid(),
            )
            if waiting:
                break
            assert not push.done(), (await push).text
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the push never waited for the held unit")
        probe_tx = probe.transaction()
        await probe_tx.start()
        # the change-log counter is free: nobody holds it while waiting for a unit
        await probe.execute("SET LOCAL lock_timeout = '2s'")
        await probe.fetchval("SELECT value FROM counters WHERE name = 'change_log' FOR UPDATE")
        await probe_tx.rollback()
        await holder_tx.rollback()
        r = await push
        assert r.status_code == 200, r.text
        assert [x["outcome"] for x in r.json()["results"]] == ["applied", "applied"]
    finally:
        await holder.close()
        await probe.close()
