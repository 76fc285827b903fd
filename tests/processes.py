"""Real Levee processes for tests: a server on a free port, the ``levee`` command, the audit check.

A server writes everything it prints to a log file; when it does not come up, the failure says whether
the process exited (with its return code) or is still starting, and shows the log's tail. Every start
takes a fresh port: after a kill -9 another process may have taken the old one.
"""

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
#: Servers and commands of one test may use different data directories over one database: they share
#: one audit key, as the servers of an installation must (docs/deployment.md).
ENV = {
    **os.environ,
    "PYTHONUTF8": "1",
    "PYTHONUNBUFFERED": "1",
    "LEVEE_AUDIT_KEY": "test-audit-key-" + "k" * 32,
}

#: Seconds a server may take to answer /health after it was started. On an idle machine it takes 2-3 s
#: (imports, migrations check); on a loaded 2-core CI machine running the suite on every core it took
#: over 30 s. A start that needs longer than this is a finding, reported as "slow" apart from a crash.
START_BUDGET = float(os.environ.get("LEVEE_TEST_START_BUDGET", "180"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (empty when there is none yet)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ServerDidNotStart(AssertionError):
    """The server exited before it answered, or did not answer within the start-up budget."""


class Server:
    """``levee serve`` as a child process, logging to ``log`` (default: beside ``data_dir``)."""

    def __init__(
        self, db_url: str, data_dir: Path, log: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.db_url, self.data_dir = db_url, data_dir
        self.env = {**ENV, **(env or {})}
        self.log = log or data_dir.parent / f"server-{data_dir.name}-{os.getpid()}-{id(self):x}.log"
        self.port = 0
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, budget: float = START_BUDGET) -> None:
        """Start on a fresh port and wait until /health answers; fail saying why it did not."""
        self.port = free_port()
        self.starts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            out.write(f"\n=== start {self.starts} on port {self.port}\n".encode())
            out.flush()
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
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            rc = self.proc.poll()
            if rc is not None:
                raise ServerDidNotStart(
                    f"server exited rc={rc} before answering (start {self.starts}, port {self.port}); "
                    f"{self.log} ends:\n{tail(self.log)}"
                )
            if time.monotonic() - started > budget:
                raise ServerDidNotStart(
                    f"server slow: still running but not answering /health after {budget:.0f} s "
                    f"(start {self.starts}, port {self.port}); {self.log} ends:\n{tail(self.log)}"
                )
            time.sleep(0.1)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


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
