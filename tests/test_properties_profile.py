"""The test command runs the property tests with fixed seeds; the soak profile only when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import settings

from tests import properties

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_runs_the_fixed_seed_gate() -> None:
    if os.environ.get("LEVEE_HYPOTHESIS_PROFILE") == "soak":  # python3 tasks.py soak runs this too
        assert not settings.default.derandomize and properties.examples(10) == 10 * properties.SOAK_FACTOR
        return
    assert settings.default.derandomize, "every run must replay the same examples"
    assert settings.default.database is None
    assert properties.examples(10) == 10 and properties.STEPS == 30


def test_the_soak_profile_draws_random_examples_with_larger_budgets() -> None:
    probe = (
        "import tests.conftest; from hypothesis import settings; from tests import properties;"
        "print(settings.default.derandomize, properties.examples(10), properties.STEPS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "LEVEE_HYPOTHESIS_PROFILE": "soak", "CI": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.split()
    assert out == ["False", str(10 * properties.SOAK_FACTOR), "50"], out
