"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

import server.db.limits  # noqa: F401 - refuses text longer than its column before every flush


def read_json(text: str | bytes) -> Any:
    """A JSON column's value, read by pydantic-core's parser: the standard library's took a fifth of a
    first download's server time on SQLite (py-spy, docs/performance.md). What it refuses and the
    standard library reads (a lone surrogate, escaped or not, as ``json.dumps`` writes them) is read as
    before (tests/server/test_engine.py compares the two on any JSON)."""
    try:
        return from_json(text)
    except (ValueError, TypeError):  # TypeError: a str holding a lone surrogate is not UTF-8
        return json.loads(text)


def make_engine(
    url: str, *, echo: bool = False, pool: bool = True, pool_options: dict[str, Any] | None = None
) -> AsyncEngine:
    """Create an engine; on SQLite switch on WAL, foreign keys and a busy timeout for every connection.

    On PostgreSQL a process keeps up to 30 connections; admission control (``server/admission.py``)
    keeps the requests served at once below that, and a request that still finds none free within
    ``pool_timeout`` is answered 503 (overload), not left to queue for half a minute.
    """
    kwargs: dict[str, Any] = {"echo": echo, "json_deserializer": read_json}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    elif pool:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10)
    if not pool:
        kwargs["poolclass"] = NullPool
    kwargs.update(pool_options or {})
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes_when_reading)
    if engine.dialect.name == "postgresql" and kwargs.get("pool_pre_ping"):
        engine.sync_engine.dialect.do_ping = _ping_once  # type: ignore[method-assign]
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's BEGIN below, not the driver, open transactions.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # Take the write lock up front: a read-then-write transaction in WAL mode would otherwise
            # fail with SQLITE_BUSY when another writer committed in between, and busy_timeout cannot help.
            # A connection of ``autocommit(engine)`` opens none: each of its statements is its own. A
            # session marked ``read_only`` reads one snapshot beside the writer, without its lock.
            options = conn.get_execution_options()
            if options.get("levee_autocommit"):
                return
            conn.exec_driver_sql("BEGIN" if options.get("levee_read_only") else "BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` (the same pool) for work of single statements that needs no transaction: no BEGIN and
    ROLLBACK around it (two round trips on PostgreSQL), and on SQLite no write lock taken for a read.

    On SQLite the connections already run without the driver's own transactions (``isolation_level``
    None, set at connect), so the ``begin`` hook above is told not to open one; SQLAlchemy's AUTOCOMMIT
    level is not used there, as giving the connection back would reset the driver's ``isolation_level``.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(levee_autocommit=True)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class WriteWhileReading(RuntimeError):
    """A statement that writes ran in a transaction marked ``read_only``: a bug in the caller."""


_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _refuse_writes_when_reading(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    """Fail at once, on both databases, a write in a ``read_only`` transaction: on SQLite it would
    otherwise fail only when another writer committed in between (SQLITE_BUSY), rarely and late."""
    if conn.get_execution_options().get("levee_read_only") and _WRITES.match(statement):
        raise WriteWhileReading(f"a {statement.split(None, 1)[0]} in a read-only transaction")


async def read_only(session: AsyncSession) -> None:
    """Mark ``session``'s next transaction as one that only reads (call before its first statement).

    On SQLite it then reads one consistent snapshot (WAL) without taking the write lock, so it neither
    waits for a writer nor holds one up. It must not write: a write after a read in WAL mode fails
    with SQLITE_BUSY if another writer committed in between. Commit first; the session's next
    transaction takes the lock as usual. On both databases a statement that writes fails at once
    (``WriteWhileReading``), so a write added to such a transaction fails every test, not one run in
    a thousand. A pull's session is marked so (server/replication/controller.py). GET requests are not:
    some write (the stock stores list makes every engineer's van on first sight, for one).
    """
    await session.connection(execution_options={"levee_read_only": True})


def _ping_once(dbapi_connection: Any) -> bool:
    """The pool's check of a PostgreSQL connection before each use, in one round trip.

    SQLAlchemy's asyncpg adapter wraps its ping in BEGIN and ROLLBACK (for pgbouncer's transaction
    mode, which Levee does not use): three round trips at every checkout, and a request checks out
    twice (the token check, then its handler). An empty query on the bare connection tells the same:
    a connection PostgreSQL dropped fails here and the pool replaces it (tests/server/test_engine.py).
    """
    try:
        dbapi_connection.await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:  # translated as the adapter's own ping does, so a disconnect is seen as one
        dbapi_connection._handle_exception(error)
    return True
