"""The device's local replica: jobs and what they need, plus the outbox of unsent taps, in one SQLite file.

Every user action writes the changed job and its outbox entry in one transaction; every pulled page is
applied together with the cursor that follows it. A crash at any point leaves either all of it or none.

One module (~650 lines) because the transactions above span every table of the replica: splitting the
class by table would split the transactions.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine

from mobile.replica.schema import SCHEMA_VERSION, migrate
from shared.clock import utcnow
from shared.ids import uuid7
from shared.knowledge_search import MIN_TRIGRAM, fts_phrase, rank_by_overlap, split_query
from sync.client import (
    OutboxEntry,
    ServerUsage,
    VanLine,
    believed_van_stock,
    ends_download,
    plan_page,
    settle,
)
from sync.clock import HybridLogicalClock, Timestamp
from sync.merge import apply_locally, rebase
from sync.protocol import (
    Change,
    ChangeOp,
    Mutation,
    MutationName,
    MutationResult,
    PullResponse,
    parse_cursor,
)

#: The job fields :meth:`Replica.job_summaries` returns (besides ``id``).
SUMMARY_FIELDS = (
    "number",
    "status",
    "kind",
    "severity",
    "customer_id",
    "site_id",
    "equipment_id",
    "symptom",
    "caller_name",
    "call_received_at",
    "acknowledged_at",
    "arrived_at",
    "resolved_at",
    "signed_off_at",
    "closed_at",
    "respond_due_at",
    "onsite_due_at",
    "fix_due_at",
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A tap the server refused, kept so the engineer can see it (and the office has it too)."""

    mutation: Mutation
    reason: str
    message: str


def _dumps(value: Any) -> str:
    return to_json(value).decode()


def _search_text(doc: dict[str, Any]) -> str:
    parts = [doc.get(k) or "" for k in ("number", "symptom", "caller_name", "cause", "fix")]
    return " ".join(parts).lower()


_UPSERT_JOBS = (
    "INSERT INTO jobs (id, server_doc, local_doc, status, number, call_received_at, search_text, due_at, "
    "equipment_id, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET "
    "server_doc=excluded.server_doc, local_doc=excluded.local_doc, status=excluded.status, "
    "number=excluded.number, call_received_at=excluded.call_received_at, "
    "search_text=excluded.search_text, due_at=excluded.due_at, equipment_id=excluded.equipment_id, stale=0"
)
#: A job as the engineer sees it: ``local_doc`` is NULL while it is the server's copy (no unsent taps
#: on it), so a first download writes each document once (mobile/replica/schema.py, version 6).
_LOCAL = "coalesce(local_doc, server_doc)"


def _other_kind(change: Change) -> tuple[str, ChangeOp]:
    return ("conflicts" if change.entity == "conflict" else "reference"), change.op


def _conflict_row(change: Change) -> dict[str, Any]:
    data = change.data or {}
    return {"id": str(change.id), "j": data.get("job_id"), "d": _dumps(data), "c": data.get("created_at", "")}


#: How a pulled customer, site, equipment, template, part, van balance or conflict is written.
_OTHER_WRITES = {
    ("conflicts", ChangeOp.PUT): text(
        "INSERT INTO conflicts (id, job_id, data, created_at) VALUES (:id, :j, :d, :c) "
        "ON CONFLICT (id) DO UPDATE SET data=excluded.data"
    ),
    ("conflicts", ChangeOp.REMOVE): text("DELETE FROM conflicts WHERE id=:id"),
    ("reference", ChangeOp.PUT): text(
        "INSERT INTO reference (entity, id, data, stale) VALUES (:e, :id, :d, 0) "
        "ON CONFLICT (entity, id) DO UPDATE SET data=excluded.data, stale=0"
    ),
    ("reference", ChangeOp.REMOVE): text("DELETE FROM reference WHERE entity=:e AND id=:id"),
}
_OTHER_PARAMS: dict[tuple[str, ChangeOp], Callable[[Change], dict[str, Any]]] = {
    ("conflicts", ChangeOp.PUT): _conflict_row,
    ("conflicts", ChangeOp.REMOVE): lambda c: {"id": str(c.id)},
    ("reference", ChangeOp.PUT): lambda c: {"e": c.entity, "id": str(c.id), "d": _dumps(c.data or {})},
    ("reference", ChangeOp.REMOVE): lambda c: {"e": c.entity, "id": str(c.id)},
}


KEEP_ACKED = timedelta(days=30)
MAX_ACKED = 5000


def _owner_only(path: str) -> None:
    """The replica holds the device's bearer token and its engineer's jobs: readable by its owner only
    (mode 600; SQLite gives its -wal and -shm files the database file's mode). An older file is fixed."""
    if path in ("", ":memory:"):
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(name, 0o600)


class Replica:
    """One device's data. Not thread-safe: use it from one thread (the app's event loop)."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], datetime] = utcnow,
        node_id: str | None = None,
    ) -> None:
        self.path = str(path)
        self.clock = clock
        _owner_only(self.path)
        self.engine: Engine = create_engine(f"sqlite:///{self.path}")
        event.listen(self.engine, "connect", self._pragmas)
        with self.engine.begin() as conn:
            migrate(conn)
            node = self._meta(conn, "node_id")
            if node is None:
                node = node_id or uuid.uuid4().hex[:12]
                self._set_meta(conn, "node_id", node)
            last = self._meta(conn, "hlc")
        wall: Callable[[], int] = lambda: int(self.clock().timestamp() * 1000)  # noqa: E731
        self.hlc = HybridLogicalClock(node, wall=wall, last=Timestamp.decode(last) if last else None)

    @staticmethod
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a tap is only 'kept' once it is on disk
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    def close(self) -> None:
        self.engine.dispose()

    # --- meta ------------------------------------------------------------------------------------

    @staticmethod
    def _meta(conn: Connection, key: str) -> str | None:
        row = conn.execute(text("SELECT value FROM meta WHERE key=:k"), {"k": key}).first()
        return str(row[0]) if row else None

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str | None) -> None:
        if value is None:
            conn.execute(text("DELETE FROM meta WHERE key=:k"), {"k": key})
        else:
            conn.execute(
                text(
                    "INSERT INTO meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value=excluded.value"
                ),
                {"k": key, "v": value},
            )

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return self._meta(conn, key)

    def set_meta(self, key: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            self._set_meta(conn, key, value)

    @property
    def schema_version(self) -> int:
        return int(self.get_meta("schema_version") or 0)

    @property
    def cursor(self) -> str | None:
        return self.get_meta("cursor")

    @property
    def cursor_seq(self) -> int:
        cursor = self.cursor
        if not cursor:
            return 0
        try:
            return parse_cursor(cursor)[1]
        except ValueError:
            return 0

    # --- local actions ---------------------------------------------------------------------------

    def record(self, name: MutationName, args: dict[str, Any]) -> Mutation:
        """Keep one user action: the outbox entry and the job's new local view, in one transaction."""
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(text("SELECT COALESCE(MAX(client_seq), 0) FROM outbox")).scalar_one()
            floor = int(self._meta(conn, "client_seq") or 0)
            client_seq = max(int(row), floor) + 1
            stamp = self.hlc.now()
            mutation = Mutation(
                id=uuid7(int(now.timestamp() * 1000)),
                client_seq=client_seq,
                name=name,
                args=from_json(_dumps(args)),
                hlc=stamp.encode(),
                created_at=now,
            )
            mutation.parsed()  # refuse malformed input here, not at the server days later
            job_id = mutation.job_id()
            conn.execute(
                text(
                    "INSERT INTO outbox (client_seq, id, name, args, hlc, created_at, job_id) "
                    "VALUES (:seq, :id, :name, :args, :hlc, :created, :job)"
                ),
                {
                    "seq": client_seq,
                    "id": str(mutation.id),
                    "name": name.value,
                    "args": _dumps(mutation.args),
                    "hlc": mutation.hlc,
                    "created": now.isoformat(),
                    "job": str(job_id) if job_id else None,
                },
            )
            self._set_meta(conn, "client_seq", str(client_seq))
            self._set_meta(conn, "hlc", mutation.hlc)
            if job_id is not None:
                doc = self._local_doc(conn, job_id)
                if doc is not None:
                    self._write_local(conn, job_id, apply_locally(doc, mutation))
        return mutation

    def adopt(self, mutations: Iterable[Mutation]) -> int:
        """Take back taps this file lacks but a log kept beside it holds (the browser keeps each tap in
        a small log before the replica file is saved, mobile/pwa/device.py): each one newer than the
        last tap this file knows goes into the outbox, and its job's local view is brought up to date,
        as :meth:`record` did. Older ones were sent and forgotten, or are here already. Returns how many."""
        added = 0
        with self.engine.begin() as conn:
            floor = int(self._meta(conn, "client_seq") or 0)
            known = {row[0] for row in conn.execute(text("SELECT id FROM outbox"))}
            for mutation in sorted(mutations, key=lambda m: m.client_seq):
                if mutation.client_seq <= floor or str(mutation.id) in known:
                    continue
                job_id = mutation.job_id()
                conn.execute(
                    text(
                        "INSERT INTO outbox (client_seq, id, name, args, hlc, created_at, job_id) "
                        "VALUES (:seq, :id, :name, :args, :hlc, :created, :job)"
                    ),
                    {
                        "seq": mutation.client_seq,
                        "id": str(mutation.id),
                        "name": mutation.name.value,
                        "args": _dumps(mutation.args),
                        "hlc": mutation.hlc,
                        "created": mutation.created_at.isoformat(),
                        "job": str(job_id) if job_id else None,
                    },
                )
                floor = mutation.client_seq
                self.hlc.receive(Timestamp.decode(mutation.hlc))
                self._set_meta(conn, "client_seq", str(floor))
                self._set_meta(conn, "hlc", self.hlc.last.encode())
                if job_id is not None:
                    doc = self._local_doc(conn, job_id)
                    if doc is not None:
                        self._write_local(conn, job_id, apply_locally(doc, mutation))
                added += 1
        return added

    # --- outbox ----------------------------------------------------------------------------------

    @staticmethod
    def _mutation(row: Any) -> Mutation:
        return Mutation(
            id=uuid.UUID(row.id),
            client_seq=row.client_seq,
            name=MutationName(row.name),
            args=from_json(row.args),
            hlc=row.hlc,
            created_at=datetime.fromisoformat(row.created_at),
        )

    def pending(self, limit: int = 500) -> list[Mutation]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM outbox WHERE state='pending' ORDER BY client_seq LIMIT :n"), {"n": limit}
            ).all()
        return [self._mutation(r) for r in rows]

    def not_refused(self, name: MutationName) -> list[Mutation]:
        """This tablet's ``name`` taps still waiting to be sent or sent and acknowledged (kept a while),
        oldest first: what the screens count as done until the pull brings the server's own record."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT * FROM outbox WHERE state IN ('pending', 'acked') AND name=:n ORDER BY client_seq"
                ),
                {"n": name.value},
            ).all()
        return [self._mutation(r) for r in rows]

    def _pending_for(self, conn: Connection, job_id: uuid.UUID) -> list[Mutation]:
        rows = conn.execute(
            text("SELECT * FROM outbox WHERE state='pending' AND job_id=:j ORDER BY client_seq"),
            {"j": str(job_id)},
        ).all()
        return [self._mutation(r) for r in rows]

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM outbox WHERE state='pending'")).scalar_one())

    def oldest_pending_at(self) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                text("SELECT MIN(created_at) FROM outbox WHERE state='pending'")
            ).scalar_one()
        return datetime.fromisoformat(value) if value else None

    def rejections(self) -> list[Rejection]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM outbox WHERE state='rejected' ORDER BY client_seq")).all()
        out = []
        for r in rows:
            result = from_json(r.result or "{}")
            out.append(Rejection(self._mutation(r), result.get("reason", ""), result.get("message", "")))
        return out

    def note_attempt(self, ids: Iterable[uuid.UUID]) -> None:
        with self.engine.begin() as conn:
            for mid in ids:
                conn.execute(text("UPDATE outbox SET attempts = attempts + 1 WHERE id=:id"), {"id": str(mid)})

    def apply_push_results(self, results: list[MutationResult]) -> None:
        """Drop acknowledged entries; keep rejected ones aside (visible, never silently lost)."""
        settlement = settle(results)
        now = self.clock()
        with self.engine.begin() as conn:
            for mutation_id in settlement.acknowledged:
                conn.execute(
                    text("UPDATE outbox SET state='acked', acked_at=:t WHERE id=:id"),
                    {"id": str(mutation_id), "t": now.isoformat()},
                )
            self._forget_old_acks(conn, now)
            jobs: set[str] = set()
            for result in settlement.rejected:
                row = conn.execute(
                    text("SELECT job_id FROM outbox WHERE id=:id"), {"id": str(result.id)}
                ).first()
                if row is None:
                    continue
                conn.execute(
                    text("UPDATE outbox SET state='rejected', result=:r WHERE id=:id"),
                    {"id": str(result.id), "r": _dumps(result.model_dump(mode="json"))},
                )
                if row.job_id:
                    jobs.add(row.job_id)
            for job_id in jobs:  # a rejected tap no longer shows on the job
                self._rebase(conn, uuid.UUID(job_id))

    def _forget_old_acks(self, conn: Connection, now: datetime) -> None:
        """Keep acknowledged taps for ``KEEP_ACKED`` and at most ``MAX_ACKED`` of them."""
        conn.execute(
            text("DELETE FROM outbox WHERE state='acked' AND acked_at < :cutoff"),
            {"cutoff": (now - KEEP_ACKED).isoformat()},
        )
        conn.execute(
            text(
                "DELETE FROM outbox WHERE state='acked' AND client_seq <= ("
                "SELECT client_seq FROM outbox WHERE state='acked' ORDER BY client_seq DESC "
                "LIMIT 1 OFFSET :keep)"
            ),
            {"keep": MAX_ACKED},
        )

    def dismiss_rejection(self, mutation_id: uuid.UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM outbox WHERE id=:id AND state='rejected'"), {"id": str(mutation_id)}
            )

    # --- pulled data -----------------------------------------------------------------------------

    def _local_doc(self, conn: Connection, job_id: uuid.UUID) -> dict[str, Any] | None:
        row = conn.execute(text(f"SELECT {_LOCAL} FROM jobs WHERE id=:id"), {"id": str(job_id)}).first()
        return from_json(row[0]) if row else None

    def _write_local(
        self, conn: Connection, job_id: uuid.UUID, doc: dict[str, Any], *, server_copy: bool = False
    ) -> None:
        """The job as the engineer sees it; ``server_copy``: it is the server's copy (stored once)."""
        conn.execute(
            text("UPDATE jobs SET local_doc=:d, status=:s, search_text=:t, equipment_id=:e WHERE id=:id"),
            {
                "id": str(job_id),
                "d": None if server_copy else _dumps(doc),
                "s": doc["status"],
                "t": _search_text(doc),
                "e": doc.get("equipment_id"),
            },
        )

    def _rebase(self, conn: Connection, job_id: uuid.UUID) -> None:
        row = conn.execute(text("SELECT server_doc FROM jobs WHERE id=:id"), {"id": str(job_id)}).first()
        if row is not None:
            pending = self._pending_for(conn, job_id)
            self._write_local(conn, job_id, rebase(from_json(row[0]), pending), server_copy=not pending)

    def begin_resync(self, *, server_restored: bool = False) -> None:
        """Forget the cursor and mark everything stale; the outbox is kept and pushed again after.

        When the server was restored from a backup it may have lost taps it had acknowledged, so the
        recently acknowledged ones go back into the outbox: the server applies those it lacks and
        answers the others from its records.
        """
        with self.engine.begin() as conn:
            if server_restored:
                conn.execute(text("UPDATE outbox SET state='pending', acked_at=NULL WHERE state='acked'"))
            self._set_meta(conn, "cursor", None)
            self._set_meta(conn, "epoch", None)
            conn.execute(text("UPDATE jobs SET stale=1"))
            conn.execute(text("UPDATE reference SET stale=1"))

    @contextlib.contextmanager
    def _pulled_data_transaction(self) -> Iterator[Connection]:
        """A transaction for data the server still has: atomic, but not worth an fsync of its own.

        In WAL mode ``synchronous=NORMAL`` keeps the file consistent through a crash; at worst the
        last pages are lost and pulled again from the cursor, which rolls back with them. Taps keep
        ``FULL``: they exist nowhere else.
        """
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()

    def apply_pull(self, response: PullResponse) -> int:
        """Apply one pulled page and move the cursor, atomically. Returns how many changes it held."""
        with self._pulled_data_transaction() as conn:
            pending_rows = conn.execute(
                text("SELECT * FROM outbox WHERE state='pending' AND job_id IS NOT NULL ORDER BY client_seq")
            ).all()
            pending_by_job: dict[uuid.UUID, list[Mutation]] = {}
            for row in pending_rows:
                pending_by_job.setdefault(uuid.UUID(row.job_id), []).append(self._mutation(row))
            plan = plan_page(response, pending_by_job)
            previous_cursor = self._meta(conn, "cursor")
            if plan.job_removes:
                # Jobs that left this engineer's scope; unsent work on them stays in the outbox and is pushed.
                conn.execute(
                    text("DELETE FROM jobs WHERE id=:id"),
                    [{"id": str(job_id)} for job_id in plan.job_removes],
                )
            if plan.jobs:
                # The driver's own executemany with positional rows: SQLAlchemy's per-row processing of
                # named parameters was a tenth of applying a first download's page (cProfile).
                conn.exec_driver_sql(
                    _UPSERT_JOBS,
                    [
                        (
                            str(job.id),
                            _dumps(job.server_doc),
                            None if job.local_doc is job.server_doc else _dumps(job.local_doc),
                            job.local_doc["status"],
                            job.server_doc.get("number", ""),
                            job.server_doc.get("call_received_at", ""),
                            _search_text(job.local_doc),
                            job.server_doc.get("fix_due_at"),
                            job.local_doc.get("equipment_id"),
                        )
                        for job in plan.jobs
                    ],
                )
            # One executemany per run of changes of the same kind, in the page's order.
            for (table, op), run in itertools.groupby(plan.others, key=_other_kind):
                sql, params = _OTHER_WRITES[table, op], _OTHER_PARAMS[table, op]
                conn.execute(sql, [params(change) for change in run])
            self._set_meta(conn, "cursor", plan.cursor)
            self._set_meta(conn, "epoch", plan.epoch)
            if ends_download(previous_cursor, plan):
                # Rows marked stale when a fresh download began and not brought by it are gone from the
                # scope. Only the end of a download can leave any: an incremental page skips the sweep,
                # which read every job's row (its documents included) on each pull.
                conn.execute(text("DELETE FROM jobs WHERE stale=1"))
                conn.execute(text("DELETE FROM reference WHERE stale=1"))
        return len(response.changes)

    # --- reads -----------------------------------------------------------------------------------

    def job(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return self._local_doc(conn, job_id)

    def server_job(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT server_doc FROM jobs WHERE id=:id"), {"id": str(job_id)}).first()
        return from_json(row[0]) if row else None

    def jobs(self, *, search: str = "", statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        query = f"SELECT {_LOCAL} FROM jobs WHERE 1=1"
        params: dict[str, Any] = {}
        if search:
            query += " AND search_text LIKE :q"
            params["q"] = f"%{search.lower()}%"
        status_list = list(statuses or [])
        if status_list:
            names = []
            for i, status in enumerate(status_list):
                params[f"s{i}"] = status
                names.append(f":s{i}")
            query += f" AND status IN ({', '.join(names)})"
        query += " ORDER BY call_received_at DESC"
        with self.engine.connect() as conn:
            return [from_json(r[0]) for r in conn.execute(text(query), params).all()]

    def job_summaries(self) -> list[dict[str, Any]]:
        """What the job list shows of every job, read without parsing whole documents in Python.

        One ``json_extract`` per row with several paths gives a small JSON array: a fraction of the cost
        of loading each job's full document (events, checklist, parts, photos).
        """
        paths = ", ".join(f"'$.{name}'" for name in SUMMARY_FIELDS)
        query = f"SELECT id, json_extract({_LOCAL}, {paths}) FROM jobs"
        with self.engine.connect() as conn:
            rows = conn.execute(text(query)).all()
        out = []
        for job_id, values in rows:
            item = dict(zip(SUMMARY_FIELDS, from_json(values), strict=True))
            item["id"] = job_id
            out.append(item)
        return out

    def jobs_on_equipment(self, equipment_id: uuid.UUID | str) -> list[dict[str, Any]]:
        """Every job on this device for one piece of equipment (its service history here)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {_LOCAL} FROM jobs WHERE equipment_id = :e ORDER BY call_received_at DESC"),
                {"e": str(equipment_id)},
            ).all()
        return [from_json(r[0]) for r in rows]

    def pending_by_job(self) -> dict[str, int]:
        """Unsent taps per job id (for the list's 'not synced' badges)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT job_id, COUNT(*) FROM outbox WHERE state='pending' AND job_id IS NOT NULL "
                    "GROUP BY job_id"
                )
            ).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def job_ids(self) -> set[uuid.UUID]:
        with self.engine.connect() as conn:
            return {uuid.UUID(r[0]) for r in conn.execute(text("SELECT id FROM jobs")).all()}

    def reference(self, entity: str, ref_id: uuid.UUID | str | None = None) -> Any:
        with self.engine.connect() as conn:
            if ref_id is None:
                rows = conn.execute(text("SELECT data FROM reference WHERE entity=:e"), {"e": entity}).all()
                return [from_json(r[0]) for r in rows]
            row = conn.execute(
                text("SELECT data FROM reference WHERE entity=:e AND id=:id"),
                {"e": entity, "id": str(ref_id)},
            ).first()
            return from_json(row[0]) if row else None

    def van_stock(self) -> dict[str, VanLine]:
        """The van's parts by part id: the pulled balance and what this tablet believes is left.

        See :func:`sync.client.believed_van_stock`; the pulled balances are ``van_stock`` rows of the
        reference table. Reads only the jobs that the outbox's part uses and voids are on.
        """
        with self.engine.connect() as conn:
            synced = {
                str(data["part_id"]): int(data.get("quantity", 0))
                for data in (
                    from_json(r[0])
                    for r in conn.execute(text("SELECT data FROM reference WHERE entity='van_stock'")).all()
                )
            }
            rows = conn.execute(
                text(
                    "SELECT * FROM outbox WHERE state IN ('pending', 'acked') AND name IN (:use, :void) "
                    "ORDER BY client_seq"
                ),
                {"use": MutationName.PART_USE.value, "void": MutationName.PART_VOID.value},
            ).all()
            outbox = [OutboxEntry(self._mutation(r), r.state == "pending") for r in rows]
            job_ids = sorted({str(r.job_id) for r in rows if r.job_id})
            usages: dict[str, ServerUsage] = {}
            present: set[str] = set()
            for job_id in job_ids:
                row = conn.execute(text("SELECT server_doc FROM jobs WHERE id=:id"), {"id": job_id}).first()
                if row is None:
                    continue
                present.add(job_id)
                for usage in from_json(row[0]).get("parts", []):
                    usages[str(usage["id"])] = ServerUsage(
                        str(usage["part_id"]), int(usage["quantity"]), usage.get("voided_at") is not None
                    )
        return believed_van_stock(synced, outbox, usages, present)

    # --- knowledge ----------------------------------------------------------------------------

    def has_case_index(self) -> bool:
        """Whether this SQLite built the FTS5 trigram index (else every word is found with instr())."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='case_fts'")).first() is not None

    def search_cases(self, query: str, *, model: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Published cases whose text holds every word of ``query`` (in any order), newest first.

        Words of three characters or more go through the FTS5 trigram index; shorter ones (a two-character
        Chinese word such as 漏油) are looked for in the same text (``instr``), among the index's hits or,
        when every word is short, over the cases newest first until ``limit`` are found (a whole scan when
        few match: see bench/app_bench.py for its cost). The matching rows are found first, then only
        their documents are read.
        """
        words = split_query(query)
        if not words:
            return []
        indexed = self.has_case_index()
        long_words = [w for w in words if len(w) >= MIN_TRIGRAM] if indexed else []
        short_words = [w for w in words if w not in long_words]
        params: dict[str, Any] = {"n": limit}
        where: list[str] = []
        if long_words:
            params["q"] = " ".join(fts_phrase(w) for w in long_words)
            sql = (
                "SELECT t.id FROM case_fts CROSS JOIN case_text t ON t.rowid = case_fts.rowid "
                "WHERE case_fts MATCH :q"
            )
            order = " ORDER BY case_fts.rowid DESC"
        else:
            sql = "SELECT t.id FROM case_text t WHERE 1=1"
            order = " ORDER BY t.rowid DESC"
        for i, word in enumerate(short_words):  # the text is lower-cased (replica/schema.py)
            params[f"w{i}"] = word.lower()
            where.append(f"instr(t.body, :w{i}) > 0")
        if model:
            params["m"] = model
            where.append("t.model = :m")
        sql += "".join(f" AND {w}" for w in where) + order + " LIMIT :n"
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text(sql), params).all()]
            return self._cases(conn, ids)

    @staticmethod
    def _cases(conn: Connection, ids: list[str]) -> list[dict[str, Any]]:
        """The documents of the cases ``ids``, in that order."""
        if not ids:
            return []
        names = ", ".join(f":i{n}" for n in range(len(ids)))
        rows = conn.execute(
            text(f"SELECT id, data FROM reference WHERE entity = 'case' AND id IN ({names})"),
            {f"i{n}": case_id for n, case_id in enumerate(ids)},
        ).all()
        docs = {r[0]: r[1] for r in rows}
        return [from_json(docs[i]) for i in ids if i in docs]

    def cases_like(self, model: str, symptom: str, *, limit: int = 5) -> list[dict[str, Any]]:
        """The cases of ``model`` whose symptom is closest to ``symptom``: those sharing the most of its
        two-character runs (what a job's screen offers). Reads that model's symptoms only (through the
        model index), then the documents of the few it offers."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT symptom, id FROM case_text WHERE model = :m ORDER BY rowid DESC"), {"m": model}
            ).all()
            ranked = rank_by_overlap(symptom, [(s, case_id) for s, case_id in rows])
            return self._cases(conn, ranked[:limit])

    def manuals(self, model: str | None = None) -> list[dict[str, Any]]:
        """The manuals and training materials this tablet knows of (metadata; bytes on demand)."""
        docs = [d for d in self.reference("manual") if model is None or d.get("model") == model]
        return sorted(docs, key=lambda d: (d.get("kind", ""), d.get("title", "")))

    @property
    def manual_dir(self) -> Path:
        return Path(self.path).with_suffix(".manuals")

    def save_manual(self, manual_id: uuid.UUID | str, data: bytes, filename: str) -> Path:
        """Keep a fetched manual's bytes beside the replica, so it opens offline afterwards."""
        self.manual_dir.mkdir(parents=True, exist_ok=True)
        path = self.manual_dir / f"{manual_id}{Path(filename).suffix.lower()}"
        path.write_bytes(data)
        return path

    def manual_path(self, manual_id: uuid.UUID | str) -> Path | None:
        matches = sorted(self.manual_dir.glob(f"{manual_id}.*")) if self.manual_dir.exists() else []
        return matches[0] if matches else None

    def conflicts(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT data FROM conflicts ORDER BY created_at DESC")).all()
        return [from_json(r[0]) for r in rows]

    @property
    def photo_dir(self) -> Path:
        return Path(self.path).with_suffix(".photos")

    def save_photo(self, photo_id: uuid.UUID, data: bytes, filename: str) -> Path:
        """Keep a photo's bytes beside the replica, so the app shows it offline."""
        self.photo_dir.mkdir(parents=True, exist_ok=True)
        path = self.photo_dir / f"{photo_id}{Path(filename).suffix.lower()}"
        path.write_bytes(data)
        return path

    def photo_path(self, photo_id: uuid.UUID | str) -> Path | None:
        """The local file of a photo taken on this device, if it has one."""
        matches = sorted(self.photo_dir.glob(f"{photo_id}.*")) if self.photo_dir.exists() else []
        return matches[0] if matches else None

    def clear_outbox(self) -> None:
        """Drop the outbox; only after its content is on the server or in an export file."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox"))

    def wipe(self) -> None:
        """Delete everything but the outbox's unsent and refused work (used after a revoke)."""
        with self.engine.begin() as conn:
            for table in ("jobs", "reference", "conflicts"):
                conn.execute(text(f"DELETE FROM {table}"))
            for key in ("cursor", "epoch", "token", "user", "device_id"):
                self._set_meta(conn, key, None)


__all__ = ["SCHEMA_VERSION", "SUMMARY_FIELDS", "Rejection", "Replica"]
