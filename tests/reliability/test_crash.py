"""kill -9 at the worst moments: the server during a push and a pull, the device while it applies a page.

After each crash the processes are started again and sync runs; every device must hold what the
server holds, and every tap must be on the server exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import ENV, ROOT, Server, assert_audit_intact, seed_demo

pytestmark = pytest.mark.serial  # kills and restarts real processes: tasks.py runs it alone


def _device(
    data_dir: Path, server: Server, password: str, edits: int = 0, rounds: int = 1
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
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


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
        # 1. The device dies while applying its first download (small pages, many of them).
        first = _device(device_dir, server, password)
        time.sleep(1.5)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        # 2. With 600 edits queued, the server dies in the middle of the push, then of the pull.
        interrupted = 0
        for delay in (0.2, 0.6):
            device = _device(device_dir, server, password, edits=600, rounds=1)
            assert device.stdout is not None
            device.stdout.readline()  # recorded
            time.sleep(delay)
            server.kill9()
            crashed_round = device.communicate(timeout=60)[0]
            interrupted += "ok=False" in crashed_round
            server.start()
        assert interrupted, "the kills should land while the device is syncing"
        # 3. Everything comes back: the device finishes syncing with the restarted server.
        final = _device(device_dir, server, password, rounds=2)
        output, _ = final.communicate(timeout=120)
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
                    from datetime import datetime

                    assert datetime.fromisoformat(mine) == datetime.fromisoformat(theirs)
                else:
                    assert mine == theirs, (job_id, key, mine, theirs)
        notes = sorted(j["notes"] for j in server_jobs.values() if j["notes"].startswith("crash-test note"))
        assert notes, "the edits reached the server"
    finally:
        server.stop()
    assert_audit_intact(db_url, tmp_path)
