"""A tablet's browser for the installed field app: Chromium with a profile of its own (kept across
browser restarts, like a tablet's), a tablet viewport with touch, and the server of tests/mobile."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.mobile.browser import CHROMIUM_ARGS, Driver, Stack

TABLET = {"width": 1024, "height": 1366}  # a 10-inch tablet held upright


class PwaStack(Stack):
    """The server with the web build at /app/ (no `levee app` process: the browser is the device)."""

    def __init__(self, tmp: Path, build: Path) -> None:
        super().__init__(tmp)
        self.server.env = {"LEVEE_PWA_DIR": str(build), "LEVEE_PWA_BUILD": "off"}

    @property
    def pwa_url(self) -> str:
        return f"{self.server_url}/app/"


@contextlib.contextmanager
def tablet(playwright: Any, profile: Path) -> Iterator[Any]:
    """A browser context on ``profile`` (a user-data folder: IndexedDB and the service worker's cache
    survive a browser restart in it)."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=shutil.which("chromium"),
        args=CHROMIUM_ARGS,
        viewport=TABLET,
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(60_000)
    try:
        yield context
    finally:
        with contextlib.suppress(Exception):
            context.close()


def open_app(context: Any, url: str, shots: Path | None) -> Driver:
    """A new page of the installed app, its semantics tree on (page loads here take 10-30 s)."""
    page = context.new_page()
    d = Driver(page, shots)
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=300_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    return d


def wait_controlled(d: Driver, timeout: float = 120.0) -> None:
    """Until the service worker has precached the build and controls the page."""
    deadline = time.monotonic() + timeout
    while not d.page.evaluate("!!(navigator.serviceWorker && navigator.serviceWorker.controller)"):
        assert time.monotonic() < deadline, "the service worker never took control of the page"
        time.sleep(0.25)


def wait_bytecode(d: Driver, timeout: float = 300.0) -> None:
    """Until a start without bytecode has kept it for the next start (mobile/pwa/bytecode.py)."""
    deadline = time.monotonic() + timeout
    while not d.page.evaluate(
        """async () => {
            const key = (await caches.keys()).find((k) => k.startsWith("levee-bytecode-"));
            return Boolean(key) && (await (await caches.open(key)).keys()).length >= 2;
        }"""
    ):
        assert time.monotonic() < deadline, "the app never kept its bytecode"
        time.sleep(0.5)


def start_marks(d: Driver) -> list[str]:
    """The names of the page's start-up marks so far (levee-boot.js's ``levee.timings``)."""
    return [str(name) for name, _ms in d.page.evaluate("levee.timings")]


def outbox_in_indexeddb(d: Driver) -> list[dict[str, Any]]:
    """The taps the browser holds in IndexedDB (the log and those inside the saved replica are
    read by the app; this reads the log as the browser stored it)."""
    return list(
        d.page.evaluate(
            """() => new Promise((resolve, reject) => {
                const open = indexedDB.open("levee-device", 1);
                open.onerror = () => reject(open.error);
                open.onsuccess = () => {
                    const store = open.result.transaction("kv", "readonly").objectStore("kv");
                    const all = store.getAll(IDBKeyRange.bound("tap:", "tap:\\uffff"));
                    all.onsuccess = () => resolve(all.result.map((t) => JSON.parse(t)));
                };
            })"""
        )
    )


def kill_browser(profile: Path) -> int:
    """SIGKILL the Chromium that runs on ``profile`` (its main process, found by its own profile
    folder on its command line), as a tablet's battery or the system would end it. Returns its pid."""
    import os
    import signal

    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--user-data-dir={profile}".encode() in args and not any(a.startswith(b"--type=") for a in args):
            os.kill(int(entry.name), signal.SIGKILL)
            return int(entry.name)
    raise AssertionError(f"no Chromium runs on {profile}")


def build_of(d: Driver) -> str:
    """The build the page runs, as its index.html says."""
    return str(d.page.evaluate("document.querySelector('meta[name=levee-build]').content"))
