"""Office edits carry the version the office saw; no write of the office silently replaces a device's
(issue 12 item 3). Through HTTP, with a real device replica pushing, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import DeviceFactory
from tests.support import World


async def _job(world: World, job_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/api/jobs/{job_id}", headers=await world.login("dispatcher"))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_stale_office_edit_is_refused_with_the_current_value(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    seen = job["version"]  # what the dispatcher's screen shows
    device = await new_device("eng1")
    await device.sync()
    device.actions.edit(uuid.UUID(job["id"]), symptom="现场确认：叶轮卡死")
    await device.sync()
    assert device.replica.pending_count() == 0  # the device's edit was acknowledged
    office = await world.login("dispatcher")
    r = await world.client.patch(
        f"/api/jobs/{job['id']}", json={"symptom": "客户改报：异响", "base_version": seen}, headers=office
    )
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["current"] == {"symptom": "现场确认：叶轮卡死"} and "symptom" in body["detail"]
    now = await _job(world, job["id"])
    assert now["symptom"] == "现场确认：叶轮卡死" and body["version"] == now["version"]
    # A field nobody else changed since the office's version is still edited on that old version.
    r = await world.client.patch(
        f"/api/jobs/{job['id']}", json={"caller_name": "李主任", "base_version": seen}, headers=office
    )
    assert r.status_code == 200, r.text
    # Looking again and sending the current version, the office's edit goes through.
    r = await world.client.patch(
        f"/api/jobs/{job['id']}",
        json={"symptom": "客户改报：异响", "base_version": r.json()["version"]},
        headers=office,
    )
    assert r.status_code == 200 and r.json()["symptom"] == "客户改报：异响", r.text
    await device.sync()
    assert device.replica.job(uuid.UUID(job["id"]))["symptom"] == "客户改报：异响"


async def test_a_second_office_writer_on_an_old_version_is_refused_too(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    r = await world.client.patch(
        f"/api/jobs/{job['id']}", json={"severity": "major", "base_version": job["version"]}, headers=office
    )
    assert r.status_code == 200, r.text
    r = await world.client.patch(
        f"/api/jobs/{job['id']}",
        json={"severity": "general", "base_version": job["version"]},
        headers=await world.login("manager"),
    )
    assert r.status_code == 409 and r.json()["current"] == {"severity": "major"}, r.text
    assert (await _job(world, job["id"]))["severity"] == "major"
    r = await world.client.patch(
        f"/api/jobs/{job['id']}", json={"symptom": "x", "base_version": -1}, headers=office
    )
    assert r.status_code == 400, r.text


async def test_overriding_an_old_conflict_never_replaces_a_newer_device_edit(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    device.actions.edit(job_id, symptom="设备第一次修改")
    office = await world.login("dispatcher")
    # (an edit without a base version is unconditional, as before)
    r = await world.client.patch(f"/api/jobs/{job['id']}", json={"symptom": "办公室修改"}, headers=office)
    assert r.status_code == 200, r.text
    device.online()
    await device.sync()  # both changed the symptom: the device's arrival wins, the office's is kept
    r = await world.client.get(
        "/api/conflicts", params={"job_id": job["id"]}, headers=await world.login("manager")
    )
    [conflict] = [c for c in r.json()["items"] if c["field"] == "symptom"]
    assert conflict["server_value"] == "办公室修改" and conflict["device_value"] == "设备第一次修改"
    device.actions.edit(job_id, symptom="设备后来又改了")  # a newer edit, acknowledged
    await device.sync()
    assert device.replica.pending_count() == 0
    r = await world.client.post(
        f"/api/conflicts/{conflict['id']}/override",
        json={"value": conflict["server_value"], "note": "恢复办公室的描述"},
        headers=await world.login("manager"),
    )
    assert r.status_code == 409, r.text
    assert r.json()["current"] == "设备后来又改了"
    assert (await _job(world, job["id"]))["symptom"] == "设备后来又改了"
    r = await world.client.get(
        "/api/conflicts", params={"job_id": job["id"], "status": ""}, headers=await world.login("manager")
    )
    assert {c["status"] for c in r.json()["items"] if c["id"] == conflict["id"]} == {"open"}
    # Accepting it is still possible; the newer value stands.
    r = await world.client.post(
        f"/api/conflicts/{conflict['id']}/accept", json={"note": "以工程师最新描述为准"}, headers=office
    )
    assert r.status_code == 200, r.text
