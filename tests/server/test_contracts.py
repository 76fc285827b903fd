"""Contracts and their promises through the API on both databases: customers and sites edited with the
rules they were created with, a customer's contracts one after another (never overlapping), the promise a
call is measured against (the most specific of the contract in force on the call's date, else the
customer's policy), warranty certificates and maintenance agreements with a decimal fee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.refusals import refusal_text
from tests.support import World

CALL_2019 = datetime(2019, 6, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 2019-06-03


def _due_minutes(job: dict[str, Any], field: str) -> float:
    received = datetime.fromisoformat(job["call_received_at"])
    return (datetime.fromisoformat(job[field]) - received) / timedelta(minutes=1)


def _limits(r: int, o: int, f: int, b: int, **key: str) -> dict[str, Any]:
    return {"respond_minutes": r, "onsite_minutes": o, "fix_minutes": f, "backup_minutes": b, **key}


async def test_the_office_edits_a_customer_and_a_site_with_the_rules_of_creating_them(world: World) -> None:
    desk = await world.login("dispatcher")
    url = f"/api/customers/{world.customer_id}"
    r = await world.client.patch(
        url, json={"contact_name": "赵科长", "contact_phone": "0794-8220000"}, headers=desk
    )
    assert r.status_code == 200, r.text
    assert r.json()["contact_name"] == "赵科长" and r.json()["name"] == "临川区水利局"
    assert (await world.client.get(url, headers=desk)).json()["contact_phone"] == "0794-8220000"
    taken = await world.client.patch(url, json={"name": "南丰县防汛办"}, headers=desk)
    assert taken.status_code == 409 and "南丰县防汛办" in taken.text
    for bad in (
        {"name": None},
        {"name": "  "},
        {"contact_phone": "call me"},
        {"warranty_years": 99},
        {"x": 1},
    ):
        answer = await world.client.patch(url, json=bad, headers=desk)
        assert 400 <= answer.status_code < 500 and answer.status_code != 404, (bad, answer.text)
    assert (await world.client.get(url, headers=desk)).json()["name"] == "临川区水利局"

    site = f"/api/sites/{world.site_id}"
    r = await world.client.patch(site, json={"contact_name": "泵站老周", "latitude": 27.95}, headers=desk)
    assert r.status_code == 200 and r.json()["latitude"] == 27.95 and r.json()["name"] == "城东排涝泵站"
    assert (await world.client.patch(site, json={"latitude": 91}, headers=desk)).status_code == 400
    assert (
        await world.client.patch(site, json={"customer_id": str(world.other_customer_id)}, headers=desk)
    ).status_code == 400
    engineer = await world.login("eng1")
    assert (await world.client.patch(url, json={"address": "x"}, headers=engineer)).status_code == 403
    missing = await world.client.patch(
        "/api/customers/00000000-0000-7000-8000-000000000000", json={}, headers=desk
    )
    assert missing.status_code == 404


async def test_a_call_is_measured_against_the_most_specific_promise_of_the_contract_in_force(
    world: World,
) -> None:
    boss = await world.login("manager")
    old = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": "HT-2019-001",
            "starts_on": "2019-01-01",
            "ends_on": "2019-12-31",
            "warranty_years": 1,
            "promise_text": "接到报修电话后2小时内响应",
        },
        headers=boss,
    )
    assert old.status_code == 201, old.text
    new = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-2020-007", "starts_on": "2020-01-01"},
        headers=boss,
    )
    assert new.status_code == 201, new.text
    overlapping = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-X", "starts_on": "2019-12-01"},
        headers=boss,
    )
    assert overlapping.status_code == 409 and "HT-2019-001" in overlapping.text
    assert (
        refusal_text("zh-CN", overlapping.json())
        == "合同期与合同 HT-2019-001 重叠：同一时间只能有一份合同生效"
    )
    desk = await world.login("dispatcher")
    refused = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-D", "starts_on": "2030-01-01"},
        headers=desk,
    )
    assert refused.status_code == 403

    async def promise(contract: dict[str, Any], body: dict[str, Any]) -> None:
        r = await world.client.post(f"/api/contracts/{contract['id']}/promises", json=body, headers=boss)
        assert r.status_code == 201, r.text

    await promise(old.json(), _limits(120, 600, 2880, 480))
    await promise(new.json(), _limits(60, 300, 1440, 480))  # any call
    await promise(new.json(), _limits(45, 200, 1000, 480, severity="general"))
    await promise(new.json(), _limits(20, 120, 600, 480, severity="general", category="drainage_pump"))
    await promise(
        new.json(), _limits(10, 90, 480, 480, severity="general", category="drainage_pump", job_kind="repair")
    )
    twice = await world.client.post(
        f"/api/contracts/{new.json()['id']}/promises",
        json=_limits(1, 2, 3, 4, severity="general"),
        headers=boss,
    )
    assert twice.status_code == 409
    appointment = await world.client.post(
        f"/api/contracts/{new.json()['id']}/promises",
        json=_limits(1, 2, 3, 4, job_kind="training"),
        headers=boss,
    )
    assert appointment.status_code == 400 and "appointment" in appointment.text

    repair = await world.create_job(severity="general")  # drainage pump, repair: the fullest key
    assert _due_minutes(repair, "respond_due_at") == 10 and _due_minutes(repair, "fix_due_at") == 480
    inspection = await world.create_job(severity="general", kind="inspection")  # severity + category
    assert _due_minutes(inspection, "respond_due_at") == 20
    no_equipment = await world.create_job(severity="general", equipment_id=None)  # severity only
    assert _due_minutes(no_equipment, "respond_due_at") == 45
    major = await world.create_job(severity="major")  # only the open promise covers it
    assert _due_minutes(major, "respond_due_at") == 60
    in_2019 = await world.create_job(severity="major", call_received_at=CALL_2019.isoformat())
    assert _due_minutes(in_2019, "respond_due_at") == 120  # the contract then in force
    other = await world.client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.other_customer_id),
            "site_id": str(world.other_site_id),
            "severity": "major",
            "symptom": "发电机无法启动",
        },
        headers=desk,
    )
    assert _due_minutes(other.json(), "respond_due_at") == 15  # no contract: the default policy

    # a severity change re-measures the call against the contract
    changed = await world.client.patch(f"/api/jobs/{major['id']}", json={"severity": "general"}, headers=desk)
    assert changed.status_code == 200, changed.text
    assert _due_minutes(changed.json(), "respond_due_at") == 10

    listed = await world.client.get(
        "/api/contracts", params={"customer_id": str(world.customer_id)}, headers=desk
    )
    assert [c["number"] for c in listed.json()] == ["HT-2020-007", "HT-2019-001"]
    assert len(listed.json()[0]["promises"]) == 4

    # the next contract ends the open-ended one the day before it starts
    nxt = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-2199-001", "starts_on": "2199-01-01"},
        headers=boss,
    )
    assert nxt.status_code == 201, nxt.text
    ended = await world.client.get(f"/api/contracts/{new.json()['id']}", headers=desk)
    assert ended.json()["ends_on"] == "2198-12-31"
    assert _due_minutes(await world.create_job(severity="general"), "respond_due_at") == 10


async def test_warranty_certificates_and_maintenance_agreements_keep_their_fee_to_the_fen(
    world: World,
) -> None:
    boss = await world.login("manager")
    contract = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-2024-003", "starts_on": "2024-03-01"},
        headers=boss,
    )
    base = f"/api/contracts/{contract.json()['id']}"
    certificate = {
        "number": "ZLBX-2024-003",
        "issued_on": "2024-03-01",
        "scope": "排涝泵12台、发电机组2台的制造质量问题",
        "starts_on": "2024-03-01",
        "ends_on": "2026-02-28",
        "responsibility": "保修期内免费维修、更换零配件",
    }
    r = await world.client.post(f"{base}/certificates", json=certificate, headers=boss)
    assert r.status_code == 201, r.text
    assert (
        await world.client.post(f"{base}/certificates", json=certificate, headers=boss)
    ).status_code == 409
    backwards = {**certificate, "number": "ZLBX-B", "ends_on": "2024-01-01"}
    assert (await world.client.post(f"{base}/certificates", json=backwards, headers=boss)).status_code == 400
    agreement = {
        "number": "WHXY-2026-001",
        "scope": "全部排涝设备",
        "content": "季度巡检、故障维修",
        "method": "定期巡检与7x24小时报修",
        "rules": "巡检后填写主动跟踪报告表",
        "fee": "36800.10",
        "fee_terms": "按季度收取",
        "starts_on": "2026-03-01",
        "ends_on": "2029-02-28",
    }
    r = await world.client.post(f"{base}/agreements", json=agreement, headers=boss)
    assert r.status_code == 201, r.text
    assert r.json()["fee"] == "36800.10"
    for fee in ("NaN", "Infinity", "-1", "1.005", "1e20"):
        bad = await world.client.post(
            f"{base}/agreements", json={**agreement, "number": "B", "fee": fee}, headers=boss
        )
        assert bad.status_code == 400, (fee, bad.text)
    desk = await world.login("dispatcher")
    read = await world.client.get(base, headers=desk)
    assert read.json()["agreements"][0]["fee"] == "36800.10"
    assert read.json()["certificates"][0]["scope"].startswith("排涝泵")
    assert (await world.client.post(f"{base}/agreements", json=agreement, headers=desk)).status_code == 403
