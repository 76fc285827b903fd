"""The browser drivers' retries are counted: a test needing more than it allows fails, the run says so.

Runs pytest on two small tests that note retries as the drivers do (tests/retries.py), with this
suite's conftest as a plugin, and reads the outcome and the terminal summary.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLAKY = """
import pytest

from tests import retries


@pytest.mark.browser
def test_needs_two_presses_but_may_have_one() -> None:
    retries.note("re-press", "pressed 'call-customer' but 'customer-list' did not appear")
    retries.note("re-press", "pressed 'call-customer' but 'customer-list' did not appear")


@pytest.mark.browser
@pytest.mark.retries(2)
def test_may_have_two() -> None:
    retries.note("re-type", "'备注' held '已恢' , not '已恢复'")
    retries.note("reload", "'job-list' did not show 60 s after eng1 signed in")


@pytest.mark.browser
def test_needs_none() -> None:
    pass
"""


def run_with_our_conftest(
    tmp_path: Path, name: str, source: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """pytest run on ``source`` (written to ``tmp_path/name``) with this suite's conftest as a plugin."""
    (tmp_path / name).write_text(source, encoding="utf-8")
    options = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-c", "/dev/null", str(tmp_path / name)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", **env},
    )


def test_retries_past_the_allowance_fail_the_test_and_the_summary_counts_them(tmp_path: Path) -> None:
    run = run_with_our_conftest(tmp_path, "test_flaky.py", FLAKY, LEVEE_BROWSER_RETRIES_ALLOWED="1")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "1 failed, 2 passed" in out, out
    assert "needed 2 retries, more than the 1 this test allows" in out, out
    assert "browser driver retries: 4 (reload 1, re-press 2, re-type 1) in 3 tests" in out, out
    assert "test_flaky.py::test_may_have_two: reload: 'job-list' did not show" in out, out
