"""Complaints, return visits, the customer file, training sessions and equipment warranty, through HTTP
on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.db.models import AuditEntry
from shared.ids import uuid7
from tests.support import World

CST = ZoneInfo("Asia/Shanghai")


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _audit_actions(world: World, entity_id: str) -> list[str]:
    async with world.app.state.sessionmaker() as s:
        rows = await s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == entity_id).order_by(AuditEntry.seq)
        )
        return list(rows.all())


async def _push(world: World, username: str, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    r = await world.client.post(
        "/api/sync/push",
        json={"protocol": 1, "device_time": _now(), "mutations": list(mutations)},
        headers=await world.login(username),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def _mutation(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid7()), "client_seq": 1, "name": name, "args": args, "created_at": _now()}


async def _signed_off(world: World, **job: Any) -> dict[str, Any]:
    """A job the engineer resolved, its required checklist items answered, and the customer signed
    (satisfaction 4): a form QA may approve."""
    created = await world.create_job(engineer="eng1", **job)
    jid = created["id"]
    results = await _push(
        world,
        "eng1",
        _mutation("job.event", {"job_id": jid, "event_id": str(uuid7()), "type": "resolved", "at": _now()}),
        *(
            _mutation(
                "checklist.answer",
                {"job_id": jid, "result_id": str(uuid7()), "item_code": code, "answered_at": _now(), **what},
            )
            for code, what in (("insulation", {"value": 8.0}), ("seal", {"result": "ok"}))
            if created["kind"] in ("repair", "inspection")  # the world's pump has a checklist for these
        ),
        _mutation(
            "job.sign",
            {
                "job_id": jid,
                "event_id": str(uuid7()),
                "opinion": "同意",
                "satisfaction": 4,
                "signature": "M 1 1 L 2 2",
                "signed_at": _now(),
            },
        ),
    )
    assert all(r["outcome"] == "applied" for r in results), results
    return created


# --- complaints -----------------------------------------------------------------------------------


async def test_a_complaint_moves_from_received_to_handling_to_closed_with_numbers_per_year(
    world: World,
) -> None:
    dispatcher, qa = await world.login("dispatcher"), await world.login("qa")
    job = await world.create_job(engineer="eng1")
    r = await world.client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer_id),
            "job_id": job["id"],
            "complainant": "王主任",
            "phone": "0794-8221234",
            "content": "工程师到场晚了三个小时",
        },
        headers=dispatcher,
    )
    assert r.status_code == 201, r.text
    complaint = r.json()
    year = datetime.now(UTC).astimezone(CST).year
    assert complaint["number"] == f"TS-{year}-0001" and complaint["status"] == "received"
    second = await world.client.post(
        "/api/complaints",
        json={"customer_id": str(world.customer_id), "content": "回访电话打不通", "channel": "online"},
        headers=dispatcher,
    )
    assert second.json()["number"] == f"TS-{year}-0002"
    last_year = await world.client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer_id),
            "content": "去年的投诉补录",
            "received_at": datetime(year - 1, 12, 31, 20, 0, tzinfo=CST).isoformat(),
        },
        headers=dispatcher,
    )
    assert last_year.json()["number"] == f"TS-{year - 1}-0001"

    cid = complaint["id"]
    early = await world.client.post(
        f"/api/complaints/{cid}/close", json={"root_cause": "调度失误"}, headers=qa
    )
    assert early.status_code == 409 and "handle it" in early.text
    handle = await world.client.post(
        f"/api/complaints/{cid}/handle", json={"handling": "已联系客户致歉，核查调度记录"}, headers=qa
    )
    assert handle.status_code == 200, handle.text
    assert handle.json()["status"] == "handling" and handle.json()["handler_id"] == str(world.users["qa"])
    no_cause = await world.client.post(f"/api/complaints/{cid}/close", json={"root_cause": " "}, headers=qa)
    assert no_cause.status_code == 400 and "root_cause" in no_cause.text
    closed = await world.client.post(
        f"/api/complaints/{cid}/close", json={"root_cause": "派单时未考虑路程，已调整就近派单"}, headers=qa
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (
        body["status"] == "closed"
        and body["closed_at"]
        and body["handling"] == "已联系客户致歉，核查调度记录"
    )
    again = await world.client.post(f"/api/complaints/{cid}/close", json={"root_cause": "x"}, headers=qa)
    assert again.status_code == 409
    reopened = await world.client.post(f"/api/complaints/{cid}/handle", json={"handling": "x"}, headers=qa)
    assert reopened.status_code == 409
    assert await _audit_actions(world, cid) == ["complaint.create", "complaint.handle", "complaint.close"]

    got = (await world.client.get(f"/api/complaints/{cid}", headers=dispatcher)).json()
    assert got["job_number"] == job["number"] and got["handler_name"] == "质管老陈"
    assert got["customer_name"] == "临川区水利局"
    listed = (await world.client.get("/api/complaints", params={"status": "closed"}, headers=qa)).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    mine = await world.client.get(
        "/api/complaints", params={"customer_id": str(world.customer_id)}, headers=qa
    )
    assert mine.json()["total"] == 3
    other = await world.client.get(
        "/api/complaints", params={"customer_id": str(world.other_customer_id)}, headers=qa
    )
    assert other.json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"content": "无客户"}, 400, "customer_id"),
        ({"customer_id": "{other}", "job_id": "{job}", "content": "别家的工单"}, 422, "not a job of"),
        (
            {"customer_id": "{mine}", "job_id": str(uuid.UUID(int=9)), "content": "不存在的工单"},
            422,
            "job_id",
        ),
        ({"customer_id": str(uuid.UUID(int=9)), "content": "不存在的客户"}, 422, "customer_id"),
        ({"customer_id": "{mine}", "content": ""}, 400, "content"),
        (
            {"customer_id": "{mine}", "content": "x", "received_at": "2099-01-01T00:00:00+08:00"},
            422,
            "future",
        ),
        ({"customer_id": "{mine}", "content": "x", "channel": "pigeon"}, 400, "channel"),
    ],
)
async def test_a_bad_complaint_is_refused_and_takes_no_number(
    world: World, body: dict[str, Any], status: int, words: str
) -> None:
    job = await world.create_job()
    fill = {"{other}": str(world.other_customer_id), "{mine}": str(world.customer_id), "{job}": job["id"]}
    body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    dispatcher = await world.login("dispatcher")
    r = await world.client.post("/api/complaints", json=body, headers=dispatcher)
    assert r.status_code == status, r.text
    assert words in r.text
    ok = await world.client.post(
        "/api/complaints", json={"customer_id": str(world.customer_id), "content": "正常"}, headers=dispatcher
    )
    assert ok.json()["number"].endswith("-0001")


async def test_a_handler_must_be_an_active_office_user(world: World) -> None:
    dispatcher = await world.login("dispatcher")
    c = (
        await world.client.post(
            "/api/complaints",
            json={"customer_id": str(world.customer_id), "content": "噪音大"},
            headers=dispatcher,
        )
    ).json()
    engineer = await world.client.post(
        f"/api/complaints/{c['id']}/handle",
        json={"handler_id": str(world.users["eng1"]), "handling": "交给工程师"},
        headers=dispatcher,
    )
    assert engineer.status_code == 422 and "handler_id" in engineer.text
    manager = await world.client.post(
        f"/api/complaints/{c['id']}/handle",
        json={"handler_id": str(world.users["manager"]), "handling": "经理跟进"},
        headers=dispatcher,
    )
    assert manager.status_code == 200 and manager.json()["handler_id"] == str(world.users["manager"])


# --- return visits ---------------------------------------------------------------------------------


async def test_closing_a_job_plans_its_return_visit_once_and_it_is_recorded(world: World) -> None:
    qa = await world.login("qa")
    job = await _signed_off(world)
    r = await world.client.post(f"/api/jobs/{job['id']}/approve", json={"note": "合格"}, headers=qa)
    assert r.status_code == 200, r.text
    visits = (
        await world.client.get(
            "/api/return-visits", params={"customer_id": str(world.customer_id)}, headers=qa
        )
    ).json()
    [visit] = visits["items"]
    signed_on = datetime.now(UTC).astimezone(CST).date()
    assert visit["job_id"] == job["id"] and visit["status"] == "scheduled"
    assert visit["scheduled_on"] == (signed_on + timedelta(days=3)).isoformat()
    assert visit["engineer_name"] == "张伟" and visit["job_number"] == job["number"] and not visit["overdue"]
    assert "return_visit.schedule" in await _audit_actions(world, visit["id"])

    # a second visit for the same job is refused (the unique job is what makes the automatic one idempotent)
    dup = await world.client.post(
        "/api/return-visits", json={"job_id": job["id"], "scheduled_on": "2026-01-01"}, headers=qa
    )
    assert dup.status_code == 409

    no_score = await world.client.post(
        f"/api/return-visits/{visit['id']}/record", json={"result": "done"}, headers=qa
    )
    assert no_score.status_code == 400 and "satisfaction" in no_score.text
    tried = await world.client.post(
        f"/api/return-visits/{visit['id']}/record",
        json={"result": "unreachable", "note": "无人接听"},
        headers=qa,
    )
    assert tried.status_code == 200 and tried.json()["status"] == "unreachable"
    done = await world.client.post(
        f"/api/return-visits/{visit['id']}/record",
        json={"result": "done", "method": "on_site", "satisfaction": 5, "outcome": "设备运行正常，很满意"},
        headers=qa,
    )
    assert done.status_code == 200, done.text
    assert done.json()["satisfaction"] == 5 and done.json()["visitor_id"] == str(world.users["qa"])
    final = await world.client.post(
        f"/api/return-visits/{visit['id']}/record", json={"result": "done", "satisfaction": 1}, headers=qa
    )
    assert final.status_code == 409
    assert (await world.client.get(f"/api/return-visits/{visit['id']}", headers=qa)).json()[
        "satisfaction"
    ] == 5


async def test_inspections_get_no_automatic_return_visit(world: World) -> None:
    qa = await world.login("qa")
    job = await _signed_off(world, kind="inspection")
    assert (await world.client.post(f"/api/jobs/{job['id']}/approve", json={}, headers=qa)).status_code == 200
    assert (await world.client.get("/api/return-visits", headers=qa)).json()["total"] == 0


async def test_a_hand_made_visit_is_kept_when_the_job_closes_and_due_lists_follow_the_date(
    world: World,
) -> None:
    dispatcher, qa = await world.login("dispatcher"), await world.login("qa")
    job = await _signed_off(world)
    today = datetime.now(UTC).astimezone(CST).date()
    made = await world.client.post(
        "/api/return-visits",
        json={
            "job_id": job["id"],
            "scheduled_on": (today - timedelta(days=2)).isoformat(),
            "method": "on_site",
        },
        headers=dispatcher,
    )
    assert made.status_code == 201, made.text
    assert (await world.client.post(f"/api/jobs/{job['id']}/approve", json={}, headers=qa)).status_code == 200
    later = await _signed_off(world)
    await world.client.post(
        "/api/return-visits",
        json={"job_id": later["id"], "scheduled_on": today.isoformat()},
        headers=dispatcher,
    )
    everything = (await world.client.get("/api/return-visits", headers=qa)).json()["items"]
    assert len(everything) == 2
    assert everything[0]["id"] == made.json()["id"] and everything[0]["method"] == "on_site"
    overdue = (await world.client.get("/api/return-visits", params={"overdue": "true"}, headers=qa)).json()
    assert [v["job_id"] for v in overdue["items"]] == [job["id"]] and overdue["items"][0]["overdue"]
    due = (await world.client.get("/api/return-visits", params={"due": "true"}, headers=qa)).json()
    assert {v["job_id"] for v in due["items"]} == {job["id"], later["id"]}
    eng2 = (
        await world.client.get(
            "/api/return-visits", params={"engineer_id": str(world.users["eng2"])}, headers=qa
        )
    ).json()
    assert eng2["total"] == 0
    missing = await world.client.post(
        "/api/return-visits",
        json={"job_id": str(uuid.uuid4()), "scheduled_on": today.isoformat()},
        headers=qa,
    )
    assert missing.status_code == 422


# --- training --------------------------------------------------------------------------------------


async def test_a_training_session_is_a_job_for_the_trainer_and_its_details_reach_the_device(
    world: World,
) -> None:
    dispatcher = await world.login("dispatcher")
    at = datetime(2026, 8, 3, 9, 30, tzinfo=CST)
    r = await world.client.post(
        "/api/training",
        json={
            "customer_id": str(world.customer_id),
            "site_id": str(world.site_id),
            "equipment_id": str(world.equipment_id),
            "content": "潜水排涝泵日常维护与汛前检查",
            "engineer_id": str(world.users["eng1"]),
            "place": "城东排涝泵站会议室",
            "scheduled_at": at.isoformat(),
            "attendees": ["刘站长", "陈师傅", "刘站长"],
        },
        headers=dispatcher,
    )
    assert r.status_code == 201, r.text
    training = r.json()
    assert training["status"] == "assigned" and training["training_attendees"] == ["刘站长", "陈师傅"]
    job = (await world.client.get(f"/api/jobs/{training['id']}", headers=dispatcher)).json()
    assert job["kind"] == "training" and job["training_place"] == "城东排涝泵站会议室"
    assert datetime.fromisoformat(job["scheduled_at"]) == at

    eng = await world.login("eng1")
    first = await world.client.post("/api/sync/pull", json={"cursor": None, "limit": 2000}, headers=eng)
    [doc] = [c["data"] for c in first.json()["changes"] if c["entity"] == "job" and c["id"] == training["id"]]
    assert doc["training_content"] == "潜水排涝泵日常维护与汛前检查" and doc["training_attendees"] == [
        "刘站长",
        "陈师傅",
    ]
    cursor = first.json()["cursor"]

    patch = await world.client.patch(
        f"/api/training/{training['id']}",
        json={"attendees": ["刘站长", "陈师傅", "王技术员"], "place": "泵站二楼"},
        headers=dispatcher,
    )
    assert patch.status_code == 200, patch.text
    assert patch.json()["version"] > training["version"]
    later = await world.client.post("/api/sync/pull", json={"cursor": cursor}, headers=eng)
    [doc] = [c["data"] for c in later.json()["changes"] if c["entity"] == "job" and c["id"] == training["id"]]
    assert (
        doc["training_attendees"] == ["刘站长", "陈师傅", "王技术员"] and doc["training_place"] == "泵站二楼"
    )
    assert await _audit_actions(world, training["id"]) == ["job.create", "job.training_update"]

    same = await world.client.patch(
        f"/api/training/{training['id']}", json={"place": "泵站二楼"}, headers=dispatcher
    )
    assert same.json()["version"] == patch.json()["version"]  # nothing changed, nothing bumped


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"content": ""}, 400, "content"),
        ({"scheduled_at": None}, 400, "scheduled_at"),
        ({"scheduled_at": "2026-08-03T09:30:00"}, 400, "scheduled_at"),
        ({"attendees": [""]}, 400, "attendees"),
        ({"engineer_id": "{dispatcher}"}, 422, "engineer"),
        ({"site_id": "{other_site}"}, 422, "site_id"),
    ],
)
async def test_a_bad_training_session_is_refused(
    world: World, body: dict[str, Any], status: int, words: str
) -> None:
    base = {
        "customer_id": str(world.customer_id),
        "site_id": str(world.site_id),
        "content": "发电机组操作培训",
        "scheduled_at": "2026-08-03T09:30:00+08:00",
    }
    fill = {"{dispatcher}": str(world.users["dispatcher"]), "{other_site}": str(world.other_site_id)}
    base.update({k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()})
    dispatcher = await world.login("dispatcher")
    r = await world.client.post("/api/training", json=base, headers=dispatcher)
    assert r.status_code == status, r.text
    assert words in r.text
    jobs = (await world.client.get("/api/jobs", params={"kind": "training"}, headers=dispatcher)).json()
    assert jobs["total"] == 0


async def test_training_details_are_only_for_training_jobs_and_final_once_closed(world: World) -> None:
    dispatcher = await world.login("dispatcher")
    repair = await world.create_job(engineer="eng1")
    r = await world.client.patch(f"/api/training/{repair['id']}", json={"place": "x"}, headers=dispatcher)
    assert r.status_code == 422 and "not a training session" in r.text
    missing = await world.client.patch(
        f"/api/training/{uuid.uuid4()}", json={"place": "x"}, headers=dispatcher
    )
    assert missing.status_code == 404
    t = (
        await world.client.post(
            "/api/training",
            json={
                "customer_id": str(world.customer_id),
                "site_id": str(world.site_id),
                "content": "冲锋舟驾驶培训",
                "scheduled_at": "2026-08-03T09:30:00+08:00",
            },
            headers=dispatcher,
        )
    ).json()
    empty = await world.client.patch(f"/api/training/{t['id']}", json={"content": None}, headers=dispatcher)
    assert empty.status_code == 422
    await world.client.post(
        f"/api/jobs/{t['id']}/cancel", json={"reason": "天气原因取消"}, headers=dispatcher
    )
    final = await world.client.patch(f"/api/training/{t['id']}", json={"place": "x"}, headers=dispatcher)
    assert final.status_code == 409


# --- equipment warranty and the customer file ------------------------------------------------------


async def test_warranty_end_follows_delivery_and_years_unless_the_office_set_it(world: World) -> None:
    admin = await world.login("admin")
    r = await world.client.post(
        "/api/equipment",
        json={
            "site_id": str(world.site_id),
            "category": "generator_set",
            "model": "150kW 柴油发电机组",
            "serial_no": "GS-0001",
            "delivered_on": "2024-02-29",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["warranty_end"] == "2026-02-28" and item["warranty_years"] is None  # the customer's 2 years
    url = f"/api/equipment/{item['id']}"
    years = (await world.client.patch(url, json={"warranty_years": 3}, headers=admin)).json()
    assert years["warranty_end"] == "2027-02-28" and years["warranty_years"] == 3
    moved = (await world.client.patch(url, json={"delivered_on": "2024-06-01"}, headers=admin)).json()
    assert moved["warranty_end"] == "2027-06-01"
    fixed = (await world.client.patch(url, json={"warranty_end": "2028-12-31"}, headers=admin)).json()
    assert fixed["warranty_end"] == "2028-12-31"
    kept = (await world.client.patch(url, json={"warranty_years": 1}, headers=admin)).json()
    assert kept["warranty_end"] == "2028-12-31"  # set by the office: a change of years leaves it
    back = (await world.client.patch(url, json={"warranty_end": None}, headers=admin)).json()
    assert back["warranty_end"] == "2025-06-01"  # handed back to the rules
    bad = await world.client.patch(url, json={"warranty_end": "2020-01-01"}, headers=admin)
    assert bad.status_code == 422 and "warranty_end" in bad.text
    assert (await world.client.get(url, headers=admin)).json()["warranty_end"] == "2025-06-01"
    assert (await world.client.patch(url, json={"warranty_years": -1}, headers=admin)).status_code == 400
    no = await world.client.patch(url, json={"warranty_years": 5}, headers=await world.login("qa"))
    assert no.status_code == 403
    actions = await _audit_actions(world, item["id"])
    assert actions[0] == "equipment.create" and actions.count("equipment.update") == 5

    explicit = await world.client.post(
        "/api/equipment",
        json={
            "site_id": str(world.site_id),
            "category": "generator_set",
            "model": "50kW",
            "serial_no": "GS-0002",
            "delivered_on": "2025-01-10",
            "warranty_years": 5,
            "warranty_end": "2026-01-10",
        },
        headers=admin,
    )
    assert explicit.json()["warranty_end"] == "2026-01-10" and explicit.json()["warranty_years"] == 5


async def test_the_customer_file_holds_equipment_warranty_jobs_complaints_visits_and_satisfaction(
    world: World,
) -> None:
    qa, dispatcher = await world.login("qa"), await world.login("dispatcher")
    closed = await _signed_off(world)
    await world.client.post(f"/api/jobs/{closed['id']}/approve", json={}, headers=qa)
    open_job = await world.create_job(engineer="eng2", symptom="发电机无法启动")
    await world.client.post(
        f"/api/jobs/{open_job['id']}/billing",
        json={"billable": True, "reason": "misuse", "note": "未按规程加油"},
        headers=qa,
    )
    await world.create_job(
        customer_id=str(world.other_customer_id), site_id=str(world.other_site_id), equipment_id=None
    )
    await world.client.post(
        "/api/complaints",
        json={"customer_id": str(world.customer_id), "job_id": closed["id"], "content": "维修后仍有异响"},
        headers=dispatcher,
    )
    [visit] = (await world.client.get("/api/return-visits", headers=qa)).json()["items"]
    await world.client.post(
        f"/api/return-visits/{visit['id']}/record", json={"result": "done", "satisfaction": 3}, headers=qa
    )

    r = await world.client.get(f"/api/customers/{world.customer_id}/file", headers=dispatcher)
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["customer"]["name"] == "临川区水利局" and [s["name"] for s in f["sites"]] == ["城东排涝泵站"]
    [pump] = f["equipment"]
    today = date.fromisoformat(f["today"])
    assert pump["warranty_end"] == "2027-05-01" and pump["site_name"] == "城东排涝泵站"
    assert pump["warranty_state"] == ("in_warranty" if today <= date(2027, 5, 1) else "expired")
    assert f["jobs_total"] == 2 and [j["id"] for j in f["jobs"]] == [open_job["id"], closed["id"]]
    newest = f["jobs"][0]
    assert (
        newest["billable"] is True and newest["billable_reason"] == "misuse" and newest["billing_overridden"]
    )
    assert newest["engineer_name"] == "李强" and f["jobs"][1]["status"] == "closed"
    assert [c["content"] for c in f["complaints"]] == ["维修后仍有异响"]
    assert [v["satisfaction"] for v in f["return_visits"]] == [3]
    assert f["satisfaction"] == {
        "visits": 1,
        "visit_average": 3.0,
        "unreachable": 0,
        "acceptances": 1,
        "acceptance_average": 4.0,
    }
    other = (await world.client.get(f"/api/customers/{world.other_customer_id}/file", headers=qa)).json()
    assert other["jobs_total"] == 1 and other["complaints"] == [] and other["equipment"] == []
    missing = await world.client.get(f"/api/customers/{uuid.uuid4()}/file", headers=qa)
    assert missing.status_code == 404

    month = datetime.now(UTC).astimezone(CST).strftime("%Y-%m")
    report = await world.client.get("/api/reports/satisfaction", params={"month": month}, headers=qa)
    assert report.status_code == 200, report.text
    [row] = report.json()["engineers"]
    assert row["engineer_name"] == "张伟" and row["visit_average"] == 3.0 and row["acceptance_average"] == 4.0
    empty = (
        await world.client.get("/api/reports/satisfaction", params={"month": "2001-01"}, headers=qa)
    ).json()
    assert empty["engineers"] == [] and empty["total"]["visits"] == 0
    for bad in ("2026-13", "2026-5", "may"):
        r = await world.client.get("/api/reports/satisfaction", params={"month": bad}, headers=qa)
        assert r.status_code in (400, 422) and "month" in r.text


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "create", "read", "close", "training"),
    [
        ("dispatcher", 201, 200, 403, 201),
        ("manager", 201, 200, 200, 201),
        ("qa", 403, 200, 200, 403),
        ("admin", 201, 200, 200, 201),
        ("warehouse", 403, 403, 403, 403),
        ("eng1", 403, 403, 403, 403),
    ],
)
async def test_who_may_record_read_and_close_complaints_and_plan_training(
    world: World, username: str, create: int, read: int, close: int, training: int
) -> None:
    headers = await world.login(username)
    body = {"customer_id": str(world.customer_id), "content": "服务态度差"}
    assert (await world.client.post("/api/complaints", json=body, headers=headers)).status_code == create
    manager = await world.login("manager")
    c = (await world.client.post("/api/complaints", json=body, headers=manager)).json()
    assert (await world.client.get("/api/complaints", headers=headers)).status_code == read
    assert (
        await world.client.get(f"/api/customers/{world.customer_id}/file", headers=headers)
    ).status_code == read
    assert (await world.client.get("/api/return-visits", headers=headers)).status_code == read
    await world.client.post(f"/api/complaints/{c['id']}/handle", json={"handling": "核实中"}, headers=manager)
    r = await world.client.post(
        f"/api/complaints/{c['id']}/close", json={"root_cause": "沟通不足"}, headers=headers
    )
    assert r.status_code == close
    session = {
        "customer_id": str(world.customer_id),
        "site_id": str(world.site_id),
        "content": "救生衣使用培训",
        "scheduled_at": "2026-08-03T09:30:00+08:00",
    }
    assert (await world.client.post("/api/training", json=session, headers=headers)).status_code == training
