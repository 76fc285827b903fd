"""Several server processes on one PostgreSQL database: a device hears of changes made through another."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mobile.replica.store import Replica
from mobile.services.jobs import JobActions
from mobile.services.sync import SyncRunner
from shared.enums import JobEventType
from tests.conftest import _pg_admin, _pg_url
from tests.processes import Server, seed_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database (several processes share one database only on PostgreSQL)."""
    name = f"levee_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin([f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"']))
    yield _pg_url(name)
    asyncio.run(_pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))


def test_devices_sync_through_two_server_processes(pg_url: str, tmp_path: Path) -> None:
    db_url = pg_url
    password = seed_demo(db_url, tmp_path)
    a, b = Server(db_url, tmp_path), Server(db_url, tmp_path)
    try:
        a.start()
        b.start()
        asyncio.run(_scenario(a.url, b.url, password, tmp_path))
    finally:
        a.stop()
        b.stop()


async def _scenario(url_a: str, url_b: str, password: str, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as http:

        async def login(base: str, username: str) -> str:
            r = await http.post(
                f"{base}/api/auth/login",
                json={"username": username, "password": password, "device_name": "t"},
            )
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

        tablet = Replica(tmp_path / "tablet.db")
        phone = Replica(tmp_path / "phone.db")
        via_a = SyncRunner(tablet, url_a, await login(url_a, "eng01"), long_poll=5)
        via_b = SyncRunner(phone, url_b, await login(url_b, "eng01"), long_poll=5)
        try:
            assert await via_a.sync_once() and await via_b.sync_once()
            assert tablet.job_ids() == phone.job_ids() and tablet.job_ids()
            # A tap pushed through process A reaches the phone syncing through process B.
            early = ("assigned", "acknowledged", "departed", "arrived")
            open_job = next(j for j in tablet.jobs() if j["status"] in early)
            JobActions(tablet).tap(uuid.UUID(open_job["id"]), JobEventType.STARTED)
            assert await via_a.sync_once()
            assert await via_b.sync_once()
            assert phone.job(uuid.UUID(open_job["id"]))["status"] == "started"
            # A device long-polling process A hears of an office change committed through process B.
            office = {"Authorization": f"Bearer {await login(url_b, 'dispatcher')}"}
            after = tablet.cursor_seq
            waiting = asyncio.create_task(
                http.get(
                    f"{url_a}/api/sync/wait",
                    params={"after": after, "timeout": 60},
                    headers=dict(via_a.client.headers),
                )
            )
            r = await http.post(
                f"{url_b}/api/jobs/{open_job['id']}/hold", json={"reason": "等待备件"}, headers=office
            )
            assert r.status_code == 200, r.text
            # Process A answers a wait from what its own notifier heard: a newer position than
            # ``after`` can only have come from B's notice (LISTEN/NOTIFY), whether the wait was
            # already waiting or started after the change. It ends before its own 60 s: the notice
            # woke it. How fast is measured by bench/sync_bench.py, not asserted here.
            woke = await asyncio.wait_for(waiting, 50)
            assert woke.json()["seq"] > after
            assert await via_a.sync_once()
            assert tablet.job(uuid.UUID(open_job["id"]))["status"] == "on_hold"
        finally:
            await via_a.aclose()
            await via_b.aclose()
            tablet.close()
            phone.close()
