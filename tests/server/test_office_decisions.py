"""What the office may still decide about a job, by its status, through HTTP on both databases: the server
answers exactly as ``shared/job_rules.py`` (which the console's buttons follow) says, and a job held after
QA returned its form resumes where the rework stands, not as the form QA sent back."""

from __future__ import annotations

from typing import Any

import pytest

from shared import job_rules
from shared.enums import JobKind
from tests.server.test_approval import approve, event, push, sign
from tests.support import World

STATUSES = ("assigned", "started", "resolved", "signed_off", "on_hold", "closed", "cancelled")


async def _office(world: World, job_id: str, action: str, **body: Any) -> Any:
    return await world.client.post(
        f"/api/jobs/{job_id}/{action}", json=body or None, headers=await world.login("dispatcher")
    )


async def _job_in(world: World, status: str) -> dict[str, Any]:
    kind = JobKind.RETURN_VISIT.value if status == "closed" else JobKind.REPAIR.value
    job = await world.create_job(engineer="eng1", kind=kind)
    jid = job["id"]
    if status in ("started", "resolved", "signed_off", "on_hold", "closed"):
        await push(world, event(jid, "started"))
    if status in ("resolved", "signed_off", "closed"):
        await push(world, event(jid, "resolved"))
    if status == "signed_off":
        await push(world, sign(jid))
    if status == "closed":
        assert (await approve(world, jid)).status_code == 200
    if status == "on_hold":
        assert (await _office(world, jid, "hold", reason="等待备件")).status_code == 200
    if status == "cancelled":
        assert (await _office(world, jid, "cancel", reason="重复报修")).status_code == 200
    got = await world.client.get(f"/api/jobs/{jid}", headers=await world.login("dispatcher"))
    assert got.json()["status"] == status
    return dict(got.json())


@pytest.mark.parametrize("status", STATUSES)
async def test_the_server_refuses_exactly_what_the_shared_rule_refuses(world: World, status: str) -> None:
    for action, allowed in (
        ("hold", job_rules.may_hold(status)),
        ("cancel", job_rules.may_cancel(status)),
        ("assign", job_rules.may_assign(status)),
    ):
        job = await _job_in(world, status)
        if action == "assign":
            r = await _office(world, job["id"], "assign", engineer_id=str(world.users["eng2"]))
        else:
            r = await _office(world, job["id"], action, reason="调度决定")
        assert (r.status_code == 200) == allowed, (status, action, r.text)
        if not allowed:
            assert r.status_code == 409, r.text
            after = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
            assert after.json()["status"] == status and after.json()["version"] == job["version"]


async def test_a_signed_off_job_names_why_and_a_resolved_one_cannot_be_cancelled_even_on_hold(
    world: World,
) -> None:
    signed = await _job_in(world, "signed_off")
    r = await _office(world, signed["id"], "cancel", reason="客户撤单")
    assert r.status_code == 409 and r.json()["code"] == "job.signed_off"

    resolved = await _job_in(world, "resolved")
    assert (await _office(world, resolved["id"], "hold", reason="客户不在，改日签字")).status_code == 200
    r = await _office(world, resolved["id"], "cancel", reason="客户撤单")
    assert r.status_code == 409 and r.json()["code"] == "job.work_done", r.text
    assert (await _office(world, resolved["id"], "resume")).json()["status"] == "resolved"


async def test_a_job_qa_returned_then_held_resumes_as_the_rework_stands(world: World) -> None:
    job = await _job_in(world, "signed_off")
    jid = job["id"]
    qa = await world.login("qa")
    r = await world.client.post(f"/api/jobs/{jid}/return", json={"reason": "缺少绝缘读数"}, headers=qa)
    assert r.status_code == 200 and r.json()["status"] == "started"

    assert (await _office(world, jid, "hold", reason="等待备件")).status_code == 200
    resumed = await _office(world, jid, "resume")
    assert resumed.json()["status"] == "started", "resuming undid QA's return"

    await push(world, event(jid, "resolved"))  # the rework done, the form to be signed again
    assert (await _office(world, jid, "hold", reason="客户不在")).status_code == 200
    assert (await _office(world, jid, "resume")).json()["status"] == "resolved"
