"""Each pure package says what it offers (``__all__``, as httpx does), and says it where a reader looks:
sync's names in docs/sync-protocol.md, shared's modules in docs/architecture.md."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import shared
import sync

ROOT = Path(__file__).resolve().parents[1]


def _section(doc: str, heading: str) -> str:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _table_cells(section: str, column: int) -> dict[str, set[str]]:
    """First cell of each table row -> the backticked names in its ``column``-th cell."""
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) <= column or set(cells[0]) <= {"-"}:
            continue
        rows[cells[0]] = set(re.findall(r"`([^`]+)`", cells[column]))
    return rows


def test_sync_exports_exactly_the_names_its_protocol_document_lists() -> None:
    rows = _table_cells(_section("sync-protocol.md", "## The sync package's public names"), 1)
    documented: set[str] = set()
    for module_cell, names in rows.items():
        if module_cell == "module":
            continue
        module = importlib.import_module(re.findall(r"`([^`]+)`", module_cell)[0])
        for name in names:
            assert getattr(sync, name) is getattr(module, name), (
                f"sync.{name} is not {module.__name__}.{name}"
            )
        documented |= names
    assert len(sync.__all__) == len(set(sync.__all__))
    assert set(sync.__all__) == documented


def test_shared_exports_its_modules_and_the_architecture_names_each() -> None:
    modules = {info.name for info in pkgutil.iter_modules(shared.__path__)}
    assert set(shared.__all__) == modules
    rows = _table_cells(_section("architecture.md", "## What shared/ offers"), 0)
    documented = {name.removeprefix("shared.") for names in rows.values() for name in names}
    assert modules <= documented, sorted(modules - documented)
    assert documented <= modules, sorted(documented - modules)
