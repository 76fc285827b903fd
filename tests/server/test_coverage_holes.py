"""Paths the mutants of issue 19 item 8 showed untested, through HTTP and a real device on both databases:
QA returning a job that is not resolved, the engineer's "backup lent" through sync into the SLA report,
and a refused billing decision leaving the whole job as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.server.test_approval import event, push
from tests.support import World


@pytest.mark.parametrize("status", ["assigned", "started", "closed"])
async def test_qa_cannot_return_a_job_that_is_not_resolved(world: World, status: str) -> None:
    job = await world.create_job(engineer="eng1", kind="return_visit")
    jid = job["id"]
    if status == "started":
        await push(world, event(jid, "started"))
    if status == "closed":
        await push(world, event(jid, "resolved"))
        r = await world.client.post(f"/api/jobs/{jid}/approve", json={}, headers=await world.login("qa"))
        assert r.status_code == 200, r.text
    qa = await world.login("qa")
    before = (await world.client.get(f"/api/jobs/{jid}", headers=qa)).json()
    assert before["status"] == status
    r = await world.client.post(f"/api/jobs/{jid}/return", json={"reason": "资料不全"}, headers=qa)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "only resolved or signed-off jobs can be returned" in r.json()["detail"]
    assert (await world.client.get(f"/api/jobs/{jid}", headers=qa)).json() == before


async def test_backup_lent_on_the_tablet_reaches_the_job_and_the_sla_report(
    world: World, new_device: DeviceFactory
) -> None:
    called = datetime.now(UTC) - timedelta(days=2)  # past the 8 h backup deadline
    job = await world.create_job(engineer="eng1", call_received_at=called.isoformat())
    other = await world.create_job(engineer="eng1", call_received_at=called.isoformat())
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    device.actions.edit(job_id, backup_lent=True, backup_note="借用备用排涝泵一台")
    assert device.replica.job(job_id)["backup_lent"] is True
    device.online()
    await device.sync()
    assert device.runner.status.pending == 0
    manager = await world.login("manager")
    server = (await world.client.get(f"/api/jobs/{job['id']}", headers=manager)).json()
    assert server["backup_lent"] is True and server["backup_note"] == "借用备用排涝泵一台"
    unlent = (await world.client.get(f"/api/jobs/{other['id']}", headers=manager)).json()
    assert unlent["backup_lent"] is False
    sla = (await world.client.get("/api/reports/sla", headers=manager)).json()
    assert sla["backup"] == {
        "overdue": 2,
        "backup_lent": 1,
        "lent_pct": 50.0,
        "lent_in_time": 0,
        "out_after_close": 0,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"billable": True, "reason": "in_warranty", "note": "收费"},
        {"billable": True, "reason": "goodwill", "note": "收费"},
        {"billable": False, "reason": "out_of_warranty", "note": " "},
        {"billable": "maybe", "reason": "man_made", "note": "收费"},
    ],
)
async def test_a_refused_billing_decision_leaves_the_whole_job_as_it_was(world: World, body: dict) -> None:
    job = await world.create_job(engineer="eng1")
    [edit] = await push(
        world,
        {
            "id": str(uuid.uuid4()),
            "client_seq": 1,
            "name": "job.edit",
            "args": {
                "job_id": job["id"],
                "base_version": job["version"],
                "fields": {"billable": False, "billable_reason": "in_warranty", "cause": "叶轮磨损"},
            },
            "created_at": datetime.now(UTC).isoformat(),
        },
    )
    assert edit["outcome"] == "applied"
    qa = await world.login("qa")
    before = (await world.client.get(f"/api/jobs/{job['id']}/form", headers=qa)).json()
    r = await world.client.post(f"/api/jobs/{job['id']}/billing", json=body, headers=qa)
    assert r.status_code == 400, r.text
    assert (await world.client.get(f"/api/jobs/{job['id']}/form", headers=qa)).json() == before
