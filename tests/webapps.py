"""Real ``levee`` processes for the lifecycle and web-door tests, a raw Flet client, and /proc scans.

* :class:`Program` starts a command in a session of its own (so its process group is its own) and
  waits, with a generous budget for a loaded 2-core machine, until it answers.
* :func:`flet_session` opens the app's ``/ws`` the way a browser's Flet client does (any headers:
  a foreign ``Origin``, a cookie or none), registers a page and returns every text the app sent it.
* :func:`process_tree` and :func:`gone_within` read /proc (no psutil): every descendant of a process
  and every member of its process group, and whether all have ended, measured from a given moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_BUDGET_S = 180.0  # starting a program on a loaded 2-core machine: generous on purpose


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- processes -----------------------------------------------------------------------------------------


@dataclass
class Program:
    """One command as a child process in a new session (its own process group)."""

    args: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    stdin: int | None = subprocess.DEVNULL
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Program:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                stdin=self.stdin,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def wait_until_it_answers(self, url: str, budget: float = START_BUDGET_S) -> None:
        """Poll ``url`` until it answers below 500; fail with the log's tail if the program died."""
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args} ended ({self.proc.returncode}):\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=5).status_code < 500:
                    return
            time.sleep(0.25)
        raise AssertionError(f"{url} did not answer within {budget:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def kill_all(self) -> None:
        """Clean-up after a failed test: the whole process group, by its id (the leader's pid)."""
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], int(fields[1]), int(fields[2])


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def process_tree(root: int) -> set[int]:
    """The root and every process below it (children, grandchildren: Flet's helpers included), plus
    every process in the root's process group."""
    stats = {pid: s for pid in _all_pids() if (s := _stat(pid)) is not None}
    tree = {root}
    grew = True
    while grew:
        below = {pid for pid, (_, ppid, _) in stats.items() if ppid in tree} - tree
        grew = bool(below)
        tree |= below
    tree |= {pid for pid, (_, _, pgid) in stats.items() if pgid == root}
    return tree


def _alive(pid: int, group: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")  # a zombie has ended; only its entry waits


def still_running(pids: set[int], group: int) -> set[int]:
    """Which of ``pids``, and which other members of process group ``group``, still run."""
    members = {pid for pid in _all_pids() if (s := _stat(pid)) is not None and s[2] == group}
    return {pid for pid in pids | members if _alive(pid, group)}


def gone_within(program: Program, pids: set[int], since: float, limit: float) -> float:
    """Seconds from ``since`` until every process of ``pids`` and of the program's group has ended,
    checked every 10 ms; raises AssertionError naming what still runs once ``limit`` has passed (and
    goes on watching another 10 s, so the message says whether it was slow or stuck)."""
    assert program.proc is not None
    while True:
        program.proc.poll()  # reap the leader the moment it ends
        left = still_running(pids, program.pid)
        elapsed = time.monotonic() - since
        if not left:
            return elapsed
        if elapsed > limit + 10:
            names = {pid: _cmdline(pid) for pid in left}
            raise AssertionError(f"still running {elapsed:.1f} s after the signal: {names}")
        time.sleep(0.01)


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    return "?"


# --- a raw Flet client ------------------------------------------------------------------------------


def _strings(obj: Any, out: set[str]) -> None:
    if isinstance(obj, str):
        out.add(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _strings(key, out)
            _strings(value, out)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _strings(value, out)
    elif hasattr(obj, "__dict__"):
        _strings(vars(obj), out)


async def _flet_session(url: str, headers: dict[str, str], settle: float, budget: float) -> set[str]:
    import msgpack
    import websockets
    from flet.messaging.protocol import decode_ext_from_msgpack

    seen: set[str] = set()
    async with websockets.connect(url, additional_headers=headers, open_timeout=budget) as ws:
        page = {"route": "/", "width": 1280.0, "height": 800.0}
        await ws.send(b"\x00" + msgpack.packb([1, {"session_id": "", "page_name": "", "page": page}]))
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(ws.recv(), settle)
            except TimeoutError:
                if len(seen) > 5:  # the first screen arrived and nothing more came for `settle` s
                    break
                continue
            if isinstance(data, bytes) and data[:1] == b"\x00":
                _strings(
                    msgpack.unpackb(data[1:], ext_hook=decode_ext_from_msgpack, strict_map_key=False), seen
                )
    return seen


def flet_session(
    port: int, headers: dict[str, str], *, settle: float = 3.0, budget: float = 90.0
) -> set[str]:
    """Open a page of the Flet app on ``port`` as a browser would (with ``headers``); every text it
    was sent. Raises ``websockets.InvalidStatus`` when the handshake is refused."""
    return asyncio.run(_flet_session(f"ws://127.0.0.1:{port}/ws", headers, settle, budget))


@contextlib.contextmanager
def held_flet_session(port: int, headers: dict[str, str]) -> Iterator[None]:
    """A registered page held open in a thread (a browser left on the app) until the block ends."""
    import threading

    stop = threading.Event()
    ready = threading.Event()

    async def hold() -> None:
        import msgpack
        import websockets

        async with websockets.connect(f"ws://127.0.0.1:{port}/ws", additional_headers=headers) as ws:
            page = {"route": "/", "width": 1280.0, "height": 800.0}
            await ws.send(b"\x00" + msgpack.packb([1, {"session_id": "", "page_name": "", "page": page}]))
            await ws.recv()  # registered
            ready.set()
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.2)

    def run() -> None:
        with contextlib.suppress(Exception):  # the app going away ends the page, as in a browser
            asyncio.run(hold())
        ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(120), "the page did not register"
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
