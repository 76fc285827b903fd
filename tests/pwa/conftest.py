"""The field app's web build, made once per machine and reused (the build is keyed by its inputs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.pwa.build import ensure_built


def build_dir() -> Path:
    """Where the tests keep the build: ``LEVEE_TEST_PWA_DIR`` or the user's cache."""
    default = Path.home() / ".cache" / "levee" / "pwa-test-build"
    return Path(os.environ.get("LEVEE_TEST_PWA_DIR") or default)


@pytest.fixture(scope="session")
def pwa_build() -> Path:
    """The build of this checkout (made on first use: ~20 s; then only checked)."""
    out = build_dir()
    ensure_built(out, log=False)  # pytest-xdist workers build it once: ensure_built takes a lock
    return out


@pytest.fixture
def served_pwa(pwa_build: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Servers made in this test (in-process or ``levee serve``) serve the cached build at /app/."""
    monkeypatch.setenv("LEVEE_PWA_DIR", str(pwa_build))
    monkeypatch.setenv("LEVEE_PWA_BUILD", "off")
    yield pwa_build
