"""Field app: how fast the job list's data is ready with 5,000 jobs on the device, and how fast search is.

Builds a replica with 5,000 jobs (and their customers, sites and equipment), then measures the Python
side of the job list screen: the rows grouped into overdue / today / upcoming / done with their SLA
clocks (``JobQueries.job_rows`` + ``group_rows``), and a search over them. Then it adds 20,000 knowledge
cases (as pulled: ``reference`` rows, indexed by the replica's triggers) and measures the case search
in Chinese: a word of three characters or more (FTS5 trigram), a two-character word (instr() over the
cases), both together, and the cases a job's screen offers (same model, closest symptom); and what the
cases weigh on disk. Median of several runs. The last line is one JSON object.

    .venv/bin/python -m bench.app_bench [--jobs 5000] [--cases 20000] [--runs 9]
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
                {
                    "id": doc["id"],
                    "d": body,
                    "s": status,
                    "n": doc["number"],
                    "c": doc["call_received_at"],
                    "e": doc.get("equipment_id"),
                }
            )
        conn.execute(
            text(  # as a pull writes them: the server's copy only (no unsent taps on them)
                "INSERT INTO jobs (id, server_doc, local_doc, status, number, call_received_at, equipment_id) "
                "VALUES (:id, :d, NULL, :s, :n, :c, :e)"
            ),
            rows,
        )


PARTS_OF_CASES = [
    "机械密封",
    "叶轮",
    "轴承",
    "电缆",
    "浮球开关",
    "风扇皮带",
    "喷油嘴",
    "蓄电池",
    "碳刷",
    "密封圈",
]
SYMPTOMS = [
    "启动后出水量不足",
    "机械密封处漏油",
    "电机运行中过热跳闸",
    "启动困难，电流偏大",
    "运行时振动和噪声明显",
    "水温过高报警",
    "绝缘电阻偏低",
    "控制柜显示缺相",
    "发动机冒黑烟，功率不足",
    "照明灯塔升降卡滞",
]
CAUSES = [
    "叶轮磨损",
    "油室进水",
    "轴承损坏",
    "电缆破损受潮",
    "散热器堵塞",
    "燃油滤清器堵塞",
    "接触器触点烧蚀",
]
FIXES = ["更换", "清洗", "紧固", "重新接线并做绝缘处理", "调整间隙", "更换并试运行两小时"]


def build_cases(replica: Replica, cases: int, models: int = 40) -> list[str]:
    """``cases`` published cases over ``models`` equipment models, written as a pull writes them."""
    rng = random.Random(11)
    names = [f"QSZ-{500 + 50 * i} 潜水排涝泵" for i in range(models)]
    rows = []
    for i in range(cases):
        symptom = rng.choice(SYMPTOMS) + "，" + rng.choice(SYMPTOMS)
        part = rng.choice(PARTS_OF_CASES)
        doc = {
            "id": str(uuid.uuid4()),
            "number": f"KC-{i:05d}",
            "status": "published",
            "title": symptom[:20],
            "model": rng.choice(names),
            "symptom": symptom + f"，现场第{i}次记录",
            "cause": rng.choice(CAUSES) + "，" + rng.choice(CAUSES),
            "fix": rng.choice(FIXES) + part + "，" + rng.choice(FIXES) + rng.choice(PARTS_OF_CASES),
            "parts": [f"P-{rng.randint(1, 400):04d} {part} ×{rng.randint(1, 3)}"],
        }
        rows.append({"id": doc["id"], "d": json.dumps(doc, ensure_ascii=False)})
    with replica.engine.begin() as conn:
        conn.execute(text("INSERT INTO reference (entity, id, data) VALUES ('case', :id, :d)"), rows)
    return names


def file_bytes(replica: Replica) -> int:
    with replica.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(replica.path).stat().st_size


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
    parser.add_argument("--cases", type=int, default=20000)
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

        before = file_bytes(replica)
        models = build_cases(replica, args.cases)
        case_bytes = (file_bytes(replica) - before) / max(args.cases, 1)
        indexed = replica.has_case_index()
        hits = {
            "long": len(replica.search_cases("机械密封")),
            "short": len(replica.search_cases("漏油")),
            "both": len(replica.search_cases("轴承 过热")),
            "offer": len(replica.cases_like(models[3], "机械密封处漏油")),
        }
        long_ms = median_ms(lambda: replica.search_cases("机械密封"), args.runs)
        short_ms = median_ms(lambda: replica.search_cases("漏油"), args.runs)
        both_ms = median_ms(lambda: replica.search_cases("轴承 过热"), args.runs)
        offer_ms = median_ms(lambda: replica.cases_like(models[3], "机械密封处漏油"), args.runs)
        # a two-character word no case holds: instr() reads every case (the worst short search)
        miss_ms = median_ms(lambda: replica.search_cases("闸门"), args.runs)
        replica.close()
    case_ms = max(long_ms, short_ms, both_ms, offer_ms, miss_ms)
    print(f"jobs on the device:            {args.jobs}")
    print(f"groups:                        {counts}")
    print(f"job list data ready (median):  {list_ms:.1f} ms  (budget 100 ms)")
    print(f"search filters (median):       {search_ms:.1f} ms  (budget 50 ms)")
    print(f"knowledge cases on the device: {args.cases} over {len(models)} models (FTS5 trigram: {indexed})")
    print(f"case search, 4 characters:     {long_ms:.1f} ms  ({hits['long']} shown; budget 50 ms)")
    print(f"case search, 2 characters:     {short_ms:.1f} ms  ({hits['short']} shown; instr scan)")
    print(f"case search, 2 chars, no hit:  {miss_ms:.1f} ms  (every case read)")
    print(f"case search, two words:        {both_ms:.1f} ms  ({hits['both']} shown)")
    print(f"cases offered on a job:        {offer_ms:.1f} ms  ({hits['offer']} shown)")
    print(f"disk per case (row + index):   {case_bytes:.0f} bytes")
    print(
        json.dumps(
            {
                "bench": "app",
                "jobs": args.jobs,
                "runs": args.runs,
                "list_ready_ms": round(list_ms, 1),
                "search_ms": round(search_ms, 1),
                "cases": args.cases,
                "case_fts5": indexed,
                "case_search_ms": round(long_ms, 1),
                "case_search_short_ms": round(short_ms, 1),
                "case_search_short_miss_ms": round(miss_ms, 1),
                "case_search_two_words_ms": round(both_ms, 1),
                "case_offer_ms": round(offer_ms, 1),
                "case_bytes": round(case_bytes),
                "groups": counts,
                "ok": list_ms < 100 and search_ms < 50 and case_ms <= 50,
                "group_names": [g.value for g in Group],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
