"""The device's SQLite schema and its migrations.

Migrations never lose a row: the outbox holds taps the server has not acknowledged, and an app upgrade
must never lose them. Each step runs in one transaction with the version bump; a step that reshapes a
table (SQLite cannot drop a NOT NULL) copies every row into the new shape in that same transaction.
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

#: What a knowledge case is found by (shared.knowledge.case_search_text, in SQL: lower-cased, so a short
#: word is found with instr()): kept by triggers on the
#: reference table, so every way a pulled case is written (page, resync, sweep) keeps it in step.
_CASE_BODY = (
    "lower(trim(coalesce(json_extract(new.data, '$.title'), '') || ' ' || coalesce(json_extract(new.data, '$.model'), '')"
    " || ' ' || coalesce(json_extract(new.data, '$.symptom'), '') || ' ' || coalesce(json_extract(new.data, '$.cause'), '')"
    " || ' ' || coalesce(json_extract(new.data, '$.fix'), '') || ' ' || "
    "coalesce((SELECT group_concat(value, ' ') FROM json_each(new.data, '$.parts')), '')))"
)
# A delete and an insert, not INSERT OR REPLACE: a REPLACE fires no delete trigger (recursive triggers
# are off), and the FTS index would keep the old text.
_CASE_ROW = (
    "DELETE FROM case_text WHERE id = new.id; INSERT INTO case_text (id, model, symptom, body) "
    "VALUES (new.id, coalesce(json_extract(new.data, '$.model'), ''), "
    f"coalesce(json_extract(new.data, '$.symptom'), ''), {_CASE_BODY})"
)


def fts5_trigram_available(conn: Connection) -> bool:
    """Whether this SQLite has FTS5 and its trigram tokenizer (3.34 and later): Python's does, and the
    browser's (Pyodide, SQLite 3.39) when built with FTS5; without it every word is found with instr()."""
    version = tuple(
        int(p) for p in str(conn.execute(text("SELECT sqlite_version()")).scalar_one()).split(".")
    )
    if version < (3, 34):
        return False
    return bool(conn.execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar_one())


def _v5(conn: Connection) -> None:
    """Knowledge cases searchable offline in Chinese: ``case_text`` (one row per pulled case: its model, its
    symptom and the text it is found by) and, where SQLite has it, ``case_fts``, an FTS5 index with the trigram
    tokenizer over that text (any three characters match, so Chinese needs no word splitting)."""
    conn.execute(
        text(
            "CREATE TABLE case_text (id TEXT PRIMARY KEY, model TEXT NOT NULL, symptom TEXT NOT NULL, "
            "body TEXT NOT NULL)"
        )
    )
    conn.execute(text("CREATE INDEX ix_case_text_model ON case_text (model)"))
    conn.execute(
        text(
            f"CREATE TRIGGER case_put AFTER INSERT ON reference WHEN new.entity = 'case' BEGIN {_CASE_ROW}; END"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER case_change AFTER UPDATE ON reference WHEN new.entity = 'case' BEGIN {_CASE_ROW}; END"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER case_gone AFTER DELETE ON reference WHEN old.entity = 'case' "
            "BEGIN DELETE FROM case_text WHERE id = old.id; END"
        )
    )
    if not fts5_trigram_available(conn):
        return
    conn.execute(
        text(
            "CREATE VIRTUAL TABLE case_fts USING fts5(body, content='case_text', content_rowid='rowid', "
            "tokenize='trigram')"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER case_text_in AFTER INSERT ON case_text "
            "BEGIN INSERT INTO case_fts (rowid, body) VALUES (new.rowid, new.body); END"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER case_text_out AFTER DELETE ON case_text BEGIN "
            "INSERT INTO case_fts (case_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER case_text_change AFTER UPDATE ON case_text BEGIN "
            "INSERT INTO case_fts (case_fts, rowid, body) VALUES ('delete', old.rowid, old.body); "
            "INSERT INTO case_fts (rowid, body) VALUES (new.rowid, new.body); END"
        )
    )


V6 = [
    # Each job's JSON once, not twice: ``local_doc`` is NULL while it is the server's copy (most jobs,
    # most of the time; readers take coalesce(local_doc, server_doc)). The replica of 10,000 jobs was
    # 84 MB, 43 MB now, and the browser saves the whole file to IndexedDB. The equipment a job is on
    # gets its own column, so the equipment history's index no longer parses the document at each write.
    """CREATE TABLE jobs_v6 (
        id TEXT PRIMARY KEY,
        server_doc TEXT NOT NULL,
        local_doc TEXT,
        status TEXT NOT NULL,
        number TEXT NOT NULL,
        call_received_at TEXT NOT NULL,
        stale INTEGER NOT NULL DEFAULT 0,
        search_text TEXT NOT NULL DEFAULT '',
        due_at TEXT,
        equipment_id TEXT
    )""",
    """INSERT INTO jobs_v6 (id, server_doc, local_doc, status, number, call_received_at, stale, search_text,
        due_at, equipment_id)
    SELECT id, server_doc, CASE WHEN local_doc = server_doc THEN NULL ELSE local_doc END, status, number,
        call_received_at, stale, search_text, due_at, json_extract(local_doc, '$.equipment_id')
    FROM jobs""",
    "DROP TABLE jobs",  # its indexes with it
    "ALTER TABLE jobs_v6 RENAME TO jobs",
    "CREATE INDEX ix_jobs_status ON jobs (status, call_received_at)",
    "CREATE INDEX ix_jobs_equipment ON jobs (equipment_id)",
]

MIGRATIONS: dict[int, list[str] | Callable[[Connection], None]] = {
    1: V1,
    2: V2,
    3: V3,
    4: V4,
    5: _v5,
    6: V6,
}
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
