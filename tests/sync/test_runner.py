"""The device's sync runner left running on its own, as the app runs it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from mobile.replica.schema import SCHEMA_VERSION, V1
from mobile.replica.store import Replica
from shared.enums import JobEventType
from sync.protocol import MutationName
from tests.conftest import DeviceFactory
from tests.support import World


async def _until(check: Callable[[], bool], seconds: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not check():
        if loop.time() - start > seconds:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return loop.time() - start


async def test_runner_retries_with_backoff_and_delivers_when_the_network_returns(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()
    device.offline()
    device.runner.backoff_base, device.runner.backoff_max = 0.05, 0.2
    device.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    stop = asyncio.Event()
    task = asyncio.create_task(device.runner.run(stop))
    try:
        await _until(lambda: device.runner.status.last_error_code == "offline", 2)
        assert device.runner.status.online is False and device.runner.status.pending == 1
        device.online()  # no new write and no kick: the timer alone must bring it through
        await _until(lambda: device.runner.status.pending == 0, 3)
        assert device.runner.status.online is True and device.runner.status.last_success_at is not None
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    server = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    assert server.json()["status"] == "acknowledged"


async def test_a_running_device_receives_an_office_change_within_a_second(
    world: World, new_device: DeviceFactory
) -> None:
    device = await new_device("eng1")
    await device.sync()
    stop = asyncio.Event()
    task = asyncio.create_task(device.runner.run(stop))
    try:
        await asyncio.sleep(0.2)  # let it settle into its long poll
        job = await world.create_job(engineer="eng1")
        took = await _until(lambda: uuid.UUID(job["id"]) in device.replica.job_ids(), 2)
        assert took < 1.0
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_a_revoked_device_stops_and_says_so(world: World, new_device: DeviceFactory) -> None:
    device = await new_device("eng1")
    await device.sync()
    admin = await world.login("admin")
    devices = await world.client.get("/api/devices", params={"user_id": str(device.user_id)}, headers=admin)
    await world.client.post(f"/api/devices/{devices.json()[0]['id']}/revoke", headers=admin)
    assert await device.runner.sync_once() is False
    assert device.runner.status.signed_out and device.runner.status.last_error_code == "signed_out"
    await asyncio.wait_for(device.runner.run(), 2)  # returns at once instead of retrying forever


def test_local_schema_migration_keeps_the_outbox(tmp_path: Path) -> None:
    """A replica made by an older app version, with unsent taps, is upgraded without losing one."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in V1:
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO outbox (client_seq, id, name, args, hlc, created_at, job_id) VALUES "
        "(1, ?, 'job.event', ?, '000001764244800000-0000-abc', '2026-11-27T08:00:00+00:00', ?)",
        (
            str(uuid.uuid4()),
            json.dumps(
                {
                    "job_id": str(uuid.UUID(int=1)),
                    "event_id": str(uuid.uuid4()),
                    "type": "arrived",
                    "at": "2026-11-27T08:00:00+00:00",
                }
            ),
            str(uuid.UUID(int=1)),
        ),
    )
    conn.commit()
    conn.close()
    replica = Replica(path)
    try:
        assert replica.schema_version == SCHEMA_VERSION > 1
        [pending] = replica.pending()
        assert pending.name is MutationName.JOB_EVENT and pending.client_seq == 1
        follow = replica.record(
            MutationName.JOB_EVENT,
            {
                "job_id": str(uuid.UUID(int=1)),
                "event_id": str(uuid.uuid4()),
                "type": "started",
                "at": "2026-11-27T09:00:00+00:00",
            },
        )
        assert follow.client_seq == 2
    finally:
        replica.close()


async def test_an_idle_device_notices_the_network_is_gone_without_a_new_tap(
    world: World, new_device: DeviceFactory
) -> None:
    device = await new_device("eng1")
    await device.sync()
    device.runner.backoff_base, device.runner.backoff_max = 0.05, 0.2
    stop = asyncio.Event()
    task = asyncio.create_task(device.runner.run(stop))
    try:
        await _until(lambda: device.runner.status.online, 2)
        device.offline()
        await _until(lambda: not device.runner.status.online, 3)
        assert device.runner.status.last_error_code == "offline"
        device.online()
        await _until(lambda: device.runner.status.online, 3)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
