"""Sync benchmark: a real server over HTTP, a real device replica, 10,000 jobs.

Run ``python -m bench.sync_bench [--backend sqlite|postgres|both] [--jobs 10000] [--quick] [--gc levee|default]``.

For each backend it makes a fresh database, migrates it, loads one engineer's 10,000 jobs (each with six
checklist answers and two timeline events) with bulk inserts plus their change-log rows, serves the app with
uvicorn on a loopback port in this process, and measures what a device sees:

1. initial sync: a fresh replica pulls everything from cursor None (``SyncRunner.pull``);
2. incremental pull after the office changed 100 jobs;
3. push of 100 mutations recorded with ``JobActions``;
4. office change to online device: a long-poll on ``/api/sync/wait`` returning after an office request,
   then the pull it triggers;
5. baselines: raw ``sqlite3.executemany`` and raw asyncpg ``executemany`` / ``copy_records_to_table`` of the
   same job and checklist rows.

With ``--peer pouchdb`` it then runs measures 1-3 against PouchDB 9 + pouchdb-server 4.2 (bench/pouchdb_peer.py:
npm installs them into a temporary folder, or ``--peer-dir``; skipped with a message when node or npm is
missing) with the very documents the first download brought, and prints Levee's ratios to the peer and to
the baseline (issue 15's goals).

Progress goes to stderr, the tables to stdout, and the last stdout line is one JSON object with every
figure (in ms) and pass/fail per target. The PostgreSQL admin URL comes from ``LEVEE_BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from sqlalchemy import insert, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex, CreateTable

from bench.pouchdb_peer import run_peer, write_documents
from mobile.replica.store import Replica
from mobile.services.jobs import JobActions
from mobile.services.sync import SyncRunner
from server.app import create_app
from server.changes import Change, log_changes
from server.collector import tune_collector
from server.db.engine import make_engine
from server.db.migrate import upgrade
from server.db.models import (
    ChecklistResult,
    ChecklistTemplate,
    Counter,
    Customer,
    Equipment,
    Job,
    JobAssignment,
    JobEvent,
    Part,
    Site,
    SlaPolicy,
    User,
)
from server.security import hash_password
from server.settings import Settings
from shared.enums import CheckResult, JobEventType
from shared.ids import uuid7

PG_ADMIN_URL = os.environ.get("LEVEE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-horse-7"

# Targets (ms) and the PouchDB 9 anchors from docs/shared/design/sync.md, same 2-core class of machine.
TARGETS: dict[str, tuple[float, str, str]] = {
    "initial_sync": (2000.0, "initial sync (all jobs)", "3800-4700"),
    "incremental_pull_100": (75.0, "incremental pull, 100 jobs", "68-134"),
    "push_100": (75.0, "push 100 mutations", "81-138"),
    "office_to_device_p50": (100.0, "office change -> device wait (p50)", "~20"),
}

CATEGORIES = ("drainage_pump", "generator_set", "lighting_tower", "pump_truck")
KINDS = ("repair", "inspection")
ITEM_CODES = ("insulation", "seal", "noise", "vibration", "bearing", "cable", "panel", "valve")
RESULTS_PER_JOB = 6
N_SITES = 5
N_EQUIPMENT = 300
N_PARTS = 40


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- statistics ------------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, min, max (and p90) of samples given in seconds, as ms."""
    ordered = sorted(samples)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {
        "median": ms(statistics.median(ordered)),
        "min": ms(ordered[0]),
        "max": ms(ordered[-1]),
        "p90": ms(p90),
        "n": len(ordered),
        "samples": [ms(s) for s in samples],
    }


# --- the server in this process ----------------------------------------------------------------------


class ServerClock:
    """ASGI wrapper noting, per request, the time the app spent on it, the process CPU it took and the
    body bytes it sent. The device waits for the answer meanwhile, so the CPU is the server's: the
    event loop's and SQLite's thread (aiosqlite), not PostgreSQL's processes."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.records: list[tuple[str, float, int, float]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = 0

        async def counting_send(message: Any) -> None:
            nonlocal size
            if message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        start, cpu = time.perf_counter(), time.process_time()
        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.records.append((scope["path"], time.perf_counter() - start, size, time.process_time() - cpu))

    def mark(self) -> int:
        return len(self.records)

    def since(self, mark: int, path: str) -> tuple[float, int, int, float]:
        """Seconds spent, bytes sent, requests served and CPU seconds for ``path`` since ``mark``."""
        rows = [r for r in self.records[mark:] if r[0] == path]
        return sum(r[1] for r in rows), sum(r[2] for r in rows), len(rows), sum(r[3] for r in rows)


@dataclass
class Served:
    app: Litestar
    clock: ServerClock
    server: uvicorn.Server
    task: asyncio.Task[None]
    base_url: str

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve(app: Litestar) -> Served:
    """Start uvicorn on a free loopback port as a task of this event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    clock = ServerClock(app)
    config = uvicorn.Config(
        clock,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",  # the start-up hooks are run by hand, as tests/support.make_world does
        timeout_keep_alive=300,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return Served(app, clock, server, task, f"http://127.0.0.1:{port}")


# --- data --------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    engineer_id: uuid.UUID
    dispatcher_id: uuid.UUID
    customer_id: uuid.UUID
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    job_ids: list[uuid.UUID] = field(default_factory=list)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, []))


def make_dataset(n_jobs: int, password_hash: str, seed: int = 7) -> Dataset:
    """One customer, its sites and ~300 pumps, templates, parts, an engineer with ``n_jobs`` jobs."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    engineer_id, dispatcher_id, customer_id = uuid7(), uuid7(), uuid7()
    data = Dataset(engineer_id=engineer_id, dispatcher_id=dispatcher_id, customer_id=customer_id)
    t = data.tables
    t["users"] = [
        {
            "id": uid,
            "username": username,
            "display_name": name,
            "role": role,
            "phone": "",
            "password_hash": password_hash,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for uid, username, name, role in (
            (engineer_id, "eng1", "张伟", "engineer"),
            (dispatcher_id, "dispatcher", "调度小刘", "dispatcher"),
        )
    ]
    t["customers"] = [
        {
            "id": customer_id,
            "name": "临川区水利局",
            "contract_no": "LC-2026-017",
            "contact_name": "王主任",
            "contact_phone": "0794-8221234",
            "address": "抚州市临川区赣东大道 1 号",
            "warranty_years": 2,
            "created_at": now,
            "updated_at": now,
        }
    ]
    site_ids = [uuid7() for _ in range(N_SITES)]
    t["sites"] = [
        {
            "id": sid,
            "customer_id": customer_id,
            "name": f"第{i + 1}排涝泵站",
            "address": f"临川区抚河东岸 {i + 1} 号",
            "contact_name": "站长",
            "contact_phone": f"0794-82200{i:02d}",
            "latitude": 27.95 + i / 100,
            "longitude": 116.35 + i / 100,
            "created_at": now,
            "updated_at": now,
        }
        for i, sid in enumerate(site_ids)
    ]
    t["equipment"] = []
    for i in range(N_EQUIPMENT):
        category = CATEGORIES[i % len(CATEGORIES)]
        t["equipment"].append(
            {
                "id": uuid7(),
                "site_id": site_ids[i % N_SITES],
                "category": category,
                "model": f"QSZ-{1000 + (i % 7) * 100} 潜水排涝泵",
                "serial_no": f"EQ-{i:05d}",
                "delivered_on": date(2025, 5, 1),
                "warranty_end": date(2027, 5, 1),
                "created_at": now,
                "updated_at": now,
            }
        )
    templates: dict[tuple[str, str], list[dict[str, Any]]] = {}
    t["checklist_templates"] = []
    for category in CATEGORIES:
        for kind in KINDS:
            n_items = rng.randint(RESULTS_PER_JOB, 8)  # 6-8 items, every job answers the first six
            items: list[dict[str, Any]] = []
            for code in ITEM_CODES[:n_items]:
                if code == "insulation":
                    items.append(
                        {
                            "code": code,
                            "label_zh": "绝缘电阻",
                            "label_en": "Insulation resistance",
                            "kind": "measure",
                            "unit": "MΩ",
                            "min_value": 0.5,
                            "max_value": None,
                            "required": True,
                        }
                    )
                else:
                    items.append(
                        {"code": code, "label_zh": code, "label_en": code, "kind": "check", "required": True}
                    )
            templates[(category, kind)] = items
            t["checklist_templates"].append(
                {
                    "id": uuid7(),
                    "category": category,
                    "job_kind": kind,
                    "name": f"{category} {kind} 检查",
                    "items": items,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    t["parts"] = [
        {
            "id": uuid7(),
            "code": f"P-{i:04d}",
            "name": f"备件 {i}",
            "unit": "套",
            "unit_price": 100.0 + i,
            "categories": [CATEGORIES[i % len(CATEGORIES)]],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(N_PARTS)
    ]
    t["sla_policies"] = [
        {
            "id": uuid7(),
            "customer_id": None,
            "severity": severity,
            "respond_minutes": respond,
            "onsite_minutes": onsite,
            "fix_minutes": fix,
            "backup_minutes": 480,
            "created_at": now,
            "updated_at": now,
        }
        for severity, respond, onsite, fix in (("general", 30, 240, 1440), ("major", 15, 120, 480))
    ]
    jobs: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    for i in range(n_jobs):
        job_id = uuid7()
        equipment = t["equipment"][rng.randrange(N_EQUIPMENT)]
        kind = KINDS[i % len(KINDS)]
        received = now - timedelta(minutes=10 * (n_jobs - i) + 120)
        acknowledged = received + timedelta(minutes=5)
        departed = received + timedelta(minutes=20)
        jobs.append(
            {
                "id": job_id,
                "number": f"WO-202611-{i + 1:05d}",
                "kind": kind,
                "severity": "general",
                "status": "departed",
                "customer_id": customer_id,
                "site_id": equipment["site_id"],
                "equipment_id": equipment["id"],
                "assigned_engineer_id": engineer_id,
                "caller_name": "王主任",
                "caller_phone": "0794-8221234",
                "symptom": f"水泵启动后出水量不足，电流偏高（{i}号工单）",
                "cause": "",
                "fix": "",
                "notes": "",
                "billable": None,
                "billable_reason": None,
                "backup_lent": False,
                "backup_note": "",
                "office_reason": "",
                "acceptance_opinion": "",
                "satisfaction": None,
                "acceptance_comment": "",
                "signature": "",
                "call_received_at": received,
                "acknowledged_at": acknowledged,
                "departed_at": departed,
                "arrived_at": None,
                "started_at": None,
                "resolved_at": None,
                "signed_off_at": None,
                "closed_at": None,
                "respond_due_at": received + timedelta(minutes=30),
                "onsite_due_at": received + timedelta(minutes=240),
                "fix_due_at": received + timedelta(minutes=1440),
                "backup_due_at": received + timedelta(minutes=480),
                "times_flagged": False,
                "version": 4,
                "field_versions": {},  # not part of the pulled document; its format is the server's business
                "created_at": received,
                "updated_at": departed,
            }
        )
        data.job_ids.append(job_id)
        assignments.append(
            {
                "id": uuid7(),
                "job_id": job_id,
                "engineer_id": engineer_id,
                "assigned_by": dispatcher_id,
                "assigned_at": received + timedelta(minutes=1),
                "unassigned_at": None,
            }
        )
        for event_type, at in (("acknowledged", acknowledged), ("departed", departed)):
            events.append(
                {
                    "id": uuid7(),
                    "job_id": job_id,
                    "type": event_type,
                    "device_time": at,
                    "received_at": at + timedelta(seconds=2),
                    "clock_offset_ms": 150,
                    "flagged": False,
                    "flag_reason": "",
                    "hlc": "",
                    "user_id": engineer_id,
                    "device_id": None,
                }
            )
        for item in templates[(equipment["category"], kind)][:RESULTS_PER_JOB]:
            measure = item["kind"] == "measure"
            results.append(
                {
                    "id": uuid7(),
                    "job_id": job_id,
                    "item_code": item["code"],
                    "result": None if measure else ("ok" if rng.random() < 0.9 else "fault"),
                    "value": round(rng.uniform(0.8, 50.0), 1) if measure else None,
                    "out_of_range": False,
                    "note": "",
                    "answered_at": departed + timedelta(minutes=3),
                    "version": 1,
                }
            )
    t["jobs"] = jobs
    t["job_assignments"] = assignments
    t["job_events"] = events
    t["checklist_results"] = results
    return data


LOAD_ORDER = (
    (User, "users"),
    (Customer, "customers"),
    (Site, "sites"),
    (Equipment, "equipment"),
    (ChecklistTemplate, "checklist_templates"),
    (Part, "parts"),
    (SlaPolicy, "sla_policies"),
    (Job, "jobs"),
    (JobAssignment, "job_assignments"),
    (JobEvent, "job_events"),
    (ChecklistResult, "checklist_results"),
)
INSERT_CHUNK = 5000


async def load(app: Litestar, data: Dataset) -> tuple[float, int]:
    """Bulk-insert the dataset and its change-log rows in one transaction; returns seconds and log rows."""
    start = time.perf_counter()
    async with app.state.sessionmaker() as session:
        for model, name in LOAD_ORDER:
            rows = data.tables[name]
            for i in range(0, len(rows), INSERT_CHUNK):
                await session.execute(insert(model.__table__), rows[i : i + INSERT_CHUNK])
        await session.execute(
            update(Counter).where(Counter.name == "job_number").values(value=len(data.job_ids))
        )
        changes = [
            Change(entity, row["id"], "put", None)
            for entity, table in (
                ("customer", "customers"),
                ("site", "sites"),
                ("equipment", "equipment"),
                ("checklist_template", "checklist_templates"),
                ("part", "parts"),
            )
            for row in data.tables[table]
        ]
        changes += [Change("job", job_id, "put", data.engineer_id) for job_id in data.job_ids]
        await log_changes(session, changes)
        await session.commit()
    return time.perf_counter() - start, len(changes)


async def office_change(app: Litestar, data: Dataset, job_ids: list[uuid.UUID], tag: str) -> None:
    """The office edits jobs directly and logs them for the engineer, in one transaction."""
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(
                symptom=f"客户来电补充：夜间漏水 ({tag})",
                version=Job.version + 1,
                updated_at=datetime.now(UTC),
            )
        )
        await log_changes(session, [Change("job", j, "put", data.engineer_id) for j in job_ids])
        await session.commit()


# --- the device ----------------------------------------------------------------------------------------


class Split:
    """Splits a SyncRunner's time: HTTP round trips (incl. server), replica writes, the rest is parsing."""

    def __init__(self, runner: SyncRunner) -> None:
        self.http = 0.0
        self.apply = 0.0
        self.requests = 0
        post = runner._post
        replica = runner.replica

        async def timed_post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            start = time.perf_counter()
            try:
                return await post(path, body)
            finally:
                self.http += time.perf_counter() - start
                self.requests += 1

        runner._post = timed_post  # type: ignore[method-assign]
        for name in ("apply_pull", "apply_push_results", "pending", "note_attempt"):
            setattr(replica, name, self._timed(getattr(replica, name)))

    def _timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.apply += time.perf_counter() - start

        return wrapper

    def reset(self) -> None:
        self.http = self.apply = 0.0
        self.requests = 0


@dataclass
class Device:
    replica: Replica
    runner: SyncRunner
    actions: JobActions
    split: Split
    directory: Path

    async def close(self) -> None:
        await self.runner.aclose()
        self.replica.close()


async def login(base_url: str, username: str, device_name: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as client:
        r = await client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD, "device_name": device_name}
        )
        r.raise_for_status()
        return str(r.json()["token"])


def _open_replica(directory: Path) -> Replica:
    directory.mkdir(parents=True, exist_ok=True)
    return Replica(directory / "replica.db")


async def new_device(base_url: str, directory: Path, name: str) -> Device:
    token = await login(base_url, "eng1", name)
    replica = _open_replica(directory)
    runner = SyncRunner(replica, base_url, token)  # the app's defaults: pull 500, push 200 per request
    return Device(replica, runner, JobActions(replica), Split(runner), directory)


@dataclass
class Phase:
    """One timed operation with its breakdown."""

    total: float
    server: float
    http: float
    apply: float
    bytes_out: int
    requests: int
    changes: int = 0
    server_cpu: float = 0.0

    def parts_ms(self) -> dict[str, float]:
        return {
            "total_ms": ms(self.total),
            "server_ms": ms(self.server),
            "server_cpu_ms": ms(self.server_cpu),
            "transfer_ms": ms(max(0.0, self.http - self.server)),
            "client_apply_ms": ms(self.apply),
            "client_parse_ms": ms(max(0.0, self.total - self.http - self.apply)),
            "response_bytes": self.bytes_out,
            "requests": self.requests,
            "changes": self.changes,
        }


async def timed(
    served: Served, device: Device, path: str, op: Callable[[], Awaitable[int]]
) -> tuple[Phase, int]:
    device.split.reset()
    mark = served.clock.mark()
    start = time.perf_counter()
    count = await op()
    total = time.perf_counter() - start
    server, size, _, cpu = served.clock.since(mark, path)
    phase = Phase(
        total, server, device.split.http, device.split.apply, size, device.split.requests, count, cpu
    )
    return phase, count


def phase_summary(phases: list[Phase]) -> dict[str, Any]:
    out = summary([p.total for p in phases])
    # The breakdown of the median run.
    median_run = sorted(phases, key=lambda p: p.total)[len(phases) // 2]
    out["breakdown_of_median"] = median_run.parts_ms()
    # The server's CPU per operation: steadier than its wall time on a shared machine.
    out["server_cpu_ms"] = summary([p.server_cpu for p in phases])
    return out


# --- the measurements ----------------------------------------------------------------------------------


async def measure_initial(
    served: Served, workdir: Path, reps: int, n_jobs: int
) -> tuple[list[Phase], Device]:
    phases: list[Phase] = []
    device: Device | None = None
    for rep in range(reps):
        if device is not None:
            await device.close()
        device = await new_device(served.base_url, workdir / f"device{rep}", f"bench tablet {rep}")
        phase, count = await timed(served, device, "/api/sync/pull", device.runner.pull)
        jobs_on_device = len(device.replica.job_ids())
        if jobs_on_device != n_jobs:
            raise RuntimeError(f"initial sync left {jobs_on_device} jobs on the device, expected {n_jobs}")
        phases.append(phase)
        log(
            f"  initial sync {rep + 1}/{reps}: {phase.total:.2f} s, {count} changes, "
            f"{phase.bytes_out / 1e6:.1f} MB, server {phase.server:.2f} s, apply {phase.apply:.2f} s"
        )
    assert device is not None
    return phases, device


def replica_size(path: Path) -> int:
    """The replica file's bytes once its write-ahead log is folded in: what the field app in the
    browser saves whole to IndexedDB (mobile/pwa/device.py)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


async def measure_incremental(
    served: Served, data: Dataset, device: Device, reps: int, batches: Iterator[list[uuid.UUID]]
) -> list[Phase]:
    phases: list[Phase] = []
    for rep in range(reps):
        ids = next(batches)
        await office_change(served.app, data, ids, f"rep {rep}")
        phase, count = await timed(served, device, "/api/sync/pull", device.runner.pull)
        jobs = [device.replica.job(j) for j in ids[:3]]
        if any(j is None or "夜间漏水" not in j["symptom"] for j in jobs):
            raise RuntimeError("the incremental pull did not bring the office's change")
        phases.append(phase)
        log(f"  incremental pull {rep + 1}/{reps}: {phase.total * 1000:.1f} ms, {count} changes")
    return phases


def record_mutations(device: Device, ids: list[uuid.UUID], rep: int) -> float:
    """100 taps, edits and checklist answers on different jobs; returns the seconds it took."""
    start = time.perf_counter()
    for i, job_id in enumerate(ids):
        if i % 3 == 0:
            device.actions.tap(job_id, JobEventType.ARRIVED)
        elif i % 3 == 1:
            device.actions.edit(job_id, notes=f"到场发现密封圈老化 (rep {rep})")
        else:
            device.actions.answer(job_id, "seal", result=CheckResult.FAULT, note="机械密封渗漏")
    return time.perf_counter() - start


async def measure_push(
    served: Served, device: Device, reps: int, batches: Iterator[list[uuid.UUID]]
) -> tuple[list[Phase], list[float]]:
    phases: list[Phase] = []
    record_times: list[float] = []
    for rep in range(reps):
        ids = next(batches)
        record_times.append(record_mutations(device, ids, rep))
        if device.replica.pending_count() != len(ids):
            raise RuntimeError("the outbox does not hold the recorded mutations")
        phase, count = await timed(served, device, "/api/sync/push", device.runner.push)
        if count != len(ids) or device.replica.pending_count() or device.replica.rejections():
            raise RuntimeError(
                f"push acknowledged {count} of {len(ids)}; rejections: {device.replica.rejections()}"
            )
        phases.append(phase)
        log(f"  push {rep + 1}/{reps}: {phase.total * 1000:.1f} ms for {count} mutations")
        await device.runner.pull()  # take the echo of the pushed jobs, untimed
    return phases, record_times


def _watch_waits(notifier: Any) -> asyncio.Event:
    """An event set whenever the server starts holding a long-poll (the notifier's wait was entered)."""
    entered = asyncio.Event()
    original = notifier.wait

    async def wait(user_id: uuid.UUID, after: int, wait_seconds: float) -> int:
        entered.set()
        return int(await original(user_id, after, wait_seconds))  # registers before its first await

    notifier.wait = wait
    return entered


async def _long_poll(client: httpx.AsyncClient, after: int) -> tuple[httpx.Response, float]:
    """The device's long-poll; returns the response and the moment it arrived."""
    response = await client.get("/api/sync/wait", params={"after": after, "timeout": 10})
    return response, time.perf_counter()


async def measure_latency(
    served: Served, data: Dataset, device: Device, samples: int, job_ids: list[uuid.UUID]
) -> dict[str, Any]:
    """Device long-polls; the office holds (then resumes) a job over HTTP; time until the wait returns."""
    waiting = _watch_waits(served.app.state.notifier)
    office_token = await login(served.base_url, "dispatcher", "office pc")
    wait_lat: list[float] = []
    with_pull: list[float] = []
    pull_only: list[float] = []
    office_req: list[float] = []
    async with httpx.AsyncClient(
        base_url=served.base_url, headers={"Authorization": f"Bearer {office_token}"}
    ) as office:
        for i in range(samples):
            job_id = job_ids[i // 2]
            after = device.replica.cursor_seq
            waiting.clear()
            wait = asyncio.create_task(_long_poll(device.runner.client, after))
            await asyncio.wait_for(waiting.wait(), 5)  # the server holds the long-poll now
            await asyncio.sleep(0.005)  # let it settle, as a device would be idle in its poll
            start = time.perf_counter()
            if i % 2 == 0:
                r = await office.post(f"/api/jobs/{job_id}/hold", json={"reason": "客户要求暂停，等备件"})
            else:
                r = await office.post(f"/api/jobs/{job_id}/resume")
            office_done = time.perf_counter()
            r.raise_for_status()
            response, woke = await wait
            if response.status_code != 200 or response.json()["seq"] <= after:
                raise RuntimeError(f"the long-poll returned without news: {response.text}")
            await device.runner.pull()
            pulled = time.perf_counter()
            expected = "on_hold" if i % 2 == 0 else "departed"
            job = device.replica.job(job_id)
            if job is None or job["status"] != expected:
                raise RuntimeError(f"the device did not see the office's change on job {job_id}")
            wait_lat.append(woke - start)
            with_pull.append(pulled - start)
            pull_only.append(pulled - woke)
            office_req.append(office_done - start)
    out = {
        "wait_returned": summary(wait_lat),
        "wait_then_pull": summary(with_pull),
        "pull_after_wait": summary(pull_only),
        "office_request": summary(office_req),
    }
    log(
        f"  office -> device: wait p50 {out['wait_returned']['median']} ms, "
        f"with pull p50 {out['wait_then_pull']['median']} ms ({samples} samples)"
    )
    return out


# --- baselines ----------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _full_rows(model: Any, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Rows with every column of ``model``; a column the dataset leaves out gets its scalar default."""
    columns = list(model.__table__.columns)
    defaults = {c.name: _column_default(c) for c in columns}
    names = [c.name for c in columns]
    return names, [[r[n] if n in r else defaults[n] for n in names] for r in rows]


def _column_default(column: Any) -> Any:
    """What the ORM would write for a column the dataset leaves out (a value, or a list/dict factory)."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        try:
            return default.arg(None)  # SQLAlchemy wraps a no-argument factory to take the context
        except TypeError:
            return None
    return None


def baseline_sqlite(data: Dataset, directory: Path) -> dict[str, Any]:
    """Raw sqlite3 executemany of the job and checklist rows, one transaction, the server's schema."""
    path = directory / "baseline.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    dialect = sqlite_dialect.dialect()
    statements: list[tuple[str, list[tuple[Any, ...]]]] = []
    for model, name in ((Job, "jobs"), (ChecklistResult, "checklist_results")):
        table = model.__table__
        conn.execute(str(CreateTable(table).compile(dialect=dialect)))
        for index in table.indexes:
            conn.execute(str(CreateIndex(index).compile(dialect=dialect)))
        cols, full = _full_rows(model, data.tables[name])
        rows = [tuple(_sqlite_value(v) for v in r) for r in full]
        sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        statements.append((sql, rows))
    n = sum(len(rows) for _, rows in statements)
    start = time.perf_counter()
    conn.execute("BEGIN")
    for sql, rows in statements:
        conn.executemany(sql, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return {
        "sqlite3_executemany": {"rows": n, "ms": ms(elapsed), "rows_per_s": round(n / elapsed)},
    }


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


async def baseline_postgres(data: Dataset, dsn: str) -> dict[str, Any]:
    """Raw asyncpg executemany and COPY of the same rows into temp tables shaped like the server's."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        batches: list[tuple[str, list[str], list[tuple[Any, ...]]]] = []
        for model, name in ((Job, "jobs"), (ChecklistResult, "checklist_results")):
            cols, full = _full_rows(model, data.tables[name])
            rows = [tuple(_pg_value(v) for v in r) for r in full]
            temp = f"bench_{name}"
            await conn.execute(f"CREATE TEMP TABLE {temp} (LIKE {name} INCLUDING ALL)")
            batches.append((temp, cols, rows))
        n = sum(len(rows) for _, _, rows in batches)
        out: dict[str, Any] = {}
        start = time.perf_counter()
        async with conn.transaction():
            for temp, cols, rows in batches:
                params = ", ".join(f"${i + 1}" for i in range(len(cols)))
                await conn.executemany(f"INSERT INTO {temp} ({', '.join(cols)}) VALUES ({params})", rows)
        elapsed = time.perf_counter() - start
        out["asyncpg_executemany"] = {"rows": n, "ms": ms(elapsed), "rows_per_s": round(n / elapsed)}
        for temp, _, _ in batches:
            await conn.execute(f"TRUNCATE {temp}")
        start = time.perf_counter()
        async with conn.transaction():
            for temp, cols, rows in batches:
                await conn.copy_records_to_table(temp, records=rows, columns=cols)
        elapsed = time.perf_counter() - start
        out["asyncpg_copy"] = {"rows": n, "ms": ms(elapsed), "rows_per_s": round(n / elapsed)}
        return out
    finally:
        await conn.close()


# --- one backend ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    jobs: int
    initial_reps: int
    reps: int
    latency_samples: int
    batch: int = 100
    tune_gc: bool = True


def _chunks(ids: list[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    for i in range(0, len(ids) - size + 1, size):
        yield ids[i : i + size]


async def _pg_admin(statements: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database(backend: str, workdir: Path) -> Any:
    """Yield (SQLAlchemy URL, asyncpg DSN or None) of a new empty database, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'levee.db'}", None
        return
    name = f"levee_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin([f'CREATE DATABASE "{name}"'])
    base = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}", f"{base}/{name}"
    finally:
        await _pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


async def run_backend(
    backend: str, plan: Plan, password_hash: str, peer_docs: Path | None = None
) -> dict[str, Any]:
    """Every measure on one backend; ``peer_docs``: where to write the documents the first download
    brought, for the peer to store and serve (the same documents, byte for byte the same JSON)."""
    log(f"== {backend}: {plan.jobs} jobs ==")
    workdir = Path(tempfile.mkdtemp(prefix=f"levee-bench-{backend}-"))
    result: dict[str, Any] = {}
    try:
        async with fresh_database(backend, workdir) as (url, dsn):
            engine: AsyncEngine = make_engine(url)
            try:
                start = time.perf_counter()
                await upgrade(engine)
                result["migrate_ms"] = ms(time.perf_counter() - start)
                app = create_app(Settings(data_dir=workdir, database_url=url), engine=engine, migrate=False)
                for noisy in ("httpx", "alembic"):  # Litestar's logging config shows their INFO lines
                    logging.getLogger(noisy).setLevel(logging.WARNING)
                for hook in app.on_startup:
                    await hook(app)
                if plan.tune_gc:  # as `levee serve` does once started (server/collector.py)
                    tune_collector()
                data = make_dataset(plan.jobs, password_hash)
                load_s, log_rows = await load(app, data)
                rows = sum(len(v) for v in data.tables.values()) + log_rows
                result["load"] = {
                    "ms": ms(load_s),
                    "jobs": len(data.job_ids),
                    "checklist_results": data.count("checklist_results"),
                    "job_events": data.count("job_events"),
                    "rows_incl_change_log": rows,
                    "rows_per_s": round(rows / load_s),
                }
                log(f"  load: {load_s:.2f} s for ~{rows} rows")
                served = await serve(app)
                try:
                    initial, device = await measure_initial(served, workdir, plan.initial_reps, plan.jobs)
                    replica_bytes = replica_size(Path(device.replica.path))
                    if peer_docs is not None:
                        write_documents(Path(device.replica.path), peer_docs)
                    try:
                        # Each measurement takes its own jobs, so no batch sees another's leftovers.
                        batches = _chunks(data.job_ids, plan.batch)
                        incremental = await measure_incremental(served, data, device, plan.reps, batches)
                        push, record_times = await measure_push(served, device, plan.reps, batches)
                        latency = await measure_latency(
                            served, data, device, plan.latency_samples, next(batches)
                        )
                    finally:
                        await device.close()
                finally:
                    await served.stop()
                result["initial_sync"] = phase_summary(initial)
                result["initial_sync"]["replica_bytes"] = replica_bytes
                result["incremental_pull_100"] = phase_summary(incremental)
                result["push_100"] = phase_summary(push)
                result["device_record_100"] = summary(record_times)
                result["office_to_device"] = latency
                log("  baselines ...")
                result["baseline"] = (
                    baseline_sqlite(data, workdir) if dsn is None else await baseline_postgres(data, dsn)
                )
            finally:
                await engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    values = {
        "initial_sync": result["initial_sync"]["median"],
        "incremental_pull_100": result["incremental_pull_100"]["median"],
        "push_100": result["push_100"]["median"],
        "office_to_device_p50": result["office_to_device"]["wait_returned"]["median"],
    }
    result["targets"] = {
        key: {"target_ms": TARGETS[key][0], "value_ms": values[key], "pass": values[key] < TARGETS[key][0]}
        for key in TARGETS
    }
    return result


# --- the peer and the ratios ---------------------------------------------------------------------------

PEER_MEASURES = ("initial_sync", "incremental_pull_100", "push_100")
# Issue 15's goals, as ratios measured in one run: Levee's median over the peer's (or the baseline's).
RATIO_GOALS = {
    "initial_sync_vs_baseline": 1.5,
    "initial_sync_vs_peer": 1 / 3,
    "incremental_pull_100_vs_peer": 0.5,
}


def _peer_summary(raw: dict[str, Any]) -> dict[str, Any]:
    if "skipped" in raw:
        return raw
    out = {k: v for k, v in raw.items() if k not in PEER_MEASURES}
    for key in PEER_MEASURES:
        out[key] = summary([sample / 1000.0 for sample in raw[key]])
    return out


def ratios(out: dict[str, Any]) -> dict[str, Any]:
    """Levee's medians over the peer's and over the raw baseline of the same backend, with the goals."""
    peer = out.get("peer") or {}
    result: dict[str, Any] = {}
    for backend, r in out["backends"].items():
        these: dict[str, Any] = {}
        baseline_name = "sqlite3_executemany" if backend == "sqlite" else "asyncpg_copy"
        baseline = r["baseline"].get(baseline_name)
        if baseline:
            these["initial_sync_vs_baseline"] = {
                "baseline": baseline_name,
                "ratio": round(r["initial_sync"]["median"] / baseline["ms"], 2),
            }
        if peer and "skipped" not in peer:
            for key in PEER_MEASURES:
                these[f"{key}_vs_peer"] = {"ratio": round(r[key]["median"] / peer[key]["median"], 2)}
        for key, entry in these.items():
            if key in RATIO_GOALS:
                entry["goal"] = round(RATIO_GOALS[key], 3)
                entry["met"] = entry["ratio"] <= RATIO_GOALS[key]
        result[backend] = these
    return result


def print_peer(out: dict[str, Any]) -> None:
    peer = out.get("peer")
    if not peer:
        return
    print()
    if "skipped" in peer:
        print(f"peer {peer['name']}: skipped ({peer['skipped']})")
        return
    versions = peer["versions"]
    print(
        f"== peer: {versions['pouchdb']} + {versions['pouchdb_server']} (LevelDB), node {versions['node']}, "
        f"{peer['docs']:,} documents ({peer['jobs']:,} jobs, {peer['documents_bytes'] / 1e6:.1f} MB), "
        f"batch_size {peer['batch_size']} =="
    )
    for key in PEER_MEASURES:
        s = peer[key]
        print(f"{TARGETS[key][1]:<38}{_fmt(s['median']):>10}{_fmt(s['min']):>10}{_fmt(s['max']):>10}")
    print(f"{'  first push after download (no change)':<38}{_fmt(peer['first_push_nothing_changed_ms']):>10}")
    print()
    print("ratios (Levee median / other median; goal = issue 15)")
    for backend, these in out["ratios"].items():
        for key, entry in these.items():
            goal = (
                f"goal <= {entry['goal']:.2f}: {'met' if entry['met'] else 'NOT met'}"
                if "goal" in entry
                else ""
            )
            print(f"  {backend:<10}{key:<34}{entry['ratio']:>8.2f}  {goal}")


# --- report ---------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def print_report(backend: str, r: dict[str, Any]) -> None:
    load = r["load"]
    print()
    print(
        f"== {backend}: {load['jobs']:,} jobs, {load['checklist_results']:,} checklist results, "
        f"{load['job_events']:,} events; load {_fmt(load['ms'])} ms ({load['rows_per_s']:,} rows/s) =="
    )
    header = f"{'measure':<38}{'median':>10}{'min':>10}{'max':>10}{'target':>10}  {'PouchDB':>10}  met"
    print(header)
    print("-" * len(header))
    rows = (
        ("initial_sync", r["initial_sync"]),
        ("incremental_pull_100", r["incremental_pull_100"]),
        ("push_100", r["push_100"]),
        ("office_to_device_p50", r["office_to_device"]["wait_returned"]),
    )
    for key, s in rows:
        target, label, anchor = TARGETS[key]
        ok = "yes" if r["targets"][key]["pass"] else "NO"
        print(
            f"{label:<38}{_fmt(s['median']):>10}{_fmt(s['min']):>10}{_fmt(s['max']):>10}"
            f"{'< ' + _fmt(target):>10}  {anchor:>10}  {ok}"
        )
    lat = r["office_to_device"]
    print(
        f"{'  office -> device wait p90':<38}{_fmt(lat['wait_returned']['p90']):>10}"
        f"{'':>20}{'':>10}  {'':>10}"
    )
    for label, s in (
        ("  office -> device incl. pull (p50)", lat["wait_then_pull"]),
        ("  pull after the wait (p50)", lat["pull_after_wait"]),
        ("  office HTTP request (p50)", lat["office_request"]),
        ("device: record 100 taps locally", r["device_record_100"]),
    ):
        print(f"{label:<38}{_fmt(s['median']):>10}{_fmt(s['min']):>10}{_fmt(s['max']):>10}")
    print()
    print(
        f"{'breakdown of the median run (ms)':<38}{'server':>10}{'transfer':>10}{'parse':>10}{'apply':>10}  size"
    )
    for key, label in (
        ("initial_sync", "initial sync"),
        ("incremental_pull_100", "incremental pull 100"),
        ("push_100", "push 100"),
    ):
        b = r[key]["breakdown_of_median"]
        print(
            f"{'  ' + label:<38}{_fmt(b['server_ms']):>10}{_fmt(b['transfer_ms']):>10}"
            f"{_fmt(b['client_parse_ms']):>10}{_fmt(b['client_apply_ms']):>10}  "
            f"{b['response_bytes'] / 1e6:.2f} MB in {b['requests']} requests, {b['changes']} changes"
        )
    cpu = "  ".join(
        f"{label} {_fmt(r[key]['server_cpu_ms']['median'])}"
        for key, label in (
            ("initial_sync", "initial sync"),
            ("incremental_pull_100", "pull 100"),
            ("push_100", "push 100"),
        )
    )
    print(f"server CPU, median (ms): {cpu}")
    print(f"the device's replica after the first download: {r['initial_sync']['replica_bytes'] / 1e6:.1f} MB")
    print()
    for name, b in r["baseline"].items():
        print(
            f"baseline {name:<29}{b['rows']:>10,} rows {_fmt(b['ms']):>10} ms {b['rows_per_s']:>10,} rows/s"
        )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    plan = Plan(
        jobs=args.jobs or (2000 if quick else 10000),
        initial_reps=2 if quick else 3,
        reps=args.reps or (3 if quick else 5),
        latency_samples=20 if quick else 24,
        tune_gc=args.gc == "levee",
    )
    needed = plan.batch * (2 * plan.reps + 1)  # incremental, push and latency each take their own jobs
    if plan.jobs < needed:
        raise SystemExit(f"--jobs must be at least {needed} for these repetitions")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once
    out: dict[str, Any] = {
        "bench": "sync",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "loop": args.loop_name,
        "gc": args.gc,
        "jobs": plan.jobs,
        "quick": quick,
        "targets_ms": {k: v[0] for k, v in TARGETS.items()},
        "pouchdb_anchor_ms": {k: v[2] for k, v in TARGETS.items()},
        "backends": {},
    }
    peer_tmp = Path(tempfile.mkdtemp(prefix="levee-bench-peer-")) if args.peer != "none" else None
    try:
        peer_docs = peer_tmp / "docs.jsonl" if peer_tmp else None
        for backend in backends:
            out["backends"][backend] = await run_backend(backend, plan, password_hash, peer_docs)
            peer_docs = None  # the first backend's documents are the peer's (they are the same on both)
        if peer_tmp is not None:
            raw = run_peer(
                peer_tmp / "docs.jsonl",
                initial_reps=plan.initial_reps,
                reps=plan.reps,
                batch=plan.batch,
                batch_size=args.peer_batch,
                peer_dir=args.peer_dir,
            )
            out["peer"] = {"name": args.peer, **_peer_summary(raw)}
    finally:
        if peer_tmp is not None:
            shutil.rmtree(peer_tmp, ignore_errors=True)
    out["ratios"] = ratios(out)
    out["all_pass"] = all(t["pass"] for b in out["backends"].values() for t in b["targets"].values())
    out["wall_s"] = round(time.perf_counter() - started, 1)
    out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--jobs", type=int, default=None, help="jobs for the engineer (10,000; --quick 2,000)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and 2,000 jobs")
    parser.add_argument(
        "--reps",
        type=int,
        default=None,
        help="incremental pulls and pushes of 100 to time (5; --quick 3); each takes 100 jobs of its own",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop; auto = uvloop when installed, like `levee serve` (uvicorn's default)",
    )
    parser.add_argument(
        "--gc",
        choices=("levee", "default"),
        default="levee",
        help="the garbage collector's pace: levee = as `levee serve` sets it (server/collector.py; the "
        "bench's device shares the process, so it is tuned too, which `levee app` is not), default = CPython's",
    )
    parser.add_argument(
        "--peer",
        choices=("none", "pouchdb"),
        default="none",
        help="also run the three measures against PouchDB 9 + pouchdb-server 4.2 (needs node and npm)",
    )
    parser.add_argument(
        "--peer-dir",
        type=Path,
        default=None,
        help="keep the peer's npm install here and reuse it next time (default: a temporary folder)",
    )
    parser.add_argument(
        "--peer-batch", type=int, default=500, help="PouchDB replication batch_size (default 500)"
    )
    args = parser.parse_args(argv)
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    args.loop_name = "asyncio"
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
            args.loop_name = "uvloop"
        except ImportError:
            if args.loop == "uvloop":
                raise
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        out = runner.run(main_async(args))
    for backend, result in out["backends"].items():
        print_report(backend, result)
    print_peer(out)
    print()
    machine = out["machine"]
    print(
        f"run took {out['wall_s']} s on {machine['cpus']} CPUs ({out['loop']} loop, {out['gc']} gc); load average "
        f"{machine['loadavg_at_start'][0]} at start, {machine['loadavg_at_end'][0]} at end "
        "(anything else running on the machine skews these figures)"
    )
    print(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
