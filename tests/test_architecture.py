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


def _module_imports(path: Path) -> set[str]:
    """Full dotted names imported by a module (``from a.b import c`` gives ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# The back-office console lives in mobile/console to share the field app's components, logic and texts,
# but it is an office client of the REST API: no replica, no outbox, no sync runner, no device state.
# mobile.web is how both web apps are served and guarded.
CONSOLE_MAY_USE = (
    "mobile.console",
    "mobile.app.components",
    "mobile.app.logic",
    "mobile.app.text",
    "mobile.web",
)


def test_the_console_uses_only_the_field_apps_components_never_its_replica_or_sync() -> None:
    wrong = []
    for path in sorted((ROOT / "mobile" / "console").rglob("*.py")):
        for name in _module_imports(path):
            if name.split(".")[0] == "mobile" and not name.startswith(CONSOLE_MAY_USE):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_field_app_does_not_import_the_console() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "mobile").rglob("*.py"))
        if "console" not in path.relative_to(ROOT).parts
        for name in _module_imports(path)
        if name.startswith("mobile.console")
    ]
    assert not wrong, "\n".join(wrong)
