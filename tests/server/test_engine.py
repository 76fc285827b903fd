"""The engine's own behaviour: the pool's one-round-trip check of a PostgreSQL connection before use still
replaces a connection the database dropped; the token check's connections open no transaction, so on SQLite
no write lock is taken to read a token, nor to pull (a handler's session that writes still takes it up front,
server/db/engine.py)."""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import (
    WriteWhileReading,
    autocommit,
    make_engine,
    make_sessionmaker,
    read_json,
    read_only,
)
from tests.conftest import DeviceFactory
from tests.support import World


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_connection_postgres_dropped_is_replaced_before_use(db_url: str) -> None:
    engine = make_engine(db_url, pool_options={"pool_size": 1, "max_overflow": 0})
    admin = make_engine(db_url, pool=False)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with admin.connect() as conn:  # as a restart of the database does to every connection
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(3):  # the pool's only connection is dead: the check before use finds it so
            async with engine.connect() as conn:
                again = await conn.scalar(text("SELECT pg_backend_pid()"))
            assert again != pid
    finally:
        await engine.dispose()
        await admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_token_checks_connection_takes_no_sqlite_write_lock(
    engine: AsyncEngine, db_url: str
) -> None:
    path = db_url.split("///", 1)[1]
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        async with autocommit(engine).connect() as conn:  # reads at once, in no transaction
            assert await conn.scalar(text("SELECT count(*) FROM users")) is not None
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_pull_on_sqlite_reads_while_a_writer_holds_the_lock(
    world: World, new_device: DeviceFactory, db_url: str
) -> None:
    """A pull reads its snapshot beside the writer (``read_only``), and what it reads is the snapshot's:
    the writer's uncommitted job is not in it. A pull that waited for the lock would hang here for the
    busy timeout (30 s) and fail."""
    await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()  # the sync stamp is fresh now: the pull below has nothing to write
    await world.create_job(engineer="eng1")  # ...and something new to bring
    path = db_url.split("///", 1)[1]
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock, and changes a job
    writer.execute("UPDATE jobs SET symptom = 'uncommitted'")
    try:
        # the new job, with its customer, site and pump
        assert await asyncio.wait_for(device.runner.pull(), timeout=20) == 4
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert all(job["symptom"] != "uncommitted" for job in device.replica.jobs())


async def test_a_write_in_a_read_only_transaction_fails_at_once(engine: AsyncEngine) -> None:
    """Not only when another writer happened to commit in between (SQLite's SQLITE_BUSY): always, on both
    databases, so a write added to a pull fails its tests."""
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        await read_only(session)
        assert await session.scalar(text("SELECT count(*) FROM users")) is not None
        with pytest.raises(WriteWhileReading):
            await session.execute(text("UPDATE users SET display_name = display_name"))
        await session.rollback()
        await session.execute(text("UPDATE users SET display_name = display_name"))  # the next may write
        await session.commit()


#: lone surrogates too: the standard library writes and reads them, pydantic-core refuses them
_STRING = st.text() | st.text(st.sampled_from(["\ud800", "\udc00", "中", "\\", '"', "\x00", "a"]))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _STRING,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_STRING, inner, max_size=4),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@given(_JSON, st.booleans())
def test_a_json_column_reads_as_the_standard_library_reads_it(value: Any, ascii_only: bool) -> None:
    """The engines read JSON columns with pydantic-core's parser (faster); whatever the standard library
    wrote (lone surrogates, NaN, huge integers, key order), it reads the same values, in the same order:
    the audit chain recomputes its hashes from what it reads."""
    written = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(read_json(written), json.loads(written))
