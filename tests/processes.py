"""Real Levee processes for tests: a server on a free port, the ``levee`` command, the audit check."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONUTF8": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.db_url, self.data_dir, self.port = db_url, data_dir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--port",
                str(self.port),
                "--database-url",
                self.db_url,
                "--data-dir",
                str(self.data_dir),
            ],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and self.proc.poll() is None, "server did not start"
            time.sleep(0.1)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def levee(*args: str, db_url: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``levee ARGS --database-url .. --data-dir ..`` and return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--database-url", db_url, "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def seed_demo(db_url: str, data_dir: Path) -> str:
    """Seed the demo data; returns the demo password."""
    seeded = levee("seed", "--demo", db_url=db_url, data_dir=data_dir)
    assert seeded.returncode == 0, seeded.stderr
    found = re.search(r"^eng01\s.*?(levee-\w+)", seeded.stdout, re.M)
    assert found, seeded.stdout
    return found.group(1)


def assert_audit_intact(db_url: str, data_dir: Path) -> None:
    verified = levee("audit", "verify", db_url=db_url, data_dir=data_dir, timeout=60)
    assert verified.returncode == 0, verified.stderr
