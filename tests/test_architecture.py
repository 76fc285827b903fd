"""The dependency arrows of docs/architecture.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"shared", "sync", "server", "ui", "mobile", "console", "tests", "bench"}
ALLOWED = {
    "shared": {"shared"},
    "sync": {"shared", "sync"},
    "server": {"shared", "sync", "server"},
    # the presentation both front ends share: no sync, no state of either app
    "ui": {"shared", "ui"},
    # the device: replica, services, sync runner, the field app's screens
    "mobile": {"shared", "sync", "ui", "mobile"},
    # the office console: an API client, never the device (sync: only the merge rules it explains)
    "console": {"shared", "sync", "ui", "console"},
}
# No I/O or framework in the pure packages.
FORBIDDEN_THIRD_PARTY = {
    "shared": {"litestar", "sqlalchemy", "httpx", "flet", "advanced_alchemy", "alembic"},
    "sync": {"litestar", "sqlalchemy", "httpx", "flet", "advanced_alchemy", "alembic"},
    "ui": {"litestar", "sqlalchemy", "httpx", "advanced_alchemy", "alembic"},
    "mobile": {"litestar", "advanced_alchemy", "alembic"},
    "console": {"litestar", "sqlalchemy", "advanced_alchemy", "alembic"},
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


# Each front end is its own room (docs/decisions/0006-console-and-ui-packages.md): the device's
# modules are never imported by the console, and the console's never by the device. The package rule
# above already keeps `console` off `mobile`; these say it module by module and catch a relative import.


def _imports_of(package: str) -> list[tuple[Path, str]]:
    return [
        (path, name)
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _module_imports(path) | _relative_imports(path, package)
    ]


def _relative_imports(path: Path, package: str) -> set[str]:
    """``from ..x import y`` inside ``package``, as the absolute dotted name it means."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = path.relative_to(ROOT).with_suffix("").parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[: len(parts) - node.level]
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


#: what the console may read of sync/: the merge rules, to say which conflicts the office may override
CONSOLE_MAY_USE_OF_SYNC = {"sync.merge"}


def test_the_console_never_imports_the_device() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, name in _imports_of("console")
        if name.split(".")[0] == "mobile"
        or (name.split(".")[0] == "sync" and name not in CONSOLE_MAY_USE_OF_SYNC)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_device_never_imports_the_console() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, name in _imports_of("mobile")
        if name.split(".")[0] == "console"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_shared_presentation_imports_neither_front_end() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, name in _imports_of("ui")
        if name.split(".")[0] in {"mobile", "console", "sync", "server"}
    ]
    assert not wrong, "\n".join(wrong)


def test_every_package_is_checked() -> None:
    """A new top-level package of ours must get a row in ALLOWED (or be named here as not shipped)."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(ALLOWED) | {"tests", "bench"}, packages - set(ALLOWED)
    assert set(ALLOWED) <= packages
