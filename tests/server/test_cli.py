"""The ``levee`` command as an operator runs it: real processes, a real port, both databases."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.processes import START_BUDGET

LEVEE = [sys.executable, "-m", "server.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEVEE, *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONUTF8": "1"},
    )


def test_seed_add_user_and_serve(db_url: str, tmp_path: Path) -> None:
    seeded = _run("seed", "--demo", "--database-url", db_url, data_dir=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    password = re.search(r"dispatcher\s.*?(levee-\w+)", seeded.stdout)
    assert password, seeded.stdout
    again = _run("seed", "--demo", "--database-url", db_url, data_dir=tmp_path)
    assert again.returncode == 1 and "not seeded" in again.stderr
    weak = _run(
        "user",
        "add",
        "--username",
        "ops",
        "--role",
        "admin",
        "--password-stdin",
        "--database-url",
        db_url,
        data_dir=tmp_path,
        stdin="short\n",
    )
    assert weak.returncode == 1 and "password" in weak.stderr
    added = _run(
        "user",
        "add",
        "--username",
        "ops",
        "--name",
        "运维",
        "--role",
        "admin",
        "--password-stdin",
        "--database-url",
        db_url,
        data_dir=tmp_path,
        stdin="a-long-enough-pass\n",
    )
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [*LEVEE, "serve", "--port", str(port), "--database-url", db_url, "--data-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_BUDGET  # a start-up budget for a loaded 2-core machine
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise AssertionError(f"server exited rc={server.returncode}:\n{server.communicate()[0]}")
            assert time.monotonic() < deadline, f"server slow: not answering after {START_BUDGET} s"
            time.sleep(0.2)
        login = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "dispatcher", "password": password.group(1), "device_name": "cli test"},
        )
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        jobs = httpx.get(f"{base}/api/jobs", params={"limit": 1}, headers=headers).json()
        assert 380 <= jobs["total"] <= 420
        ops = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "ops", "password": "a-long-enough-pass", "device_name": "cli test"},
        )
        assert ops.status_code == 200 and ops.json()["user"]["role"] == "admin"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "a-long-enough-pass" not in output and password.group(1) not in output
