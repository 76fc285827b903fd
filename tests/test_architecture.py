"""The dependency arrows of docs/architecture.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"shared", "sync", "server", "mobile", "tests", "bench"}
ALLOWED = {
    "shared": {"shared"},
    "sync": {"shared", "sync"},
    "server": {"shared", "sync", "server"},
    "mobile": {"shared", "sync", "mobile"},
}
# No I/O or framework in the pure packages.
FORBIDDEN_THIRD_PARTY = {
    "shared": {"litestar", "sqlalchemy", "httpx", "flet", "advanced_alchemy", "alembic"},
    "sync": {"litestar", "sqlalchemy", "httpx", "flet", "advanced_alchemy", "alembic"},
    "mobile": {"litestar", "advanced_alchemy", "alembic"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_architecture_allows(package: str) -> None:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        imported = _imports(path)
        for name in imported & OURS - ALLOWED[package]:
            wrong.append(f"{path.relative_to(ROOT)} imports {name}")
        for name in imported & FORBIDDEN_THIRD_PARTY.get(package, set()):
            wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)
