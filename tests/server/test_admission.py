"""Overload: past its admission limit the server answers 503 with Retry-After at once, never a 500,
and a device's outbox survives the refusals (both databases)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from server.admission import Admission, Lane
from server.db.models import JobEvent
from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.support import World


async def _until(check: Callable[[], bool], seconds: float = 120) -> None:
    """Wait for a condition (generous: a loaded machine is slow, the condition is what matters)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- the lane on its own ------------------------------------------------------------------------------


async def test_a_lane_admits_up_to_its_limit_then_lets_a_few_wait_then_refuses() -> None:
    lane = Lane("sync", limit=2, queue=1, max_wait=30)
    assert await lane.enter() and await lane.enter()
    waiter = asyncio.create_task(lane.enter())
    await _until(lambda: lane.waiting == 1)
    assert not await lane.enter()  # the queue is full: refused at once, not after 30 s
    lane.leave()  # the place goes straight to the waiter
    assert await waiter
    assert lane.active == 2 and lane.waiting == 0
    assert (lane.admitted, lane.refused) == (3, 1)


async def test_a_wait_that_runs_out_is_refused_and_its_place_is_not_lost() -> None:
    lane = Lane("sync", limit=1, queue=4, max_wait=0.05)
    assert await lane.enter()
    assert not await lane.enter()  # nobody left within 50 ms
    lane.leave()
    assert lane.active == 0
    assert await lane.enter()  # the place is free again, not leaked to the timed-out waiter


async def test_a_client_that_goes_away_while_waiting_passes_its_place_on() -> None:
    lane = Lane("sync", limit=1, queue=4, max_wait=30)
    assert await lane.enter()
    gone = asyncio.create_task(lane.enter())
    patient = asyncio.create_task(lane.enter())
    await _until(lambda: lane.waiting == 2)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    lane.leave()
    assert await patient
    assert lane.active == 1
    lane.leave()
    assert lane.active == 0


async def test_retry_after_gives_the_refused_turns_one_pace_apart() -> None:
    """Each refused request is told a later turn than the one before it, one measured pace apart, so a
    burst of refusals comes back spread at the rate the lane serves, never later than 60 s."""
    lane = Lane("sync", limit=1, queue=0, max_wait=0)
    assert await lane.enter()
    told = []
    for _ in range(200):
        assert not await lane.enter()
        told.append(lane.retry_after())
    assert told == sorted(told)
    assert told[0] == 1
    # 200 turns 0.05 s apart (the lane's starting pace): the last one about 10 s out.
    assert 9 <= told[-1] <= 11
    for _ in range(2000):
        assert not await lane.enter()
        told.append(lane.retry_after())
    assert told[-1] == 60 and max(told) == 60


# --- through HTTP, on both databases ---------------------------------------------------------------------


def _squeeze(world: World, *, sync: int = 1, office: int = 4) -> Admission:
    """Run the app with small lanes and no waiting, so the test can fill them."""
    admission = Admission(
        sync=Lane("sync", sync, queue=0, max_wait=0), office=Lane("office", office, queue=0, max_wait=0)
    )
    world.app.state.admission = admission
    return admission


async def _push_body(world: World, job_id: str) -> dict[str, Any]:
    return {
        "device_time": "2026-12-06T08:00:00Z",
        "mutations": [
            {
                "id": str(uuid.uuid4()),
                "client_seq": 1,
                "name": "job.event",
                "args": {
                    "job_id": job_id,
                    "event_id": str(uuid.uuid4()),
                    "type": "acknowledged",
                    "at": "2026-12-06T08:00:00Z",
                },
                "created_at": "2026-12-06T08:00:00Z",
            }
        ],
    }


async def test_a_full_sync_lane_answers_503_with_retry_after_and_changes_nothing(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await world.login("eng1")
    admission = _squeeze(world)
    assert await admission.sync.enter()  # a request in flight holds the only place
    body = await _push_body(world, job["id"])
    r = await world.client.post("/api/sync/push", json=body, headers=eng)
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "server_busy" and "nothing was changed" in r.json()["detail"]
    r = await world.client.post("/api/sync/pull", json={"cursor": None}, headers=eng)
    assert r.status_code == 503
    office = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    assert office.status_code == 200, "the office keeps its own places while devices are turned away"
    assert office.json()["status"] == "assigned", "the refused push changed nothing"
    admission.sync.leave()
    r = await world.client.post("/api/sync/push", json=body, headers=eng)
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "applied"
    # An admitted request says how long it waited for a place and how long it took (the load bench
    # compares the server's view with what the devices measured).
    timing = {
        part.split(";")[0].strip(): float(part.split("dur=")[1])
        for part in r.headers["server-timing"].split(",")
    }
    assert set(timing) == {"wait", "app"} and timing["wait"] >= 0 and timing["app"] > 0


async def test_the_long_poll_is_not_limited_and_holds_no_database_connection(world: World) -> None:
    eng = await world.login("eng1")
    admission = _squeeze(world, sync=1, office=1)
    assert await admission.sync.enter() and await admission.office.enter()  # both lanes full
    notifier = world.app.state.notifier
    pool = world.app.state.engine.sync_engine.pool
    waits = [
        asyncio.create_task(
            world.client.get("/api/sync/wait", params={"after": 10**6, "timeout": 30}, headers=eng)
        )
        for _ in range(5)
    ]
    await _until(lambda: notifier.waiting() == 5)
    assert pool.checkedout() == 0, "a waiting long-poll must not hold a database connection"
    notifier.publish(10**6 + 1, {world.users["eng1"]})
    answers = await asyncio.gather(*waits)
    assert [a.status_code for a in answers] == [200] * 5


async def test_a_flood_of_pushes_gets_only_200_or_503_and_every_tap_lands_once(
    world: World, new_device: DeviceFactory
) -> None:
    jobs = [await world.create_job(engineer=eng) for eng in ("eng1", "eng2") for _ in range(3)]
    devices = [await new_device(eng, f"tablet {i}") for i, eng in enumerate(("eng1", "eng1", "eng2", "eng2"))]
    for device in devices:
        await device.sync()
    for device in devices:
        for job_id in device.replica.job_ids():
            device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    admission = _squeeze(world, sync=1)
    statuses: list[int] = []
    for device in devices:  # record every answer the devices get
        device.switch.inner = _Recorder(device.switch.inner, statuses)
    results = await asyncio.gather(*(d.runner.sync_once() for d in devices))
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses and not all(results)
    for device, ok in zip(devices, results, strict=True):
        assert ok or device.runner.status.last_error_code == "busy"
    admission.sync.limit = 10  # the flood is over
    for device in devices:
        assert await device.runner.sync_once(), device.runner.status.last_error
        assert device.replica.pending_count() == 0
    async with world.app.state.sessionmaker() as session:
        rows = (await session.execute(select(JobEvent.id, JobEvent.job_id))).all()
    # two tablets per engineer each tapped each of its 3 jobs once: 12 taps, each recorded exactly once
    assert len(rows) == 12 and len({r.id for r in rows}) == 12
    assert {str(r.job_id) for r in rows} == {j["id"] for j in jobs}


class _Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, statuses: list[int]) -> None:
        self.inner, self.statuses = inner, statuses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


async def test_a_refused_device_keeps_its_outbox_and_waits_as_asked(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()
    job_id = uuid.UUID(job["id"])
    device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    device.actions.tap(job_id, JobEventType.DEPARTED)
    outbox = [m.id for m in device.replica.pending(100)]
    admission = _squeeze(world)
    assert await admission.sync.enter()
    loop = asyncio.get_running_loop()
    asked_at = loop.time()
    assert not await device.runner.sync_once()
    status = device.runner.status
    assert status.last_error_code == "busy" and status.online, "busy is not offline: the server answered"
    assert [m.id for m in device.replica.pending(100)] == outbox, "a 503 leaves the outbox untouched"
    # what is left of the wait counts from the answer, which came after asked_at (a loaded machine took
    # a millisecond between them: 0.99928 s left of 1)
    waited_in_all = device.runner.next_delay() + (loop.time() - asked_at)
    assert waited_in_all >= 1.0, "the device waits at least the Retry-After"
    # A new tap kicks the runner, but the server's Retry-After still holds: no request before it.
    sent: list[int] = []
    device.switch.inner = _Recorder(device.switch.inner, sent)
    stop = asyncio.Event()
    running = asyncio.create_task(device.runner.run(stop))
    device.actions.tap(job_id, JobEventType.ARRIVED)
    device.runner.kick()
    await asyncio.sleep(0.3)
    assert sent == [], "a kick does not jump the server's Retry-After"
    admission.sync.leave()
    await _until(lambda: device.replica.pending_count() == 0)
    stop.set()
    await running
    form = (
        await world.client.get(f"/api/jobs/{job['id']}/form", headers=await world.login("manager"))
    ).json()
    assert form["job"]["status"] == "arrived"
    assert sorted(e["type"] for e in form["events"]) == ["acknowledged", "arrived", "departed"]


async def test_a_database_still_locked_after_its_busy_timeout_is_a_503_not_a_500(world: World) -> None:
    from server.app import _database_error

    class FakeRequest:
        method = "POST"
        app = world.app

        class url:
            path = "/api/sync/push"

    locked = OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
    response = _database_error(FakeRequest(), locked)  # type: ignore[arg-type]
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_no_free_database_connection_is_a_503_not_a_500(world: World) -> None:
    """The pool's checkout timeout (the likely 500 under load) is answered as overload."""
    from server.db.engine import make_engine

    url = world.app.state.engine.url.render_as_string(hide_password=False)
    tiny = make_engine(url, pool_options={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2})
    old_engine, old_maker = world.app.state.engine, world.app.state.sessionmaker
    from server.db.engine import make_sessionmaker

    world.app.state.engine, world.app.state.sessionmaker = tiny, make_sessionmaker(tiny)
    try:
        eng = await world.login("eng1")
        async with tiny.connect():  # the only connection is taken
            r = await world.client.post("/api/sync/pull", json={"cursor": None}, headers=eng)
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) >= 1
    finally:
        world.app.state.engine, world.app.state.sessionmaker = old_engine, old_maker
        await tiny.dispose()


@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "55P03"])
def test_a_deadlock_or_serialization_failure_is_a_503_to_retry_not_a_500(sqlstate: str) -> None:
    """PostgreSQL rolled the losing transaction back: nothing was changed, so the device is told to come
    back (503 + Retry-After, its outbox kept), as for a full lane, never an Internal Server Error."""
    from types import SimpleNamespace

    from sqlalchemy.exc import DBAPIError

    from server.app import _database_error

    class Orig(Exception):
        pass

    orig = Orig("deadlock detected")
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    lanes = Admission(
        sync=Lane("sync", 1, queue=0, max_wait=0), office=Lane("office", 1, queue=0, max_wait=0)
    )
    request = SimpleNamespace(
        method="POST",
        url=SimpleNamespace(path="/api/sync/push"),
        app=SimpleNamespace(state=SimpleNamespace(admission=lanes)),
    )
    answer = _database_error(request, DBAPIError("UPDATE", {}, orig))  # type: ignore[arg-type]
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.content["code"] == "server_busy"
