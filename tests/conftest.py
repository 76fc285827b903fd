"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and an app on top of it.

PostgreSQL tests run when a server answers at ``LEVEE_TEST_PG`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). Under ``CI`` (``CI=true``, however pytest
was started) or with ``LEVEE_REQUIRE_POSTGRES=1`` an unreachable server fails the run instead of
skipping, and under ``CI`` any skipped test fails: a missing tool is never a pass there.

Hypothesis runs the fixed-seed ``gate`` profile unless ``LEVEE_HYPOTHESIS_PROFILE=soak`` (see
tests/properties.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_engine
from server.db.migrate import upgrade
from tests import properties, retries
from tests.databases import TemplateCopies
from tests.support import Device, World, make_world

# Servers the tests start serve /app/ only from a build a test asks for (tests/pwa/conftest.py); none
# builds the field app's web folder at start-up (server/pwa.py).
os.environ.setdefault("LEVEE_PWA_BUILD", "off")

PG_ADMIN_URL = os.environ.get("LEVEE_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
#: CI as CI services set it; pytest started directly by a CI job honours it as tasks.py does.
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
REQUIRE_PG = CI or os.environ.get("LEVEE_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]

properties.load()


async def _pg_admin(sql: list[str]) -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


def _pg_available() -> str | None:
    try:
        asyncio.run(_pg_admin(["SELECT 1"]))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that restart a shared service last, so no other test meets it coming back up.

    Every test Hypothesis drives by decoration is marked ``property`` here (the soak runs them); tests
    that build their Hypothesis run inside the test body carry the mark themselves.
    """
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    retries.start_test()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Under CI a skipped test is a failure: whatever it needed, CI must provide.

    A browser test's driver retries (tests/retries.py) go on its report; past its allowance
    (``@pytest.mark.retries(n)``) a passing test fails.
    """
    report: pytest.TestReport = yield
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI={os.environ.get('CI')}, which must run every test: {reason}"
    if report.failed and item.get_closest_marker("browser"):
        for name, text in _process_logs(item):
            report.sections.append((f"log {name}", text))
    if call.when == "call" and (retries.noted or item.get_closest_marker("browser")):
        report.user_properties.append(("driver_retries", list(retries.noted)))
        marker = item.get_closest_marker("retries")
        allowed = int(marker.args[0]) if marker else retries.ALLOWED
        if report.passed and len(retries.noted) > allowed:
            report.outcome = "failed"
            report.longrepr = (
                f"the browser driver needed {len(retries.noted)} retries, more than the {allowed} "
            )
            report.longrepr += "this test allows:\n  " + "\n  ".join(f"{k}: {d}" for k, d in retries.noted)
    return report


#: lines of each process log a failed browser test shows
LOG_TAIL = 60
#: access-log lines of successful reads (the web app's assets and fonts, hundreds a page load) are left
#: out: they would fill the tail that an exception or a refused request should be in
QUIET = re.compile(r'"(GET|HEAD) [^"]*" (200|204|304) ')


def _process_logs(item: pytest.Item) -> list[tuple[str, str]]:
    """The ends of the logs of the processes a failed browser test ran (server, field app, console),
    without the access log's successful reads (:data:`QUIET`).

    The browser shows only what the page drew; why a press led nowhere (a handler's exception, a
    refused request) is in these logs, which the test's temporary folder keeps only on this machine:
    a CI run's output must carry them."""
    folders: list[Path] = []
    for value in getattr(item, "funcargs", {}).values():
        # a stack (``.tmp``), a fixture holding one (``.stack.tmp``), or the ``tmp_path`` a test
        # started its stack in
        for tmp in (value, getattr(value, "tmp", None), getattr(getattr(value, "stack", None), "tmp", None)):
            if isinstance(tmp, Path) and tmp.is_dir() and tmp not in folders:
                folders.append(tmp)
    shown = []
    for folder in folders:
        for log in sorted(folder.glob("*.log")):
            lines = [line for line in log.read_text(errors="replace").splitlines() if not QUIET.search(line)]
            shown.append((str(log.relative_to(folder.parent)), "\n".join(lines[-LOG_TAIL:])))
    return shown


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line for the run's browser driver retries (and which tests needed them)."""
    counted: dict[str, list[tuple[str, str]]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "driver_retries":
                    counted[report.nodeid] = [tuple(v) for v in value]
    if not counted:
        return
    total = sum(len(v) for v in counted.values())
    kinds = ", ".join(
        f"{k} {sum(1 for v in counted.values() for x in v if x[0] == k)}" for k in retries.KINDS
    )
    terminalreporter.write_sep("-", f"browser driver retries: {total} ({kinds}) in {len(counted)} tests")
    for nodeid, noted in counted.items():
        for kind, detail in noted:
            terminalreporter.write_line(f"{nodeid}: {kind}: {detail}")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template for each test's own database."""
    problem = _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (CI or LEVEE_REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"levee_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin([f'CREATE DATABASE "{name}"']))

    async def _migrate() -> None:
        engine = make_engine(_pg_url(name), pool=False)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(_migrate())
    yield name
    asyncio.run(_pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_copies(pg_template: str) -> Iterator[TemplateCopies]:
    """Fresh copies of the template, made ahead on a thread and dropped behind (tests/databases.py)."""
    copies = TemplateCopies(pg_template, _pg_admin)
    yield copies
    copies.close()  # before the template itself is dropped


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"

    async def _migrate() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}", pool=False)
        await upgrade(engine)
        await engine.dispose()  # the last connection to close checkpoints the WAL into the file

    asyncio.run(_migrate())
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_factory(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes fresh, migrated databases on the backend under test; all are dropped after the test."""
    made: list[str] = []
    template_path: Path | None = request.getfixturevalue("sqlite_template") if backend == "sqlite" else None
    copies: TemplateCopies | None = request.getfixturevalue("pg_copies") if backend == "postgres" else None

    def make() -> str:
        if template_path is not None:
            target = tmp_path / f"levee-{len(made)}.db"
            shutil.copyfile(template_path, target)
            made.append(str(target))
            return f"sqlite+aiosqlite:///{target}"
        assert copies is not None
        name = copies.take()
        made.append(name)
        return _pg_url(name)

    yield make
    if copies is not None:
        copies.done(made)


@pytest.fixture
def db_url(db_factory: Callable[[], str]) -> str:
    """A fresh, migrated database for one test, on the backend under test."""
    return db_factory()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def world(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[World]:
    """The app over a fresh database with people, two customers, sites, a pump and SLA policies."""
    async with make_world(engine, tmp_path) as w:
        yield w


DeviceFactory = Callable[..., Awaitable[Device]]


@pytest.fixture
async def new_device(world: World, tmp_path: Path) -> AsyncIterator[DeviceFactory]:
    """Sign in a new device for a user: ``await new_device("eng1")``."""
    made: list[Device] = []

    async def factory(username: str, name: str = "tablet") -> Device:
        device = await Device.sign_in(world, username, tmp_path / f"{username}-{len(made)}.db", name)
        made.append(device)
        return device

    yield factory
    for device in made:
        await device.close()
