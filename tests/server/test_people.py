"""People (人员配备、持证上岗、绩效考核) through the API on both databases: an engineer's staff file
(certificates, qualifications, training) kept and audited, the expiry list, the qualification warning of
an assignment recorded in the audit, the monthly appraisal against a hand-computed month and its export
neutralised, bad input refused in words, and who may do what."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from server.db.models import AuditEntry, Complaint, Job, ReturnVisit, User
from shared.clock import utcnow
from shared.ids import uuid7
from shared.sla import SlaLimits, deadlines
from tests.support import World


async def _actions(world: World, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    async with world.app.state.sessionmaker() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        return [(r.action, r.detail) for r in rows if r.action.startswith(prefix)]


def _today(world: World) -> date:
    """Today where the server is (its days decide what has expired)."""
    return utcnow().astimezone(ZoneInfo(world.app.state.settings.timezone)).date()


async def test_a_staff_file_holds_certificates_qualifications_and_training(world: World) -> None:
    manager = await world.login("manager")
    eng = world.users["eng1"]
    today = _today(world)
    cert = await world.client.post(
        f"/api/people/staff/{eng}/certificates",
        json={
            "name": "特种作业操作证（电工）",
            "number": "T360102198",
            "level": "高级",
            "issued_on": "2023-03-01",
            "expires_on": (today + timedelta(days=400)).isoformat(),
        },
        headers=manager,
    )
    assert cert.status_code == 201, cert.text
    assert cert.json()["state"] == "valid" and cert.json()["days_left"] == 400
    soon = await world.client.post(
        f"/api/people/staff/{eng}/certificates",
        json={
            "name": "排涝泵维修上岗证",
            "number": "PB-0042",
            "issued_on": "2022-01-01",
            "expires_on": (today + timedelta(days=10)).isoformat(),
        },
        headers=manager,
    )
    assert soon.status_code == 201 and soon.json()["state"] == "expiring"
    quals = await world.client.put(
        f"/api/people/staff/{eng}/qualifications",
        json={
            "qualifications": [
                {"category": "drainage_pump", "certificate_id": soon.json()["id"]},
                {"category": "generator_set"},
            ]
        },
        headers=manager,
    )
    assert quals.status_code == 200, quals.text
    assert [(q["category"], q["state"]) for q in quals.json()] == [
        ("drainage_pump", "expiring"),
        ("generator_set", "valid"),
    ]
    course = await world.client.post(
        f"/api/people/staff/{eng}/training",
        json={"taken_on": "2026-04-10", "course": "QSZ 潜水泵检修", "hours": "7.5", "result": "passed"},
        headers=manager,
    )
    assert course.status_code == 201, course.text

    office = await world.login("dispatcher")
    file = await world.client.get(f"/api/people/staff/{eng}", headers=office)
    assert file.status_code == 200, file.text
    body = file.json()
    assert body["name"] == "张伟" and len(body["certificates"]) == 2
    assert [t["course"] for t in body["training"]] == ["QSZ 潜水泵检修"]
    assert body["training_hours"] == "7.5"
    staff = {r["name"]: r for r in (await world.client.get("/api/people/staff", headers=office)).json()}
    assert staff["张伟"]["certificates"] == 2 and staff["张伟"]["expiring"] == 1
    assert staff["张伟"]["qualifications"] == ["drainage_pump", "generator_set"]
    assert staff["李强"]["certificates"] == 0

    # renewing the soon-expiring certificate takes it off the expiry list
    expiring = (await world.client.get("/api/people/expiring", headers=office)).json()
    assert [c["number"] for c in expiring] == ["PB-0042"]
    renewed = await world.client.put(
        f"/api/people/certificates/{soon.json()['id']}",
        json={
            "name": "排涝泵维修上岗证",
            "number": "PB-0042",
            "issued_on": "2022-01-01",
            "expires_on": (today + timedelta(days=1000)).isoformat(),
        },
        headers=manager,
    )
    assert renewed.status_code == 200 and renewed.json()["state"] == "valid"
    assert (await world.client.get("/api/people/expiring", headers=office)).json() == []
    gone = await world.client.delete(f"/api/people/training/{course.json()['id']}", headers=manager)
    assert gone.status_code == 204
    gone = await world.client.delete(f"/api/people/certificates/{cert.json()['id']}", headers=manager)
    assert gone.status_code == 204
    actions = [a for a, _ in await _actions(world, "staff.")]
    assert actions == [
        "staff.certificate_add",
        "staff.certificate_add",
        "staff.qualifications_set",
        "staff.training_add",
        "staff.certificate_change",
        "staff.training_remove",
        "staff.certificate_remove",
    ]


async def test_assigning_an_unqualified_engineer_warns_and_is_kept_with_the_assignment(world: World) -> None:
    manager, desk = await world.login("manager"), await world.login("dispatcher")
    eng1, eng2 = world.users["eng1"], world.users["eng2"]
    today = _today(world)
    job = await world.create_job()  # the world's unit is a drainage pump
    check = await world.client.get(
        f"/api/people/staff/{eng1}/check", params={"job_id": job["id"]}, headers=desk
    )
    assert check.status_code == 200, check.text
    assert check.json()["category"] == "drainage_pump"
    assert [(g["category"], g["reason"]) for g in check.json()["gaps"]] == [("drainage_pump", "missing")]

    old = await world.client.post(
        f"/api/people/staff/{eng2}/certificates",
        json={
            "name": "排涝泵维修上岗证",
            "number": "PB-0007",
            "issued_on": "2020-01-01",
            "expires_on": (today - timedelta(days=3)).isoformat(),
        },
        headers=manager,
    )
    assert old.status_code == 201 and old.json()["state"] == "expired"
    await world.client.put(
        f"/api/people/staff/{eng2}/qualifications",
        json={"qualifications": [{"category": "drainage_pump", "certificate_id": old.json()["id"]}]},
        headers=manager,
    )
    check = await world.client.get(
        f"/api/people/staff/{eng2}/check", params={"job_id": job["id"]}, headers=desk
    )
    gap = check.json()["gaps"][0]
    assert gap["reason"] == "expired" and gap["certificate_name"] == "排涝泵维修上岗证"

    # the dispatcher confirmed: the assignment goes through, and its history says what was lacking
    r = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(eng2)}, headers=desk
    )
    assert r.status_code == 200, r.text
    assert r.json()["assigned_engineer_id"] == str(eng2)
    history = (await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=desk)).json()
    assert [(h["engineer_id"], [g["reason"] for g in h["qualification_gaps"]]) for h in history] == [
        (str(eng2), ["expired"])
    ]
    assert history[0]["qualification_gaps"][0]["certificate_name"] == "排涝泵维修上岗证"

    # qualified (a qualification without a certificate never expires): nothing to warn about or record
    await world.client.put(
        f"/api/people/staff/{eng1}/qualifications",
        json={"qualifications": [{"category": "drainage_pump"}]},
        headers=manager,
    )
    check = await world.client.get(
        f"/api/people/staff/{eng1}/check", params={"job_id": job["id"]}, headers=desk
    )
    assert check.json()["gaps"] == []
    r = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(eng1)}, headers=desk
    )
    assert r.status_code == 200
    history = (await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=desk)).json()
    assert [len(h["qualification_gaps"]) for h in history] == [1, 0]


async def _month_of_jobs(world: World) -> None:
    """May 2026 for eng1: J1 kept every promise (ack 10, arrive 100, fix 300 min, satisfaction 5), J2 was
    late to respond (ack 40, arrive 200, fix 600, satisfaction 3); a complaint about J2 and a return visit
    of J1 (satisfaction 4). General policy: respond 30, on site 240, fix 1440 minutes."""
    limits = SlaLimits(30, 240, 1440, 480)
    async with world.app.state.sessionmaker() as s:
        ids = []
        for n, (day, ack, arrive, fix, sat) in enumerate(((4, 10, 100, 300, 5), (12, 40, 200, 600, 3))):
            call = datetime(2026, 5, day, 2, 0, tzinfo=UTC)
            due = deadlines(call, limits)
            job = Job(
                id=uuid7(),
                number=f"WO-202605-9{n}",
                kind="repair",
                severity="general",
                status="closed",
                customer_id=world.customer_id,
                site_id=world.site_id,
                equipment_id=world.equipment_id if n == 0 else None,
                assigned_engineer_id=world.users["eng1"],
                call_received_at=call,
                respond_due_at=due.respond_due_at,
                onsite_due_at=due.onsite_due_at,
                fix_due_at=due.fix_due_at,
                backup_due_at=due.backup_due_at,
                acknowledged_at=call + timedelta(minutes=ack),
                arrived_at=call + timedelta(minutes=arrive),
                resolved_at=call + timedelta(minutes=fix),
                signed_off_at=call + timedelta(minutes=fix + 10),
                satisfaction=sat,
                version=1,
                field_versions={},
            )
            s.add(job)
            ids.append(job.id)
        await s.flush()
        s.add(
            Complaint(
                number="TS-2026-0901",
                customer_id=world.customer_id,
                job_id=ids[1],
                received_at=datetime(2026, 5, 20, 3, 0, tzinfo=UTC),
                content='=HYPERLINK("http://x") 响应太慢',
            )
        )
        s.add(
            ReturnVisit(
                job_id=ids[0],
                customer_id=world.customer_id,
                scheduled_on=date(2026, 5, 11),
                status="done",
                visited_at=datetime(2026, 5, 11, 3, 0, tzinfo=UTC),
                satisfaction=4,
            )
        )
        await s.commit()


async def test_the_appraisal_is_the_reports_figures_for_the_engineer_and_month(world: World) -> None:
    await _month_of_jobs(world)
    manager = await world.login("manager")
    r = await world.client.get("/api/people/appraisal", params={"month": "2026-05"}, headers=manager)
    assert r.status_code == 200, r.text
    rows = {a["engineer_name"]: a for a in r.json()}
    a = rows["张伟"]
    assert a["jobs"] == 2
    assert (a["respond_median_min"], a["onsite_median_min"], a["fix_median_min"]) == (25.0, 150.0, 450.0)
    assert (a["respond_compliance_pct"], a["onsite_compliance_pct"], a["fix_compliance_pct"]) == (
        50.0,
        100.0,
        100.0,
    )
    assert a["breaches"] == 1
    assert a["resolved_repairs"] == 1 and a["first_time_fix_pct"] == 100.0
    assert a["satisfaction_avg"] == 4.0
    assert (a["return_visits"], a["return_visit_avg"], a["unreachable"]) == (1, 4.0, 0)
    assert a["complaints"] == 1
    assert rows["李强"]["jobs"] == 0 and rows["李强"]["complaints"] == 0

    # the same figures as the reports give for the engineer (one computation, not two)
    eng = str(world.users["eng1"])
    window = {"received_from": "2026-05-01T00:00:00+08:00", "received_to": "2026-06-01T00:00:00+08:00"}
    times = (
        await world.client.get(
            "/api/reports/response-times", params={**window, "engineer_id": eng}, headers=manager
        )
    ).json()
    assert times["rows"][0]["acknowledge"]["median_min"] == a["respond_median_min"]
    one = await world.client.get(
        "/api/people/appraisal", params={"month": "2026-05", "engineer_id": eng}, headers=manager
    )
    assert [x["engineer_name"] for x in one.json()] == ["张伟"]


async def test_the_appraisal_exports_with_its_cells_neutralised(world: World) -> None:
    await _month_of_jobs(world)
    async with world.app.state.sessionmaker() as s:
        user = await s.get(User, world.users["eng1"])
        user.display_name = "=cmd|' /C calc'!A0"
        await s.commit()
    manager = await world.login("manager")
    r = await world.client.get(
        "/api/people/appraisal/export/appraisal.csv", params={"month": "2026-05"}, headers=manager
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工程师" and rows[0][-1] == "投诉"
    names = [row[0] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names and "=cmd|' /C calc'!A0" not in names
    x = await world.client.get(
        "/api/people/appraisal/export/appraisal.xlsx",
        params={"month": "2026-05", "lang": "en"},
        headers=manager,
    )
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "Engineer" in values and "'=cmd|' /C calc'!A0" in values and "=cmd|' /C calc'!A0" not in values
    assert 2 in values  # numbers stay numbers


async def test_bad_input_is_refused_in_words(world: World) -> None:
    manager = await world.login("manager")
    eng = world.users["eng1"]
    cases: list[tuple[str, str, Any, int, str | None]] = [
        (
            "post",
            f"/api/people/staff/{eng}/certificates",
            {"name": "证", "number": "1", "issued_on": "2026-05-01", "expires_on": "2026-04-01"},
            400,
            None,
        ),
        (
            "post",
            f"/api/people/staff/{eng}/certificates",
            {"name": "", "number": "1", "issued_on": "2026-05-01"},
            400,
            None,
        ),
        (
            "post",
            f"/api/people/staff/{world.users['dispatcher']}/certificates",
            {"name": "证", "number": "1", "issued_on": "2026-05-01"},
            404,
            "people.no_engineer",
        ),
        (
            "put",
            f"/api/people/staff/{eng}/qualifications",
            {"qualifications": [{"category": "drainage_pump"}, {"category": "drainage_pump"}]},
            422,
            "people.category_twice",
        ),
        (
            "put",
            f"/api/people/staff/{eng}/qualifications",
            {"qualifications": [{"category": "spaceship"}]},
            400,
            None,
        ),
        (
            "put",
            f"/api/people/staff/{eng}/qualifications",
            {"qualifications": [{"category": "pump_truck", "certificate_id": str(uuid7())}]},
            422,
            "people.not_their_certificate",
        ),
        (
            "post",
            f"/api/people/staff/{eng}/training",
            {"taken_on": "2026-05-01", "course": "课", "hours": "0", "result": "passed"},
            400,
            None,
        ),
        (
            "post",
            f"/api/people/staff/{eng}/training",
            {"taken_on": "2026-05-01", "course": "课", "hours": "8", "result": "maybe"},
            400,
            None,
        ),
        (
            "put",
            f"/api/people/certificates/{uuid7()}",
            {"name": "证", "number": "1", "issued_on": "2026-05-01"},
            404,
            "people.no_certificate",
        ),
        ("delete", f"/api/people/training/{uuid7()}", None, 404, "people.no_training"),
        ("get", "/api/people/appraisal?month=2026-13", None, 422, "month.invalid"),
        ("get", "/api/people/appraisal/export/appraisal.pdf?month=2026-05", None, 404, "export.unknown"),
        ("get", f"/api/people/staff/{eng}/check?job_id={uuid7()}", None, 404, "job.not_found"),
        ("get", "/api/people/expiring?days=-1", None, 400, None),
    ]
    for method, path, body, status, code in cases:
        kwargs: dict[str, Any] = {"headers": manager}
        if body is not None:
            kwargs["json"] = body
        r = await world.client.request(method.upper(), path, **kwargs)
        assert r.status_code == status, (path, r.text)
        assert r.json().get("detail"), r.text
        if code:
            assert r.json()["code"] == code, r.text


async def test_who_may_read_and_change_staff_files(world: World) -> None:
    eng = world.users["eng1"]
    body = {"name": "证", "number": "1", "issued_on": "2026-05-01"}
    for user, read, write, appraise in (
        ("dispatcher", 200, 403, 200),
        ("qa", 200, 403, 200),
        ("warehouse", 200, 403, 403),
        ("manager", 200, 201, 200),
        ("admin", 200, 201, 200),
        ("eng1", 403, 403, 403),
    ):
        headers = await world.login(user)
        assert (await world.client.get(f"/api/people/staff/{eng}", headers=headers)).status_code == read, user
        assert (await world.client.get("/api/people/expiring", headers=headers)).status_code == read, user
        r = await world.client.post(f"/api/people/staff/{eng}/certificates", json=body, headers=headers)
        assert r.status_code == write, (user, r.text)
        r = await world.client.get("/api/people/appraisal", params={"month": "2026-05"}, headers=headers)
        assert r.status_code == appraise, user
