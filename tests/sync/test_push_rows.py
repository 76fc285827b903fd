"""A push's timeline events and checklist answers are written by Core statements (server/replication/rows.py),
not the ORM's flush. On both databases, through a real device and server: what a batch inserts and then
changes again is one row with its last values, once, on the fast path and when the database refuses the
batch and it runs again one savepoint per mutation; and the touched jobs are written once each. Last, every
statement of a sync, planned by SQLite, reads the tables that grow with the work through an index."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import ChecklistResult, Conflict, JobEvent
from server.replication.context import PushContext
from shared.enums import CheckResult, JobEventType
from tests.conftest import DeviceFactory
from tests.support import World


@pytest.mark.parametrize("path", ["fast", "savepoints"])
async def test_an_answer_given_twice_in_one_batch_is_one_row_with_the_last_answer(
    world: World, new_device: DeviceFactory, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    first = await world.create_job(engineer="eng1", kind="inspection")
    second = await world.create_job(engineer="eng1", kind="inspection")
    ids = [uuid.UUID(first["id"]), uuid.UUID(second["id"])]
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    for job_id in ids:
        device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
        device.actions.answer(job_id, "seal", result=CheckResult.OK, note="无渗漏")
        device.actions.answer(job_id, "seal", result=CheckResult.FAULT, note="机械密封渗漏")
        device.actions.tap(job_id, JobEventType.DEPARTED)
    refused: list[bool] = []
    if path == "savepoints":  # the database refuses the batch once, after every row was sent
        finish = PushContext.finish

        async def finish_then_refuse(self: PushContext) -> None:
            await finish(self)
            if not refused:
                refused.append(True)
                raise IntegrityError("injected", {}, Exception("refused once"))

        monkeypatch.setattr(PushContext, "finish", finish_then_refuse)
    device.online()
    await device.sync()
    assert refused == ([True] if path == "savepoints" else [])
    assert device.runner.status.pending == 0
    async with world.app.state.sessionmaker() as s:
        answers = (await s.scalars(select(ChecklistResult).where(ChecklistResult.job_id.in_(ids)))).all()
        events = (await s.scalars(select(JobEvent).where(JobEvent.job_id.in_(ids)))).all()
        conflicts = (await s.scalars(select(Conflict))).all()
    assert sorted((a.job_id, a.item_code, a.result, a.note, a.version) for a in answers) == sorted(
        (job_id, "seal", CheckResult.FAULT.value, "机械密封渗漏", 2) for job_id in ids
    )
    assert sorted((e.job_id, e.type) for e in events) == sorted(
        (job_id, kind.value) for job_id in ids for kind in (JobEventType.ACKNOWLEDGED, JobEventType.DEPARTED)
    )
    assert all(e.user_id == world.users["eng1"] and e.device_id is not None for e in events)
    assert conflicts == []  # the same writer's second answer is not a conflict with its first
    for job_id in ids:  # the device's replica agrees with the server after the pull
        local = device.replica.job(job_id)
        assert local is not None
        answer = next(a for a in local["checklist"] if a["item_code"] == "seal")
        assert (answer["result"], answer["note"], answer["version"]) == ("fault", "机械密封渗漏", 2)


async def test_each_touched_job_is_written_once_in_a_push(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    """The touched jobs go in one executemany of the device-written columns; the flush must not write
    them a second time."""
    jobs = [await world.create_job(engineer="eng1") for _ in range(3)]
    device = await new_device("eng1")
    await device.sync()
    for job in jobs:
        device.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
        device.actions.edit(uuid.UUID(job["id"]), notes="到场发现密封圈老化")
    updates: list[tuple[str, int]] = []

    def seen(
        conn: object, cursor: object, statement: str, params: object, context: object, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            updates.append((statement, len(params) if many and isinstance(params, list | tuple) else 1))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await device.sync()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(updates) == 1 and updates[0][1] == 3, updates
    for job in jobs:
        kept = device.replica.job(uuid.UUID(job["id"]))
        assert kept is not None and kept["status"] == "acknowledged" and kept["notes"] == "到场发现密封圈老化"


#: what a first download sends whole to every device: the reference data of every engineer
SENT_WHOLE = {"checklist_templates", "parts", "backup_units"}


def _plans(path: str, sent: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """(step of SQLite's plan, statement) for every step of every statement."""
    with sqlite3.connect(path) as db:
        return [
            (str(step[-1]), statement)
            for statement, params in sent
            for step in db.execute(f"EXPLAIN QUERY PLAN {statement}", params or ()).fetchall()
        ]


def _scans(path: str, sent: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """The tables SQLite reads whole for these statements (subqueries and VALUES lists are not tables)."""
    scans = []
    for step, statement in _plans(path, sent):
        words = step.split()  # "SCAN jobs", "SCAN 2 CONSTANT ROWS", "SCAN (subquery-1)"
        table = words[1]
        subquery = table == "CONSTANT" or table[0] in "(0123456789" or table.startswith("anon_")
        if words[0] == "SCAN" and not subquery:
            scans.append((table, statement[:300]))
    return scans


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # SQLite's plans; PostgreSQL's follow sizes
async def test_a_sync_reads_every_table_through_an_index(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    """Every statement of a first download, of a push of each common kind (taps, edits, answers, a second
    answer, a part, a signature) and of the pull after it, planned by SQLite: only the reference data a
    first download sends whole is read whole. Found this way: a row-value IN ``(job_id, item_code) IN
    (VALUES ...)`` read every checklist answer, and a first download every user's conflicts."""
    jobs = [uuid.UUID((await world.create_job(engineer="eng1", kind="inspection"))["id"]) for _ in range(3)]
    repair = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    sent: list[tuple[str, object]] = []

    def seen(
        conn: object, cursor: object, statement: str, params: object, context: object, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            sent.append((statement, params[0] if many and isinstance(params, list) else params))

    device = await new_device("eng1")
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await device.sync()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    path = engine.url.database
    assert path and sent
    first_download = _scans(path, sent)
    assert {table for table, _ in first_download} <= SENT_WHOLE, first_download
    for job_id in jobs:
        device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
        device.actions.edit(job_id, notes="到场发现密封圈老化")
        device.actions.answer(job_id, "seal", result=CheckResult.OK)
    await device.sync()
    for job_id in jobs:
        device.actions.answer(job_id, "seal", result=CheckResult.FAULT, note="机械密封渗漏")
        device.actions.tap(job_id, JobEventType.ARRIVED)
    device.actions.use_part(jobs[0], world.part_id, 1)
    for step in (JobEventType.ARRIVED, JobEventType.STARTED):
        device.actions.tap(repair, step)
    device.actions.answer(repair, "insulation", value=20)
    device.actions.answer(repair, "seal", result=CheckResult.OK)
    device.actions.tap(repair, JobEventType.RESOLVED)
    device.actions.sign(repair, satisfaction=5, signature="M 1 1 L 9 9", opinion="同意验收")
    sent.clear()
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await device.sync()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert device.runner.status.pending == 0
    assert sent and _scans(path, sent) == []
    # The device's last push before this session (a batch with taps asks): one index entry, not every
    # mutation the device ever sent.
    mutations = [step for step, statement in _plans(path, sent) if "mutations" in step]
    assert any("ix_mutations_device_received (device_id=? AND received_at<?)" in s for s in mutations), (
        mutations
    )
