"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

import server.db.limits  # noqa: F401 - refuses text longer than its column before every flush


def make_engine(
    url: str, *, echo: bool = False, pool: bool = True, pool_options: dict[str, Any] | None = None
) -> AsyncEngine:
    """Create an engine; on SQLite switch on WAL, foreign keys and a busy timeout for every connection.

    On PostgreSQL a process keeps up to 30 connections; admission control (``server/admission.py``)
    keeps the requests served at once below that, and a request that still finds none free within
    ``pool_timeout`` is answered 503 (overload), not left to queue for half a minute.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    elif pool:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10)
    if not pool:
        kwargs["poolclass"] = NullPool
    kwargs.update(pool_options or {})
    engine = create_async_engine(url, **kwargs)
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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
