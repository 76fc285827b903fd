"""kill -9 at the worst moments: the server during a push and a pull, the device while it applies a page.

After each crash the processes are started again and sync runs; every device must hold what the
server holds, and every tap must be on the server exactly once.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from sync.protocol import parse_cursor
from tests.processes import ENV, ROOT, Server, assert_audit_intact, seed_demo

pytestmark = pytest.mark.serial  # kills and restarts real processes: tasks.py runs it alone


def _device(
    data_dir: Path, server: Server, password: str, edits: int = 0, rounds: int = 1, *options: str
) -> subprocess.Popen[str]:
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
            "--edits",
            str(edits),
            "--rounds",
            str(rounds),
            *options,
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(device: subprocess.Popen[str], prefix: str, count: int = 1) -> list[str]:
    """The device's lines up to and including the ``count``-th that starts with ``prefix``."""
    assert device.stdout is not None
    lines: list[str] = []
    seen = 0
    while seen < count:
        line = device.stdout.readline()
        if not line:
            rest = device.communicate(timeout=60)[0]
            raise AssertionError(
                f"the device ended before its {count} x {prefix!r} line:\n" + "".join(lines) + rest
            )
        lines.append(line)
        seen += line.startswith(prefix)
    return lines


def _number(line: str, name: str) -> int:
    found = re.search(rf"\b{name}=(\d+)", line)
    assert found, (name, line)
    return int(found.group(1))


def _state(server: Server, password: str) -> tuple[dict[str, dict], int]:
    token = httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": "dispatcher", "password": password, "device_name": "check"},
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    eng = httpx.get(f"{server.url}/api/users", params={"role": "engineer"}, headers=headers).json()["items"]
    eng01 = next(u["id"] for u in eng if u["username"] == "eng01")
    jobs = httpx.get(
        f"{server.url}/api/jobs", params={"engineer_id": eng01, "limit": 500}, headers=headers
    ).json()
    return {j["id"]: j for j in jobs["items"]}, jobs["total"]


def _count_mutations(db_url: str) -> int:
    """Mutations the server stored (each device mutation once, whatever was resent)."""
    from sqlalchemy import text

    from server.db.engine import make_engine

    async def count() -> int:
        engine = make_engine(db_url, pool=False)
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(text("SELECT count(*) FROM mutations"))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


def _replica_meta(data_dir: Path, key: str) -> str | None:
    from mobile.replica.store import Replica

    replica = Replica(data_dir / "replica.db")
    try:
        return replica.get_meta(key)
    finally:
        replica.close()


def _replica_jobs(data_dir: Path) -> dict[str, dict]:
    from mobile.replica.store import Replica

    replica = Replica(data_dir / "replica.db")
    try:
        assert replica.pending_count() == 0, "unsent taps left on the device"
        return {str(i): replica.job(i) or {} for i in replica.job_ids()}
    finally:
        replica.close()


def test_kill_9_of_server_and_device_mid_sync_loses_nothing(db_url: str, tmp_path: Path) -> None:
    password = seed_demo(db_url, tmp_path / "server")
    server = Server(db_url, tmp_path / "server")
    device_dir = tmp_path / "device"
    server.start()
    try:
        # 1. The device dies while applying its first download (pages of 10), after its second page.
        first = _device(device_dir, server, password, 0, 1, "--pull-limit", "10")
        _read_until(first, "page applied", 2)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
        cursor = _replica_meta(device_dir, "cursor")
        assert cursor is not None and parse_cursor(cursor)[2] is not None, (
            f"the kill should land mid-download (a download cursor), not at {cursor!r}"
        )
        # 2. With 600 edits queued (pushed 50 at a time), the server dies after the second batch.
        device = _device(device_dir, server, password, 600, 1)
        recorded = _number(_read_until(device, "recorded")[-1], "pending")
        assert recorded >= 600, f"the device recorded {recorded} mutations, not the 600 edits"
        _read_until(device, "batch acked", 2)
        server.kill9()
        rounds = [x for x in device.communicate(timeout=120)[0].splitlines() if x.startswith("round")]
        assert rounds and "ok=False" in rounds[-1], rounds
        left = _number(rounds[-1], "pending")
        assert 0 < left < recorded, f"the kill should land mid-push: {left} of {recorded} left to send"
        server.start()
        # 3. Then it dies in the middle of a pull (pages of 5), after the device applied one page.
        device = _device(device_dir, server, password, 0, 1, "--pull-limit", "5")
        _read_until(device, "page applied", 1)
        server.kill9()
        output = device.communicate(timeout=120)[0]
        assert "round ok=False" in output, f"the kill should land mid-pull:\n{output}"
        server.start()
        # 4. Everything comes back: the device finishes syncing with the restarted server.
        final = _device(device_dir, server, password, 0, 2)
        output, _ = final.communicate(timeout=300)
        assert final.returncode == 0, output
        assert "pending=0" in output.splitlines()[-1], output
        server_jobs, total = _state(server, password)
        local = _replica_jobs(device_dir)
        assert set(local) == set(server_jobs) and len(local) == total
        for job_id, job in server_jobs.items():
            for key in ("status", "version", "notes", "acknowledged_at"):
                mine = local[job_id][key]
                theirs = job[key]
                if key == "acknowledged_at" and mine and theirs:
                    assert datetime.fromisoformat(mine) == datetime.fromisoformat(theirs)
                else:
                    assert mine == theirs, (job_id, key, mine, theirs)
        # every edit is on the server once: the last one made stands on its job
        notes = {j["notes"] for j in server_jobs.values()}
        assert "crash-test note 599" in notes, sorted(notes)[:5]
        assert _count_mutations(db_url) == recorded
    finally:
        server.stop()
    assert_audit_intact(db_url, tmp_path)
