"""Field app: how fast the job list's data is ready with 5,000 jobs on the device, and how fast search is.

Builds a replica with 5,000 jobs (and their customers, sites and equipment), then measures the Python
side of the job list screen: the rows grouped into overdue / today / upcoming / done with their SLA
clocks (``JobQueries.job_rows`` + ``group_rows``), and a search over them. Median of several runs.
The last line is one JSON object.

    .venv/bin/python -m bench.app_bench [--jobs 5000] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from mobile.app.queries import JobQueries
from mobile.replica.store import Replica
from ui.logic.grouping import Group, JobFilter, group_rows

STATUSES = ["assigned", "acknowledged", "departed", "arrived", "started", "resolved", "signed_off", "closed"]


def build(replica: Replica, jobs: int, now: datetime) -> None:
    rng = random.Random(7)
    customers = [str(uuid.uuid4()) for _ in range(40)]
    sites = [(str(uuid.uuid4()), rng.choice(customers)) for _ in range(200)]
    equipment = [(str(uuid.uuid4()), rng.choice(sites)[0]) for _ in range(800)]
    with replica.engine.begin() as conn:
        for i, cid in enumerate(customers):
            conn.execute(
                text("INSERT INTO reference (entity, id, data) VALUES ('customer', :id, :d)"),
                {"id": cid, "d": json.dumps({"id": cid, "name": f"第{i}号县水利局"}, ensure_ascii=False)},
            )
        for i, (sid, cid) in enumerate(sites):
            conn.execute(
                text("INSERT INTO reference (entity, id, data) VALUES ('site', :id, :d)"),
                {
                    "id": sid,
                    "d": json.dumps(
                        {"id": sid, "customer_id": cid, "name": f"排涝泵站{i}"}, ensure_ascii=False
                    ),
                },
            )
        for i, (eid, sid) in enumerate(equipment):
            data = {
                "id": eid,
                "site_id": sid,
                "category": "drainage_pump",
                "model": "QSZ-1500 潜水排涝泵",
                "serial_no": f"DP-{i:05d}",
            }
            conn.execute(
                text("INSERT INTO reference (entity, id, data) VALUES ('equipment', :id, :d)"),
                {"id": eid, "d": json.dumps(data, ensure_ascii=False)},
            )
        rows = []
        for i in range(jobs):
            eid, sid = rng.choice(equipment)
            cid = next(c for s, c in sites if s == sid)
            called = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            status = rng.choice(STATUSES)
            doc = {
                "id": str(uuid.uuid4()),
                "number": f"WO-2026-{i:05d}",
                "status": status,
                "kind": rng.choice(["repair", "inspection"]),
                "severity": rng.choice(["general", "major"]),
                "customer_id": cid,
                "site_id": sid,
                "equipment_id": eid,
                "symptom": rng.choice(["出水量不足", "机械密封漏水", "电机过热", "启动困难"]),
                "caller_name": "王主任",
                "call_received_at": called.isoformat(),
                "acknowledged_at": (called + timedelta(minutes=10)).isoformat()
                if status != "assigned"
                else None,
                "respond_due_at": (called + timedelta(minutes=30)).isoformat(),
                "onsite_due_at": (called + timedelta(hours=4)).isoformat(),
                "fix_due_at": (called + timedelta(hours=24)).isoformat(),
                "events": [{"id": str(uuid.uuid4()), "type": "acknowledged"}] * 3,
                "checklist": [{"item_code": f"c{k}", "result": "ok", "note": "正常"} for k in range(8)],
                "parts": [],
                "photos": [],
            }
            body = json.dumps(doc, ensure_ascii=False)
            rows.append(
                {"id": doc["id"], "d": body, "s": status, "n": doc["number"], "c": doc["call_received_at"]}
            )
        conn.execute(
            text(
                "INSERT INTO jobs (id, server_doc, local_doc, status, number, call_received_at) "
                "VALUES (:id, :d, :d, :s, :n, :c)"
            ),
            rows,
        )


def median_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        build(replica, args.jobs, now)
        queries = JobQueries(replica)
        rows = queries.job_rows(now)

        def list_ready() -> None:
            group_rows(queries.job_rows(now))

        def search() -> None:
            group_rows(rows, JobFilter(search="泵站17 漏水"))

        list_ms = median_ms(list_ready, args.runs)
        search_ms = median_ms(search, args.runs)
        counts = {g.value: len(v) for g, v in group_rows(rows).items()}
        replica.close()
    print(f"jobs on the device:            {args.jobs}")
    print(f"groups:                        {counts}")
    print(f"job list data ready (median):  {list_ms:.1f} ms  (budget 100 ms)")
    print(f"search filters (median):       {search_ms:.1f} ms  (budget 50 ms)")
    print(
        json.dumps(
            {
                "bench": "app",
                "jobs": args.jobs,
                "runs": args.runs,
                "list_ready_ms": round(list_ms, 1),
                "search_ms": round(search_ms, 1),
                "groups": counts,
                "ok": list_ms < 100 and search_ms < 50,
                "group_names": [g.value for g in Group],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
