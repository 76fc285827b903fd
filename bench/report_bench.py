"""Report benchmark: the manager's reports over 200,000 jobs on SQLite and PostgreSQL.

Run ``python -m bench.report_bench [--backend sqlite|postgres|both] [--jobs 200000] [--quick]``.

For each backend it makes a fresh database (a SQLite temp file; on PostgreSQL ``levee_rbench_<random>``,
dropped at the end WITH (FORCE)), migrates it with ``server.db.migrate.upgrade``, bulk-inserts the jobs
with Core ``executemany`` in chunks (two years of calls, 10 engineers, 6 customers, 25 sites, 300 pieces of
equipment, plausible tap times, some open, late and flagged jobs), runs ANALYZE, and then times, as the
median of 5 runs (3 with ``--quick``):

1. the response-time report and the SLA report through the service functions (``ReportService``), over
   all jobs and over one customer's last 90 days;
2. the same two reports through HTTP, with the app in this process (``httpx.ASGITransport``);
3. the breaches page and the quality report through the service, for information;
4. a baseline: a raw ``COUNT``/``AVG`` of the time to acknowledge over the same table with the raw driver
   (``sqlite3`` / ``asyncpg``).

Progress goes to stderr, the table to stdout, and the last stdout line is one JSON object with every
figure (in ms) and pass/fail against the 1 s target. The PostgreSQL admin URL comes from
``LEVEE_BENCH_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.db.models import Customer, Equipment, Job, Site, SlaPolicy, User
from server.reports.filters import ReportFilters
from server.reports.service import ReportService
from server.security import hash_password
from server.settings import Settings
from shared.ids import uuid7
from shared.reports import ReportGroup

PG_ADMIN_URL = os.environ.get("LEVEE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-horse-7"
TARGET_MS = 1000.0
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CHUNK = 5000

CATEGORIES = ("drainage_pump", "pump_truck", "generator_set", "lighting_tower", "sandbag_machine")
MODELS = {
    "drainage_pump": ("QSZ-1500 潜水排涝泵", "ZLB-800 轴流泵"),
    "pump_truck": ("BZ-3000 移动泵车",),
    "generator_set": ("200kW 柴油发电机组", "50kW 汽油发电机组"),
    "lighting_tower": ("SFW6110 照明灯塔",),
    "sandbag_machine": ("ZD-20 装袋机",),
}
SYMPTOMS = ("出水量不足", "无法启动", "异响", "漏油", "过热停机", "电压不稳")
CAUSES = ("机械密封磨损", "叶轮堵塞", "启动电容损坏", "燃油滤清器堵塞", "接线松动", "")
# severity -> (respond, onsite, fix, backup) in minutes
LIMITS = {"general": (30, 240, 1440, 480), "major": (15, 120, 480, 480)}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": ms(statistics.median(samples)),
        "min": ms(min(samples)),
        "max": ms(max(samples)),
        "samples": [ms(s) for s in samples],
    }


# --- data --------------------------------------------------------------------------------------------


@dataclass
class Reference:
    engineers: list[uuid.UUID]
    customers: list[uuid.UUID]
    sites: list[tuple[uuid.UUID, uuid.UUID]]  # (site, customer)
    equipment: dict[uuid.UUID, list[uuid.UUID]]  # site -> equipment


async def load_reference(engine: AsyncEngine) -> Reference:
    pw = hash_password(PASSWORD)
    rng = random.Random(11)
    ref = Reference([], [], [], {})
    async with make_sessionmaker(engine)() as s:
        s.add(User(username="manager", display_name="售后经理", role="manager", password_hash=pw))
        for i in range(10):
            user = User(
                id=uuid7(), username=f"eng{i}", display_name=f"工程师{i}", role="engineer", password_hash=pw
            )
            s.add(user)
            ref.engineers.append(user.id)
        for i in range(6):
            customer = Customer(id=uuid7(), name=f"第{i + 1}水利局")
            s.add(customer)
            ref.customers.append(customer.id)
        await s.flush()
        for i in range(25):
            site = Site(id=uuid7(), customer_id=ref.customers[i % 6], name=f"泵站{i + 1}")
            s.add(site)
            ref.sites.append((site.id, site.customer_id))
            ref.equipment[site.id] = []
        await s.flush()
        for i in range(300):
            site_id = ref.sites[i % 25][0]
            category = CATEGORIES[i % len(CATEGORIES)]
            eq = Equipment(
                id=uuid7(),
                site_id=site_id,
                category=category,
                model=rng.choice(MODELS[category]),
                serial_no=f"SN-{i:04d}",
                delivered_on=date(2024, 3, 1),
                warranty_end=date(2027, 3, 1),
            )
            s.add(eq)
            ref.equipment[site_id].append(eq.id)
        for severity, (respond, onsite, fix, backup) in LIMITS.items():
            s.add(
                SlaPolicy(
                    severity=severity,
                    respond_minutes=respond,
                    onsite_minutes=onsite,
                    fix_minutes=fix,
                    backup_minutes=backup,
                )
            )
        await s.commit()
    return ref


def job_rows(ref: Reference, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` jobs with calls over the two years before NOW; recent ones are more often still open."""
    rng = random.Random(seed)
    span = timedelta(days=730).total_seconds()
    rows: list[dict[str, Any]] = []
    for i in range(n):
        received = NOW - timedelta(seconds=rng.random() * span)
        received = received.replace(microsecond=0)
        site_id, customer_id = rng.choice(ref.sites)
        severity = "major" if rng.random() < 0.2 else "general"
        kind = rng.choices(("repair", "inspection", "installation", "return_visit"), (60, 25, 8, 7))[0]
        respond, onsite, fix, backup = LIMITS[severity]
        age_h = (NOW - received).total_seconds() / 3600
        stamps: dict[str, datetime | None] = dict.fromkeys(("acknowledged_at", "arrived_at", "resolved_at"))
        t = received
        status = "assigned"
        for name, mean, chance in (
            ("acknowledged_at", respond * 0.6, 0.995),
            ("arrived_at", onsite * 0.5, 0.98),
            ("resolved_at", fix * 0.45, 0.97),
        ):
            step = timedelta(minutes=rng.expovariate(1 / mean) + 1)
            if t + step > NOW or rng.random() > chance or (age_h < 48 and rng.random() < 0.3):
                break
            t = t + step
            stamps[name] = t
            status = {"acknowledged_at": "acknowledged", "arrived_at": "arrived", "resolved_at": "resolved"}[
                name
            ]
        resolved = stamps["resolved_at"]
        backup_due = received + timedelta(minutes=backup)
        late_fix = resolved is None or resolved > backup_due
        signed = resolved is not None and rng.random() < 0.85
        if signed:
            status = "closed" if rng.random() < 0.8 else "signed_off"
        rows.append(
            {
                "id": uuid7(),
                "number": f"WO-{received:%Y%m}-{i:07d}",
                "kind": kind,
                "severity": severity,
                "status": status,
                "customer_id": customer_id,
                "site_id": site_id,
                "equipment_id": rng.choice(ref.equipment[site_id]),
                "assigned_engineer_id": rng.choice(ref.engineers),
                "symptom": rng.choice(SYMPTOMS),
                "cause": rng.choice(CAUSES) if resolved else "",
                "backup_lent": late_fix and rng.random() < 0.6,
                "satisfaction": rng.choice((3, 4, 4, 5, 5, 5)) if signed else None,
                "call_received_at": received,
                "acknowledged_at": stamps["acknowledged_at"],
                "arrived_at": stamps["arrived_at"],
                "resolved_at": resolved,
                "signed_off_at": resolved + timedelta(minutes=20) if signed and resolved else None,
                "respond_due_at": received + timedelta(minutes=respond),
                "onsite_due_at": received + timedelta(minutes=onsite),
                "fix_due_at": received + timedelta(minutes=fix),
                "backup_due_at": backup_due,
                "times_flagged": rng.random() < 0.02,
                "version": 1,
                "field_versions": {},
                "created_at": received,
                "updated_at": t,
            }
        )
    return rows


async def load_jobs(engine: AsyncEngine, rows: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    async with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            await conn.execute(insert(Job), rows[i : i + CHUNK])
    elapsed = time.perf_counter() - start
    async with engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")
        await conn.commit()
    return elapsed


# --- databases ---------------------------------------------------------------------------------------


async def _pg_admin(statements: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database(backend: str, workdir: Path) -> AsyncIterator[tuple[str, str]]:
    """(SQLAlchemy URL, raw driver target) of a new empty database, removed afterwards."""
    if backend == "sqlite":
        path = workdir / "reports.db"
        yield f"sqlite+aiosqlite:///{path}", str(path)
        return
    name = f"levee_rbench_{uuid.uuid4().hex[:10]}"
    await _pg_admin([f'CREATE DATABASE "{name}"'])
    base = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    try:
        yield base.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}", f"{base}/{name}"
    finally:
        await _pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


# --- measurements ------------------------------------------------------------------------------------

BASELINE_SQL = {
    "sqlite": "SELECT COUNT(*), AVG((julianday(acknowledged_at) - julianday(call_received_at)) * 1440) "
    "FROM jobs WHERE acknowledged_at IS NOT NULL",
    "postgres": "SELECT COUNT(*), AVG(EXTRACT(EPOCH FROM (acknowledged_at - call_received_at)) / 60) "
    "FROM jobs WHERE acknowledged_at IS NOT NULL",
}


async def repeat(runs: int, fn: Callable[[], Awaitable[Any]]) -> tuple[dict[str, Any], Any]:
    samples: list[float] = []
    result: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        result = await fn()
        samples.append(time.perf_counter() - start)
    return summary(samples), result


async def baseline(backend: str, target: str, runs: int) -> dict[str, Any]:
    sql = BASELINE_SQL[backend]
    if backend == "sqlite":
        conn = sqlite3.connect(target)
        try:

            async def run_sqlite() -> Any:
                return conn.execute(sql).fetchone()

            out, _ = await repeat(runs, run_sqlite)
        finally:
            conn.close()
        return out
    import asyncpg

    pg = await asyncpg.connect(target)
    try:

        async def run_pg() -> Any:
            return await pg.fetchrow(sql)

        out, _ = await repeat(runs, run_pg)
    finally:
        await pg.close()
    return out


async def measure(backend: str, n_jobs: int, runs: int, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"backend": backend, "jobs": n_jobs}
    async with fresh_database(backend, workdir) as (url, target):
        engine = make_engine(url)
        try:
            await upgrade(engine)
            ref = await load_reference(engine)
            rows = job_rows(ref, n_jobs)
            load_s = await load_jobs(engine, rows)
            results["load_ms"] = ms(load_s)
            log(f"[{backend}] loaded {n_jobs} jobs in {load_s:.1f} s")
            del rows
            sessions = make_sessionmaker(engine)
            last_90 = ReportFilters(received_from=NOW - timedelta(days=90), customer_id=ref.customers[0])
            everything = ReportFilters()

            async def service(call: Callable[[ReportService], Awaitable[Any]]) -> Any:
                async with sessions() as session:
                    return await call(ReportService(session))

            cases: dict[str, Callable[[ReportService], Awaitable[Any]]] = {
                "response_times": lambda r: r.response_times(everything),
                "response_times_by_engineer": lambda r: r.response_times(everything, ReportGroup.ENGINEER),
                "response_times_customer_90d": lambda r: r.response_times(last_90),
                "sla": lambda r: r.sla(everything, NOW),
                "sla_customer_90d": lambda r: r.sla(last_90, NOW),
                "breaches_page": lambda r: r.breaches(everything, NOW, 50, 0),
                "quality": lambda r: r.quality(everything),
            }
            for name, call in cases.items():

                def run(call: Callable[[ReportService], Awaitable[Any]] = call) -> Awaitable[Any]:
                    return service(call)

                out, result = await repeat(runs, run)
                results[name] = out
                log(f"[{backend}] {name}: median {out['median']} ms {out['samples']}")
                if name == "response_times":
                    results["response_times_result"] = result.rows[0].model_dump()
            results["http"] = await measure_http(engine, workdir, runs, backend)
            results["baseline_count_avg"] = await baseline(backend, target, runs)
            log(f"[{backend}] raw COUNT/AVG baseline: median {results['baseline_count_avg']['median']} ms")
        finally:
            await engine.dispose()
    return results


async def measure_http(engine: AsyncEngine, workdir: Path, runs: int, backend: str) -> dict[str, Any]:
    settings = Settings(data_dir=workdir, database_url=str(engine.url.render_as_string(hide_password=False)))
    app = create_app(settings, engine=engine, migrate=False)
    for hook in app.on_startup:
        await hook(app)
    out: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://levee.bench", timeout=120
        ) as client:
            r = await client.post(
                "/api/auth/login", json={"username": "manager", "password": PASSWORD, "device_name": "bench"}
            )
            r.raise_for_status()
            headers = {"Authorization": f"Bearer {r.json()['token']}"}
            for name, path, params in (
                ("response_times", "/api/reports/response-times", {}),
                ("sla", "/api/reports/sla", {"now": NOW.isoformat()}),
            ):

                async def get(path: str = path, params: dict[str, str] = params) -> Any:
                    response = await client.get(path, params=params, headers=headers)
                    response.raise_for_status()
                    return response

                out[name], _ = await repeat(runs, get)
                log(f"[{backend}] HTTP {name}: median {out[name]['median']} ms")
    finally:
        for hook in app.on_shutdown:  # also disposes the engine; measure() disposing it again is harmless
            await hook(app)
    return out


# --- report ------------------------------------------------------------------------------------------

ROWS = (
    ("response_times", "response times, all jobs (service)"),
    ("response_times_by_engineer", "response times by engineer (service)"),
    ("response_times_customer_90d", "response times, 1 customer, 90 days (service)"),
    ("sla", "SLA, all jobs (service)"),
    ("sla_customer_90d", "SLA, 1 customer, 90 days (service)"),
    ("http.response_times", "response times over HTTP"),
    ("http.sla", "SLA over HTTP"),
    ("breaches_page", "breaches, first page of 50 (service)"),
    ("quality", "quality report (service)"),
    ("baseline_count_avg", "raw driver COUNT/AVG baseline"),
)
TARGETED = ("response_times", "sla", "http.response_times", "http.sla")


def _get(result: dict[str, Any], key: str) -> dict[str, Any] | None:
    node: Any = result
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def print_table(results: list[dict[str, Any]]) -> None:
    backends = [r["backend"] for r in results]
    head = f"{'measure (median of runs, ms)':<48}" + "".join(f"{b:>12}" for b in backends)
    print(head)
    print("-" * len(head))
    for key, label in ROWS:
        cells = []
        for r in results:
            value = _get(r, key)
            cells.append(f"{value['median']:>12.1f}" if value else f"{'-':>12}")
        print(f"{label:<48}" + "".join(cells))
    print(
        f"{'jobs loaded (Core executemany), s':<48}"
        + "".join(f"{r['load_ms'] / 1000:>12.1f}" for r in results)
    )


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--jobs", type=int, default=None, help="jobs to load (default 200000, 20000 quick)")
    parser.add_argument("--quick", action="store_true", help="20,000 jobs and 3 runs")
    args = parser.parse_args()
    n_jobs = args.jobs or (20_000 if args.quick else 200_000)
    runs = 3 if args.quick else 5
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="levee-rbench-") as tmp:
        for backend in backends:
            results.append(asyncio.run(measure(backend, n_jobs, runs, Path(tmp))))
    print_table(results)
    # the same figures on both databases (the bench data has microsecond times)
    same = len({json.dumps(r["response_times_result"], sort_keys=True) for r in results}) == 1
    if len(results) > 1:
        print(f"{'response-time figures identical on both':<48}{'yes' if same else 'NO':>24}")
    passed = {
        r["backend"]: {key: (v := _get(r, key)) is not None and v["median"] < TARGET_MS for key in TARGETED}
        for r in results
    }
    print(
        json.dumps(
            {
                "bench": "report_bench",
                "jobs": n_jobs,
                "runs": runs,
                "target_ms": TARGET_MS,
                "python": platform.python_version(),
                "machine": f"{platform.machine()} {os.cpu_count()} cpu",
                "load_average": {"start": load_before, "end": os.getloadavg()},
                "same_results_across_backends": same,
                "results": results,
                "pass": passed,
                "all_pass": all(all(v.values()) for v in passed.values()),
            },
            ensure_ascii=False,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
