"""Quality incidents (批量或重大质量问题) through HTTP on both databases: one defect of one model across two
customers opened from a job, the same-model jobs suggested and linked, actions recorded, the status moved
forward only, closing refused without a root cause, the roles, bad input as 4xx, and the monthly quality
report with its incident section and export (cells neutralised)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from server.db.models import AuditEntry, Equipment
from shared.quality import FaultCategory, fault_category
from shared.refusals import refusal_text
from tests.support import World

MODEL = "QSZ-1500 潜水排涝泵"


async def _other_pump(world: World) -> uuid.UUID:
    """A pump of the same model at the other customer's site."""
    async with world.app.state.sessionmaker() as s:
        eq = Equipment(
            site_id=world.other_site_id, category="drainage_pump", model=MODEL, serial_no="DP-0002"
        )
        s.add(eq)
        await s.commit()
        return eq.id


async def _jobs(world: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A seal leak here, the same leak at the other customer, and a vibration (another fault)."""
    other = await _other_pump(world)
    leak = await world.create_job(symptom="控制箱泄漏报警，水泵无法启动", severity="major")
    same = await world.create_job(
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=str(other),
        symptom="机械密封漏水，油室进水",
    )
    vibration = await world.create_job(symptom="水泵运行时振动大、有异常噪声")
    return leak, same, vibration


async def _open(world: World, job_number: str, who: str = "qa") -> dict[str, Any]:
    headers = await world.login(who)
    draft = await world.client.get(
        "/api/quality-incidents/draft", params={"job_number": job_number}, headers=headers
    )
    assert draft.status_code == 200, draft.text
    body = dict(draft.json()) | {"owner_id": str(world.users["qa"])}
    r = await world.client.post("/api/quality-incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_fault_words_file_symptoms_and_causes() -> None:
    assert fault_category("控制箱泄漏报警，水泵无法启动") is FaultCategory.SEAL_LEAK
    assert (
        fault_category("水泵一启动即跳闸", "电缆接头进水，电机绝缘电阻降至 0.2MΩ") is FaultCategory.SEAL_LEAK
    )
    assert fault_category("电机过热保护频繁动作", "控制箱交流接触器触点烧蚀") is FaultCategory.ELECTRICAL
    assert fault_category("水泵运行时振动大") is FaultCategory.BEARING_VIBRATION
    assert fault_category("说不清") is FaultCategory.OTHER


async def test_an_incident_from_a_job_links_the_same_defect_at_another_customer_and_closes_with_its_cause(
    world: World,
) -> None:
    leak, same, vibration = await _jobs(world)
    made = await _open(world, leak["number"])
    assert (made["status"], made["number"][:2], made["equipment_model"]) == ("open", "ZL", MODEL)
    assert (made["fault_category"], made["severity"], made["owner_name"]) == (
        "seal_leak",
        "major",
        "质管老陈",
    )
    assert [j["number"] for j in made["jobs"]] == [leak["number"]] and made["customers"] == 1
    iid = made["id"]
    qa = await world.login("qa")

    # the same model and fault category at the other customer is suggested; the vibration is not
    found = await world.client.get(f"/api/quality-incidents/{iid}/candidates?days=30", headers=qa)
    assert found.status_code == 200, found.text
    assert [j["number"] for j in found.json()] == [same["number"]]
    assert found.json()[0]["customer_name"] == "南丰县防汛办"
    linked = await world.client.post(
        f"/api/quality-incidents/{iid}/jobs", json={"job_id": same["id"]}, headers=qa
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["customers"] == 2 and len(linked.json()["jobs"]) == 2
    again = await world.client.post(
        f"/api/quality-incidents/{iid}/jobs", json={"number": same["number"]}, headers=qa
    )
    assert again.status_code == 409 and again.json()["code"] == "quality.already_linked", again.text
    # any job may be linked by its number, and taken off again
    by_number = await world.client.post(
        f"/api/quality-incidents/{iid}/jobs", json={"number": vibration["number"]}, headers=qa
    )
    assert by_number.status_code == 201 and len(by_number.json()["jobs"]) == 3, by_number.text
    off = await world.client.delete(f"/api/quality-incidents/{iid}/jobs/{vibration['id']}", headers=qa)
    assert off.status_code == 200 and len(off.json()["jobs"]) == 2, off.text
    gone = await world.client.delete(f"/api/quality-incidents/{iid}/jobs/{vibration['id']}", headers=qa)
    assert gone.status_code == 404 and gone.json()["code"] == "quality.not_linked"
    listed = await world.client.get(f"/api/quality-incidents?job_id={same['id']}", headers=qa)
    assert [i["number"] for i in listed.json()] == [made["number"]]

    # actions: dated, who and what, oldest first
    today = date.today()
    for day, who, what in (
        (today, "质管老陈", "通知两家用户暂停使用同批次机械密封"),
        (today - timedelta(days=1), "温州密封件厂", "提供同批次密封环检测报告"),
    ):
        r = await world.client.post(
            f"/api/quality-incidents/{iid}/actions",
            json={"taken_on": day.isoformat(), "who": who, "what": what},
            headers=qa,
        )
        assert r.status_code == 201, r.text
    assert [a["who"] for a in r.json()["actions"]] == ["温州密封件厂", "质管老陈"]

    # forward only; closing needs the root cause
    step = await world.client.post(
        f"/api/quality-incidents/{iid}/status", json={"status": "investigating"}, headers=qa
    )
    assert step.status_code == 200 and step.json()["status"] == "investigating", step.text
    back = await world.client.post(
        f"/api/quality-incidents/{iid}/status", json={"status": "open"}, headers=qa
    )
    assert back.status_code == 409 and back.json()["code"] == "quality.illegal_step", back.text
    assert refusal_text("zh-CN", back.json()) == f"质量事故 {made['number']} 调查中，不能改为待处理"
    refused = await world.client.post(
        f"/api/quality-incidents/{iid}/status", json={"status": "closed", "root_cause": "  "}, headers=qa
    )
    assert refused.status_code == 422 and refused.json()["code"] == "quality.root_cause_required", (
        refused.text
    )
    assert refusal_text("zh-CN", refused.json()) == f"质量事故 {made['number']} 须填写根本原因才能结案"
    closed = await world.client.post(
        f"/api/quality-incidents/{iid}/status",
        json={"status": "closed", "root_cause": "同批次密封环材料硬度不足"},
        headers=await world.login("manager"),
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["root_cause"]) == ("closed", "同批次密封环材料硬度不足")
    assert closed.json()["closed_at"] is not None
    late = await world.client.post(
        f"/api/quality-incidents/{iid}/actions",
        json={"taken_on": today.isoformat(), "who": "x", "what": "y"},
        headers=qa,
    )
    assert late.status_code == 409 and late.json()["code"] == "quality.closed"

    async with world.app.state.sessionmaker() as s:
        actions = set(
            (await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "quality_incident"))).all()
        )
    assert actions == {
        "quality.open",
        "quality.link_job",
        "quality.unlink_job",
        "quality.action",
        "quality.move",
    }


async def test_the_desk_reads_qa_and_the_manager_edit_and_nobody_else(world: World) -> None:
    leak, _, _ = await _jobs(world)
    made = await _open(world, leak["number"], who="manager")
    iid = made["id"]
    for who in ("dispatcher", "manager", "qa", "admin"):
        r = await world.client.get(f"/api/quality-incidents/{iid}", headers=await world.login(who))
        assert r.status_code == 200, (who, r.text)
    for who in ("eng1", "warehouse"):
        r = await world.client.get("/api/quality-incidents", headers=await world.login(who))
        assert r.status_code == 403, (who, r.text)
    desk = await world.login("dispatcher")
    for method, path, body in (
        ("POST", "/api/quality-incidents", {}),
        ("PATCH", f"/api/quality-incidents/{iid}", {"title": "x"}),
        ("POST", f"/api/quality-incidents/{iid}/jobs", {"job_id": leak["id"]}),
        ("POST", f"/api/quality-incidents/{iid}/status", {"status": "investigating"}),
        (
            "POST",
            f"/api/quality-incidents/{iid}/actions",
            {"taken_on": "2026-01-01", "who": "a", "what": "b"},
        ),
    ):
        r = await world.client.request(method, path, json=body, headers=desk)
        assert r.status_code == 403, (method, path, r.text)
    changed = await world.client.patch(
        f"/api/quality-incidents/{iid}",
        json={"title": "QSZ-1500 机械密封批量渗漏", "owner_id": str(world.users["manager"])},
        headers=await world.login("qa"),
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["owner_name"]) == (
        "QSZ-1500 机械密封批量渗漏",
        "售后经理",
    )
    owners = await world.client.get("/api/quality-incidents/owners", headers=desk)
    assert {o["display_name"] for o in owners.json()} == {"管理员", "售后经理", "质管老陈"}


async def test_bad_input_is_a_4xx_with_its_reason(world: World) -> None:
    leak, _, _ = await _jobs(world)
    qa = await world.login("qa")
    base = {
        "title": "排涝泵批量渗漏",
        "equipment_model": MODEL,
        "fault": "机械密封渗漏",
        "fault_category": "seal_leak",
        "owner_id": str(world.users["qa"]),
    }
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        (base | {"title": ""}, 400, None),
        (base | {"fault_category": "melted"}, 400, None),
        (base | {"owner_id": str(world.users["eng1"])}, 422, "quality.bad_owner"),
        (base | {"owner_id": str(world.users["dispatcher"])}, 422, "quality.bad_owner"),
        (base | {"job_ids": [str(uuid.uuid4())]}, 422, "job.not_found"),
        (base | {"surprise": 1}, 400, None),
    ]
    for body, status, code in cases:
        r = await world.client.post("/api/quality-incidents", json=body, headers=qa)
        assert r.status_code == status, (body, r.text)
        if code:
            assert r.json()["code"] == code
    made = await world.client.post("/api/quality-incidents", json=base, headers=qa)
    assert made.status_code == 201 and made.json()["jobs"] == [], made.text
    iid = made.json()["id"]
    for path, body, status in (
        (f"/api/quality-incidents/{iid}/jobs", {}, 400),
        (f"/api/quality-incidents/{iid}/jobs", {"job_id": leak["id"], "number": leak["number"]}, 400),
        (f"/api/quality-incidents/{iid}/jobs", {"number": "WO-NONE"}, 422),
        (f"/api/quality-incidents/{iid}/actions", {"taken_on": "2199-01-01", "who": "a", "what": "b"}, 422),
        (f"/api/quality-incidents/{iid}/actions", {"taken_on": "2026-01-01", "who": "", "what": "b"}, 400),
        (f"/api/quality-incidents/{iid}/status", {"status": "reopened"}, 400),
        (f"/api/quality-incidents/{uuid.uuid4()}/status", {"status": "closed"}, 404),
    ):
        r = await world.client.post(path, json=body, headers=qa)
        assert r.status_code == status, (path, body, r.text)
    assert (
        await world.client.get(f"/api/quality-incidents/{iid}/candidates?days=0", headers=qa)
    ).status_code == 400
    missing = await world.client.get("/api/quality-incidents/draft?job_number=WO-NONE", headers=qa)
    assert missing.status_code == 404 and missing.json()["code"] == "quality.no_such_job"


async def test_the_monthly_quality_report_lists_the_incidents_of_the_month_and_exports_them_safely(
    world: World,
) -> None:
    leak, same, _ = await _jobs(world)
    made = await _open(world, leak["number"])
    qa = await world.login("qa")
    await world.client.post(
        f"/api/quality-incidents/{made['id']}/jobs", json={"job_id": same["id"]}, headers=qa
    )
    await world.client.patch(
        f"/api/quality-incidents/{made['id']}", json={"title": '=HYPERLINK("x")'}, headers=qa
    )
    manager = await world.login("manager")
    report = await world.client.get("/api/reports/quality", headers=manager)
    assert report.status_code == 200, report.text
    rows = report.json()["incidents"]
    assert [(r["number"], r["jobs"], r["customers"], r["status"]) for r in rows] == [
        (made["number"], 2, 2, "open")
    ]
    earlier = await world.client.get(
        "/api/reports/quality",
        params={"received_from": "2020-01-01T00:00:00+08:00", "received_to": "2020-02-01T00:00:00+08:00"},
        headers=manager,
    )
    assert earlier.json()["incidents"] == []
    exported = await world.client.get("/api/exports/incidents.csv", headers=manager)
    assert exported.status_code == 200, exported.text
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["月份", "事故编号", "标题"], table[0]
    assert table[1][1] == made["number"] and table[1][2] == '\'=HYPERLINK("x")', table[1]
    xlsx = await world.client.get("/api/exports/incidents.xlsx?lang=en", headers=manager)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
