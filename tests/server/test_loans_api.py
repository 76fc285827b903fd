"""The office's backup-equipment API on both databases: the pool, loans judged by the same rule as the
tablet's, readable 4xx for bad input, units still out after their job closed, history per unit and per
customer, and the SLA report reading the loan record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from server.db.models import Job
from shared.refusals import refusal_text
from tests.support import World


async def _unit(world: World, serial: str) -> str:
    r = await world.client.post(
        "/api/backup-units",
        json={"category": "generator_set", "model": "30GF", "serial_no": serial, "place_note": "新件库"},
        headers=await world.login("warehouse"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _ago(**kw: float) -> str:
    return (datetime.now(UTC) - timedelta(**kw)).isoformat()


async def test_the_office_lends_a_unit_once_at_a_time_and_bad_input_is_a_readable_4xx(world: World) -> None:
    desk = await world.login("dispatcher")
    first = (await world.create_job(engineer="eng1"))["id"]
    second = (await world.create_job(engineer="eng2"))["id"]
    unit = await _unit(world, "FD-01")

    again = await world.client.post(
        "/api/backup-units",
        json={"category": "generator_set", "model": "30GF", "serial_no": "FD-01"},
        headers=desk,
    )
    assert again.status_code == 409, again.text
    for bad in (
        {"category": "generator_set", "model": "30GF", "serial_no": ""},
        {"model": "x", "serial_no": "y"},
    ):
        r = await world.client.post("/api/backup-units", json=bad, headers=desk)
        assert r.status_code == 400, r.text
    r = await world.client.post(
        "/api/backup-units",
        json={"category": "x", "model": "y", "serial_no": "z"},
        headers=await world.login("qa"),
    )
    assert r.status_code == 403

    lent = await world.client.post(
        "/api/loans",
        json={"job_id": first, "unit_id": unit, "lent_at": _ago(hours=2), "note": "借给泵站"},
        headers=desk,
    )
    assert lent.status_code == 201, lent.text
    loan = lent.json()
    assert (loan["job_id"], loan["unit_label"], loan["returned_at"]) == (first, "30GF FD-01", None)
    job = (await world.client.get(f"/api/jobs/{first}", headers=desk)).json()
    assert job["backup_lent"] is True  # the board's flag, derived from the loan

    twice = await world.client.post(
        "/api/loans", json={"job_id": second, "unit_id": unit, "lent_at": _ago(hours=1)}, headers=desk
    )
    assert twice.status_code == 409 and "unit_out" in twice.text
    assert (twice.json()["code"], twice.json()["params"]) == ("loan.unit_out", {"serial": "FD-01"})
    assert refusal_text("zh-CN", twice.json()) == "备用设备 FD-01 已借出（或在该时间仍在外借），请另选一台"
    for body, field in (
        ({"job_id": str(uuid.uuid4()), "unit_id": unit, "lent_at": _ago(hours=1)}, "job_id"),
        ({"job_id": second, "unit_id": str(uuid.uuid4()), "lent_at": _ago(hours=1)}, "unit_id"),
        ({"job_id": second, "unit_id": unit, "lent_at": _ago(hours=-2)}, "lent_at"),
    ):
        r = await world.client.post("/api/loans", json=body, headers=desk)
        assert r.status_code == 422 and field in r.text, r.text
        assert r.json()["code"] in {"job.not_found", "backup_unit.not_found", "time.in_future"}, r.text
    moved = await world.client.patch(f"/api/backup-units/{unit}", json={"status": "retired"}, headers=desk)
    assert moved.status_code == 409  # out on a loan: it comes back first
    assert refusal_text("zh-CN", moved.json()) == "备用设备 FD-01 正在借出中，请先登记归还"
    r = await world.client.patch(f"/api/backup-units/{unit}", json={"status": "lent"}, headers=desk)
    assert r.status_code == 422 and r.json()["code"] == "backup_unit.lent_by_loan_only"

    early = await world.client.post(
        f"/api/loans/{loan['id']}/return", json={"returned_at": _ago(hours=3)}, headers=desk
    )
    assert early.status_code == 422, early.text  # before it was lent
    assert refusal_text("zh-CN", early.json()) == "归还时间不能早于借出时间"
    back = await world.client.post(
        f"/api/loans/{loan['id']}/return",
        json={"returned_at": _ago(minutes=5), "condition": "good"},
        headers=desk,
    )
    assert back.status_code == 200, back.text
    assert back.json()["condition"] == "good"
    r = await world.client.post(
        f"/api/loans/{loan['id']}/return", json={"returned_at": _ago(minutes=1)}, headers=desk
    )
    assert r.status_code == 409 and r.json()["code"] == "loan.already_returned"  # the first return stands
    [pool] = (await world.client.get("/api/backup-units", headers=desk)).json()
    assert (pool["status"], pool["place"], pool["current_job_number"]) == ("available", "store", None)
    r = await world.client.post(
        "/api/loans", json={"job_id": second, "unit_id": unit, "lent_at": _ago(minutes=1)}, headers=desk
    )
    assert r.status_code == 201, r.text


async def test_a_unit_still_out_after_its_job_is_closed_is_flagged_and_history_is_per_unit_and_customer(
    world: World,
) -> None:
    desk = await world.login("dispatcher")
    mine = (await world.create_job(engineer="eng1"))["id"]
    theirs = (
        await world.create_job(
            engineer="eng2",
            customer_id=str(world.other_customer_id),
            site_id=str(world.other_site_id),
            equipment_id=None,
        )
    )["id"]
    unit_a, unit_b = await _unit(world, "FD-A"), await _unit(world, "FD-B")
    for job, unit in ((mine, unit_a), (theirs, unit_b)):
        r = await world.client.post(
            "/api/loans", json={"job_id": job, "unit_id": unit, "lent_at": _ago(hours=1)}, headers=desk
        )
        assert r.status_code == 201, r.text
    assert (
        await world.client.get("/api/loans", params={"out_after_close": "true"}, headers=desk)
    ).json() == []
    r = await world.client.post(f"/api/jobs/{mine}/cancel", json={"reason": "用户撤销报修"}, headers=desk)
    assert r.status_code == 200, r.text

    [flagged] = (
        await world.client.get("/api/loans", params={"out_after_close": "true"}, headers=desk)
    ).json()
    assert (flagged["job_id"], flagged["out_after_close"]) == (mine, True)
    [of_customer] = (
        await world.client.get(
            "/api/loans", params={"customer_id": str(world.other_customer_id)}, headers=desk
        )
    ).json()
    assert of_customer["job_id"] == theirs and of_customer["out_after_close"] is False
    [of_unit] = (await world.client.get(f"/api/backup-units/{unit_a}/loans", headers=desk)).json()
    assert of_unit["job_id"] == mine
    r = await world.client.get(f"/api/backup-units/{uuid.uuid4()}/loans", headers=desk)
    assert r.status_code == 404
    r = await world.client.get("/api/loans", headers=await world.login("eng1"))
    assert r.status_code == 403


async def test_the_sla_report_counts_a_loan_made_by_the_backup_deadline(world: World) -> None:
    desk, manager = await world.login("dispatcher"), await world.login("manager")
    job = (await world.create_job(engineer="eng1"))["id"]
    now = datetime.now(UTC)
    async with world.app.state.sessionmaker() as s:  # a call twelve hours old, past its backup limit
        await s.execute(
            update(Job)
            .where(Job.id == uuid.UUID(job))
            .values(call_received_at=now - timedelta(hours=12), backup_due_at=now - timedelta(hours=4))
        )
        await s.commit()
    before = (await world.client.get("/api/reports/sla", headers=manager)).json()["backup"]
    assert (before["overdue"], before["backup_lent"], before["lent_in_time"]) == (1, 0, 0)
    unit = await _unit(world, "FD-SLA")
    r = await world.client.post(
        "/api/loans",
        json={"job_id": job, "unit_id": unit, "lent_at": (now - timedelta(hours=5)).isoformat()},
        headers=desk,
    )
    assert r.status_code == 201, r.text
    after = (await world.client.get("/api/reports/sla", headers=manager)).json()["backup"]
    assert (after["overdue"], after["backup_lent"], after["lent_in_time"]) == (1, 1, 1)
