"""What a sync request asks of the database, counted: a push and a pull run the same number of
statements whatever their size (no statement per job, per mutation or per change), and within a budget,
on SQLite and PostgreSQL.

At about 0.3 ms of server CPU a statement (docs/performance.md, issue 15), the count is most of what a
request costs; a handler that starts asking per item, or bookkeeping that grows a round trip, fails here
before a benchmark shows it. Raise a budget only with the reason in docs/performance.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.support import Device, World

#: a push of taps and edits: the token check; the jobs locked, the stored outcomes, the event ids, the
#: offline period; the job and event writes; the log (numbers, delete, insert, the range's mark with
#: PostgreSQL's notice); the audit trail (numbers with the previous hash, insert); the mutations
PUSH_BUDGET = 14
#: a pull bringing jobs the office edited: the token check, the log's position, the log, the jobs (with
#: which kinds of children they have: these have none, so no child table is asked), the repair discount
PULL_BUDGET = 5
#: a pull bringing jobs new to the tablet: the same, and their customers, sites and equipment
NEW_JOBS_BUDGET = 8
#: a pull finding nothing new: the token check, the log's position (head, floor, marks), the log
NOTHING_NEW = 3
#: a first download of one page and the pull that ends it: two token checks and log positions; the
#: templates, parts and backup units; the scope's customers, sites and equipment (and their ids); the
#: conflicts, van balances, shipments, the engineer's models and their cases and manuals; the jobs, with
#: the kinds of children they have (none here), and their repair discount; the log; the sync stamp
FIRST_DOWNLOAD_BUDGET = 22
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        text = " ".join(statement.split())
        if text.split(" ", 1)[0].upper() not in TRANSACTION_CONTROL:  # SQLite's BEGIN IMMEDIATE
            statements.append(text)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


async def _engineer_with_jobs(
    world: World, new_device: DeviceFactory, n: int
) -> tuple[Device, list[uuid.UUID]]:
    jobs = [uuid.UUID((await world.create_job(engineer="eng1"))["id"]) for _ in range(n)]
    device = await new_device("eng1")
    await device.sync()
    return device, jobs


async def _push_count(engine: AsyncEngine, device: Device, jobs: list[uuid.UUID]) -> list[str]:
    for job_id in jobs:
        device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
        device.actions.edit(job_id, notes="到场发现密封圈老化")
    with counted(engine) as statements:
        assert await device.runner.push() == 2 * len(jobs)
    return statements


async def test_a_push_asks_the_same_whatever_its_size(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    device, jobs = await _engineer_with_jobs(world, new_device, 12)
    small = await _push_count(engine, device, jobs[:2])
    large = await _push_count(engine, device, jobs[2:])
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= PUSH_BUDGET, "\n".join(large)


async def test_a_pull_asks_the_same_whatever_it_brings(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    device, jobs = await _engineer_with_jobs(world, new_device, 12)
    counts = []
    for chosen in (jobs[:2], jobs[2:]):
        # The office edits the jobs; the tablet's next pull brings them
        office = await world.login("dispatcher")
        for job_id in chosen:
            r = await world.client.patch(
                f"/api/jobs/{job_id}", json={"symptom": "泵体漏水，请带密封圈"}, headers=office
            )
            assert r.status_code == 200, r.text
        with counted(engine) as statements:
            # the jobs only: the tablet holds their customer, site and pump (docs/sync-protocol.md)
            assert await device.runner.pull() == len(chosen)
        counts.append(statements)
    small, large = counts
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= PULL_BUDGET, "\n".join(large)
    with counted(engine) as statements:
        assert await device.runner.pull() == 0
    assert len(statements) == NOTHING_NEW, "\n".join(statements)


async def test_a_pull_of_jobs_new_to_the_tablet_asks_the_same_whatever_it_brings(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    device, _ = await _engineer_with_jobs(world, new_device, 1)
    counts = []
    for n in (2, 10):
        for _ in range(n):
            await world.create_job(engineer="eng1")
        with counted(engine) as statements:
            # the jobs, preceded by the one customer, site and pump they share
            assert await device.runner.pull() == n + 3
        counts.append(statements)
    small, large = counts
    assert len(small) == len(large) <= NEW_JOBS_BUDGET, "\n".join(large)


async def test_a_first_download_asks_the_same_whatever_the_scope(
    world: World, new_device: DeviceFactory, engine: AsyncEngine
) -> None:
    """One page of a first download: the scope's reference data, conflicts, van, shipments and knowledge
    each in a statement of their own, the jobs with their kinds of children; not a statement per job."""
    counts = []
    for engineer, n in (("eng1", 2), ("eng2", 12)):
        for _ in range(n):
            await world.create_job(engineer=engineer)
        device = await new_device(engineer)
        with counted(engine) as statements:
            await device.runner.pull()
        counts.append(statements)
    small, large = counts
    assert len(small) == len(large) <= FIRST_DOWNLOAD_BUDGET, "\n".join(large)
