"""Real processes and a real browser for the field app's end-to-end tests.

A server process (``levee serve``) on a SQLite file filled with the small test world, the field app
process (``levee app``), and Debian's Chromium driven by Playwright. The browser tests fail, saying
what to install, when Chromium or Playwright is missing; they are never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.i18n import translate
from tests import retries
from tests.support import PASSWORD, World, populate

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # No WebGL: Flutter's CanvasKit then draws with Skia on the CPU instead of through SwiftShader's
    # software GL in a GPU process: the same pictures, and about 28 % less of Chromium's CPU in the
    # browser tests (docs/performance.md, "Test suite"); a headless CI machine has none of the tablets'
    # GPUs either way. The benches keep their own flags, so their figures stay comparable.
    "--disable-webgl",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# A release build of Flutter draws a control whose build or layout threw as a flat rectangle of this
# grey, with no message. No colour of Levee's own is this grey; a 70 x 70 patch of it is a broken screen.
ERROR_BOX_GREY = (196, 196, 196)
ERROR_BOX_LIMIT = 5000


def error_box_pixels(png: bytes) -> int:
    """How many pixels of a screenshot are Flutter's error-box grey."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return next((n for n, colour in colours if colour == ERROR_BOX_GREY), 0)


def zh(key: str, **params: Any) -> str:
    return translate("zh-CN", key, **params)


#: what a signature pad's note begins with once strokes are drawn ("已签 "), whatever their number
INKED = zh("app.accept.ink", n=1).split("1", 1)[0]


def browser_problem() -> str | None:
    if shutil.which("chromium") is None:
        return "Debian's chromium is not on PATH (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def require_browser() -> None:
    """Fail, saying what to do, when the browser tests cannot run (a skipped test proves nothing)."""
    problem = browser_problem()
    if problem is not None:
        pytest.fail(
            f"the browser tests need Chromium and Playwright, but {problem}; "
            "`python3 tasks.py test` installs Debian's chromium when it runs as root, "
            "or leave these tests out on purpose: python3 tasks.py test -m 'not browser'"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now() -> datetime:
    return datetime.now(UTC)


class Proc:
    """A child process started with the repo's python, stopped by its own pid."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.args, self.log, self.env = args, log, env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})},
            )

    def stop(self, *, hard: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


class Stack:
    """Server + field app processes, and an office client talking to the server's API."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.server_port, self.app_port = free_port(), free_port()
        self.db_url = f"sqlite+aiosqlite:///{tmp / 'server.db'}"
        self.server = Proc(
            [
                "-m",
                "server.cli",
                "serve",
                "--port",
                str(self.server_port),
                "--database-url",
                self.db_url,
                "--data-dir",
                str(tmp / "server"),
            ],
            tmp / "server.log",
        )
        self.app = Proc(
            [
                "-m",
                "server.cli",
                "app",
                "--server",
                self.server_url,
                "--port",
                str(self.app_port),
                "--data-dir",
                str(tmp / "app"),
            ],
            tmp / "app.log",
            # retries only when kicked (a tap, "sync now"): the test decides when the device reconnects
            env={"LEVEE_APP_RUNNER": '{"backoff_base": 600, "backoff_max": 600, "long_poll": 5}'},
        )
        self.world: World | None = None
        self._office: dict[str, str] = {}

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}/"

    def prepare(self) -> None:
        """Migrate the database and fill it with the test world (users, a pump with a checklist, a part)."""
        subprocess.run(
            [sys.executable, "-m", "server.cli", "db", "upgrade", "--database-url", self.db_url],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        from server.db.engine import make_engine

        async def fill() -> World:
            engine = make_engine(self.db_url)
            world = World(client=None, app=None)  # type: ignore[arg-type]
            await populate(engine, world)
            await engine.dispose()
            return world

        self.world = asyncio.run(fill())

    def start_server(self) -> None:
        self.server.start()
        wait_http(f"{self.server_url}/schema/openapi.json")

    def start_app(self) -> None:
        self.app.start()
        wait_http(self.app_url)

    def office(self, username: str = "dispatcher") -> httpx.Client:
        if username not in self._office:
            r = httpx.post(
                f"{self.server_url}/api/auth/login",
                json={"username": username, "password": PASSWORD, "device_name": "office pc"},
            )
            r.raise_for_status()
            self._office[username] = r.json()["token"]
        return httpx.Client(
            base_url=self.server_url, headers={"Authorization": f"Bearer {self._office[username]}"}
        )

    def create_job(self, **overrides: Any) -> dict[str, Any]:
        assert self.world is not None
        body = {
            "customer_id": str(self.world.customer_id),
            "site_id": str(self.world.site_id),
            "equipment_id": str(self.world.equipment_id),
            "symptom": "水泵启动后出水量不足",
            "caller_name": "王主任",
            "caller_phone": "0794-8221234",
            "assigned_engineer_id": str(self.world.users["eng1"]),
            **overrides,
        }
        with self.office() as client:
            r = client.post("/api/jobs", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def job(self, job_id: str) -> dict[str, Any]:
        with self.office() as client:
            r = client.get(f"/api/jobs/{job_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def stop(self) -> None:
        self.app.stop()
        self.server.stop(hard=True)

    def use_part_while_server_down(self, d: Driver, job_number: str, code: str, quantity: int = 1) -> str:
        """Take the server down, record a part use in the field app, and see the tablet say offline.

        The server stays down; ``start_server()`` and "sync now" bring the use to it. Returns the
        shortage warning shown before saving ('' when none).
        """
        self.server.stop(hard=True)
        warning = d.record_part_use(job_number, code, quantity)
        d.wait_text("sync-state", zh("app.sync.offline"))
        d.wait_text("sync-pending", "待同步")
        return warning


@contextlib.contextmanager
def chromium_pages(*viewports: tuple[int, int]) -> Iterator[list[Any]]:
    """One page per viewport, each in its own Chromium process.

    Two Flutter apps (the tablet and the console) each get a browser of their own, as they would on two
    machines: in one browser they share a GPU process and a renderer budget, and on a loaded 2-core CI
    machine a key sent to one page once waited for minutes behind the other.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, contextlib.ExitStack() as browsers:
        pages = []
        for width, height in viewports:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            browsers.callback(browser.close)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(30_000)
            pages.append(page)
        yield pages


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 1400) -> Iterator[Any]:
    with chromium_pages((width, height)) as pages:
        yield pages[0]


class Driver:
    """What an engineer's fingers do, in Playwright terms (Flutter's semantics tree enabled)."""

    def __init__(self, page: Any, shots: Path | None) -> None:
        self.page = page
        self.shots = shots
        # what the page itself complained of (Flutter's engine, a lost connection): shown with a failure
        self.complaints: list[str] = []
        page.on("pageerror", lambda exc: self.complaints.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.complaints.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        self.page.evaluate("document.querySelector('flt-semantics-placeholder').click()")

    def sign_in(self, username: str, lands_on: str, *, timeout: float = 60.0) -> None:
        """Sign in as ``username`` on the sign-in screen and wait for element ``lands_on`` to show.

        If it has not shown within ``timeout``, a screenshot is kept, the page's console complaints are
        printed to the run's output, and the page is loaded once more (signing in again if it asks):
        once in about thirty runs on a loaded 2-core machine, with the skwasm renderer the apps used
        then, the tablet's page stayed blank after a successful sign-in (the server had synced the
        device, the app logged no error). A second failure fails the test. The reload is counted
        (tests/retries.py).
        """
        from playwright.sync_api import Error as PlaywrightError

        submit = self.button(zh("app.signin.submit"))
        # a browser that did not sign the device in asks for the engineer's password instead
        unlock = self.by_id("unlock-submit")
        landed = self.by_id(lands_on)
        for attempt in (1, 2):
            if attempt == 2:
                self.open(self.page.url)
                landed.or_(submit).or_(unlock).wait_for(timeout=timeout * 1000)
            if attempt == 1 or not landed.is_visible():
                submit.or_(unlock).wait_for(timeout=timeout * 1000)
                if unlock.is_visible():
                    self.type_into(zh("app.signin.password"), PASSWORD, within="unlock-password")
                    unlock.click()
                else:
                    self.type_into(zh("app.signin.username"), username)
                    self.type_into(zh("app.signin.password"), PASSWORD)
                    submit.click()
            try:
                landed.wait_for(timeout=timeout * 1000)
                return
            except PlaywrightError:
                self.shot(f"failed-sign-in-{username}-{attempt}")
                if attempt == 2:
                    raise
                retries.note(
                    "reload", f"{lands_on!r} did not show {timeout:.0f} s after {username} signed in"
                )
                print(
                    "the page's console before the reload:",
                    *self.complaints[-20:],
                    sep="\n  ",
                    file=sys.__stderr__,  # in the run's output even when the reload mends it
                )

    def by_id(self, identifier: str) -> Any:
        return self.page.locator(f'[flt-semantics-identifier="{identifier}"]').first

    def tap(self, identifier: str) -> None:
        self.by_id(identifier).click()

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True).first

    def back(self, *, timeout: float = 60.0) -> None:
        """Press "back", wait for its screen to go and for the job list (its "my van" button).

        A fresh-clone CI run, and one here, saw the job list never come after "back" was pressed from
        the foot of a long job, straight after typing there: the screenshot showed the job scrolled
        down and "back", at its top, off the screen, so the click landed elsewhere. The job, van and
        sync screens now keep "back" above what scrolls (``pinned_screen``). Should a press still not
        take within half of ``timeout``, it is pressed once more (pressing it twice is pressing it
        once), counted as a retry (tests/retries.py) with a screenshot; a failed test shows the field
        app's log (tests/conftest.py).
        """
        from playwright.sync_api import Error as PlaywrightError

        back, landed = self.button(zh("app.common.back")), self.by_id("van-open")
        back.click()
        try:
            back.wait_for(state="hidden", timeout=timeout * 500)
        except PlaywrightError:
            self.shot("failed-back")
            retries.note("re-press", "pressed 'back' but its screen stayed")
            back.click()
            back.wait_for(state="hidden", timeout=timeout * 500)
        landed.wait_for(timeout=timeout * 1000)

    #: seconds to wait after typing, before the next press (see ConsoleDriver)
    SETTLE = 0.0

    def field(self, label: str, within: str | None = None) -> Any:
        """The text field labelled ``label`` (the first one, or the one inside element ``within``)."""
        scope = self.by_id(within) if within else self.page
        return scope.get_by_role("textbox", name=label).first

    def type_into(self, label: str, text: str, *, within: str | None = None) -> None:
        """Type into a Flutter text field and check it took every key (a loaded machine drops some).

        Flutter edits text in a hidden ``<input>`` it focuses when the field is clicked; the keys go to
        that element with a time limit (Playwright's bare ``keyboard.type`` has none, and once waited
        out the whole test on a stalled renderer), and the value is read back and typed again if short
        (each time counted, tests/retries.py).
        """
        from playwright.sync_api import Error as PlaywrightError

        seen: object = None
        for attempt in range(3):
            if attempt:
                retries.note("re-type", f"{label!r} held {seen!r}, not {text!r}")
            with contextlib.suppress(PlaywrightError):
                self.field(label, within).click()
                self.page.wait_for_function(
                    "document.activeElement && ['INPUT','TEXTAREA'].includes(document.activeElement.tagName)"
                )
                focused = self.page.locator("input:focus, textarea:focus").first
                focused.press("Control+A", timeout=15_000)
                focused.press_sequentially(text, delay=15, timeout=30_000)
                seen = self.page.evaluate("document.activeElement && document.activeElement.value")
                if seen == text:
                    time.sleep(self.SETTLE)
                    return
        self.shot(f"failed-typing-{re.sub(r'[^0-9A-Za-z]+', '-', text)[:20]}")
        raise AssertionError(f"could not type {text!r} into {label!r}; the field holds {seen!r}")

    def text_of(self, identifier: str) -> str:
        return str(
            self.by_id(identifier).evaluate(
                "e => [e.getAttribute('aria-label') || '', e.innerText || '',"
                " ...Array.from(e.querySelectorAll('[aria-label]')).map(x => x.getAttribute('aria-label'))].join(' ')"
            )
        )

    def wait_text(self, identifier: str, expected: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                seen = self.text_of(identifier)
                if expected in seen:
                    return seen
            time.sleep(0.25)
        raise AssertionError(f"{identifier!r} never showed {expected!r}; last seen {seen!r}")

    def drag(self, identifier: str, points: list[tuple[float, float]]) -> None:
        box = self.by_id(identifier).bounding_box()
        assert box is not None
        mouse = self.page.mouse
        x0, y0 = box["x"], box["y"]
        mouse.move(x0 + points[0][0], y0 + points[0][1])
        mouse.down()
        for x, y in points[1:]:
            mouse.move(x0 + x, y0 + y, steps=3)
        mouse.up()

    # --- van stock (issue 6) ---------------------------------------------------------------------

    def number_in(self, identifier: str) -> int:
        """The first whole number (maybe negative) an element shows, e.g. ``车上 3 套`` -> 3."""
        text = self.text_of(identifier)
        found = re.search(r"-?\d+", text)
        assert found is not None, f"{identifier!r} shows no number: {text!r}"
        return int(found.group())

    def open_van(self) -> None:
        """Open "my van" from the job list or the sync screen."""
        self.tap("van-open")
        self.by_id("van-list").wait_for()

    def van_quantity(self, code: str, expected: int | None = None, timeout: float = 30.0) -> int:
        """On "my van": the quantity this tablet believes of part ``code``; waits for ``expected``."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(Exception):
                value = self.number_in(f"van-qty-{code}")
                if expected is None or value == expected:
                    return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"van quantity of {code} never became {expected}; shown: {self.text_of('van-list')!r}"
                )
            time.sleep(0.25)

    def in_van(self, code: str) -> int:
        """On a job's parts section: how many of ``code`` the van holds, as the part's row says."""
        return self.number_in(f"part-invan-{code}")

    def record_part_use(self, job_number: str, code: str, quantity: int = 1) -> str:
        """From the job list: open the job, pick ``quantity`` of part ``code`` and add it; back to the list.

        Returns the shortage warning the row showed before saving ('' when the van held enough).
        """
        self.tap(f"job-{job_number}")
        self.tap("section-parts")
        self.by_id(f"part-add-{code}").wait_for()
        for _ in range(quantity - 1):
            self.tap(f"part-more-{code}")
        self.wait_text(f"part-qty-{code}", str(quantity))
        warning = ""
        if self.page.locator(f'[flt-semantics-identifier="part-warn-{code}"]').count():
            warning = self.text_of(f"part-warn-{code}")
        used_before = self.text_of("parts-used")
        self.tap(f"part-add-{code}")
        deadline = time.monotonic() + 30
        while self.text_of("parts-used") == used_before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert self.text_of("parts-used") != used_before, "the part use did not show on the job"
        self.shot("part-used")
        self.back()
        return warning

    def shot(self, name: str) -> None:
        """Keep a screenshot (when there is a folder for them) and fail if Flutter drew an error box."""
        time.sleep(0.6)  # the canvas repaints after the DOM
        png = self.page.screenshot()
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            (self.shots / f"{name}.png").write_bytes(png)
        if name.startswith("failed") and self.complaints:
            print(f"the page's console before {name!r}:", *self.complaints[-20:], sep="\n  ")
        grey = error_box_pixels(png)
        assert grey < ERROR_BOX_LIMIT, (
            f"screenshot {name!r}: Flutter drew its error box ({grey} px of flat grey), so a control's "
            "layout failed (an expanding child in a wrapping row, say); the semantics tree still answers, "
            "but the engineer sees a grey rectangle and taps near it miss"
        )
