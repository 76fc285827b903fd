"""Two processes that build the field app's web folder at once (two ``levee serve`` on one data folder
starting together) build it once: one builds, the other waits and finds it current. Before, both
built into staging folders and renamed them over each other's, one of them failing half-way."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from mobile.pwa import build as pwa
from server.pwa import build_command


def test_two_builders_at_once_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pwa"
    inside = 0
    most_inside = 0
    builds: list[str] = []
    guard = threading.Lock()

    def slow_build(target: Path, *, version: str, log: bool) -> pwa.Built:
        nonlocal inside, most_inside
        with guard:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.3)  # long enough for the other builder to arrive
        target.mkdir(parents=True, exist_ok=True)
        (target / "sw.js").write_text("// built")
        (target / "build.json").write_text(json.dumps({"version": version}))
        builds.append(version)
        with guard:
            inside -= 1
        return pwa.Built(target, version, 2, 0, rebuilt=True)

    monkeypatch.setattr(pwa, "build", slow_build)
    monkeypatch.setattr(pwa, "input_version", lambda: "v1")
    results: list[pwa.Built] = []
    threads = [
        threading.Thread(target=lambda: results.append(pwa.ensure_built(out, log=False))) for _ in (1, 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert most_inside == 1 and builds == ["v1"]
    assert sorted(r.rebuilt for r in results) == [False, True]


def test_the_servers_start_up_build_runs_at_the_lowest_priority(tmp_path: Path) -> None:
    assert "--background" in build_command(tmp_path)
