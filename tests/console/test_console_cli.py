"""``levee console`` and ``levee demo`` start the console as its own program (server/ never imports it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.cli import build_parser
from server.webapps import CONSOLE_PORT, cmd_console, console_command
from tests.mobile.browser import free_port as _free_port
from tests.mobile.browser import wait_http

ROOT = Path(__file__).resolve().parents[2]


def test_levee_console_runs_python_m_mobile_console_with_its_options() -> None:
    args = build_parser().parse_args(
        ["console", "--server", "http://10.0.0.5:8000", "--port", "9001", "--tz", "UTC"]
    )
    assert args.func is cmd_console
    assert console_command(args.server, args.port, "127.0.0.1", args.tz) == [
        sys.executable, "-m", "console", "--server", "http://10.0.0.5:8000",
        "--port", "9001", "--host", "127.0.0.1", "--tz", "UTC",
    ]  # fmt: skip
    demo = build_parser().parse_args(["demo", "--console-port", "9002"])
    assert demo.console_port == 9002 and CONSOLE_PORT == 8560


def test_the_console_program_explains_itself() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "console", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0 and "--server" in out.stdout and "--tz" in out.stdout


def test_levee_demo_starts_the_console_beside_the_field_app_and_stops_both(tmp_path: Path) -> None:
    ports = [_free_port() for _ in range(3)]
    demo = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo", "--data-dir", str(tmp_path), "--port", str(ports[0]),
         "--app-port", str(ports[1]), "--console-port", str(ports[2])],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/", timeout=90)
        demo.send_signal(signal.SIGTERM)
        out, _ = demo.communicate(timeout=40)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert f"console:     http://127.0.0.1:{ports[2]}/" in out
    assert f"field app:   http://127.0.0.1:{ports[1]}/" in out
    for port in ports[1:]:  # the children went with the demo
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
