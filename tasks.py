#!/usr/bin/env python3
"""Set-up and entry points for newcomers and CI: ``python3 tasks.py demo`` and ``python3 tasks.py test``.

Needs only Python 3.11+. Creates ``.venv`` on first use, installs the locked dependencies
(``requirements.lock``, hash-checked) and Levee itself, and reinstalls when the lock changes.
``python3 tasks.py soak [--minutes N]`` runs the property-based tests with random seeds and large
budgets for N minutes (30 by default), printing each seed.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".levee-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


def ensure_env() -> None:
    """Create the virtual environment and install the lock when it is new or changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit(f"Levee needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PY.exists():
        return
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing locked dependencies (first run takes a minute or two) ...", flush=True)
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run(*pip, "--require-hashes", "--no-deps", "-r", LOCK) != 0:
        sys.exit("installing requirements.lock failed")
    if _run(*pip, "--no-deps", "-e", ROOT) != 0:
        sys.exit("installing Levee itself failed")
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium: install it when it is missing and this is root on Debian."""
    if shutil.which("chromium") or os.name == "nt" or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    print("installing Debian's chromium for the browser tests ...", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if _run("apt-get", "update", "-qq", env=quiet) == 0:
        _run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", env=quiet)


def test(args: list[str]) -> int:
    """Lint, type-check, then the whole pytest suite (CI=true makes the PostgreSQL tests mandatory).

    With ``args``, pytest runs once with them (e.g. ``-m 'not browser'`` or one file)."""
    ensure_chromium()
    env = dict(os.environ)
    if env.get("CI", "").lower() in {"1", "true", "yes"}:
        env.setdefault("LEVEE_REQUIRE_POSTGRES", "1")
    paths = [
        p
        for p in (
            "shared",
            "sync",
            "server",
            "ui",
            "mobile",
            "console",
            "tests",
            "bench",
            "tools",
            "tasks.py",
        )
        if (ROOT / p).exists()
    ]
    for step in (
        [BIN / "ruff", "check", *paths],
        [BIN / "ruff", "format", "--check", *paths],
        [BIN / "mypy"],
    ):
        print("$", " ".join(str(s.name if isinstance(s, Path) else s) for s in step), flush=True)
        if _run(*step, env=env) != 0:
            return 1
    if args:  # a chosen part of the suite, as asked
        return _run(PY, "-m", "pytest", *args, env=env)
    # The whole suite in two runs. Tests that own their databases run on every core (pytest-xdist);
    # the browser tests (three servers and Chromium each, timing-sensitive on a loaded machine), the
    # crash tests (real processes killed at chosen moments) and the ones that restart PostgreSQL run
    # afterwards, one at a time. Both runs always happen.
    # --durations: each run ends with its slowest tests, what a CI log needs to keep the run short
    pytest = [PY, "-m", "pytest", "--durations=15", "-m"]
    parallel = _run(
        *pytest, "not (browser or serial or disruptive)", "-n", "auto", "--dist", "worksteal", env=env
    )
    serial = _run(*pytest, "browser or serial or disruptive", env=env)
    return parallel or serial


#: The property-based tests the soak runs, one pytest run (and seed) each per round, the sync state
#: machine first; tests marked ``property`` (tests/conftest.py marks every Hypothesis test) in other
#: files run in the last group.
SOAK_GROUPS = (
    ["tests/sync/test_sync_properties.py"],
    ["tests/server/test_ledger.py"],
    ["tests/test_schedules.py", "tests/sync/test_merge_rules.py"],
)


def soak(args: list[str]) -> int:
    """Run the property tests with new random seeds and the ``soak`` budgets until the time is up.

    ``args``: ``--minutes N`` (30), test files to soak only those, other pytest options. Each pytest run
    prints its seed first; a failure prints the command that replays it and ends the soak. No run starts
    after the time is up; the one in progress then finishes (a few minutes at most: the soak budgets are
    sized so), because an interrupted state machine cannot clean up after itself.
    """
    minutes, rest = 30.0, list(args)
    if "--minutes" in rest:
        at = rest.index("--minutes")
        minutes = float(rest[at + 1])
        del rest[at : at + 2]
    env = {**os.environ, "LEVEE_HYPOTHESIS_PROFILE": "soak"}
    # the API fuzzing (tests/server/test_fuzz_api.py) goes deeper too, seeded like the rest
    env.update({"LEVEE_FUZZ_EXAMPLES": "30", "LEVEE_FUZZ_NEGATIVE": "25", "LEVEE_FUZZ_RANDOM": "1"})
    paths = [a for a in rest if not a.startswith("-")]
    if paths:  # soak only these files (one group), e.g. tests/sync/test_sync_properties.py
        groups = [paths]
        rest = [a for a in rest if a.startswith("-")]
    else:
        others = ["tests", *(f"--deselect={f}" for group in SOAK_GROUPS for f in group)]
        groups = [*SOAK_GROUPS, others]
    base = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "property", "-o", "timeout=0"]
    ends = time.monotonic() + minutes * 60
    runs, rounds = 0, 0
    print(f"soak: property tests with random seeds for {minutes:g} min", flush=True)
    while time.monotonic() < ends:
        rounds += 1
        for group in groups:
            left = ends - time.monotonic()
            if left <= 0:
                break
            seed = random.SystemRandom().randrange(2**32)
            command = [*base, f"--hypothesis-seed={seed}", *group, *rest]
            shown = " ".join(str(c) for c in command[1:])
            print(f"\nsoak round {rounds}, seed {seed}: {' '.join(group)}", flush=True)
            began = time.monotonic()
            code = subprocess.call([str(c) for c in command], cwd=ROOT, env=env)
            runs += 1
            print(f"soak: seed {seed} done in {time.monotonic() - began:.0f} s, exit code {code}", flush=True)
            if code not in (0, 5):  # 5: nothing collected in that group
                print(
                    f"\nsoak FOUND a failure with seed {seed}; replay it with:\n"
                    f"  LEVEE_HYPOTHESIS_PROFILE=soak LEVEE_FUZZ_EXAMPLES=30 LEVEE_FUZZ_NEGATIVE=25"
                    f" LEVEE_FUZZ_RANDOM=1 .venv/bin/python {shown}",
                    flush=True,
                )
                return 1
    print(f"\nsoak: {runs} runs in {rounds} rounds, no failure", flush=True)
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "soak", "levee", "setup"}:
        print(__doc__)
        print(
            "usage: python3 tasks.py demo | test [pytest args] | soak [--minutes N] [pytest args]"
            " | levee <command> | setup"
        )
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_env()
    if command == "setup":
        return 0
    if command == "test":
        return test(rest)
    if command == "soak":
        return soak(rest)
    args = ["demo", *rest] if command == "demo" else rest
    if os.name == "posix":  # become `levee`: a SIGTERM to this process then stops it (and its children)
        sys.stdout.flush()
        os.execv(BIN / "levee", [str(BIN / "levee"), *args])
    return _run(BIN / "levee", *args)


if __name__ == "__main__":
    sys.exit(main())
