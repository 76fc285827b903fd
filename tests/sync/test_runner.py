"""The device's sync runner left running on its own, as the app runs it.

No wall-clock assertions: a test waits for the condition it is about, and a bound on that wait comes
from the protocol's own timers (the long poll, the idle interval) where it proves something, or is
generous where it only stops a hung test.
"""

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


async def _until(check: Callable[[], bool], seconds: float = 120) -> None:
    """Wait until ``check()`` holds; fail after ``seconds`` (a generous bound unless told otherwise)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not check():
        if loop.time() - start > seconds:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.02)


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
        await _until(lambda: device.runner.status.last_error_code == "offline")
        assert device.runner.status.online is False and device.runner.status.pending == 1
        device.online()  # no new write and no kick: the timer alone must bring it through
        # well before the 60 s idle interval: the backoff (at most 0.2 s) brought it through
        await _until(lambda: device.runner.status.pending == 0, 50)
        assert device.runner.status.online is True and device.runner.status.last_success_at is not None
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    server = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    assert server.json()["status"] == "acknowledged"


async def test_a_running_device_is_woken_by_an_office_change_not_by_its_timers(
    world: World, new_device: DeviceFactory
) -> None:
    """The job arrives before the device's long poll (25 s) or idle interval (600 s) would have
    ended: the server's notice woke it. How fast is bench/sync_bench.py's business."""
    device = await new_device("eng1")
    device.runner.long_poll, device.runner.idle_interval = 25, 600
    await device.sync()
    stop = asyncio.Event()
    task = asyncio.create_task(device.runner.run(stop))
    try:
        await _until(lambda: world.app.state.notifier.waiting() == 1)  # it settled into its long poll
        job = await world.create_job(engineer="eng1")
        await _until(lambda: uuid.UUID(job["id"]) in device.replica.job_ids(), 20)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


async def test_a_revoked_device_stops_and_says_so(world: World, new_device: DeviceFactory) -> None:
    device = await new_device("eng1")
    await device.sync()
    admin = await world.login("admin")
    devices = await world.client.get("/api/devices", params={"user_id": str(device.user_id)}, headers=admin)
    await world.client.post(f"/api/devices/{devices.json()[0]['id']}/revoke", headers=admin)
    assert await device.runner.sync_once() is False
    assert device.runner.status.signed_out and device.runner.status.last_error_code == "signed_out"
    await asyncio.wait_for(device.runner.run(), 60)  # returns instead of retrying forever


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
    # two jobs as version 1 kept them: one as the server sent it, one with the unsent tap above on it
    pump, other = str(uuid.UUID(int=7)), str(uuid.UUID(int=8))
    server = {"id": str(uuid.UUID(int=1)), "number": "J-1", "status": "assigned", "equipment_id": pump}
    local = {**server, "status": "arrived", "note": "现场已到达"}
    untouched = {"id": str(uuid.UUID(int=2)), "number": "J-2", "status": "assigned", "equipment_id": other}
    for doc, mine in ((server, local), (untouched, untouched)):
        conn.execute(
            "INSERT INTO jobs (id, server_doc, local_doc, status, number, call_received_at) "
            "VALUES (?, ?, ?, ?, ?, '2026-11-27T07:00:00+00:00')",
            (doc["id"], json.dumps(doc), json.dumps(mine), mine["status"], doc["number"]),
        )
    conn.commit()
    conn.close()
    replica = Replica(path)
    try:
        assert replica.schema_version == SCHEMA_VERSION > 1
        # every job kept, the engineer's unsent edit with it; the server's copy is stored once
        assert replica.job(uuid.UUID(server["id"])) == local
        assert replica.server_job(uuid.UUID(server["id"])) == server
        assert replica.job(uuid.UUID(untouched["id"])) == untouched
        with sqlite3.connect(path) as db:
            stored = dict(db.execute("SELECT id, local_doc FROM jobs").fetchall())
        assert stored[untouched["id"]] is None and json.loads(stored[server["id"]]) == local
        assert [j["id"] for j in replica.jobs_on_equipment(pump)] == [server["id"]]
        assert [j["number"] for j in replica.job_summaries()] == ["J-1", "J-2"]
        # the job screen's equipment history (every render, every tap) reads an index, not every job
        # (1.1 s per tap at 10,000 jobs without it)
        with sqlite3.connect(path) as db:
            plan = db.execute(
                "EXPLAIN QUERY PLAN SELECT local_doc FROM jobs WHERE equipment_id = ? "
                "ORDER BY call_received_at DESC",
                ("e",),
            ).fetchall()
        assert any("ix_jobs_equipment" in str(step) for step in plan), plan
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
        await _until(lambda: device.runner.status.online)
        device.offline()
        await _until(lambda: not device.runner.status.online)
        assert device.runner.status.last_error_code == "offline"
        device.online()
        await _until(lambda: device.runner.status.online)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
