"""Signing the field app in and out against a real server, and what a revoke does to the device."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from mobile.services.jobs import ActionError
from mobile.services.session import DeviceSession
from shared.enums import JobEventType
from tests.support import PASSWORD, Switch, World


def _session(world: World, path: Path) -> DeviceSession:
    return DeviceSession(path, transport=httpx.ASGITransport(app=world.app))


async def test_sign_in_survives_a_restart_and_works_offline(world: World, tmp_path: Path) -> None:
    job = await world.create_job(engineer="eng1")
    session = _session(world, tmp_path)
    signed = await session.sign_in("http://levee.test/", "eng1", PASSWORD, "张工的平板")
    assert signed.user["display_name"] == "张伟"
    assert await signed.runner.sync_once()
    await signed.runner.aclose()
    session.replica.close()

    again = DeviceSession(tmp_path, transport=httpx.ASGITransport(app=world.app))
    restored = again.restore()
    assert restored is not None and restored.user["username"] == "eng1"
    restored.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    assert again.replica.job(uuid.UUID(job["id"]))["status"] == "acknowledged"
    assert await restored.runner.sync_once()
    await restored.runner.aclose()


async def test_wrong_password_and_office_users_are_refused(world: World, tmp_path: Path) -> None:
    session = _session(world, tmp_path)
    with pytest.raises(ActionError) as wrong:
        await session.sign_in("http://levee.test", "eng1", "nope", "tablet")
    assert wrong.value.code == "wrong_password"
    with pytest.raises(ActionError) as office:
        await session.sign_in("http://levee.test", "dispatcher", PASSWORD, "tablet")
    assert office.value.code == "not_engineer"
    assert session.restore() is None


async def test_sign_out_pushes_first_and_refuses_while_work_is_unsent(world: World, tmp_path: Path) -> None:
    job = await world.create_job(engineer="eng1")
    network = Switch(httpx.ASGITransport(app=world.app))
    session = DeviceSession(tmp_path, transport=network)
    signed = await session.sign_in("http://levee.test", "eng1", PASSWORD, "tablet")
    await signed.runner.sync_once()
    signed.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    network.online = False
    with pytest.raises(ActionError) as refused:
        await session.sign_out()
    assert refused.value.code == "unsent_work" and session.replica.pending_count() == 1
    network.online = True
    await session.sign_out()
    assert session.restore() is None and session.replica.job_ids() == set()
    server = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    assert server.json()["status"] == "acknowledged"


async def test_a_revoked_device_exports_unsent_work_then_wipes(world: World, tmp_path: Path) -> None:
    job = await world.create_job(engineer="eng1")
    session = _session(world, tmp_path)
    signed = await session.sign_in("http://levee.test", "eng1", PASSWORD, "lost tablet")
    await signed.runner.sync_once()
    signed.actions.edit(uuid.UUID(job["id"]), notes="设备被盗前的记录")
    admin = await world.login("admin")
    await world.client.post(f"/api/devices/{signed.device_id}/revoke", headers=admin)
    assert not await signed.runner.sync_once() and signed.runner.status.signed_out
    path = await session.handle_revoked()
    assert path is not None
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["user"]["username"] == "eng1"
    assert [m["args"]["fields"]["notes"] for m in exported["mutations"]] == ["设备被盗前的记录"]
    assert session.replica.job_ids() == set() and session.replica.pending_count() == 0
    assert session.restore() is None


async def test_another_engineer_cannot_sign_in_over_unsent_work(world: World, tmp_path: Path) -> None:
    job = await world.create_job(engineer="eng1")
    session = _session(world, tmp_path)
    signed = await session.sign_in("http://levee.test", "eng1", PASSWORD, "shared tablet")
    await signed.runner.sync_once()
    signed.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    with pytest.raises(ActionError) as blocked:
        await session.sign_in("http://levee.test", "eng2", PASSWORD, "shared tablet")
    assert blocked.value.code == "other_users_work"
    await signed.runner.sync_once()
    other = await session.sign_in("http://levee.test", "eng2", PASSWORD, "shared tablet")
    await other.runner.sync_once()
    assert session.replica.job_ids() == set()
