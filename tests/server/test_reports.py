"""The manager's reports over a fixed, hand-computed set of jobs, on SQLite and on PostgreSQL.

The data set (calls in May/June 2026, times in UTC; deadlines from the default policies: general
respond 30 / onsite 240 / fix 1440 / backup 480 min, major 15 / 120 / 480 / 480 min):

    job  eng   customer/site  equipment    sev      kind          ack    arrive  fix    flagged  status
    J1   eng1  A / A          PUMP         general  repair        10     100     300    -        closed
    J2   eng1  A / A          PUMP         major    repair        20     130     600    -        signed_off
    J3   eng2  B / B          GEN          general  repair        41     200     1500   yes      closed
    J4   eng2  B / B          GEN          general  inspection    5      60      90     -        closed
    J5   eng1  A / A          LIGHT        major    repair        12     90      open   -        arrived
    J6   eng2  A / A          PUMP         general  repair        open   open    open   -        assigned
    J7   eng1  A / A          PUMP         general  repair        -      -       -      -        cancelled
    J8   eng1  A / A          LIGHT        general  repair        25     180     360    -        closed
    J9   eng2  B / B          (none)       general  repair        15.5   150     400    -        resolved

(minutes after the call). Calls: J1 05-04 08:00, J2 05-10 08:00, J3 05-12 08:00, J4 05-15 08:00,
J5 05-20 08:00, J6 06-09 20:00, J7 05-25 08:00, J8 05-31 20:00 (06-01 04:00 in Beijing), J9 05-18 08:00.
J1's taps reached the server three days late; that must change nothing.
"""

from __future__ import annotations

import random
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_sessionmaker
from server.db.models import Equipment, Job, JobEvent
from shared.ids import uuid7
from shared.sla import SlaLimits, deadlines
from tests.support import World

LIMITS = {"general": SlaLimits(30, 240, 1440, 480), "major": SlaLimits(15, 120, 480, 480)}
NOW = "2026-06-10T00:00:00Z"


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Data:
    """Ids of the fixed data set."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pump = world.equipment_id
        self.gen = uuid.uuid4()
        self.light = uuid.uuid4()
        self.jobs: dict[str, uuid.UUID] = {}


def _job(data: Data, name: str, **spec: Any) -> Job:
    w = data.world
    received: datetime = spec.pop("call")
    severity = spec.pop("severity", "general")
    stamps = {}
    for field, minutes in (
        ("acknowledged_at", spec.pop("ack", None)),
        ("arrived_at", spec.pop("arrive", None)),
        ("resolved_at", spec.pop("fix", None)),
        ("signed_off_at", spec.pop("signed", None)),
    ):
        stamps[field] = None if minutes is None else received + timedelta(minutes=minutes)
    due = deadlines(received, LIMITS[severity])
    customer_b = spec.pop("customer_b", False)
    job = Job(
        id=uuid7(),
        number=f"WO-202605-{name}",
        kind=spec.pop("kind", "repair"),
        severity=severity,
        status=spec.pop("status"),
        customer_id=w.other_customer_id if customer_b else w.customer_id,
        site_id=w.other_site_id if customer_b else w.site_id,
        equipment_id=spec.pop("equipment"),
        assigned_engineer_id=w.users[spec.pop("eng")],
        call_received_at=received,
        respond_due_at=due.respond_due_at,
        onsite_due_at=due.onsite_due_at,
        fix_due_at=due.fix_due_at,
        backup_due_at=due.backup_due_at,
        **stamps,
        **spec,
    )
    data.jobs[name] = job.id
    return job


@pytest.fixture
async def data(world: World, engine: AsyncEngine) -> Data:
    d = Data(world)
    async with make_sessionmaker(engine)() as s:
        s.add(
            Equipment(
                id=d.gen,
                site_id=world.other_site_id,
                category="generator_set",
                model="200kW 柴油发电机组",
                serial_no="GS-0001",
                delivered_on=date(2025, 5, 1),
            )
        )
        s.add(
            Equipment(
                id=d.light,
                site_id=world.site_id,
                category="lighting_tower",
                model="SFW6110 照明灯塔",
                serial_no="LT-0001",
                delivered_on=date(2025, 5, 1),
            )
        )
        await s.flush()
        jobs = [
            _job(d, "J1", call=t(5, 4, 8), eng="eng1", equipment=d.pump, status="closed",
                 ack=10, arrive=100, fix=300, signed=320, satisfaction=5,
                 symptom="出水量不足", cause="机械密封磨损"),
            _job(d, "J2", call=t(5, 10, 8), eng="eng1", equipment=d.pump, status="signed_off",
                 severity="major", ack=20, arrive=130, fix=600, signed=620, satisfaction=3,
                 backup_lent=True, symptom="出水量不足", cause="机械密封磨损"),
            _job(d, "J3", call=t(5, 12, 8), eng="eng2", equipment=d.gen, status="closed", customer_b=True,
                 ack=41, arrive=200, fix=1500, signed=1510, satisfaction=4, times_flagged=True,
                 symptom="无法启动"),
            _job(d, "J4", call=t(5, 15, 8), eng="eng2", equipment=d.gen, status="closed", customer_b=True,
                 kind="inspection", ack=5, arrive=60, fix=90, signed=100, satisfaction=5),
            _job(d, "J5", call=t(5, 20, 8), eng="eng1", equipment=d.light, status="arrived",
                 severity="major", ack=12, arrive=90, symptom="灯不亮"),
            _job(d, "J6", call=t(6, 9, 20), eng="eng2", equipment=d.pump, status="assigned", symptom="异响"),
            _job(d, "J7", call=t(5, 25, 8), eng="eng1", equipment=d.pump, status="cancelled",
                 symptom="误报"),
            _job(d, "J8", call=t(5, 31, 20), eng="eng1", equipment=d.light, status="closed",
                 ack=25, arrive=180, fix=360, signed=370, symptom="灯不亮", cause="灯泡损坏"),
            _job(d, "J9", call=t(5, 18, 8), eng="eng2", equipment=None, status="resolved", customer_b=True,
                 ack=15.5, arrive=150, fix=400, satisfaction=1, symptom="漏水", cause="管道接头松动"),
        ]  # fmt: skip
        s.add_all(jobs)
        await s.flush()
        # J1's taps were synced three days after they happened: only device_time may count.
        j1 = jobs[0]
        for kind, at in (
            ("acknowledged", j1.acknowledged_at),
            ("arrived", j1.arrived_at),
            ("resolved", j1.resolved_at),
        ):
            assert at is not None
            s.add(
                JobEvent(
                    id=uuid7(),
                    job_id=j1.id,
                    type=kind,
                    device_time=at,
                    received_at=at + timedelta(days=3),
                    clock_offset_ms=0,
                )
            )
        await s.commit()
    return d


async def get(world: World, path: str, user: str = "manager", **params: Any) -> Any:
    r = await world.client.get(f"/api/reports/{path}", params=params, headers=await world.login(user))
    assert r.status_code == 200, r.text
    return r.json()


def stats(count: int, median: float | None, p90: float | None, top: float | None) -> dict[str, Any]:
    return {"count": count, "median_min": median, "p90_min": p90, "max_min": top}


def measure(overall: dict[str, Any], flagged: int, clean: dict[str, Any]) -> dict[str, Any]:
    return {**overall, "flagged_jobs": flagged, "excluding_flagged": clean}


# --- response times ----------------------------------------------------------------------------------


async def test_response_times_over_all_jobs(world: World, data: Data) -> None:
    body = await get(world, "response-times")
    assert body["group_by"] is None and "percentile_cont" in body["percentile_method"]
    [row] = body["rows"]
    assert row["key"] is None and row["jobs"] == 9
    # acknowledge: J1 10, J2 20, J3 41 (flagged), J4 5, J5 12, J8 25, J9 15.5; J6/J7 have no stamp.
    # sorted 5, 10, 12, 15.5, 20, 25, 41 (N=7): median h=3 -> 15.5; p90 h=5.4 -> 25 + 0.4*16 = 31.4.
    # without J3: 5, 10, 12, 15.5, 20, 25 (N=6): median h=2.5 -> 12 + 0.5*3.5 = 13.75 -> 13.8 (half up);
    # p90 h=4.5 -> 20 + 0.5*5 = 22.5; max 25.
    assert row["acknowledge"] == measure(stats(7, 15.5, 31.4, 41.0), 1, stats(6, 13.8, 22.5, 25.0))
    # arrive: 60, 90, 100, 130, 150, 180, 200 (J3 = 200): median 130; p90 180 + 0.4*20 = 188.
    # without J3: 60, 90, 100, 130, 150, 180: median 100 + 0.5*30 = 115; p90 150 + 0.5*30 = 165.
    assert row["arrive"] == measure(stats(7, 130.0, 188.0, 200.0), 1, stats(6, 115.0, 165.0, 180.0))
    # fix (open J5/J6 left out): 90, 300, 360, 400, 600, 1500 (N=6): median 360 + 0.5*40 = 380;
    # p90 h=4.5 -> 600 + 0.5*900 = 1050. Without J3: 90, 300, 360, 400, 600: median 360;
    # p90 h=3.6 -> 400 + 0.6*200 = 520.
    assert row["fix"] == measure(stats(6, 380.0, 1050.0, 1500.0), 1, stats(5, 360.0, 520.0, 600.0))


async def test_taps_synced_late_change_no_figure(world: World, data: Data, engine: AsyncEngine) -> None:
    paths: dict[str, dict[str, Any]] = {
        "response-times": {"group_by": "engineer"},
        "sla": {"now": NOW},
        "breaches": {"now": NOW},
        "quality": {},
    }
    before = {path: await get(world, path, **params) for path, params in paths.items()}
    async with make_sessionmaker(engine)() as s:
        for name in ("J3", "J8", "J9"):
            job = await s.get(Job, data.jobs[name])
            assert job is not None and job.acknowledged_at is not None
            s.add(
                JobEvent(
                    id=uuid7(),
                    job_id=job.id,
                    type="acknowledged",
                    device_time=job.acknowledged_at,
                    received_at=job.acknowledged_at + timedelta(days=5),
                    clock_offset_ms=5 * 86_400_000,
                )
            )
        await s.commit()
    for path, body in before.items():
        assert await get(world, path, **paths[path]) == body, path


async def test_response_times_by_engineer(world: World, data: Data) -> None:
    body = await get(world, "response-times", group_by="engineer")
    assert [(r["label"], r["jobs"]) for r in body["rows"]] == [("张伟", 5), ("李强", 4)]
    eng1, eng2 = body["rows"]
    assert eng1["key"] == str(world.users["eng1"])
    # eng1 (J1, J2, J5, J7, J8), ack 10, 12, 20, 25: median 12 + 0.5*8 = 16; p90 h=2.7 -> 20 + 0.7*5 = 23.5.
    assert eng1["acknowledge"] == measure(stats(4, 16.0, 23.5, 25.0), 0, stats(4, 16.0, 23.5, 25.0))
    # fix 300, 360, 600: median 360; p90 h=1.8 -> 360 + 0.8*240 = 552.
    assert eng1["fix"] == measure(stats(3, 360.0, 552.0, 600.0), 0, stats(3, 360.0, 552.0, 600.0))
    # eng2 (J3 flagged, J4, J6 open, J9), ack 5, 15.5, 41: median 15.5; p90 h=1.8 -> 15.5 + 0.8*25.5 = 35.9.
    # without J3: 5, 15.5: median 10.25 -> 10.3; p90 h=0.9 -> 5 + 0.9*10.5 = 14.45 -> 14.5 (half up).
    assert eng2["acknowledge"] == measure(stats(3, 15.5, 35.9, 41.0), 1, stats(2, 10.3, 14.5, 15.5))
    # arrive 60, 150, 200: p90 150 + 0.8*50 = 190; without J3 60, 150: median 105, p90 60 + 0.9*90 = 141.
    assert eng2["arrive"] == measure(stats(3, 150.0, 190.0, 200.0), 1, stats(2, 105.0, 141.0, 150.0))


async def test_jobs_without_an_engineer_form_their_own_group(
    world: World, data: Data, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as s:
        job = _job(
            data, "J10", call=t(5, 21, 8), eng="eng1", equipment=data.pump, status="acknowledged", ack=7
        )
        job.assigned_engineer_id = None
        s.add(job)
        await s.commit()
    rows = (await get(world, "response-times", group_by="engineer"))["rows"]
    assert [(r["key"], r["label"], r["jobs"]) for r in rows][2] == (None, None, 1)
    assert rows[2]["acknowledge"] == measure(stats(1, 7.0, 7.0, 7.0), 0, stats(1, 7.0, 7.0, 7.0))
    assert [r["jobs"] for r in rows[:2]] == [5, 4]


async def test_response_times_by_month_customer_and_severity(world: World, data: Data) -> None:
    months = await get(world, "response-times", group_by="month")
    # J6 (06-09 20:00 UTC) and J8 (05-31 20:00 UTC) fall in June in Beijing time.
    assert [(r["key"], r["jobs"]) for r in months["rows"]] == [("2026-05", 7), ("2026-06", 2)]
    assert months["rows"][1]["acknowledge"]["count"] == 1
    assert months["rows"][1]["acknowledge"]["median_min"] == 25.0
    customers = await get(world, "response-times", group_by="customer")
    assert [(r["label"], r["jobs"]) for r in customers["rows"]] == [("临川区水利局", 6), ("南丰县防汛办", 3)]
    severities = await get(world, "response-times", group_by="severity")
    assert [(r["key"], r["jobs"]) for r in severities["rows"]] == [("general", 7), ("major", 2)]
    # major: J2 20, J5 12: median 16; p90 h=0.9 -> 12 + 0.9*8 = 19.2.
    major = severities["rows"][1]["acknowledge"]
    assert (major["median_min"], major["p90_min"], major["max_min"]) == (16.0, 19.2, 20.0)


@pytest.mark.parametrize(
    ("params", "jobs", "ack"),
    [
        # J3, J4, J9: 5, 15.5, 41 -> median 15.5, p90 35.9
        ({"customer": True}, 3, (3, 15.5, 35.9)),
        ({"site": True}, 3, (3, 15.5, 35.9)),
        ({"engineer": "eng1"}, 5, (4, 16.0, 23.5)),
        ({"severity": "major"}, 2, (2, 16.0, 19.2)),
        # J5 12, J8 25: median 18.5, p90 12 + 0.9*13 = 23.7
        ({"category": "lighting_tower"}, 2, (2, 18.5, 23.7)),
        ({"kind": "inspection"}, 1, (1, 5.0, 5.0)),
        # [J2's call, J5's call): J2, J3, J4, J9 -> 5, 15.5, 20, 41: median 15.5 + 0.5*4.5 = 17.75 -> 17.8,
        # p90 h=2.7 -> 20 + 0.7*21 = 34.7
        (
            {"received_from": "2026-05-10T16:00:00+08:00", "received_to": "2026-05-20T16:00:00+08:00"},
            4,
            (4, 17.8, 34.7),
        ),
    ],
)
async def test_response_time_filters(
    world: World, data: Data, params: dict[str, Any], jobs: int, ack: tuple[int, float, float]
) -> None:
    query = dict(params)
    if query.pop("customer", False):
        query["customer_id"] = str(world.other_customer_id)
    if query.pop("site", False):
        query["site_id"] = str(world.other_site_id)
    if "engineer" in query:
        query["engineer_id"] = str(world.users[query.pop("engineer")])
    [row] = (await get(world, "response-times", **query))["rows"]
    assert row["jobs"] == jobs
    got = row["acknowledge"]
    assert (got["count"], got["median_min"], got["p90_min"]) == ack


# --- SLA -----------------------------------------------------------------------------------------


def promise(jobs: int, met: int, late: int, open_breached: int, open_not_due: int, pct: float | None) -> Any:
    return {
        "jobs": jobs,
        "met": met,
        "breached": late + open_breached,
        "done_late": late,
        "open_breached": open_breached,
        "open_not_due": open_not_due,
        "compliance_pct": pct,
    }


async def test_sla_compliance(world: World, data: Data) -> None:
    body = await get(world, "sla", now=NOW)
    got = {p.pop("promise"): p for p in body["promises"]}
    # J7 is cancelled without any stamp: it counts for no promise (8 jobs, not 9).
    # respond: met J1 J4 J5 J8 J9; late J2 (20 > 15), J3 (41 > 30); J6 open, due 06-09 20:30 < now.
    # compliance 5 / (5 + 3) = 62.5 %
    assert got["respond"] == promise(8, 5, 2, 1, 0, 62.5)
    # onsite: late J2 (130 > 120); J6 due 06-10 00:00 == now, so not yet breached. 6 / 7 = 85.7 %
    assert got["onsite"] == promise(8, 6, 1, 0, 1, 85.7)
    # fix: met J1 J4 J8 J9; late J2 (600 > 480), J3 (1500 > 1440); J5 open past 05-20 16:00; J6 not due.
    # 4 / 7 = 57.1 %
    assert got["fix"] == promise(8, 4, 2, 1, 1, 57.1)
    # backup: J2 (fixed 18:00 > 16:00, lent), J3 (fixed next day), J5 (still open) -> 3, one lent.
    assert body["backup"] == {
        "overdue": 3,
        "backup_lent": 1,
        "lent_pct": 33.3,
        "lent_in_time": 0,
        "out_after_close": 0,
    }  # a flag, no loan record


async def test_sla_now_and_filters(world: World, data: Data) -> None:
    later = await get(world, "sla", now="2026-06-10T00:00:01Z")
    onsite = next(p for p in later["promises"] if p["promise"] == "onsite")
    # one second after J6's on-site deadline it is breached: 6 / 8 = 75 %
    assert (onsite["open_breached"], onsite["open_not_due"], onsite["compliance_pct"]) == (1, 0, 75.0)
    eng2 = await get(world, "sla", now=NOW, engineer_id=str(world.users["eng2"]))
    respond = next(p for p in eng2["promises"] if p["promise"] == "respond")
    # eng2: J4 J9 met, J3 late, J6 open breached: 2 / 4
    assert (respond["jobs"], respond["met"], respond["breached"], respond["compliance_pct"]) == (
        4,
        2,
        2,
        50.0,
    )


# --- breaches ------------------------------------------------------------------------------------


async def test_breaches_newest_first_with_minutes_late(world: World, data: Data) -> None:
    body = await get(world, "breaches", now=NOW)
    assert body["total"] == 4
    assert [i["number"][-2:] for i in body["items"]] == ["J6", "J5", "J3", "J2"]
    j6, j5, j3, j2 = body["items"]
    assert (j6["engineer_name"], j6["customer_name"], j6["site_name"]) == (
        "李强",
        "临川区水利局",
        "城东排涝泵站",
    )

    def late(item: dict[str, Any]) -> dict[str, tuple[float, bool]]:
        return {b["promise"]: (b["minutes_late"], b["still_open"]) for b in item["breaches"]}

    # J6: not acknowledged, respond due 06-09 20:30 -> 210 min by now
    assert late(j6) == {"respond": (210.0, True)}
    # J5: fix and backup due 05-20 16:00, open until now: 20 days 8 h = 29280 min
    assert late(j5) == {"fix": (29280.0, True), "backup": (29280.0, True)}
    # J3: ack 41 vs 30; fixed 1500 vs 1440; not fixed by backup due 16:00, nothing lent: 17 h = 1020 min
    assert late(j3) == {"respond": (11.0, False), "fix": (60.0, False), "backup": (1020.0, False)}
    assert j3["times_flagged"] is True and j3["site_name"] == "县防汛物资仓库"
    # J2: 20 vs 15, 130 vs 120, 600 vs 480; backup equipment was lent, so no backup breach
    assert late(j2) == {"respond": (5.0, False), "onsite": (10.0, False), "fix": (120.0, False)}
    assert j2["severity"] == "major" and j2["backup_lent"] is True
    page = await get(world, "breaches", now=NOW, limit=2, offset=1)
    assert page["total"] == 4 and [i["number"][-2:] for i in page["items"]] == ["J5", "J3"]
    mine = await get(world, "breaches", now=NOW, engineer_id=str(world.users["eng1"]))
    assert [i["number"][-2:] for i in mine["items"]] == ["J5", "J2"]


# --- quality -------------------------------------------------------------------------------------


async def test_quality_report(world: World, data: Data) -> None:
    body = await get(world, "quality")
    # resolved repair jobs on known equipment: J1, J2, J3, J8 (J9 has no equipment, J4 is an
    # inspection, J5/J6 are open). J1 is repeated by J2 six days later; J2's next repair call on the pump
    # is J6, 30 days 2 h after (J7 in between was cancelled); J3 is followed only by an inspection; J8
    # has no later call. First-time fixes J2, J3, J8: 3 / 4 = 75 %.
    assert (body["resolved_repairs"], body["first_time_fixes"], body["first_time_fix_pct"]) == (4, 3, 75.0)
    # signed off with a rating: J1 5, J2 3, J3 4, J4 5 -> 17 / 4 = 4.25 (J8 signed unrated, J9 unsigned)
    assert (body["satisfaction_avg"], body["satisfaction_count"]) == (4.25, 4)
    assert body["backup_lent"] == 1 and body["repeat_window_days"] == 30
    rows = [
        (f["month"], f["equipment_model"], f["category"], f["fault_source"], f["fault"], f["jobs"])
        for f in body["feedback"]
    ]
    assert rows == [
        ("2026-05", "QSZ-1500 潜水排涝泵", "drainage_pump", "cause", "机械密封磨损", 2),
        ("2026-05", None, None, "cause", "管道接头松动", 1),
        ("2026-05", "200kW 柴油发电机组", "generator_set", "symptom", "无法启动", 1),
        ("2026-05", "SFW6110 照明灯塔", "lighting_tower", "symptom", "灯不亮", 1),
        ("2026-06", "QSZ-1500 潜水排涝泵", "drainage_pump", "symptom", "异响", 1),
        ("2026-06", "SFW6110 照明灯塔", "lighting_tower", "cause", "灯泡损坏", 1),
    ]


async def test_quality_filters(world: World, data: Data) -> None:
    eng1 = await get(world, "quality", engineer_id=str(world.users["eng1"]))
    # J1, J2, J8 resolved; J2 and J8 first-time: 2 / 3; ratings J1 5, J2 3 -> 4.0
    assert (eng1["resolved_repairs"], eng1["first_time_fixes"], eng1["first_time_fix_pct"]) == (3, 2, 66.7)
    assert (eng1["satisfaction_avg"], eng1["satisfaction_count"]) == (4.0, 2)
    pumps = await get(world, "quality", category="drainage_pump")
    assert (pumps["resolved_repairs"], pumps["first_time_fixes"], pumps["first_time_fix_pct"]) == (2, 1, 50.0)
    inspections = await get(world, "quality", kind="inspection")
    assert inspections["resolved_repairs"] == 0 and inspections["first_time_fix_pct"] is None
    assert (inspections["satisfaction_avg"], inspections["satisfaction_count"]) == (5.0, 1)
    assert inspections["feedback"] == []


# --- access and validation -------------------------------------------------------------------------


async def test_only_office_roles_with_reporting_duties_may_read_reports(world: World) -> None:
    for path in ("response-times", "sla", "breaches", "quality"):
        for user in ("manager", "qa", "dispatcher", "admin"):
            await get(world, path, user=user)
        for user in ("eng1", "warehouse"):
            r = await world.client.get(f"/api/reports/{path}", headers=await world.login(user))
            assert r.status_code == 403, (path, user)
            assert "may not" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("response-times", {"severity": "apocalyptic"}, "severity"),
        ("response-times", {"group_by": "weather"}, "group_by"),
        ("sla", {"customer_id": "not-a-uuid"}, "customer_id"),
        ("quality", {"category": "spaceship"}, "category"),
        ("breaches", {"kind": "party"}, "kind"),
        ("breaches", {"limit": "0"}, "limit"),
        ("response-times", {"received_from": "2026-05-01T00:00:00"}, "received_from"),
        (
            "response-times",
            {"received_from": "2026-05-02T00:00:00Z", "received_to": "2026-05-01T00:00:00Z"},
            "received_to",
        ),
        ("sla", {"now": "2026-06-10T00:00:00"}, "now"),
    ],
)
async def test_bad_filter_is_400_naming_the_field(
    world: World, path: str, params: dict[str, str], field: str
) -> None:
    r = await world.client.get(f"/api/reports/{path}", params=params, headers=await world.login("manager"))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    named = {e.get("key") for e in body.get("errors", [])} | {body.get("field")}
    assert field in named, body


# --- the percentile machinery against a reference ------------------------------------------------------


def _reference(values: list[int]) -> dict[str, Any]:
    """Linear interpolation between closest ranks, exactly (h = (N-1)p), in minutes rounded half up."""
    ordered = sorted(values)

    def at(p: Fraction) -> Fraction:
        h = (len(ordered) - 1) * p
        lo = int(h)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])

    def minutes(us: Fraction | int) -> float:
        value = Decimal(Fraction(us).numerator) / Decimal(Fraction(us).denominator) / 60_000_000
        return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    # the reference itself agrees with Python's own inclusive quantiles
    assert float(at(Fraction(9, 10))) == pytest.approx(
        statistics.quantiles(ordered, n=10, method="inclusive")[8]
    )
    return stats(
        len(ordered), minutes(at(Fraction(1, 2))), minutes(at(Fraction(9, 10))), minutes(ordered[-1])
    )


async def test_percentiles_match_the_definition_on_ties_and_crowded_minutes(
    world: World, engine: AsyncEngine
) -> None:
    """300 durations to the microsecond, with ties and many within one minute, 10 % flagged."""
    rng = random.Random(20260610)
    durations: list[tuple[int, bool]] = []
    async with make_sessionmaker(engine)() as s:
        for i in range(300):
            call = t(5, 1, 0) + timedelta(hours=i, microseconds=rng.randint(0, 999_999))
            us = rng.choice(
                [
                    rng.randint(0, 3_600_000_000),  # anywhere in the first hour
                    rng.randint(600_000_000, 660_000_000),  # crowded into one minute
                    900_000_000,  # ties
                    -30_000_000,  # a tablet clock behind the call
                ]
            )
            flagged = rng.random() < 0.1
            durations.append((us, flagged))
            s.add(
                Job(
                    number=f"WO-R-{i:04d}",
                    kind="repair",
                    severity="general",
                    status="acknowledged",
                    customer_id=world.customer_id,
                    site_id=world.site_id,
                    equipment_id=world.equipment_id,
                    call_received_at=call,
                    acknowledged_at=call + timedelta(microseconds=us),
                    times_flagged=flagged,
                )
            )
        await s.commit()
    [row] = (await get(world, "response-times"))["rows"]
    n_flagged = sum(1 for _, f in durations if f)
    assert 0 < n_flagged < 300
    assert row["acknowledge"] == measure(
        _reference([us for us, _ in durations]), n_flagged, _reference([us for us, f in durations if not f])
    )
