"""Every long-running ``levee`` command stops within 2 s of SIGTERM, children included (issue 11, item
13; the brief's rule): ``levee serve`` with a tablet's long poll open, ``levee app`` and ``levee console``
with a page open in a "browser", and ``levee demo`` with its three programs; and the demo can take its
server away and bring it back so a newcomer can try offline work.

Start-up gets a generous budget (a loaded 2-core machine); the 2 s is measured from the signal to the
moment /proc shows no process of the command's tree or process group still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile.services.session import DeviceSession
from tests.support import PASSWORD
from tests.webapps import ROOT, Program, _cmdline, free_port, gone_within, held_flet_session, process_tree
from ui.web.guard import browser_digest

# The 2 s is a real bound (the brief's rule for process managers): measured in the serial pass, not
# beside a parallel worker that could take the CPU between the signal and the exit.
pytestmark = pytest.mark.serial

STOP_LIMIT_S = 2.0
BROWSER_KEY = "k" * 43  # the cookie a "browser" below carries (a well-formed key)


def add_engineer(db_url: str, data_dir: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "add", "--username", "eng1", "--name", "张伟",
         "--role", "engineer", "--password-stdin", "--database-url", db_url, "--data-dir", str(data_dir)],
        cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


def serve(db_url: str, data_dir: Path, log: Path) -> tuple[Program, str]:
    port = free_port()
    program = Program(
        [
            "-m",
            "server.cli",
            "serve",
            "--port",
            str(port),
            "--database-url",
            db_url,
            "--data-dir",
            str(data_dir),
        ],
        log,
    ).start()
    url = f"http://127.0.0.1:{port}"
    program.wait_until_it_answers(f"{url}/health")
    return program, url


@contextlib.contextmanager
def stopped_at_the_end(*programs: Program) -> Iterator[None]:
    try:
        yield
    finally:
        for program in programs:
            program.kill_all()


HOW = ["sigterm", "ctrl-c"]


def stop_and_measure(program: Program, how: str = "sigterm") -> float:
    """Stop the command as `kill PID` does (SIGTERM to it alone) or as Ctrl+C in its terminal does
    (SIGINT to its whole process group); seconds until its whole tree has ended."""
    assert program.proc is not None
    tree = process_tree(program.pid)
    since = time.monotonic()
    if how == "sigterm":
        program.proc.terminate()
    else:
        os.killpg(program.pid, signal.SIGINT)
    return gone_within(program, tree, since, STOP_LIMIT_S)


@pytest.mark.parametrize("how", HOW)
def test_levee_serve_stops_within_2_s_and_answers_a_long_poll_on_the_way_out(
    db_url: str, tmp_path: Path, how: str
) -> None:
    add_engineer(db_url, tmp_path)
    server, url = serve(db_url, tmp_path, tmp_path / "serve.log")
    with stopped_at_the_end(server):
        token = httpx.post(
            f"{url}/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "t"}
        ).json()["token"]
        answer: dict[str, Any] = {}

        def long_poll() -> None:  # a tablet waiting for news, as its sync runner does
            try:
                r = httpx.get(
                    f"{url}/api/sync/wait",
                    params={"after": 10**12, "timeout": 25},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                answer["status"] = r.status_code
            except httpx.HTTPError as exc:
                answer["error"] = repr(exc)

        poll = threading.Thread(target=long_poll)
        poll.start()
        for _ in range(3):  # requests after it are answered: the long poll is in the server's hands
            assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        took = stop_and_measure(server, how)
        poll.join(timeout=30)
    assert took < STOP_LIMIT_S, f"levee serve took {took:.2f} s to stop"
    assert answer == {"status": 200}, f"the long poll was not answered on the way out: {answer}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_levee_serve_building_the_web_app_stops_within_2_s_with_the_build_and_its_download(
    db_url: str, tmp_path: Path
) -> None:
    """`levee serve` builds /app/ in a child process on its first start (mobile/pwa, which runs pip to
    fetch the browser's wheels): a SIGTERM to the server alone ends the build and pip too."""
    port = free_port()
    env = {"LEVEE_PWA_BUILD": "auto", "LEVEE_PWA_DIR": str(tmp_path / "pwa")}
    args = ["-m", "server.cli", "serve", "--port", str(port), "--database-url", db_url]
    server = Program([*args, "--data-dir", str(tmp_path)], tmp_path / "serve.log", env=env).start()
    with stopped_at_the_end(server):
        server.wait_until_it_answers(f"http://127.0.0.1:{port}/health")
        deadline = time.monotonic() + 180  # a loaded machine: the build starts after the API answers
        while not any("mobile.pwa build" in _cmdline(p) for p in process_tree(server.pid)):
            assert time.monotonic() < deadline, "levee serve started no build of the web app"
            assert server.proc is not None and server.proc.poll() is None, "levee serve ended"
            time.sleep(0.05)
        took = stop_and_measure(server, "sigterm")
    assert took < STOP_LIMIT_S, f"levee serve and its build took {took:.2f} s to stop"


def _signed_in_device(server_url: str, data_dir: Path) -> None:
    """A field-app replica signed in as eng1, bound to the test's "browser"."""

    async def sign_in() -> None:
        session = DeviceSession(data_dir)
        signed = await session.sign_in(
            server_url, "eng1", PASSWORD, "tablet", browser=browser_digest(BROWSER_KEY)
        )
        await signed.runner.aclose()
        session.replica.close()

    asyncio.run(sign_in())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("how", HOW)
def test_levee_app_with_a_page_open_and_its_sync_long_polling_stops_within_2_s(
    db_url: str, tmp_path: Path, how: str
) -> None:
    add_engineer(db_url, tmp_path / "server")
    server, url = serve(db_url, tmp_path / "server", tmp_path / "serve.log")
    port = free_port()
    app = Program(
        [
            "-m",
            "server.cli",
            "app",
            "--server",
            url,
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "app"),
        ],
        tmp_path / "app.log",
    )
    with stopped_at_the_end(app, server):
        _signed_in_device(url, tmp_path / "app")
        app.start().wait_until_it_answers(f"http://127.0.0.1:{port}/")
        page = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"levee_app_{port}={BROWSER_KEY}"}
        with held_flet_session(port, page):
            took = stop_and_measure(app, how)
    assert took < STOP_LIMIT_S, f"levee app took {took:.2f} s to stop\n{app.tail()}"


@pytest.mark.parametrize("how", HOW)
def test_levee_console_with_a_page_open_stops_within_2_s(tmp_path: Path, how: str) -> None:
    port = free_port()
    console = Program(
        ["-m", "server.cli", "console", "--server", "http://127.0.0.1:9", "--port", str(port)],
        tmp_path / "console.log",
    )
    with stopped_at_the_end(console):
        console.start().wait_until_it_answers(f"http://127.0.0.1:{port}/")
        with held_flet_session(port, {"Origin": f"http://127.0.0.1:{port}"}):
            took = stop_and_measure(console, how)
    assert took < STOP_LIMIT_S, f"levee console took {took:.2f} s to stop\n{console.tail()}"


# --- levee demo ---------------------------------------------------------------------------------------


class Demo:
    def __init__(self, data_dir: Path) -> None:
        self.ports = {"server": free_port(), "app": free_port(), "console": free_port()}
        self.program = Program(
            ["-m", "server.cli", "demo", "--data-dir", str(data_dir), "--port", str(self.ports["server"]),
             "--app-port", str(self.ports["app"]), "--console-port", str(self.ports["console"])],
            data_dir.parent / f"demo-{self.ports['server']}.log",
            stdin=subprocess.PIPE,
        )  # fmt: skip

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}/" + ("health" if name == "server" else "")

    def start(self) -> None:
        self.program.start()
        for name in self.ports:  # the first start seeds the demo data: a generous budget
            self.program.wait_until_it_answers(self.url(name), budget=400)

    def type(self, line: str) -> None:
        assert self.program.proc is not None and self.program.proc.stdin is not None
        self.program.proc.stdin.write(line.encode() + b"\n")
        self.program.proc.stdin.flush()

    def answers(self, name: str) -> bool:
        try:
            return httpx.get(self.url(name), timeout=5).status_code < 500
        except httpx.HTTPError:
            return False


def until(condition: Any, budget: float = 120.0) -> None:
    deadline = time.monotonic() + budget
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "data"


def test_levee_demo_takes_its_server_away_and_back_then_stops_all_three_within_2_s(demo_data: Path) -> None:
    demo = Demo(demo_data)
    with stopped_at_the_end(demo.program):
        demo.start()
        demo.type("stop")
        until(lambda: not demo.answers("server"))
        assert demo.answers("app") and demo.answers("console"), "the apps went with the server"
        demo.type("start")
        until(lambda: demo.answers("server"))
        tree = process_tree(demo.program.pid)
        assert len(tree) >= 4, f"the demo should run three programs below it: {tree}"
        took = stop_and_measure(demo.program)
    out = demo.program.log.read_text(encoding="utf-8")
    assert "server stopped" in out and "server starting" in out and "stop    take the server away" in out
    assert took < STOP_LIMIT_S, f"levee demo took {took:.2f} s to stop\n{demo.program.tail()}"


def test_ctrl_c_in_the_demos_terminal_stops_all_three_within_2_s(demo_data: Path) -> None:
    demo = Demo(demo_data)
    with stopped_at_the_end(demo.program):
        demo.start()
        took = stop_and_measure(demo.program, "ctrl-c")
    assert took < STOP_LIMIT_S, f"levee demo took {took:.2f} s to stop on Ctrl+C\n{demo.program.tail()}"


def test_the_demos_programs_end_with_it_even_when_it_is_killed_outright(demo_data: Path) -> None:
    demo = Demo(demo_data)
    with stopped_at_the_end(demo.program):
        demo.start()
        assert demo.program.proc is not None
        tree = process_tree(demo.program.pid)
        since = time.monotonic()
        demo.program.proc.kill()  # SIGKILL: no chance to stop its children itself
        took = gone_within(demo.program, tree, since, STOP_LIMIT_S)
    assert took < STOP_LIMIT_S, f"the demo's programs outlived it by {took:.2f} s"
