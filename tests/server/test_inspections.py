"""Scheduled inspections on SQLite and PostgreSQL: schedules through HTTP, the generator across month
ends and leap years (twice, and two at once), the job reaching the engineer's tablet, compliance."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server import audit
from server.audit import verify_chain
from server.cli import main as levee_main
from server.db.engine import make_engine, make_sessionmaker
from server.db.models import AuditEntry, ChangeLog, InspectionSchedule, Job, JobAssignment
from server.inspections.generator import ScheduleRunner, generate, local_today
from shared.enums import CheckResult, JobStatus
from shared.schedules import CATCH_UP_DAYS, Frequency, occurrences
from tests.conftest import DeviceFactory
from tests.support import World, populate

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _no_background_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's hourly generator would run with the real date; these tests inject theirs."""
    monkeypatch.setenv("LEVEE_SCHEDULE_INTERVAL_S", "0")


async def _template_id(world: World, kind: str = "inspection") -> str:
    r = await world.client.get("/api/checklist-templates", headers=await world.login("dispatcher"))
    assert r.status_code == 200
    return str(next(t["id"] for t in r.json() if t["job_kind"] == kind))


async def _create(world: World, user: str = "dispatcher", **body: Any) -> Any:
    payload: dict[str, Any] = {
        "customer_id": str(world.customer_id),
        "site_id": str(world.site_id),
        "equipment_id": str(world.equipment_id),
        "frequency": "monthly",
        "start_on": "2024-01-31",
    }
    payload.update(body)
    payload = {k: v for k, v in payload.items() if v is not None}
    return await world.client.post(
        "/api/inspections/schedules", json=payload, headers=await world.login(user)
    )


async def _schedule(world: World, **body: Any) -> dict[str, Any]:
    r = await _create(world, **body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _run(world: World, today: date, **kw: Any) -> Any:
    async with world.app.state.sessionmaker() as session:
        return await generate(session, tz=TZ, today=today, **kw)


async def _due_dates(world: World, schedule_id: str) -> list[date]:
    async with world.app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(Job.due_on).where(Job.schedule_id == uuid.UUID(schedule_id)).order_by(Job.due_on)
        )
        return [d for d in rows.all() if d is not None]


# --- schedules through HTTP ------------------------------------------------------------------------


async def test_schedule_crud_validation_and_audit(world: World) -> None:
    tpl = await _template_id(world)
    created = await _schedule(world, engineer_id=str(world.users["eng1"]), lead_days=10, note="汛前重点")
    assert created["frequency"] == "monthly" and created["lead_days"] == 10 and created["active"]
    assert created["customer_name"] == "临川区水利局" and created["engineer_name"] == "张伟"
    assert created["equipment_label"] == "QSZ-1500 潜水排涝泵 DP-0001" and created["jobs"] == 0
    assert created["created_by"] == str(world.users["dispatcher"])
    sid = created["id"]

    problems = [
        ({"equipment_id": None}, 422, "needs a checklist template"),
        ({"site_id": str(world.other_site_id)}, 422, "is not a site of"),
        (
            {"customer_id": str(world.other_customer_id), "site_id": str(world.other_site_id)},
            422,
            "is not at",
        ),
        ({"template_id": str(uuid.uuid4())}, 422, "no checklist template"),
        ({"engineer_id": str(world.users["dispatcher"])}, 422, "no engineer"),
        ({"customer_id": str(uuid.uuid4())}, 422, "no customer"),
        ({}, 409, "already an active monthly schedule"),
        ({"frequency": "weekly"}, 400, ""),
        ({"start_on": "2024-02-30"}, 400, ""),
        ({"frequency": "yearly", "end_on": "2023-01-01"}, 400, "end_on must not be before start_on"),
        ({"frequency": "yearly", "lead_days": 91}, 400, ""),
    ]
    for body, status, words in problems:
        r = await _create(world, **body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.text, (body, r.text)

    site_level = await _schedule(world, equipment_id=None, template_id=tpl, frequency="quarterly")
    assert site_level["equipment_id"] is None and site_level["template_name"] == "排涝泵检查"

    headers = await world.login("manager")
    listed = await world.client.get("/api/inspections/schedules", headers=headers)
    assert listed.status_code == 200 and listed.json()["total"] == 2
    r = await world.client.get(f"/api/inspections/schedules/{uuid.uuid4()}", headers=headers)
    assert r.status_code == 404
    r = await world.client.patch(
        f"/api/inspections/schedules/{sid}", json={"engineer_id": str(world.users["eng2"])}, headers=headers
    )
    assert r.status_code == 200 and r.json()["engineer_name"] == "李强"
    r = await world.client.patch(
        f"/api/inspections/schedules/{sid}", json={"end_on": "2020-01-01"}, headers=headers
    )
    assert r.status_code == 422 and "end_on" in r.text
    r = await world.client.patch(
        f"/api/inspections/schedules/{sid}", json={"lead_days": None}, headers=headers
    )
    assert r.status_code == 422
    r = await world.client.patch(
        f"/api/inspections/schedules/{site_level['id']}", json={"template_id": None}, headers=headers
    )
    assert r.status_code == 422 and "needs a checklist template" in r.text
    r = await world.client.post(f"/api/inspections/schedules/{sid}/deactivate", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["next_due_on"] is None
    r = await world.client.post(f"/api/inspections/schedules/{sid}/deactivate", headers=headers)
    assert r.status_code == 409 and "already inactive" in r.text
    # with the first one inactive, the same place and rhythm may be scheduled again, not re-activated twice
    again = await _schedule(world)
    r = await world.client.patch(f"/api/inspections/schedules/{sid}", json={"active": True}, headers=headers)
    assert r.status_code == 409
    active = await world.client.get("/api/inspections/schedules", params={"active": "true"}, headers=headers)
    assert {s["id"] for s in active.json()["items"]} == {site_level["id"], again["id"]}

    for user in ("eng1", "qa", "warehouse"):
        assert (await _create(world, user=user, frequency="daily")).status_code == 403
        r = await world.client.get("/api/inspections/schedules", headers=await world.login(user))
        assert r.status_code == 403

    async with world.app.state.sessionmaker() as session:
        actions = [
            (e.action, e.user_id)
            for e in (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.entity == "inspection_schedule")
                    .order_by(AuditEntry.seq)
                )
            ).all()
        ]
        assert (await verify_chain(session)).ok
    assert actions == [
        ("inspection_schedule.create", world.users["dispatcher"]),
        ("inspection_schedule.create", world.users["dispatcher"]),
        ("inspection_schedule.update", world.users["manager"]),
        ("inspection_schedule.deactivate", world.users["manager"]),
        ("inspection_schedule.create", world.users["dispatcher"]),
    ]


# --- the generator ------------------------------------------------------------------------------


async def test_monthly_from_january_31_across_month_ends_run_twice(world: World) -> None:
    s = await _schedule(world, start_on="2024-01-31", lead_days=7, engineer_id=str(world.users["eng1"]))
    first = await _run(world, date(2024, 1, 24))
    assert first.created == 1 and first.existing == 0
    assert (await _run(world, date(2024, 1, 24))).created == 0
    assert (await _run(world, date(2024, 2, 22))).created == 1  # Feb 29 (leap year)
    again = await _run(world, date(2024, 2, 22))
    assert again.created == 0 and again.existing == 1
    # nobody generated in March: on April 25 only April 30 is made, March 31 is beyond the catch-up
    assert date(2024, 4, 25) - timedelta(days=CATCH_UP_DAYS) > date(2024, 3, 31)
    assert (await _run(world, date(2024, 4, 25))).created == 1
    assert await _due_dates(world, s["id"]) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 4, 30)]
    # a server that was down for four days catches up
    assert (await _run(world, date(2024, 6, 3))).created == 1
    assert (await _due_dates(world, s["id"]))[-1] == date(2024, 5, 31)


async def test_every_day_twice_makes_exactly_the_occurrences(world: World) -> None:
    monthly = await _schedule(world, start_on="2023-12-31", lead_days=3)
    daily = await _schedule(
        world,
        start_on="2024-02-27",
        end_on="2024-03-02",
        frequency="daily",
        lead_days=0,
        equipment_id=None,
        template_id=await _template_id(world),
    )
    day = date(2023, 12, 20)
    while day <= date(2024, 5, 31):
        await _run(world, day)
        await _run(world, day)
        day += timedelta(days=1)
    assert await _due_dates(world, monthly["id"]) == occurrences(
        date(2023, 12, 31), Frequency.MONTHLY, date(2023, 12, 1), date(2024, 6, 3)
    )
    assert await _due_dates(world, monthly["id"]) == [
        date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30),
        date(2024, 5, 31),
    ]  # fmt: skip
    assert await _due_dates(world, daily["id"]) == [
        date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 2)
    ]  # fmt: skip
    async with world.app.state.sessionmaker() as session:
        duplicates = await session.scalar(
            select(func.count()).select_from(
                select(Job.schedule_id, Job.due_on)
                .where(Job.schedule_id.is_not(None))
                .group_by(Job.schedule_id, Job.due_on)
                .having(func.count() > 1)
                .subquery()
            )
        )
    assert duplicates == 0


async def test_yearly_from_february_29_and_the_jobs_it_makes(world: World) -> None:
    s = await _schedule(
        world, start_on="2024-02-29", frequency="yearly", lead_days=30, engineer_id=str(world.users["eng1"])
    )
    for today in (date(2024, 2, 1), date(2025, 2, 1), date(2026, 2, 10), date(2028, 2, 1), date(2028, 2, 1)):
        await _run(world, today)
    assert await _due_dates(world, s["id"]) == [
        date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2028, 2, 29)
    ]  # fmt: skip
    async with world.app.state.sessionmaker() as session:
        job = await session.scalar(select(Job).where(Job.due_on == date(2028, 2, 29)))
        assert job is not None
        assigned = await session.scalar(select(JobAssignment).where(JobAssignment.job_id == job.id))
        logged = await session.scalar(select(ChangeLog).where(ChangeLog.entity_id == job.id))
        created = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity_id == str(job.id), AuditEntry.action == "job.create")
        )
    assert job.kind == "inspection" and job.severity == "general" and job.status == JobStatus.ASSIGNED.value
    assert job.number.startswith("WO-") and job.assigned_engineer_id == world.users["eng1"]
    assert job.equipment_id == world.equipment_id and "2028-02-29" in job.symptom
    assert job.checklist_template_id is None  # the equipment's category decides
    # the promise is the due date: the end of 29 February, Beijing time
    end_of_due_day = datetime(2028, 2, 29, 16, 0, tzinfo=UTC)
    assert job.respond_due_at == job.onsite_due_at == job.fix_due_at == end_of_due_day
    assert job.backup_due_at is None
    assert assigned is not None and assigned.assigned_by is None
    assert logged is not None and logged.audience == world.users["eng1"]
    assert created is not None and created.user_id is None
    assert created.detail["planned"]["due_on"] == "2028-02-29"


async def test_two_generators_at_once_make_no_duplicates(world: World, engine: AsyncEngine) -> None:
    await _schedule(world, start_on="2024-03-01", frequency="daily", lead_days=20)
    await _schedule(world, start_on="2024-01-31", frequency="monthly", lead_days=60)
    other = make_engine(str(engine.url.render_as_string(hide_password=False)))
    async with world.app.state.sessionmaker() as session:  # a second server has the installation's key
        key = audit.key_of(session)
    assert key is not None
    audit.bind_key(other, key)
    try:
        makers = [world.app.state.sessionmaker, make_sessionmaker(other)]

        async def one(i: int) -> Any:
            async with makers[i]() as session:
                return await generate(session, tz=TZ, today=date(2024, 3, 1))

        results = await asyncio.gather(one(0), one(1))
    finally:
        await other.dispose()
    expected = 21 + 3  # Mar 1..21 daily; Feb 29 (caught up), Mar 31 and Apr 30 monthly
    assert sum(r.created for r in results) == expected
    assert all(r.created + r.existing == expected for r in results)
    async with world.app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == expected
        assert (await verify_chain(session)).ok


async def test_generate_over_http_twice_at_once(world: World) -> None:
    today = local_today(TZ)
    await _schedule(world, start_on=(today - timedelta(days=2)).isoformat(), frequency="daily", lead_days=3)
    headers = await world.login("dispatcher")
    answers = await asyncio.gather(
        *(world.client.post("/api/inspections/generate", headers=headers) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200]
    bodies = [a.json() for a in answers]
    assert sum(b["created"] for b in bodies) == 6 and all(b["today"] == today.isoformat() for b in bodies)
    r = await world.client.post("/api/inspections/generate", headers=headers)
    assert r.json()["created"] == 0 and r.json()["existing"] == 6
    r = await world.client.post("/api/inspections/generate", headers=await world.login("eng1"))
    assert r.status_code == 403
    listed = await world.client.get("/api/inspections/schedules", headers=headers)
    assert listed.json()["items"][0]["jobs"] == 6


async def test_a_disabled_engineer_or_a_moved_machine_does_not_stop_the_generator(world: World) -> None:
    s = await _schedule(world, engineer_id=str(world.users["eng2"]), start_on="2024-01-31")
    r = await world.client.patch(
        f"/api/users/{world.users['eng2']}", json={"active": False}, headers=await world.login("admin")
    )
    assert r.status_code == 200, r.text
    result = await _run(world, date(2024, 1, 30))
    assert result.created == 1
    async with world.app.state.sessionmaker() as session:
        job = await session.scalar(select(Job).where(Job.schedule_id == uuid.UUID(s["id"])))
        assert job is not None and job.assigned_engineer_id is None and job.status == "new"
        await session.execute(
            update(InspectionSchedule)
            .where(InspectionSchedule.id == uuid.UUID(s["id"]))
            .values(site_id=world.other_site_id, customer_id=world.other_customer_id)
        )
        await session.commit()
    moved = await _run(world, date(2024, 2, 27))
    assert moved.created == 0 and len(moved.problems) == 1 and "is not at" in moved.problems[0]


async def test_the_background_runner_starts_generates_and_stops(world: World) -> None:
    today = local_today(TZ)
    await _schedule(world, start_on=today.isoformat(), frequency="daily", lead_days=1)
    runner = ScheduleRunner(world.app.state.sessionmaker, "Asia/Shanghai", interval_s=3600)
    runner.start()

    async def first_pass() -> None:
        while True:
            if runner.passes:
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(first_pass(), 600)  # no wall-clock claim: the next pass is an hour away
    await asyncio.wait_for(runner.stop(), 60)
    assert runner.passes == 1
    async with world.app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 2
    off = ScheduleRunner(world.app.state.sessionmaker, "Asia/Shanghai", interval_s=0)
    off.start()
    await off.stop()
    assert off.passes == 0


def test_levee_inspections_generate_command(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def setup() -> None:
        engine = make_engine(db_url)
        try:
            world = World(client=None, app=None)  # type: ignore[arg-type]
            await populate(engine, world)
            async with make_sessionmaker(engine)() as session:
                session.add(
                    InspectionSchedule(
                        customer_id=world.customer_id,
                        site_id=world.site_id,
                        equipment_id=world.equipment_id,
                        frequency="monthly",
                        start_on=date(2024, 1, 31),
                        lead_days=7,
                    )
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(setup())
    args = ["inspections", "generate", "--database-url", db_url, "--data-dir", str(tmp_path)]
    assert levee_main([*args, "--today", "2024-02-23"]) == 0
    assert "2024-02-23: 1 inspection job(s) made, 0 already there" in capsys.readouterr().out
    assert levee_main([*args, "--today", "2024-02-23"]) == 0
    assert "0 inspection job(s) made, 1 already there" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        levee_main([*args, "--today", "2024-02-30"])
    assert "not a date" in capsys.readouterr().err


# --- to the engineer's tablet ------------------------------------------------------------------------


async def test_a_generated_job_reaches_the_engineers_tablet_with_its_own_checklist(
    world: World, new_device: DeviceFactory
) -> None:
    manager = await world.login("manager")
    r = await world.client.post(
        "/api/checklist-templates",
        json={
            "category": "drainage_pump",
            "job_kind": "installation",
            "name": "汛前泵站专项巡检",
            "items": [
                {
                    "code": "gate",
                    "label_zh": "闸门启闭",
                    "label_en": "Gate opens and closes",
                    "kind": "check",
                },
                {
                    "code": "level",
                    "label_zh": "前池水位",
                    "label_en": "Forebay level",
                    "kind": "measure",
                    "unit": "m",
                    "min_value": 0,
                    "max_value": 3,
                },
            ],
        },
        headers=manager,
    )
    assert r.status_code == 201, r.text
    template_id = r.json()["id"]
    device = await new_device("eng1")
    await device.sync()
    today = local_today(TZ)
    s = await _schedule(
        world,
        start_on=today.isoformat(),
        frequency="monthly",
        lead_days=0,
        template_id=template_id,
        engineer_id=str(world.users["eng1"]),
    )
    r = await world.client.post("/api/inspections/generate", headers=await world.login("dispatcher"))
    assert r.json()["created"] == 1
    job_id = uuid.UUID(r.json()["job_ids"][0])
    await device.sync()
    job = device.replica.job(job_id)
    assert job is not None and job["kind"] == "inspection" and job["status"] == "assigned"
    assert job["schedule_id"] == s["id"] and job["checklist_template_id"] == template_id
    assert str(job["due_on"]) == today.isoformat()
    template = device.actions.template_for(job)
    assert template is not None and template["name"] == "汛前泵站专项巡检"
    assert device.actions.missing_required(job) == ["gate", "level"]
    device.actions.answer(job_id, "gate", result=CheckResult.OK)
    _, out_of_range = device.actions.answer(job_id, "level", value=3.5)
    assert out_of_range
    await device.sync()
    form = await world.client.get(f"/api/jobs/{job_id}/form", headers=manager)
    assert form.status_code == 200, form.text
    answers = {a["item_code"]: a for a in form.json()["checklist"]}
    assert answers["gate"]["result"] == "ok" and answers["level"]["out_of_range"] is True
    assert device.replica.rejections() == []


# --- compliance -------------------------------------------------------------------------------------


async def _job(world: World, due: date) -> uuid.UUID:
    async with world.app.state.sessionmaker() as session:
        job_id = await session.scalar(
            select(Job.id).where(Job.due_on == due, Job.customer_id == world.customer_id)
        )
    assert job_id is not None
    return job_id


async def _resolve(world: World, due: date, at: datetime) -> None:
    job_id = await _job(world, due)
    async with world.app.state.sessionmaker() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(resolved_at=at, status="resolved"))
        await session.commit()


async def test_compliance_by_customer_and_month(world: World) -> None:
    tpl = await _template_id(world)
    await _schedule(world, start_on="2024-03-01", end_on="2024-03-05", frequency="daily", lead_days=7)
    await _schedule(world, start_on="2024-02-29", end_on="2024-02-29", frequency="yearly", lead_days=7)
    # the other customer's site has no equipment: a site-level schedule with a template
    await _schedule(
        world,
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=None,
        template_id=tpl,
        start_on="2024-03-31",
        frequency="monthly",
        lead_days=30,
    )
    await _run(world, date(2024, 2, 28))
    await _run(world, date(2024, 3, 5))
    # Mar 1: resolved 23:30 Beijing time on the day -> on time
    await _resolve(world, date(2024, 3, 1), datetime(2024, 3, 1, 15, 30, tzinfo=UTC))
    # Mar 2: resolved 00:30 Beijing time the next day (still Mar 2 in UTC) -> late
    await _resolve(world, date(2024, 3, 2), datetime(2024, 3, 2, 16, 30, tzinfo=UTC))
    # Mar 3: cancelled -> missed
    r = await world.client.post(
        f"/api/jobs/{await _job(world, date(2024, 3, 3))}/cancel",
        json={"reason": "客户停产检修"},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 200, r.text
    # Mar 4: not done, due date passed -> missed; Mar 5: due today -> pending
    headers = await world.login("manager")
    r = await world.client.get(
        "/api/reports/inspections", params={"month": "2024-03", "today": "2024-03-05"}, headers=headers
    )
    assert r.status_code == 200, r.text
    report = r.json()
    figures = {
        row["customer_name"]: [row[k] for k in ("planned", "on_time", "late", "missed", "pending")]
        for row in report["rows"]
    }
    assert figures == {"临川区水利局": [5, 1, 1, 2, 1], "南丰县防汛办": [1, 0, 0, 0, 1]}
    assert [report["total"][k] for k in ("planned", "on_time", "late", "missed", "pending")] == [
        6,
        1,
        1,
        2,
        2,
    ]
    # February: the one yearly visit, never done
    r = await world.client.get(
        "/api/reports/inspections", params={"month": "2024-02", "today": "2024-03-05"}, headers=headers
    )
    assert [(row["planned"], row["missed"]) for row in r.json()["rows"]] == [(1, 1)]
    r = await world.client.get(
        "/api/reports/inspections",
        params={"month": "2024-03", "today": "2024-04-01", "customer_id": str(world.other_customer_id)},
        headers=headers,
    )
    assert [(row["customer_name"], row["missed"]) for row in r.json()["rows"]] == [("南丰县防汛办", 1)]

    csv_r = await world.client.get(
        "/api/reports/inspections.csv", params={"month": "2024-03", "today": "2024-03-05"}, headers=headers
    )
    assert csv_r.status_code == 200 and csv_r.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="levee-inspections-2024-03.csv"' in csv_r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    assert rows[0] == ["客户", "计划", "按时完成", "逾期完成", "漏检", "待完成", "按时率 %"]
    assert rows[1:] == [
        ["临川区水利局", "5", "1", "1", "2", "1", "25.0"],
        ["南丰县防汛办", "1", "0", "0", "0", "1", ""],
        ["合计", "6", "1", "1", "2", "2", "25.0"],
    ]
    xlsx = await world.client.get(
        "/api/reports/inspections.xlsx",
        params={"month": "2024-03", "today": "2024-03-05", "lang": "en"},
        headers=headers,
    )
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["Total", 6, 1, 1, 2, 2, 25] in values
    assert ["Month", "2024-03"] in values

    for bad in ("2024-13", "2024-3", "march"):
        r = await world.client.get("/api/reports/inspections", params={"month": bad}, headers=headers)
        assert r.status_code == 400, (bad, r.text)
    r = await world.client.get("/api/reports/inspections", headers=headers)
    assert r.status_code == 400
    r = await world.client.get(
        "/api/reports/inspections", params={"month": "2024-03"}, headers=await world.login("eng1")
    )
    assert r.status_code == 403
