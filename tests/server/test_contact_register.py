"""The contact register (来电来函登记), complaint deadlines and their escalation, key customers and the
person responsible (重点客户, 指定专人负责), through HTTP on both databases (issue 17 part 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.db.models import AuditEntry, Complaint
from server.escalation.scanner import scan
from server.inspections.generator import local_today
from server.settings import Settings
from tests.support import World


async def _register(world: World, who: str = "dispatcher", **body: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"customer_id": str(world.customer_id), "channel": "hotline"}
    r = await world.client.post("/api/contacts", json=base | body, headers=await world.login(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_every_kind_of_contact_is_registered_with_its_channel_and_links(world: World) -> None:
    office = await world.login("dispatcher")
    # a call through the call screen's door (POST /api/jobs) is registered as a repair call by itself
    job = await world.create_job(channel="hotline", caller_name="王工", symptom="2号泵不出水")
    calls = (await world.client.get("/api/contacts", params={"kind": "repair"}, headers=office)).json()
    [call] = calls["items"]
    assert (call["channel"], call["job_id"], call["job_number"]) == ("hotline", job["id"], job["number"])
    assert call["contact_name"] == "王工" and call["summary"] == "2号泵不出水"
    assert call["number"].startswith("LD-") and call["taken_by_name"]

    inquiry = await _register(
        world, kind="inquiry", summary="QW100 泵的轴承多久换一次？", answer="每运行 8000 小时或两年更换"
    )
    assert inquiry["answer"].startswith("每运行") and inquiry["job_id"] is None
    letter = await _register(world, kind="correspondence", channel="letter", summary="来函：申请汛前巡检")
    mail = await _register(world, who="qa", kind="other", channel="email", summary="感谢信", customer_id=None)
    assert mail["customer_id"] is None

    # a complaint registered here records its complaint record too (with a deadline), and links it
    made = await _register(
        world, kind="complaint", channel="web", summary="工程师迟到两小时", severity="major"
    )
    assert made["complaint_id"] is not None
    complaint = (await world.client.get(f"/api/complaints/{made['complaint_id']}", headers=office)).json()
    assert (complaint["severity"], complaint["channel"], complaint["content"]) == (
        "major",
        "online",
        "工程师迟到两小时",
    )
    received = datetime.fromisoformat(complaint["received_at"])
    assert datetime.fromisoformat(complaint["due_at"]) == received + timedelta(hours=24)
    # and a complaint recorded on the customer file is registered by itself
    r = await world.client.post(
        "/api/complaints",
        json={"customer_id": str(world.customer_id), "content": "回访电话无人接", "channel": "letter"},
        headers=office,
    )
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["due_at"]) == datetime.fromisoformat(
        r.json()["received_at"]
    ) + timedelta(hours=72)
    follow_up = await _register(world, kind="complaint", summary="再次来电催问", complaint_id=r.json()["id"])
    assert follow_up["complaint_id"] == r.json()["id"]

    register = (await world.client.get("/api/contacts", headers=office)).json()
    assert register["total"] == 7
    by_kind = (await world.client.get("/api/contacts", params={"kind": "complaint"}, headers=office)).json()
    assert by_kind["total"] == 3 and {c["complaint_number"] is not None for c in by_kind["items"]} == {True}
    by_channel = (
        await world.client.get("/api/contacts", params={"channel": "letter"}, headers=office)
    ).json()
    assert {c["id"] for c in by_channel["items"]} >= {letter["id"]}
    mine = await world.client.get(
        "/api/contacts", params={"customer_id": str(world.customer_id), "q": "轴承"}, headers=office
    )
    assert [c["id"] for c in mine.json()["items"]] == [inquiry["id"]]

    # the customer file shows the register's contacts of that customer
    file = (await world.client.get(f"/api/customers/{world.customer_id}/file", headers=office)).json()
    assert len(file["contacts"]) == 6 and {c["kind"] for c in file["contacts"]} == {
        "repair",
        "inquiry",
        "correspondence",
        "complaint",
    }
    async with world.app.state.sessionmaker() as s:
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "contact"))).all()
    # the two registered with their job or complaint are audited by job.create and complaint.create
    assert actions.count("contact.register") == 5


async def test_an_inquiry_becomes_a_job_and_the_link_is_kept(world: World) -> None:
    inquiry = await _register(world, kind="inquiry", contact_name="李站长", summary="启闭机异响，想请人看看")
    office = await world.login("dispatcher")
    r = await world.client.post(
        f"/api/contacts/{inquiry['id']}/job",
        json={
            "site_id": str(world.site_id),
            "severity": "general",
            "assigned_engineer_id": str(world.users["eng1"]),
        },
        headers=office,
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["symptom"] == "启闭机异响，想请人看看" and job["caller_name"] == "李站长"
    assert job["assigned_engineer_id"] == str(world.users["eng1"]) and job["respond_due_at"]
    row = (await world.client.get(f"/api/contacts/{inquiry['id']}", headers=office)).json()
    assert (row["job_id"], row["job_number"], row["outcome"]) == (job["id"], job["number"], job["number"])
    # twice is refused, and so is a repair call (it has its job) and a job at another customer's site
    again = await world.client.post(
        f"/api/contacts/{inquiry['id']}/job", json={"site_id": str(world.site_id)}, headers=office
    )
    assert again.status_code == 409 and again.json()["code"] == "contact.has_job"
    other = await _register(world, kind="inquiry", summary="另一个问题")
    wrong = await world.client.post(
        f"/api/contacts/{other['id']}/job", json={"site_id": str(world.other_site_id)}, headers=office
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "site.not_of_customer", wrong.text
    assert (await world.client.get(f"/api/contacts/{other['id']}", headers=office)).json()["job_id"] is None
    # the answer written later
    later = await world.client.patch(
        f"/api/contacts/{other['id']}", json={"answer": "已请厂家答复"}, headers=await world.login("qa")
    )
    assert later.status_code == 200 and later.json()["answer"] == "已请厂家答复"


async def test_bad_input_is_a_readable_4xx_and_permissions_hold(world: World) -> None:
    office = await world.login("dispatcher")
    cases: list[tuple[dict[str, Any], int]] = [
        ({"kind": "repair", "summary": "报修"}, 400),  # a repair call names its job
        ({"kind": "inquiry", "summary": ""}, 400),
        ({"kind": "inquiry", "summary": "x", "channel": "pigeon"}, 400),
        ({"kind": "inquiry", "summary": "x", "customer_id": "00000000-0000-0000-0000-000000000001"}, 422),
        ({"kind": "inquiry", "summary": "x", "received_at": "2099-01-01T00:00:00+08:00"}, 422),
        ({"kind": "inquiry", "summary": "x", "received_at": "2026-01-01T00:00:00+08:00", "extra": 1}, 400),
        ({"kind": "complaint", "summary": "x", "customer_id": None}, 400),
        ({"kind": "inquiry", "summary": "x", "complaint_id": "00000000-0000-0000-0000-000000000001"}, 400),
    ]
    for body, status in cases:
        r = await world.client.post(
            "/api/contacts", json={"customer_id": str(world.customer_id)} | body, headers=office
        )
        assert r.status_code == status, (body, r.text)
        assert r.json().get("detail") or r.json().get("message"), r.text
    other_job = await world.create_job(
        customer_id=str(world.other_customer_id), site_id=str(world.other_site_id), equipment_id=None
    )
    r = await world.client.post(
        "/api/contacts",
        json={
            "customer_id": str(world.customer_id),
            "kind": "repair",
            "summary": "x",
            "job_id": other_job["id"],
        },
        headers=office,
    )
    assert r.status_code == 422 and r.json()["code"] == "contact.job_not_of_customer"
    missing = await world.client.get("/api/contacts/00000000-0000-0000-0000-000000000001", headers=office)
    assert missing.status_code == 404 and missing.json()["code"] == "contact.not_found"

    body = {"kind": "inquiry", "summary": "x", "customer_id": str(world.customer_id)}
    for who in ("eng1", "warehouse"):
        assert (
            await world.client.post("/api/contacts", json=body, headers=await world.login(who))
        ).status_code == 403
        assert (await world.client.get("/api/contacts", headers=await world.login(who))).status_code == 403
    inquiry = await _register(world, who="qa", kind="inquiry", summary="咨询")
    qa_job = await world.client.post(
        f"/api/contacts/{inquiry['id']}/job",
        json={"site_id": str(world.site_id)},
        headers=await world.login("qa"),
    )
    assert qa_job.status_code == 403  # opening a job is the service desk's
    care = {"key_customer": True, "responsible_id": str(world.users["dispatcher"])}
    for who in ("dispatcher", "qa", "eng1"):
        r = await world.client.put(
            f"/api/customers/{world.customer_id}/care", json=care, headers=await world.login(who)
        )
        assert r.status_code == 403, who


async def test_a_key_customer_and_the_person_responsible_show_on_the_customer_and_its_file(
    world: World,
) -> None:
    boss = await world.login("manager")
    r = await world.client.put(
        f"/api/customers/{world.customer_id}/care",
        json={"key_customer": True, "responsible_id": str(world.users["dispatcher"]), "note": "汛期重点保障"},
        headers=boss,
    )
    assert r.status_code == 200, r.text
    assert r.json()["key_customer"] is True and r.json()["responsible_id"] == str(world.users["dispatcher"])
    office = await world.login("dispatcher")
    listed = (await world.client.get("/api/customers", headers=office)).json()["items"]
    mine = next(c for c in listed if c["id"] == str(world.customer_id))
    assert mine["key_customer"] is True and mine["responsible_id"] == str(world.users["dispatcher"])
    file = (await world.client.get(f"/api/customers/{world.customer_id}/file", headers=office)).json()
    assert file["customer"]["key_customer"] is True and file["responsible_name"]
    job = await world.create_job()
    detail = (await world.client.get(f"/api/jobs/{job['id']}", headers=office)).json()
    assert detail["customer"]["key_customer"] is True

    # an engineer is not an office user; an unknown customer is a 404; the change is in the audit trail
    bad = await world.client.put(
        f"/api/customers/{world.customer_id}/care",
        json={"key_customer": True, "responsible_id": str(world.users["eng1"])},
        headers=boss,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "customer.no_responsible"
    gone = await world.client.put(
        "/api/customers/00000000-0000-0000-0000-000000000001/care", json={"key_customer": False}, headers=boss
    )
    assert gone.status_code == 404
    cleared = await world.client.put(
        f"/api/customers/{world.customer_id}/care", json={"key_customer": False}, headers=boss
    )
    assert cleared.json()["responsible_id"] is None and cleared.json()["key_customer"] is False
    async with world.app.state.sessionmaker() as s:
        entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.care"))).all()
    assert len(entries) == 2 and entries[0].detail["note"] == "汛期重点保障"


async def test_a_complaint_about_to_be_late_and_late_is_escalated_once_each(world: World) -> None:
    r = await world.client.post(
        "/api/escalation/rules",
        json={
            "name": "投诉超期",
            "events": ["complaint_due_soon", "complaint_late"],
            "roles": ["manager"],
            "channels": ["console"],
        },
        headers=await world.login("manager"),
    )
    assert r.status_code == 201, r.text
    made = await _register(
        world, kind="complaint", channel="phone", summary="维修后又坏了", severity="general"
    )
    async with world.app.state.sessionmaker() as s:
        complaint = await s.get(Complaint, made["complaint_id"])
        assert complaint is not None and complaint.due_at is not None
        due = complaint.due_at if complaint.due_at.tzinfo else complaint.due_at.replace(tzinfo=UTC)
    settings: Settings = world.app.state.settings.model_copy(update={"complaint_warning_hours": 8})
    sm = world.app.state.sessionmaker
    assert (await scan(sm, settings, due - timedelta(hours=9), deliver=False)).created == 0
    assert (await scan(sm, settings, due - timedelta(hours=2), deliver=False)).created == 1
    assert (await scan(sm, settings, due - timedelta(hours=1), deliver=False)).created == 0  # once
    assert (await scan(sm, settings, due + timedelta(minutes=1), deliver=False)).created == 1

    boss = await world.login("manager")
    notes = (await world.client.get("/api/notifications", headers=boss)).json()
    items = notes["items"] if isinstance(notes, dict) else notes
    kinds = sorted(n["event_kind"] for n in items)
    assert kinds == ["complaint_due_soon", "complaint_late"]
    late = next(n for n in items if n["event_kind"] == "complaint_late")
    assert late["job_id"] is None and late["params"]["complaint"] == complaint.number
    assert late["params"]["customer"] == "临川区水利局"
    listed = (await world.client.get("/api/complaints", params={"late": True}, headers=boss)).json()
    # the request's clock is the real one: the complaint is due in 72 hours, so not late yet
    assert listed["total"] == 0

    # a closed complaint is not escalated any more
    qa = await world.login("qa")
    await world.client.post(
        f"/api/complaints/{complaint.id}/handle", json={"handling": "已安排复查"}, headers=qa
    )
    closed = await world.client.post(
        f"/api/complaints/{complaint.id}/close", json={"root_cause": "配件质量"}, headers=qa
    )
    assert closed.status_code == 200, closed.text
    async with sm() as s:
        row = await s.get(Complaint, complaint.id)
        assert row is not None
        row.status = "closed"
    assert (await scan(sm, settings, due + timedelta(days=3), deliver=False)).created == 0


async def test_a_care_visit_schedule_makes_a_care_visit_whose_report_feeds_the_customer_file(
    world: World,
) -> None:
    office = await world.login("dispatcher")
    today = local_today(ZoneInfo(world.app.state.settings.timezone))
    body = {
        "customer_id": str(world.customer_id),
        "site_id": str(world.site_id),  # a whole site, and no checklist: a care visit needs none
        "frequency": "quarterly",
        "kind": "care_visit",
        "start_on": (today + timedelta(days=2)).isoformat(),
        "lead_days": 7,
        "engineer_id": str(world.users["eng1"]),
        "note": "汛前走访",
    }
    r = await world.client.post("/api/inspections/schedules", json=body, headers=office)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "care_visit"
    # an inspection schedule of the same place and rhythm is another kind: not a twin
    inspection = body | {"kind": "inspection"}
    refused = await world.client.post("/api/inspections/schedules", json=inspection, headers=office)
    assert refused.status_code == 422 and refused.json()["code"] == "schedule.needs_template"
    bad = await world.client.post("/api/inspections/schedules", json=body | {"kind": "party"}, headers=office)
    assert bad.status_code == 400

    made = await world.client.post("/api/inspections/generate", headers=office)
    assert made.status_code in (200, 201), made.text
    [job_id] = made.json()["job_ids"]
    job = (await world.client.get(f"/api/jobs/{job_id}", headers=office)).json()
    assert job["kind"] == "return_visit" and "回访" in job["symptom"]
    visits = (
        await world.client.get(
            "/api/return-visits", params={"customer_id": str(world.customer_id)}, headers=office
        )
    ).json()["items"]
    [visit] = [v for v in visits if v["job_id"] == job_id]
    assert visit["method"] == "on_site" and visit["scheduled_on"] == (today + timedelta(days=2)).isoformat()

    # the visit's report: what the customer said and how satisfied, in the customer file
    r = await world.client.post(
        f"/api/return-visits/{visit['id']}/record",
        json={"result": "done", "method": "on_site", "satisfaction": 5, "outcome": "设备运行良好"},
        headers=await world.login("qa"),
    )
    assert r.status_code == 200, r.text
    file = (await world.client.get(f"/api/customers/{world.customer_id}/file", headers=office)).json()
    [seen] = [v for v in file["return_visits"] if v["job_id"] == job_id]
    assert (seen["job_kind"], seen["satisfaction"], seen["outcome"]) == ("return_visit", 5, "设备运行良好")
    assert file["satisfaction"]["visits"] >= 1
