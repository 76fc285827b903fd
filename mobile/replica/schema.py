"""The device's SQLite schema and its migrations.

Migrations only ever add: the outbox holds taps the server has not acknowledged, and an app upgrade
must never lose them. Each step runs in one transaction with the version bump.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE outbox (
        client_seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        args TEXT NOT NULL,
        hlc TEXT NOT NULL,
        created_at TEXT NOT NULL,
        job_id TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        result TEXT
    )""",
    """CREATE INDEX ix_outbox_job ON outbox (job_id, state)""",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        server_doc TEXT NOT NULL,
        local_doc TEXT NOT NULL,
        status TEXT NOT NULL,
        number TEXT NOT NULL,
        call_received_at TEXT NOT NULL,
        stale INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE reference (
        entity TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        stale INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (entity, id)
    )""",
    """CREATE TABLE conflicts (
        id TEXT PRIMARY KEY,
        job_id TEXT,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
]

V2 = [
    # What the job list searches and sorts by, kept beside the document so a search needs no JSON.
    "ALTER TABLE jobs ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE jobs ADD COLUMN due_at TEXT",
    "CREATE INDEX ix_jobs_status ON jobs (status, call_received_at)",
]

V3 = [
    # Acknowledged taps are kept a while (state 'acked'): after a server restore from a backup they
    # are sent again, and the server applies those it no longer has.
    "ALTER TABLE outbox ADD COLUMN acked_at TEXT",
    "CREATE INDEX ix_outbox_state ON outbox (state, client_seq)",
]

V4 = [
    # The job screen lists the other jobs on the same equipment at every render (every tap): without
    # an index that read every job's document (1.1 s at 10,000 jobs, 0.5 ms with it). The expression
    # is the one Replica.jobs_on_equipment asks for, so SQLite uses the index.
    "CREATE INDEX ix_jobs_equipment ON jobs (json_extract(local_doc, '$.equipment_id'))",
]

MIGRATIONS: dict[int, list[str] | Callable[[Connection], None]] = {1: V1, 2: V2, 3: V3, 4: V4}
SCHEMA_VERSION = max(MIGRATIONS)


def current_version(conn: Connection) -> int:
    exists = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")).first()
    if not exists:
        return 0
    row = conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).first()
    return int(row[0]) if row else 0


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the replica to ``target``; returns the version it was at."""
    start = current_version(conn)
    for version in range(start + 1, target + 1):
        step = MIGRATIONS[version]
        if callable(step):
            step(conn)
        else:
            for statement in step:
                conn.execute(text(statement))
        conn.execute(
            text(
                "INSERT INTO meta (key, value) VALUES ('schema_version', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"v": str(version)},
        )
    return start
