"""The browser drivers' retries, counted: none is silent, too many fail the test, the run says how many.

A driver retries where a loaded machine made a step flaky (a blank page after sign-in is loaded again,
a press that opened nothing is pressed again, a field that lost keys is typed again). Each retry is
noted here with what went wrong and printed at once; tests/conftest.py attaches a test's retries to its
report, fails a test that needed more than it allows (``@pytest.mark.retries(n)``; by default
:data:`ALLOWED`), and prints the run's count in the terminal summary, so a growing flake is visible.
"""

from __future__ import annotations

import os
import sys

KINDS = ("reload", "re-press", "re-type")

#: Retries one test may need before it fails (LEVEE_BROWSER_RETRIES_ALLOWED overrides).
ALLOWED = int(os.environ.get("LEVEE_BROWSER_RETRIES_ALLOWED", "1"))

#: (kind, what happened) for the test running now; emptied when the next test starts.
noted: list[tuple[str, str]] = []


def note(kind: str, detail: str) -> None:
    """Count one retry of ``kind`` (one of :data:`KINDS`) and say why, in the run's output."""
    assert kind in KINDS, kind
    noted.append((kind, detail))
    print(f"browser driver retry ({kind}): {detail}", file=sys.__stderr__, flush=True)


def start_test() -> None:
    noted.clear()
