"""A failed browser test shows the ends of its processes' logs (server, field app, console) in the run's
output: the CI run of 2026-12-07 failed on a back press that led nowhere, and the field app's log,
which would have said why, stayed in a temporary folder of a machine that was gone.

Runs pytest on small tests whose fixtures hold logs as tests/mobile/browser.py's stacks do (``.tmp``,
or ``.stack.tmp``), with this suite's conftest as a plugin, and reads the output.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_retry_budget import run_with_our_conftest

FAILING = """
from pathlib import Path
from types import SimpleNamespace

import pytest


def _stack(tmp_path: Path, name: str) -> SimpleNamespace:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "app.log").write_text("".join(f"{name} app line {i}\\n" for i in range(1, 101)))
    (folder / "server.log").write_text(
        "Traceback: the server's last words\\n"
        + 'INFO:     127.0.0.1:60106 - "GET /assets/fonts/roboto.woff2 HTTP/1.1" 200 OK\\n' * 80
        + 'INFO:     127.0.0.1:60107 - "POST /api/sync/push HTTP/1.1" 409 Conflict\\n'
    )
    return SimpleNamespace(tmp=folder)


@pytest.fixture
def stack(tmp_path: Path) -> SimpleNamespace:
    return _stack(tmp_path, "failing")


@pytest.fixture
def door(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(stack=_stack(tmp_path, "nested"))


@pytest.fixture
def quiet(tmp_path: Path) -> SimpleNamespace:
    return _stack(tmp_path, "passing")


@pytest.mark.browser
def test_back_press_leads_nowhere(stack: SimpleNamespace, door: SimpleNamespace) -> None:
    raise AssertionError("'van-open' did not show")


@pytest.mark.browser
def test_started_in_its_folder(tmp_path: Path) -> None:
    (tmp_path / "console.log").write_text("the console's last words\\n")
    raise AssertionError("'call-customer' did not open")


@pytest.mark.browser
def test_passes(quiet: SimpleNamespace) -> None:
    pass


def test_not_in_a_browser_fails(stack: SimpleNamespace) -> None:
    raise AssertionError("no browser here")
"""


def test_a_failed_browser_test_shows_its_processes_last_log_lines(tmp_path: Path) -> None:
    run = run_with_our_conftest(tmp_path, "test_logs.py", FAILING)
    out = run.stdout
    assert "3 failed, 1 passed" in out, out + run.stderr
    failing = out.split(" test_back_press_leads_nowhere ")[1].split(" test_not_in_a_browser_fails ")[0]
    assert "the console's last words" in out.split(" test_started_in_its_folder ")[1], out
    for name in ("failing", "nested"):
        assert f"log {name}/app.log" in failing and f"log {name}/server.log" in failing, out
        assert f"{name} app line 100" in failing and f"{name} app line 41" in failing, out
        assert f"{name} app line 40\n" not in failing, out  # the end only: the last 60 lines
    # a successful read is not shown, so the failed write and the traceback before them are
    assert "Traceback: the server's last words" in failing and "409 Conflict" in failing, out
    assert "roboto.woff2" not in failing, out
    assert "passing app line" not in out, out  # a passing test's logs are not shown
    assert out.count("log failing/app.log") == 1, out  # nor a failed test's outside a browser
