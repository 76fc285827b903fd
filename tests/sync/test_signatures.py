"""Every customer signature is evidence: a second signing never destroys the first (issue 12 item 1).

Two tablets of one engineer sign the same job through push, on both databases; the office sees both
signatures and comments in the conflict and on the job, and chooses which one stands.
"""

from __future__ import annotations

import uuid
from typing import Any

from mobile.services.jobs import DRAFTS_OF_SIGNING, ActionError
from shared.enums import CheckResult, JobEventType
from tests.conftest import DeviceFactory
from tests.support import World


async def _signed_twice(world: World, new_device: DeviceFactory) -> tuple[dict[str, Any], Any, Any]:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    first, second = await new_device("eng1", "tablet 1"), await new_device("eng1", "tablet 2")
    await first.sync()
    for event in (JobEventType.ARRIVED, JobEventType.STARTED):
        first.actions.tap(job_id, event)
    first.actions.answer(job_id, "insulation", value=20)
    first.actions.answer(job_id, "seal", result=CheckResult.OK)
    first.actions.tap(job_id, JobEventType.RESOLVED)
    await first.sync()
    await second.sync()  # both tablets now hold the resolved job
    first.actions.sign(job_id, satisfaction=5, signature="SIG-FIRST", opinion="同意验收", comment="comment-1")
    await first.sync()
    second.offline()  # it signs without having seen the first signature
    second.actions.sign(
        job_id, satisfaction=3, signature="SIG-SECOND", opinion="基本满意", comment="comment-2"
    )
    second.online()
    await second.sync()
    return job, first, second


async def _acceptance_conflict(world: World, job_id: str) -> dict[str, Any]:
    r = await world.client.get(
        "/api/conflicts", params={"job_id": job_id, "status": ""}, headers=await world.login("manager")
    )
    assert r.status_code == 200, r.text
    found = [c for c in r.json()["items"] if c["field"] == "acceptance"]
    assert len(found) == 1, found
    return dict(found[0])


async def test_a_second_signature_keeps_the_first_in_the_conflict_and_on_the_job(
    world: World, new_device: DeviceFactory
) -> None:
    job, _, _ = await _signed_twice(world, new_device)
    conflict = await _acceptance_conflict(world, job["id"])
    assert conflict["reason"] == "signed_twice" and conflict["resolution"] == "device_wins"
    old, new = conflict["server_value"], conflict["device_value"]
    assert (old["signature"], old["comment"], old["opinion"], old["satisfaction"]) == (
        "SIG-FIRST",
        "comment-1",
        "同意验收",
        5,
    )
    assert (new["signature"], new["comment"], new["opinion"], new["satisfaction"]) == (
        "SIG-SECOND",
        "comment-2",
        "基本满意",
        3,
    )
    r = await world.client.get(f"/api/jobs/{job['id']}/signatures", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    kept = r.json()
    assert [(s["signature"], s["comment"], s["standing"]) for s in kept] == [
        ("SIG-FIRST", "comment-1", False),
        ("SIG-SECOND", "comment-2", True),
    ]
    assert [s["id"] for s in kept] == [old["signature_id"], new["signature_id"]]
    assert kept[0]["device_id"] != kept[1]["device_id"]
    server = (await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("qa"))).json()
    assert server["signature"] == "SIG-SECOND" and server["acceptance_comment"] == "comment-2"


async def test_the_office_chooses_the_first_signature_and_both_tablets_get_it(
    world: World, new_device: DeviceFactory
) -> None:
    job, first, second = await _signed_twice(world, new_device)
    conflict = await _acceptance_conflict(world, job["id"])
    manager = await world.login("manager")
    r = await world.client.post(
        f"/api/conflicts/{conflict['id']}/override",
        json={"value": {"signature_id": "not-an-id"}, "note": "x"},
        headers=manager,
    )
    assert r.status_code == 422 and "signature" in r.json()["detail"], r.text
    r = await world.client.post(
        f"/api/conflicts/{conflict['id']}/override",
        json={"value": {"signature_id": str(uuid.uuid4())}, "note": "x"},
        headers=manager,
    )
    assert r.status_code == 422, r.text
    assert (await _acceptance_conflict(world, job["id"]))["status"] == "open"  # nothing half-applied
    r = await world.client.post(
        f"/api/conflicts/{conflict['id']}/override",
        json={"value": conflict["server_value"], "note": "客户确认第一次签字有效"},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "overridden"
    server = (await world.client.get(f"/api/jobs/{job['id']}", headers=manager)).json()
    assert (server["signature"], server["acceptance_comment"], server["satisfaction"]) == (
        "SIG-FIRST",
        "comment-1",
        5,
    )
    kept = (await world.client.get(f"/api/jobs/{job['id']}/signatures", headers=manager)).json()
    assert [(s["signature"], s["standing"]) for s in kept] == [("SIG-FIRST", True), ("SIG-SECOND", False)]
    for tablet in (first, second):
        await tablet.sync()
        local = tablet.replica.job(uuid.UUID(job["id"]))
        assert (local["signature"], local["acceptance_comment"]) == ("SIG-FIRST", "comment-1")


async def test_the_drafts_of_a_signing_stay_until_it_is_recorded_and_go_with_it(
    world: World, new_device: DeviceFactory
) -> None:
    """The acceptance screen keeps the customer's words, rating and strokes on the device until the
    signing is recorded: a refused signing (job not resolved) leaves them, a recorded one clears them."""
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1", "tablet 1")
    await device.sync()
    typed = {"opinion": "同意验收", "comment": "响应及时", "satisfaction": "4", "signature": "M 1 1 L 9 9"}
    for name, text in typed.items():
        device.actions.keep_draft(job_id, name, text)
    try:
        device.actions.sign(job_id, satisfaction=4, signature="M 1 1 L 9 9", opinion="同意验收")
    except ActionError as exc:
        assert exc.code == "not_resolved"
    else:
        raise AssertionError("an unresolved job was signed")
    assert {name: device.actions.draft(job_id, name) for name in DRAFTS_OF_SIGNING} == typed
    device.actions.answer(job_id, "insulation", value=20)
    device.actions.answer(job_id, "seal", result=CheckResult.OK)
    device.actions.tap(job_id, JobEventType.RESOLVED)
    device.actions.sign(job_id, satisfaction=4, signature="M 1 1 L 9 9", opinion="同意验收")
    assert [device.actions.draft(job_id, name) for name in DRAFTS_OF_SIGNING] == [None] * 4
