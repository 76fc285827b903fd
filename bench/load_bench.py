"""Load benchmark: hundreds of devices syncing at once against real server processes over loopback.

Run ``python -m bench.load_bench [--devices 500] [--rounds 3] [--mutations 3] [--quick]``.

Every device is an engineer signed in on its own tablet with a handful of jobs. Each round it pulls
(the first time a full download, then the change log), makes a few mutations on its jobs (a timeline
tap, an edit of the notes, a checklist answer) and pushes them. All devices run at once as tasks of one
asyncio loop over real HTTP on 127.0.0.1 (aiohttp), against:

a. two ``levee serve`` processes on one PostgreSQL database, devices split between them round-robin
   like a load balancer would;
b. one ``levee serve`` process on SQLite;
c. a trivial Litestar app (a POST that echoes a small JSON) served by uvicorn, sent the same number and
   kinds of requests: the framework's ceiling on this machine.

Data: ``levee seed --demo`` (customers, sites, equipment, checklist templates, parts, office users), then
the devices' engineers, their signed-in devices (tokens made here, so no sign-in is timed) and their jobs
by Core inserts, with change-log rows as the server would write them.

The flood profile (``--flood``): 1,500 then 3,000 devices arriving within 10 s, two rounds each. The
server turns away what it cannot take at once (503 with ``Retry-After``); the bench's devices wait as
told, with the tablet's jitter, and send again, as the field app does. It reports per target the devices
that finished, the time until every device had synced, the 503s, any other 5xx (must be 0), and p50/p99 of
the requests that were served.

The cost profile (``--cost``): the same devices send their requests one at a time, a phase at a time,
to one server process with no background scans, and the server's CPU time is read around each phase:
what a request of each kind costs, without what overload adds (issue 15, docs/performance.md).

Everything sent goes to 127.0.0.1 only; the run is bounded by ``--deadline`` seconds per target. The
table goes to stdout with the last line one JSON object; progress to stderr. Any error (an HTTP status
other than 200, a rejected mutation, a timeout) is counted and printed with its status and body. The
load generator shares the machine's cores with the servers (and PostgreSQL); the CPU seconds each
process used are reported beside the throughput. The PostgreSQL admin URL comes from ``LEVEE_BENCH_PG``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import msgspec
from sqlalchemy import insert, select

from server.changes import Change, log_changes
from server.db.engine import make_engine, make_sessionmaker
from server.db.models import Device, Equipment, Job, JobAssignment, Site, User
from server.security import token_hash
from shared.ids import uuid7
from sync.protocol import CLIENT_KEEP_ALIVE_S, RETRY_JITTER

ROOT = Path(__file__).resolve().parents[1]
#: The servers end with the bench (shared.lifetime), and make no field-app web build: a build is a
#: minute of CPU at start-up that would overlap the flood's first requests, and the bench measures sync.
ENV = {
    **os.environ,
    "PYTHONUTF8": "1",
    "LEVEE_PARENT_PID": str(os.getpid()),
    "LEVEE_PWA_BUILD": "off",
}
PG_ADMIN_URL = os.environ.get("LEVEE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
HOST = "127.0.0.1"
TAPS = ("acknowledged", "departed", "arrived", "started")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tcp_counters() -> dict[str, int]:
    """The kernel's TCP counters (machine-wide, Linux): connections opened, and connection attempts a
    listening socket dropped because its accept queue was full (each costs the device a retransmitted
    SYN 1 s, 3 s, 7 s later: time the server's own clock never sees)."""
    wanted = {
        "ActiveOpens": "connections_opened",
        "ListenOverflows": "listen_overflows",
        "ListenDrops": "listen_drops",
    }
    out: dict[str, int] = {}
    for name in ("/proc/net/snmp", "/proc/net/netstat"):
        with contextlib.suppress(OSError):
            lines = Path(name).read_text().splitlines()
            for head, values in zip(lines[::2], lines[1::2], strict=False):
                for key, value in zip(head.split()[1:], values.split()[1:], strict=False):
                    if key in wanted:
                        out[wanted[key]] = int(value)
    return out


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def start(name: str, args: list[str], log_file: Path) -> Proc:
    port = free_port()
    with log_file.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, *[a.replace("{port}", str(port)) for a in args]],
            cwd=ROOT,
            env=ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Proc(name, popen, url)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or popen.poll() is not None:
            popen.kill()
            raise SystemExit(f"{name} did not start; see {log_file}")
        time.sleep(0.1)


def levee_server(db_url: str, data_dir: Path, log_file: Path) -> Proc:
    args = ["-m", "server.cli", "serve", "--host", HOST, "--port", "{port}", "--database-url", db_url]
    return start("levee serve", [*args, "--data-dir", str(data_dir)], log_file)


def echo_server(log_file: Path) -> Proc:
    args = ["-m", "uvicorn", "--factory", "bench.load_bench:echo_app", "--host", HOST, "--port", "{port}"]
    # the same keep-alive as ``levee serve`` (LEVEE_KEEP_ALIVE_S), or idle connections race their close
    return start("echo (uvicorn)", [*args, "--log-level", "info", "--timeout-keep-alive", "65"], log_file)


def echo_app() -> Any:
    """The framework's ceiling: Litestar echoing a small JSON, nothing else (served with ``--factory``)."""
    from litestar import Litestar, get, post

    @post("/echo", status_code=200)
    async def echo(data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "n": len(data)}

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar([echo, health])


# --- data ----------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    tokens: list[str]
    jobs: int
    seconds: float


async def add_devices(db_url: str, devices: int, jobs_per_device: int) -> Seeded:
    """Engineers with one signed-in device each and their jobs, with the change-log rows the server writes."""
    started = time.perf_counter()
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    engine = make_engine(db_url, pool=False)
    try:
        async with make_sessionmaker(engine)() as session:
            equipment = (await session.execute(select(Equipment.id, Equipment.site_id))).all()
            sites = {
                row.id: row.customer_id for row in (await session.execute(select(Site.id, Site.customer_id)))
            }
            equipment = [e for e in equipment if e.site_id in sites]
            users, device_rows, jobs, assignments, changes, tokens = [], [], [], [], [], []
            for i in range(devices):
                engineer = uuid7()
                token = f"load-{i}-{secrets.token_urlsafe(16)}"
                tokens.append(token)
                users.append(
                    {
                        "id": engineer,
                        "username": f"load{i:04d}",
                        "display_name": f"负载工程师{i}",
                        "role": "engineer",
                        "phone": "",
                        "password_hash": "!",  # never signs in: its device token is made here
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                device_rows.append(
                    {
                        "id": uuid7(),
                        "user_id": engineer,
                        "name": f"load tablet {i}",
                        "token_hash": token_hash(token),
                        "created_at": now,
                        "expires_at": now + timedelta(days=30),
                    }
                )
                for k in range(jobs_per_device):
                    job_id, (equipment_id, site_id) = uuid7(), rng.choice(equipment)
                    received = now - timedelta(minutes=30 + k)
                    jobs.append(
                        {
                            "id": job_id,
                            "number": f"LD-{i:04d}-{k:02d}",
                            "kind": "repair",
                            "severity": "general",
                            "status": "assigned",
                            "customer_id": sites[site_id],
                            "site_id": site_id,
                            "equipment_id": equipment_id,
                            "assigned_engineer_id": engineer,
                            "caller_name": "王主任",
                            "caller_phone": "0794-8221234",
                            "symptom": f"排涝泵出水量不足（负载测试 {i}-{k}）",
                            "call_received_at": received,
                            "respond_due_at": received + timedelta(minutes=30),
                            "onsite_due_at": received + timedelta(hours=4),
                            "fix_due_at": received + timedelta(hours=24),
                            "backup_due_at": received + timedelta(hours=8),
                            "version": 1,
                            "field_versions": {},
                            "created_at": received,
                            "updated_at": received,
                        }
                    )
                    assignments.append(
                        {"id": uuid7(), "job_id": job_id, "engineer_id": engineer, "assigned_at": received}
                    )
                    changes.append(Change("job", job_id, "put", engineer))
            for model, rows in (
                (User, users),
                (Device, device_rows),
                (Job, jobs),
                (JobAssignment, assignments),
            ):
                for chunk in range(0, len(rows), 2000):
                    await session.execute(insert(model.__table__), rows[chunk : chunk + 2000])
            await log_changes(session, changes)
            await session.commit()
    finally:
        await engine.dispose()
    return Seeded(tokens, len(jobs), time.perf_counter() - started)


def seed_demo(db_url: str, data_dir: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "seed",
            "--demo",
            "--database-url",
            db_url,
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise SystemExit(f"levee seed --demo failed: {done.stderr[-2000:]}")


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    import asyncpg

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    name = f"levee_load_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the devices ------------------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # The same requests as the server timed them (its Server-Timing header): the client's figure minus
    # the network and the load generator's own delay in noticing the answer.
    server_latencies: dict[str, list[float]] = field(default_factory=dict)
    loop_lag: list[float] = field(default_factory=list)  # the load generator's event-loop delay
    mutations: int = 0
    errors: list[str] = field(default_factory=list)
    busy: int = 0  # 503 answers (the server turning a request away with Retry-After): not errors
    server_errors: int = 0  # 5xx answers other than 503
    synced: list[float] = field(default_factory=list)  # seconds from the start until each device finished

    def note(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def note_server(self, kind: str, seconds: float) -> None:
        self.server_latencies.setdefault(kind, []).append(seconds)

    def error(self, text: str) -> None:
        self.errors.append(text[:500])


@dataclass
class DeviceState:
    token: str
    cursor: str | None = None
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)  # equipment id -> category
    items: dict[tuple[str, str], str] = field(default_factory=dict)  # (category, kind) -> a check item
    seq: int = 0


def server_seconds(timing: str) -> float:
    """Sum of the durations in a Server-Timing header (``wait;dur=1.0, app;dur=12.5``), in seconds."""
    total = 0.0
    for metric in timing.split(","):
        for part in metric.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "dur":
                total += float(value)
    return total / 1000


async def watch_loop(stats: Stats, every: float = 0.05) -> None:
    """Record how late the load generator's own event loop wakes up: a late wake-up is latency the
    devices' figures include but the server did not cause (the generator shares the machine's CPUs)."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(every)
        stats.loop_lag.append(time.perf_counter() - before - every)


async def request(
    client: aiohttp.ClientSession, stats: Stats, kind: str, url: str, body: dict[str, Any], token: str
) -> dict[str, Any] | None:
    """POST as a tablet does: a 503 is waited out as its Retry-After says (with the device's jitter)
    and sent again; latency is recorded for the answers that were served (until the whole body is in)."""
    payload = msgspec.json.encode(body)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while True:
        started = time.perf_counter()
        try:
            async with client.post(url, data=payload, headers=headers) as r:
                raw = await r.read()
                status, answer_headers = r.status, r.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            stats.error(f"{kind} {url}: {type(exc).__name__} {exc}")
            return None
        if status != 503:
            break
        stats.busy += 1
        await asyncio.sleep(float(answer_headers.get("retry-after", "1")) * random.uniform(1.0, RETRY_JITTER))
    stats.note(kind, time.perf_counter() - started)
    if timing := answer_headers.get("server-timing"):  # the server's own view: wait for a place + work
        stats.note_server(kind, server_seconds(timing))
    if status != 200:
        if status >= 500:
            stats.server_errors += 1
        stats.error(f"{kind} {url}: HTTP {status} {raw.decode(errors='replace')}")
        return None
    return dict(msgspec.json.decode(raw))


def _mutations(device: DeviceState, round_no: int, per_round: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    job_ids = sorted(device.jobs)
    out: list[dict[str, Any]] = []
    for m in range(per_round):
        job = device.jobs[job_ids[(round_no * per_round + m) % len(job_ids)]]
        device.seq += 1
        what = m % 3
        if what == 0 and round_no < len(TAPS):
            name = "job.event"
            args: dict[str, Any] = {
                "job_id": job["id"],
                "event_id": str(uuid7()),
                "type": TAPS[round_no],
                "at": now,
            }
        elif (
            what == 2
            and (category := device.categories.get(job.get("equipment_id") or ""))
            and (code := device.items.get((category, job["kind"])))
        ):
            name = "checklist.answer"
            args = {
                "job_id": job["id"],
                "result_id": str(uuid7()),
                "item_code": code,
                "result": "ok",
                "answered_at": now,
            }
        else:
            name = "job.edit"
            args = {
                "job_id": job["id"],
                "base_version": job["version"],
                "fields": {"notes": f"第{round_no + 1}轮 备注 {device.seq}"},
            }
        out.append(
            {"id": str(uuid7()), "client_seq": device.seq, "name": name, "args": args, "created_at": now}
        )
    return out


async def pull_to_end(client: aiohttp.ClientSession, base: str, device: DeviceState, stats: Stats) -> bool:
    """Pull pages until the log's end, keeping what the device's next pushes need; False on an error."""
    while True:
        kind = "pull (first download)" if device.cursor is None or device.cursor.count(":") == 2 else "pull"
        page = await request(
            client,
            stats,
            kind,
            f"{base}/api/sync/pull",
            {"cursor": device.cursor, "limit": 500},
            device.token,
        )
        if page is None:
            return False
        if page["resync_required"]:
            stats.error(f"unexpected resync: {page['reason']}")
            return False
        for change in page["changes"]:
            data = change["data"]
            if change["entity"] == "job" and data is not None:
                device.jobs[change["id"]] = data
            elif change["entity"] == "equipment" and data is not None:
                device.categories[change["id"]] = data["category"]
            elif change["entity"] == "checklist_template" and data is not None:
                checks = [i["code"] for i in data["items"] if i["kind"] == "check"]
                if checks:
                    device.items[(data["category"], data["job_kind"])] = checks[0]
        device.cursor = page["cursor"]
        if not page["has_more"]:
            return True


async def push_round(
    client: aiohttp.ClientSession, base: str, device: DeviceState, stats: Stats, round_no: int, per_round: int
) -> bool:
    """One push of ``per_round`` mutations; False when it did not go through."""
    if not device.jobs:
        stats.error("a device pulled no jobs")
        return False
    body = {
        "device_time": datetime.now(UTC).isoformat(),
        "mutations": _mutations(device, round_no, per_round),
    }
    pushed = await request(client, stats, "push", f"{base}/api/sync/push", body, device.token)
    if pushed is None:
        return False
    for result in pushed["results"]:
        if result["outcome"] == "rejected":
            stats.error(f"rejected mutation: {result['reason']} {result['message']}")
        else:
            stats.mutations += 1
    return True


async def run_device(
    client: aiohttp.ClientSession, base: str, device: DeviceState, stats: Stats, rounds: int, per_round: int
) -> bool:
    """One tablet's rounds; True when every request went through."""
    for round_no in range(rounds):
        if not await pull_to_end(client, base, device, stats):
            return False
        if not await push_round(client, base, device, stats, round_no, per_round):
            return False
    return True


async def measure_cost(
    target: str, server: Proc, tokens: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """The server's CPU per request of each kind, with no concurrency: the devices' requests are sent one
    at a time, a phase at a time (every device's pull, then every device's push, each round; then a pull
    bringing back the last push and one finding nothing new), and the
    server process's CPU time is read around each phase. Nothing is turned away or queued, so the figure
    is the work a request costs, not what overload adds; the load generator's own CPU is not in it."""
    stats = Stats()
    devices = [DeviceState(token) for token in tokens]
    phases: dict[str, list[float]] = {}  # kind -> [server CPU seconds, requests]
    pid = server.popen.pid
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=CLIENT_KEEP_ALIVE_S),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as client:

        async def phase(name: str, step: Any) -> None:
            served = sum(len(v) for v in stats.latencies.values())
            before = cpu_seconds(pid)
            for device in devices:
                if not await step(device):
                    raise SystemExit(f"{target}: {name} failed: {stats.errors[-1:]}")
            spent = cpu_seconds(pid) - before
            totals = phases.setdefault(name, [0.0, 0])
            totals[0] += spent
            totals[1] += sum(len(v) for v in stats.latencies.values()) - served

        for round_no in range(args.rounds):
            pull_kind = "pull (first download)" if round_no == 0 else "pull (after a push)"
            await phase(pull_kind, lambda d: pull_to_end(client, server.url, d, stats))
            await phase(
                "push", lambda d, r=round_no: push_round(client, server.url, d, stats, r, args.mutations)
            )
        await phase("pull (after a push)", lambda d: pull_to_end(client, server.url, d, stats))
        await phase("pull (nothing new)", lambda d: pull_to_end(client, server.url, d, stats))
    cost = {
        kind: {"requests": int(n), "server_cpu_ms_per_request": round(1000 * cpu / n, 2)}
        for kind, (cpu, n) in phases.items()
    }
    cpu = sum(c for c, _ in phases.values())
    n = sum(int(k) for _, k in phases.values())
    return {
        "target": target,
        "devices": len(devices),
        "requests": n,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_request": round(1000 * cpu / n, 2),
        "by_kind": cost,
        "errors": len(stats.errors),
        "error_samples": stats.errors[:20],
    }


async def run_echo_device(
    client: aiohttp.ClientSession, base: str, device: DeviceState, stats: Stats, rounds: int, per_round: int
) -> bool:
    """The same requests in number and kind, to an endpoint that does nothing but echo."""
    for round_no in range(rounds):
        pages = 2 if round_no == 0 else 1  # a first download is a page of jobs and the catch-up page
        for _ in range(pages):
            kind = "pull (first download)" if round_no == 0 else "pull"
            if (
                await request(client, stats, kind, f"{base}/echo", {"cursor": device.cursor}, device.token)
                is None
            ):
                return False
        device.jobs = {"j": {"id": str(uuid.uuid4()), "version": 1, "kind": "repair"}}
        body = {
            "device_time": datetime.now(UTC).isoformat(),
            "mutations": _mutations(device, round_no, per_round),
        }
        if await request(client, stats, "push", f"{base}/echo", body, device.token) is None:
            return False
        stats.mutations += per_round
    return True


# --- one target ------------------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def drive(
    target: str,
    servers: list[Proc],
    tokens: list[str],
    args: argparse.Namespace,
    *,
    echo: bool = False,
) -> dict[str, Any]:
    stats = Stats()
    devices = [DeviceState(token) for token in tokens]
    async with contextlib.AsyncExitStack() as stack:
        # One client (one keep-alive connection) per device, as on real tablets; made before the clock
        # starts. aiohttp rather than httpx: the generator shares the machine's cores with the servers,
        # and every millisecond it spends per request is taken from them and added to the latencies it
        # measures (httpx cost about 2 ms of CPU a request here). The client closes an idle connection
        # before the server's keep-alive (sync.protocol) would, so a reused connection is never one being closed,
        # and keeps it through the longest Retry-After wait, as the tablet's client does.
        clients = [
            await stack.enter_async_context(
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=CLIENT_KEEP_ALIVE_S),
                    timeout=aiohttp.ClientTimeout(total=60),
                )
            )
            for _ in devices
        ]
        runner = run_echo_device if echo else run_device
        cpu_before = {p.popen.pid: cpu_seconds(p.popen.pid) for p in servers}
        tcp_before = tcp_counters()
        own_before = time.process_time()
        started = time.perf_counter()
        arrivals = random.Random(5)

        async def device_task(i: int, device: DeviceState) -> None:
            # Flood: the devices arrive spread over ``--arrival`` seconds (0: all at once).
            await asyncio.sleep(arrivals.uniform(0, args.arrival))
            url = servers[i % len(servers)].url
            if await runner(clients[i], url, device, stats, args.rounds, args.mutations):
                stats.synced.append(time.perf_counter() - started)

        watcher = asyncio.create_task(watch_loop(stats))
        tasks = [asyncio.create_task(device_task(i, d)) for i, d in enumerate(devices)]
        done, pending = await asyncio.wait(tasks, timeout=args.deadline)
        watcher.cancel()
        for task in pending:
            task.cancel()
        if pending:
            stats.error(f"{len(pending)} devices had not finished after {args.deadline} s")
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                stats.error(f"device crashed: {task.exception()!r}")
        wall = time.perf_counter() - started
        own_cpu = time.process_time() - own_before
        server_cpu = {p.popen.pid: cpu_seconds(p.popen.pid) - cpu_before[p.popen.pid] for p in servers}
        tcp = {k: v - tcp_before.get(k, 0) for k, v in tcp_counters().items()}
    requests = sum(len(v) for v in stats.latencies.values())
    served = [x for samples in stats.latencies.values() for x in samples]
    timed = [x for samples in stats.server_latencies.values() for x in samples]
    by_kind = {
        kind: {
            "n": len(samples),
            "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
            "p99_ms": round(percentile(samples, 0.99) * 1000, 1),
            "max_ms": round(max(samples) * 1000, 1),
            **(
                {"server_p99_ms": round(percentile(timing, 0.99) * 1000, 1)}
                if (timing := stats.server_latencies.get(kind))
                else {}
            ),
        }
        for kind, samples in sorted(stats.latencies.items())
    }
    return {
        "target": target,
        "processes": len(servers),
        "devices": len(devices),
        "wall_s": round(wall, 2),
        "requests": requests,
        "requests_per_s": round(requests / wall, 1),
        "mutations": stats.mutations,
        "mutations_per_s": round(stats.mutations / wall, 1),
        "by_kind": by_kind,
        "errors": len(stats.errors),
        "error_samples": stats.errors[:20],
        "synced_devices": len(stats.synced),
        "all_synced_s": round(max(stats.synced), 1) if len(stats.synced) == len(devices) else None,
        "busy_503": stats.busy,
        "server_errors_5xx": stats.server_errors,
        "served_p50_ms": round(percentile(served, 0.5) * 1000, 1) if served else None,
        "served_p99_ms": round(percentile(served, 0.99) * 1000, 1) if served else None,
        # The server's own timing of the same answers (wait for a place + work, Server-Timing), and
        # how late the load generator's event loop woke up: the gap between the two views.
        "server_timed_p50_ms": round(percentile(timed, 0.5) * 1000, 1) if timed else None,
        "server_timed_p99_ms": round(percentile(timed, 0.99) * 1000, 1) if timed else None,
        "generator_lag_p99_ms": round(percentile(stats.loop_lag, 0.99) * 1000, 1) if stats.loop_lag else None,
        "generator_lag_max_ms": round(max(stats.loop_lag) * 1000, 1) if stats.loop_lag else None,
        "cpu_s": {"servers": [round(v, 1) for v in server_cpu.values()], "load_generator": round(own_cpu, 1)},
        # machine-wide during the run: connections opened (the devices hold one each, so more than the
        # device count is reconnecting) and connection attempts dropped at a full accept queue
        "tcp": tcp,
    }


# --- report ----------------------------------------------------------------------------------------------


def print_cost(out: dict[str, Any]) -> None:
    print()
    print(
        f"== the server's CPU per request (--cost): {out['devices']} devices one at a time, {out['rounds']} "
        f"rounds of (pull, push of {out['mutations']}), a pull, then a pull with nothing new =="
    )
    header = f"{'target':<34}{'request':<24}{'requests':>10}{'server CPU ms/request':>24}"
    print(header)
    print("-" * len(header))
    for r in out["targets"]:
        for kind, c in r["by_kind"].items():
            print(f"{r['target']:<34}{kind:<24}{c['requests']:>10,}{c['server_cpu_ms_per_request']:>24.2f}")
        print(f"{r['target']:<34}{'all':<24}{r['requests']:>10,}{r['server_cpu_ms_per_request']:>24.2f}")


def print_report(out: dict[str, Any]) -> None:
    print()
    print(
        f"== load: {out['devices']} devices x {out['rounds']} rounds (pull, {out['mutations']} mutations, push); "
        f"{out['jobs_per_device']} jobs each; {out['machine']['cpus']} CPUs shared by servers, database "
        "and load generator =="
    )
    header = (
        f"{'target':<34}{'req/s':>8}{'mut/s':>8}{'requests':>10}{'errors':>8}{'wall s':>8}"
        f"   {'CPU s: servers / load gen':<26}"
    )
    print(header)
    print("-" * len(header))
    for r in out["targets"]:
        cpu = r["cpu_s"]
        servers = " + ".join(f"{c:.1f}" for c in cpu["servers"])
        print(
            f"{r['target']:<34}{r['requests_per_s']:>8,.0f}{r['mutations_per_s']:>8,.0f}{r['requests']:>10,}"
            f"{r['errors']:>8}{r['wall_s']:>8.1f}   {servers} / {cpu['load_generator']:.1f}"
        )
    print()
    header = (
        f"{'overload':<34}{'synced':>12}{'all synced s':>14}{'503s':>8}{'other 5xx':>10}"
        f"{'served p50 ms':>15}{'p99 ms':>9}{'server p99':>12}{'gen lag p99':>13}{'conns':>8}{'dropped':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in out["targets"]:
        done = r["all_synced_s"]
        print(
            f"{r['target']:<34}{r['synced_devices']:>6,} / {r['devices']:<5,}"
            f"{(f'{done:.1f}' if done is not None else 'not all'):>14}{r['busy_503']:>8,}"
            f"{r['server_errors_5xx']:>10,}{r['served_p50_ms'] or 0:>15,.1f}{r['served_p99_ms'] or 0:>9,.1f}"
            f"{r['server_timed_p99_ms'] or 0:>12,.1f}{r['generator_lag_p99_ms'] or 0:>13,.1f}"
            f"{r['tcp'].get('connections_opened', 0):>8,}{r['tcp'].get('listen_drops', 0):>9,}"
        )
    print()
    header = f"{'latency (ms)':<34}{'request':<24}{'n':>7}{'p50':>9}{'p99':>9}{'max':>9}{'server p99':>12}"
    print(header)
    print("-" * len(header))
    for r in out["targets"]:
        for kind, s in r["by_kind"].items():
            print(
                f"{r['target']:<34}{kind:<24}{s['n']:>7,}{s['p50_ms']:>9,.1f}{s['p99_ms']:>9,.1f}{s['max_ms']:>9,.1f}"
                f"{s.get('server_p99_ms', 0):>12,.1f}"
            )
    for r in out["targets"]:
        for sample in r["error_samples"]:
            print(f"ERROR {r['target']}: {sample}")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="levee-load-"))
    logs = workdir / "logs"
    logs.mkdir()
    out: dict[str, Any] = {
        "bench": "load",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "loop": args.loop_name,
        "devices": args.devices,
        "rounds": args.rounds,
        "mutations": args.mutations,
        "jobs_per_device": args.jobs,
        "targets": [],
    }
    try:
        if "postgres" in args.targets:
            async with postgres_database() as db_url:
                log("postgres: seeding ...")
                seed_demo(db_url, workdir / "pg")
                seeded = await add_devices(db_url, args.devices, args.jobs)
                log(
                    f"  {args.devices} devices, {seeded.jobs} jobs in {seeded.seconds:.1f} s; starting 2 servers ..."
                )
                servers = [levee_server(db_url, workdir / "pg", logs / f"pg-{i}.log") for i in range(2)]
                try:
                    log("  load ...")
                    out["targets"].append(
                        await measure_cost("1 x levee serve, PostgreSQL", servers[0], seeded.tokens, args)
                        if args.cost
                        else await drive("2 x levee serve, PostgreSQL", servers, seeded.tokens, args)
                    )
                finally:
                    for s in servers:
                        s.stop()
        if "sqlite" in args.targets:
            data_dir = workdir / "sqlite"
            db_url = f"sqlite+aiosqlite:///{data_dir / 'levee.db'}"
            log("sqlite: seeding ...")
            seed_demo(db_url, data_dir)
            seeded = await add_devices(db_url, args.devices, args.jobs)
            log(
                f"  {args.devices} devices, {seeded.jobs} jobs in {seeded.seconds:.1f} s; starting the server ..."
            )
            server = levee_server(db_url, data_dir, logs / "sqlite.log")
            try:
                log("  load ...")
                out["targets"].append(
                    await measure_cost("1 x levee serve, SQLite", server, seeded.tokens, args)
                    if args.cost
                    else await drive("1 x levee serve, SQLite", [server], seeded.tokens, args)
                )
            finally:
                server.stop()
        if "echo" in args.targets:
            log("echo: starting uvicorn ...")
            server = echo_server(logs / "echo.log")
            try:
                tokens = [f"echo-{i}" for i in range(args.devices)]
                out["targets"].append(
                    await drive("1 x Litestar echo (ceiling)", [server], tokens, args, echo=True)
                )
            finally:
                server.stop()
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    out["errors"] = sum(t["errors"] for t in out["targets"])
    out["wall_s"] = round(time.perf_counter() - started, 1)
    out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="pull-mutate-push rounds per device")
    parser.add_argument("--mutations", type=int, default=3, help="mutations per push")
    parser.add_argument("--jobs", type=int, default=5, help="jobs per device")
    parser.add_argument("--deadline", type=float, default=90.0, help="seconds per target before giving up")
    parser.add_argument(
        "--targets", default="postgres,sqlite,echo", help="comma-separated: postgres, sqlite, echo"
    )
    parser.add_argument("--quick", action="store_true", help="100 devices, 2 rounds")
    parser.add_argument(
        "--arrival", type=float, default=0.0, help="devices arrive spread over this many seconds (0: at once)"
    )
    parser.add_argument(
        "--flood",
        action="store_true",
        help="the flood profile: 1,500 then 3,000 devices (--flood-sizes) arriving within 10 s, 2 rounds, "
        "a 15-minute deadline; answers 503 are waited out as Retry-After says and counted apart",
    )
    parser.add_argument("--flood-sizes", default="1500,3000")
    parser.add_argument(
        "--cost",
        action="store_true",
        help="the server's CPU per request of each kind: requests one at a time, no concurrency (issue 15)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (server logs)")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args(argv)
    args.targets = set(args.targets.split(","))
    if args.quick:
        args.devices, args.rounds = 100, 2
    loop_factory = None
    args.loop_name = "asyncio"
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop

            loop_factory, args.loop_name = uvloop.new_event_loop, "uvloop"
        except ImportError:
            if args.loop == "uvloop":
                raise
    if args.cost:  # the requests' own cost: no escalation scans or inspection runs in the figures
        ENV.update(LEVEE_ESCALATION_INTERVAL_S="0", LEVEE_SCHEDULE_INTERVAL_S="0")
    if args.flood:
        args.rounds, args.arrival, args.deadline = 2, 10.0, max(args.deadline, 900.0)
    sizes = [int(n) for n in args.flood_sizes.split(",")] if args.flood else [args.devices]
    runs = []
    for size in sizes:
        args.devices = size
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            out = runner.run(main_async(args))
        out["arrival_s"] = args.arrival
        if args.cost:
            print_cost(out)
        else:
            print_report(out)
        print()
        machine = out["machine"]
        print(
            f"run took {out['wall_s']} s on {machine['cpus']} CPUs ({out['loop']} load generator); load "
            f"average {machine['loadavg_at_start'][0]} at start, {machine['loadavg_at_end'][0]} at end"
        )
        runs.append(out)
    final = runs[0] if len(runs) == 1 else {"bench": "load-flood", "runs": runs}
    print(json.dumps(final, ensure_ascii=False, separators=(",", ":")))
    return 1 if any(r["errors"] for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
