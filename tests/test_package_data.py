"""An installed Levee has every file its code reads: each file inside a package that is not
Python source is named by ``[tool.setuptools.package-data]`` (the migrations, the seed's data, the
catalogues, the font and icons, the web app's scripts and wheel lock). A data file added without it
works from a checkout and is missing from a wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_in_a_package_ships_with_it() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = [p.rstrip("*") for p in config["packages"]["find"]["include"]]
    data: dict[str, list[str]] = config["package-data"]
    files = [
        path.relative_to(ROOT)
        for package in packages
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert len(files) > 100
    missing = []
    for path in files:
        if path.suffix in {".py", ".pyc"}:
            continue
        name = path.as_posix()
        package, inner = path.parts[0], Path(*path.parts[1:]).as_posix()
        if not any(fnmatch.fnmatch(inner, pattern) for pattern in data.get(package, [])):
            missing.append(name)
    assert not missing, "not in [tool.setuptools.package-data]:\n" + "\n".join(missing)
