"""PostgreSQL goes away under running servers: they recover, and the device loses and doubles nothing.

Two real ``levee serve`` processes share a fresh database. A device process syncs through the first in a
loop, making new edits before every round, while the database goes down for a few seconds as a restart
takes it down: every connection to it is cut and new ones are refused, then it takes connections again.
That is done in SQL (``ALLOW_CONNECTIONS false`` and ``pg_terminate_backend``), so the test needs no
system tool and no root, and touches only its own database, not the cluster the other tests use.
Afterwards:

- the same server processes answer again (the pool's pre-ping replaces the dead connections);
- the device's next sync succeeds and it holds exactly what the server holds;
- every edit the device made is stored once (one mutation row per outbox entry);
- a long-poll on one process is woken by a change made through the other (the LISTEN connection came
  back);
- ``levee audit verify`` passes.

The restart always finishes before the test returns, waiting until PostgreSQL accepts connections
again, so later tests find it up.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import _pg_admin, _pg_url
from tests.processes import ENV, ROOT, Server, assert_audit_intact, seed_demo
from tests.reliability.test_crash import _replica_jobs, _state

pytestmark = [pytest.mark.postgres, pytest.mark.disruptive, pytest.mark.serial]

ROUNDS = 40
INTERVAL = 0.25  # seconds between the device's rounds: ~10 s of syncing in all
OUTAGE = 3.0  # seconds PostgreSQL stays down


async def _outage(name: str, seconds: float) -> None:
    """The database refuses connections and every open one is cut, for ``seconds``; then it is back."""
    await _pg_admin([f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'])
    until = time.monotonic() + seconds
    try:
        while time.monotonic() < until:  # connections opened just before the refusal are cut too
            await _pg_admin(
                [f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"]
            )
            await asyncio.sleep(0.2)
    finally:
        await _pg_admin([f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'])


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    name = f"levee_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin([f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"']))
    yield _pg_url(name)
    asyncio.run(_pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))


def _device(data_dir: Path, server: Server, password: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.device_process",
            "--data-dir",
            str(data_dir),
            "--server",
            server.url,
            "--user",
            "eng01",
            "--password",
            password,
            *args,
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def _count(db_url: str, sql: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def _wakes_across_processes(listening: Server, changing: Server, password: str, job_id: str) -> bool:
    """A long-poll on ``listening`` learns of an office change committed via ``changing``.

    ``listening`` answers a wait from what its own notifier heard, so a position newer than the one
    before the change can only have come from the other process's notice (LISTEN/NOTIFY); without it
    the wait runs out its 10 s and answers the old position. No wall-clock bound beyond the wait's own.
    """

    async def attempt(client: httpx.AsyncClient, eng: dict[str, str], office: dict[str, str]) -> bool:
        seq = (await client.get(f"{listening.url}/api/sync/wait", params={"timeout": 0}, headers=eng)).json()
        waiting = asyncio.create_task(
            client.get(
                f"{listening.url}/api/sync/wait", params={"after": seq["seq"], "timeout": 10}, headers=eng
            )
        )
        note = {"symptom": f"重启后 {uuid.uuid4().hex[:6]}"}
        r = await client.patch(f"{changing.url}/api/jobs/{job_id}", json=note, headers=office)
        assert r.status_code == 200, r.text
        woke = await waiting
        return bool(woke.json()["seq"] > seq["seq"])

    async def main() -> bool:
        async with httpx.AsyncClient(timeout=30) as client:

            async def login(server: Server, user: str) -> dict[str, str]:
                body = {"username": user, "password": password, "device_name": "restart check"}
                r = await client.post(f"{server.url}/api/auth/login", json=body)
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['token']}"}

            eng, office = await login(listening, "eng01"), await login(changing, "dispatcher")
            deadline = time.monotonic() + 120  # the listener reconnects with a backoff of at most 30 s
            while time.monotonic() < deadline:
                if await attempt(client, eng, office):
                    return True
            return False

    return asyncio.run(main())


def test_servers_and_device_ride_out_a_postgres_restart(pg_url: str, tmp_path: Path) -> None:
    password = seed_demo(pg_url, tmp_path / "server")
    a, b = Server(pg_url, tmp_path / "server"), Server(pg_url, tmp_path / "server")
    device_dir = tmp_path / "device"
    a.start()
    b.start()
    assert a.proc is not None and b.proc is not None
    pids = (a.proc.pid, b.proc.pid)
    try:
        first = _device(device_dir, a, password, "--rounds", "1")  # signs in, downloads its jobs
        output, _ = first.communicate(timeout=120)
        assert first.returncode == 0 and "round ok=True pending=0" in output, output
        # The device syncs in a loop, with new edits before every round, while PostgreSQL goes away.
        looping = _device(
            device_dir,
            a,
            password,
            "--rounds",
            str(ROUNDS),
            "--edits-per-round",
            "3",
            "--interval",
            str(INTERVAL),
        )
        assert looping.stdout is not None
        looping.stdout.readline()  # recorded
        looping.stdout.readline()  # a first round went through
        asyncio.run(_outage(urlparse(pg_url).path.lstrip("/"), OUTAGE))
        output, _ = looping.communicate(timeout=120)
        assert looping.returncode == 0, output
        rounds = [line for line in output.splitlines() if line.startswith("round")]
        assert any("ok=False" in line for line in rounds), "the device should have seen the outage"
        assert "ok=True" in rounds[-1], output  # and synced again after it
        # The very same server processes serve again: nothing was restarted but PostgreSQL.
        assert a.proc.poll() is None and b.proc.poll() is None
        assert (a.proc.pid, b.proc.pid) == pids
        for server in (a, b):
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        # The device's next sync succeeds and it holds what the server holds.
        final = _device(device_dir, a, password, "--rounds", "2")
        output, _ = final.communicate(timeout=120)
        assert final.returncode == 0 and "pending=0" in output.splitlines()[-1], output
        server_jobs, total = _state(a, password)
        local = _replica_jobs(device_dir)
        assert set(local) == set(server_jobs) and len(local) == total
        for job_id, job in server_jobs.items():
            for key in ("status", "version", "notes"):
                assert local[job_id][key] == job[key], (job_id, key, local[job_id][key], job[key])
        made = int(re.findall(r"made=(\d+)", "\n".join(rounds))[-1])
        assert made >= 3 * (ROUNDS - 5)
        # Nothing lost or doubled: one stored mutation per edit the device ever made.
        stored = asyncio.run(_count(pg_url, "SELECT count(*) FROM mutations"))
        assert stored == made, (stored, made)
        last = f"loop note {made - 1}"
        assert last in {j["notes"] for j in server_jobs.values()}
        # The LISTEN connection of each process came back: a change through B wakes a device on A.
        open_job = next(iter(server_jobs))
        assert _wakes_across_processes(a, b, password, open_job), "the change listener did not reconnect"
    finally:
        a.stop()
        b.stop()
    assert_audit_intact(pg_url, tmp_path)
