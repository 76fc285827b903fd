"""The field app in the tablet's browser (/app/, Pyodide) beside ``levee app``, same machine, same run.

A real server on loopback (SQLite) with one engineer's N jobs (bench/sync_bench.py's dataset), Debian's
Chromium through Playwright with a tablet viewport, and for each figure the same measure of both:

* cold start: a new browser profile (empty cache) to the sign-in screen;
* first download of N jobs: from pressing "sign in" to the job list showing them (1,000 and 10,000);
* warm start: a new page to the job list, the PWA offline from its service worker and IndexedDB, once
  its first start has kept its bytecode (``bytecode_wait_s``: how long after the download that took),
  with the PWA's own start-up marks (``warm_start_marks_s``, seconds since navigation: levee-boot.js);
* a tap: from the tap to its ✓ on screen (``tap_to_screen_ms``; the PWA shows it only once it is in
  IndexedDB, ``levee app`` once its SQLite file is synced), and for the PWA the durable part alone as
  the app measures it (``tap_to_durable_ms``: from the tap's event reaching Python to the IndexedDB
  commit resolving; ``tap_indexeddb_commit_ms``: the commit alone), medians of four taps, at 5,000 jobs.

    .venv/bin/python -m bench.pwa_bench [--sizes 1000,5000,10000] [--tap-size 5000] [--warm-runs 1]

The last line is one JSON object. Takes 10-20 minutes on a loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.sync_bench import PASSWORD, Served, load, make_dataset, serve
from mobile.pwa.build import ensure_built
from server.app import create_app
from server.db.engine import make_engine
from server.db.migrate import upgrade
from server.security import hash_password
from server.settings import Settings
from shared.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 1024, "height": 1366}
GOALS = {"warm_start_s": 3.0, "cold_start_s": 10.0, "tap_to_durable_ms": 100.0, "download_10000_ratio": 3.0}


def zh(key: str, **params: Any) -> str:
    return translate("zh-CN", key, **params)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Server:
    """The API (and /app/) on loopback, in a thread of its own, with ``jobs`` jobs for eng1."""

    def __init__(self, workdir: Path, jobs: int, build: Path) -> None:
        self.workdir, self.jobs, self.build = workdir, jobs, build
        self.loop = asyncio.new_event_loop()
        self.served: Served | None = None

    def start(self) -> str:
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()
        assert self.served is not None
        return self.served.base_url

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        url = f"sqlite+aiosqlite:///{self.workdir / 'server.db'}"
        engine = make_engine(url)
        await upgrade(engine)
        settings = Settings(data_dir=self.workdir, database_url=url, pwa_dir=self.build, pwa_build="off")
        app = create_app(settings, engine=engine, migrate=False)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for hook in app.on_startup:
            await hook(app)
        data = make_dataset(self.jobs, hash_password(PASSWORD))
        await load(app, data)
        self.served = await serve(app)

    def stop(self) -> None:
        if self.served is not None:
            asyncio.run_coroutine_threadsafe(self.served.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@contextlib.contextmanager
def browser(playwright: Any, profile: Path) -> Iterator[Any]:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=shutil.which("chromium"),
        args=CHROMIUM_ARGS,
        viewport=TABLET,
        has_touch=True,
    )
    context.set_default_timeout(600_000)
    try:
        yield context
    finally:
        with contextlib.suppress(Exception):
            context.close()


def semantics(page: Any) -> None:
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=600_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")


def by_id(page: Any, identifier: str) -> Any:
    return page.locator(f'[flt-semantics-identifier="{identifier}"]').first


def type_into(page: Any, label: str, text: str) -> None:
    page.get_by_role("textbox", name=label).first.click()
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'INPUT'")
    focused = page.locator("input:focus").first
    focused.press("Control+A")
    focused.press_sequentially(text, delay=10)


def any_job(page: Any) -> Any:
    """The first job row the list shows (none before the first download)."""
    return page.locator('[flt-semantics-identifier^="job-"]').first


def cold_and_download(context: Any, url: str, *, then: Any = None) -> tuple[float, float]:
    """Seconds from opening the URL to the sign-in screen, and from "sign in" to the first job
    (``then(page)`` runs before the page is closed)."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    semantics(page)
    submit = page.get_by_role("button", name=zh("app.signin.submit"), exact=True).first
    submit.wait_for()
    cold = time.perf_counter() - start
    type_into(page, zh("app.signin.username"), "eng1")
    type_into(page, zh("app.signin.password"), PASSWORD)
    start = time.perf_counter()
    submit.click()
    any_job(page).wait_for(timeout=1_800_000)
    download = time.perf_counter() - start
    if then is not None:
        then(page)
    page.close()
    return cold, download


def start_timings(page: Any) -> dict[str, float] | None:
    """The PWA's own start-up marks (levee-boot.js's ``levee.timings``: seconds since navigation)."""
    marks = page.evaluate("typeof levee === 'object' && levee.timings ? levee.timings : null")
    return None if marks is None else {name: round(ms / 1000, 2) for name, ms in marks}


def warm(context: Any, url: str) -> tuple[float, dict[str, float] | None]:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    semantics(page)
    any_job(page).wait_for()
    seconds = time.perf_counter() - start
    marks = start_timings(page)
    page.close()
    return seconds, marks


def wait_bytecode(page: Any, timeout: float = 300.0) -> float | None:
    """Until the PWA's first start has kept its bytecode (mobile/pwa/bytecode.py), as it has on a
    tablet used once; seconds waited (None: not within ``timeout``)."""
    start = time.perf_counter()
    deadline = start + timeout
    while time.perf_counter() < deadline:
        found = page.evaluate(
            """async () => {
                const key = (await caches.keys()).find((k) => k.startsWith("levee-bytecode-"));
                return Boolean(key) && (await (await caches.open(key)).keys()).length >= 2;
            }"""
        )
        if found:
            return time.perf_counter() - start
        time.sleep(1.0)
    return None


def taps(context: Any, url: str) -> tuple[list[float], list[list[float]] | None]:
    """Milliseconds from each timeline tap to its ✓ on screen (two taps on each of two jobs), and for
    the PWA what it reports of each tap (levee.taps: [event reaching Python to IndexedDB commit, the
    commit alone])."""
    page = context.new_page()
    page.goto(url)
    semantics(page)
    found: list[float] = []
    for k in (0, 1):
        any_job(page).wait_for()
        page.locator('[flt-semantics-identifier^="job-"]').nth(k).click()
        for event in ("arrived", "started"):  # the bench's jobs are all "departed"
            button = by_id(page, f"tap-{event}")
            button.wait_for()
            time.sleep(1.0)  # let the screen settle
            start = time.perf_counter()
            button.click()
            page.wait_for_function(
                f"""() => {{
                    const e = document.querySelector('[flt-semantics-identifier="tap-{event}"]');
                    return e && ((e.getAttribute('aria-label') || '') + e.innerText).includes('✓');
                }}""",
                polling="raf",
            )
            found.append((time.perf_counter() - start) * 1000)
        page.get_by_role("button", name=zh("app.common.back"), exact=True).first.click()
    durable = page.evaluate("typeof levee === 'object' && levee.taps ? levee.taps : null")
    page.close()
    return found, durable


def pwa_round(
    p: Any, server: Server, url: str, workdir: Path, *, tap: bool, warm_runs: int = 1
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    profile = workdir / f"pwa-profile-{server.jobs}"
    with browser(p, profile) as context:

        def settle(page: Any) -> None:
            log("pwa: downloaded; waiting for the first start's bytecode")
            out["bytecode_wait_s"] = wait_bytecode(page)
            time.sleep(4)  # the replica is saved to IndexedDB 3 s after the last change

        out["cold_start_s"], out["download_s"] = cold_and_download(context, url + "/app/", then=settle)
        context.set_offline(True)
        log("pwa: warm start, offline")
        runs = sorted((warm(context, url + "/app/") for _ in range(warm_runs)), key=lambda run: run[0])
        # the median run (the lower middle one of an even number), its marks with it
        out["warm_start_offline_s"], out["warm_start_marks_s"] = runs[(len(runs) - 1) // 2]
        if warm_runs > 1:
            out["warm_starts_offline_s"] = [round(seconds, 2) for seconds, _ in runs]
        log("pwa: taps")
        if tap:
            out["tap_to_screen_ms"], durable = taps(context, url + "/app/")
            if durable:
                out["tap_to_durable_ms"] = [d[0] for d in durable]
                out["tap_indexeddb_commit_ms"] = [d[1] for d in durable]
    return out


def app_round(p: Any, server: Server, url: str, workdir: Path, *, tap: bool) -> dict[str, Any]:
    from tests.mobile.browser import free_port

    out: dict[str, Any] = {}
    port = free_port()
    data = workdir / f"app-data-{server.jobs}"
    command = [sys.executable, "-m", "mobile.app", "--server", url, "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--data-dir", str(data)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from tests.mobile.browser import wait_http

        wait_http(f"http://127.0.0.1:{port}/", timeout=120)
        app_url = f"http://127.0.0.1:{port}/"
        with browser(p, workdir / f"app-profile-{server.jobs}") as context:
            out["cold_start_s"], out["download_s"] = cold_and_download(context, app_url)
            out["warm_start_s"], _ = warm(context, app_url)
            if tap:
                out["tap_to_screen_ms"], _ = taps(context, app_url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--tap-size", type=int, default=5000)
    parser.add_argument(
        "--warm-runs", type=int, default=1, help="warm starts of the PWA to take the median of (default 1)"
    )
    parser.add_argument("--build", help="the PWA build to serve (default: the tests' cached build)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.pwa.conftest import build_dir

    build = ensure_built(Path(args.build) if args.build else build_dir()).out
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="levee-pwa-bench-"))
    results: dict[str, Any] = {"pwa": {}, "levee_app": {}}
    load_before = os.getloadavg()
    try:
        with sync_playwright() as p:
            for n in sizes:
                log(f"== {n} jobs ==")
                server = Server(workdir / f"server-{n}", n, build)
                (workdir / f"server-{n}").mkdir()
                url = server.start()
                try:
                    tap = n == args.tap_size
                    results["pwa"][n] = pwa_round(p, server, url, workdir, tap=tap, warm_runs=args.warm_runs)
                    log(f"pwa {n}: {results['pwa'][n]}")
                    results["levee_app"][n] = app_round(p, server, url, workdir, tap=tap)
                    log(f"levee app {n}: {results['levee_app'][n]}")
                finally:
                    server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary: dict[str, Any] = {
        "sizes": sizes,
        "goals": GOALS,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_1min": {"start": round(load_before[0], 1), "end": round(os.getloadavg()[0], 1)},
        **results,
    }
    if 10000 in sizes:
        summary["download_10000_ratio"] = round(
            results["pwa"][10000]["download_s"] / results["levee_app"][10000]["download_s"], 2
        )
    for side in ("pwa", "levee_app"):
        for figures in results[side].values():
            for key in ("tap_to_screen_ms", "tap_to_durable_ms", "tap_indexeddb_commit_ms"):
                if figures.get(key):
                    figures[key + "_median"] = round(statistics.median(figures[key]), 1)
                    figures[key] = [round(v, 1) for v in figures[key]]
            for key, value in list(figures.items()):
                if isinstance(value, float):
                    figures[key] = round(value, 2)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
