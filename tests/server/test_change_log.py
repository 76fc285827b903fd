"""The change log never lets a reader skip a change that commits late (the PostgreSQL sequence pitfall)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.changes import Change, current_seq, log_changes
from server.db.engine import make_sessionmaker
from server.db.models import ChangeLog


async def _blocked(engine: AsyncEngine, writer: asyncio.Task[int]) -> None:
    """Until a session of the test's database waits on a lock (PostgreSQL says so in pg_stat_activity),
    or ``writer`` ended (the caller's assertion then says how).

    SQLite cannot show a writer waiting for its lock; there the writer that started is given a moment
    to finish, which it must not, while the first writer holds the lock.

    Each look is a transaction of its own: PostgreSQL takes pg_stat_activity's list of sessions once
    per transaction, so a writer whose pooled connection was opened after the first look was never
    seen by a loop inside one transaction (a run on a loaded machine hung 300 s that way; checked
    against PostgreSQL 15 by hand: the late session shows only in a new transaction).
    """
    if engine.dialect.name != "postgresql":
        await asyncio.sleep(0.3)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with engine.connect() as conn:
        while not writer.done():  # pytest-timeout bounds this wait, which ends when B waits on A's lock
            found = (await conn.execute(waiting)).scalar_one()
            await conn.rollback()  # the next look reads pg_stat_activity afresh
            if found:
                return
            await asyncio.sleep(0.02)


async def test_a_writer_that_commits_late_cannot_be_skipped_by_a_reader(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    audience = uuid.uuid4()
    a_has_number = asyncio.Event()
    a_may_commit = asyncio.Event()
    b_writes = asyncio.Event()

    async def slow_writer() -> int:
        async with sessions() as s:
            seq = await log_changes(s, [Change("job", uuid.uuid4(), "put", audience)])
            a_has_number.set()
            await a_may_commit.wait()
            await s.commit()
            return int(seq or 0)

    async def fast_writer() -> int:
        await a_has_number.wait()
        async with sessions() as s:
            b_writes.set()
            seq = await log_changes(s, [Change("job", uuid.uuid4(), "put", audience)])
            await s.commit()
            return int(seq or 0)

    async def reader() -> list[int]:
        """Pulls the way the server does: head first, then rows up to it, cursor = max(head, last row)."""
        await a_has_number.wait()
        cursor, seen = 0, []
        for _ in range(500):
            async with sessions() as s:
                head = await current_seq(s)
                rows = (
                    await s.scalars(
                        select(ChangeLog.seq).where(ChangeLog.seq > cursor).order_by(ChangeLog.seq)
                    )
                ).all()
                await s.commit()
            seen.extend(rows)
            cursor = max([head, *rows])
            await asyncio.sleep(0.01)
            if len(seen) == 2:
                break
        return seen

    a = asyncio.create_task(slow_writer())
    b = asyncio.create_task(fast_writer())
    r = asyncio.create_task(reader())
    await b_writes.wait()  # B has started to write...
    await _blocked(engine, b)  # ...and waits behind A's number (or, on SQLite, behind its write lock)
    assert not b.done(), b.exception() if not b.cancelled() else "cancelled"
    a_may_commit.set()
    seq_a, seq_b = await a, await b
    seen = await asyncio.wait_for(r, 10)
    assert seq_a < seq_b
    assert seen == [seq_a, seq_b]
