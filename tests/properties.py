"""How much the property-based tests explore: a fixed-seed gate in the test command, or a soak.

The test command runs Hypothesis's ``gate`` profile: derandomized (every run replays the same examples,
so a red run is red again on the next try and on another machine) with no example database. The
``soak`` profile (``python3 tasks.py soak``, which sets ``LEVEE_HYPOTHESIS_PROFILE=soak``) draws new
examples from a random seed it prints, with budgets :data:`SOAK_FACTOR` times larger and longer
state-machine runs, to find what the gate's fixed examples do not reach. A soak run is kept to a few
minutes (the soak starts many, each with a new seed): the time limit waits for the run in progress.

Tests take their budgets from :func:`examples` and :data:`STEPS` instead of fixed numbers, so both
profiles size every property test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("LEVEE_HYPOTHESIS_PROFILE", "gate")
SOAK = PROFILE == "soak"
SOAK_FACTOR = 3

#: The state machine's steps per example (the gate's 30 reach a signature; the soak goes further).
STEPS = 50 if SOAK else 30

_COMMON = {
    "database": None,  # a soak's failure is reported with its seed, not replayed from a local file
    "deadline": None,  # a loaded 2-core machine is slow now and then; that is not a finding
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("gate", derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("soak", derandomize=False, **_COMMON)  # type: ignore[arg-type]


def load() -> None:
    """Load the profile named by ``LEVEE_HYPOTHESIS_PROFILE`` (``gate`` unless told otherwise).

    Loaded by tests/conftest.py, which also replaces the ``ci`` profile Hypothesis loads by itself
    when ``CI`` is set.
    """
    if PROFILE not in ("gate", "soak"):
        raise ValueError(f"LEVEE_HYPOTHESIS_PROFILE must be gate or soak, not {PROFILE!r}")
    settings.load_profile(PROFILE)


def examples(gate: int) -> int:
    """The number of examples for a property test whose gate budget is ``gate``."""
    return gate * SOAK_FACTOR if SOAK else gate
