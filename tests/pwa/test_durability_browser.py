"""Issue 14: a tap the screen shows as saved survives the browser being killed at once, and a new
build of the app takes over only at the next start, keeping the unsent outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.pwa.build import build
from mobile.pwa.device import SAVE_AFTER_S
from tests.mobile.browser import require_browser, zh
from tests.pwa.browser import PwaStack, build_of, kill_browser, open_app, tablet, wait_controlled

# Chromium starts Pyodide and Flutter several times here: 10-30 s each on a loaded 2-core machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]


@pytest.fixture
def stack(tmp_path: Path, pwa_build: Path) -> Iterator[PwaStack]:
    require_browser()
    served = tmp_path / "served"  # a link the update test repoints to a new build
    served.symlink_to(pwa_build)
    s = PwaStack(tmp_path, served)
    s.prepare()
    s.start_server()
    try:
        yield s
    finally:
        s.stop()


def test_a_tap_shown_as_saved_survives_killing_the_browser(stack: PwaStack) -> None:
    from playwright.sync_api import sync_playwright

    job = stack.create_job(symptom="机械密封漏水")
    profile = stack.tmp / "profile"
    shots = stack.tmp / "shots"
    with sync_playwright() as p:
        with tablet(p, profile) as context:
            d = open_app(context, stack.pwa_url, shots)
            d.sign_in("eng1", f"job-{job['number']}", timeout=180)
            wait_controlled(d)
            stack.server.stop(hard=True)
            context.set_offline(True)
            d.tap(f"job-{job['number']}")
            d.tap("tap-acknowledged")
            before = time.time()
            d.wait_text("tap-acknowledged", "✓ ")  # shown as done: it is in IndexedDB
            kill_browser(profile)  # right away, before the replica file is saved (SAVE_AFTER_S later)
            assert time.time() - before < SAVE_AFTER_S  # so the tap can only come back from the tap log
        with tablet(p, profile) as context:  # a new browser on the same profile, still offline
            context.set_offline(True)
            d = open_app(context, stack.pwa_url, shots)
            d.by_id(f"job-{job['number']}").wait_for(timeout=300_000)
            assert d.number_in("sync-pending") == 1, d.text_of("sync-pending")
            d.tap(f"job-{job['number']}")
            d.wait_text("tap-acknowledged", "✓ ")
            stack.start_server()
            context.set_offline(False)
            d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=300)
    assert stack.job(job["id"])["acknowledged_at"] is not None


def test_a_new_build_takes_over_at_the_next_start_and_keeps_the_outbox(
    stack: PwaStack, pwa_build: Path
) -> None:
    from playwright.sync_api import sync_playwright

    old = build_of_dir(pwa_build)
    new_build = build(stack.tmp / "build-new", version="new-" + old[:8], log=False)
    job = stack.create_job(symptom="机械密封漏水")
    shots = stack.tmp / "shots"
    with sync_playwright() as p, tablet(p, stack.tmp / "profile") as context:
        d = open_app(context, stack.pwa_url, shots)
        d.sign_in("eng1", f"job-{job['number']}", timeout=180)
        wait_controlled(d)
        assert build_of(d) == old
        context.route("**/api/**", lambda route: route.abort())  # the API out of reach, the app not
        d.tap(f"job-{job['number']}")
        d.tap("tap-acknowledged")
        d.wait_text("tap-acknowledged", "✓ ")
        d.wait_text("sync-pending", "1")

        (stack.tmp / "served").unlink()
        (stack.tmp / "served").symlink_to(new_build.out)  # the office deploys a new build
        d.page.reload()  # in the middle of work: still the old build
        d.page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=300_000)
        assert build_of(d) == old
        deadline = time.monotonic() + 120
        while not d.page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => !!(r && r.waiting))"
        ):  # the new build is downloaded beside the old one, waiting
            assert time.monotonic() < deadline, "the new build was never installed"
            time.sleep(0.5)
        d.page.close()  # the engineer closes the app; the waiting build takes over once no page runs it
        watcher = context.new_page()
        watcher.goto(f"{stack.server_url}/health")  # outside the app's scope: not one of its pages
        watcher.wait_for_function(
            "navigator.serviceWorker.getRegistration('/app/').then(r => !!r && !r.waiting && !!r.active"
            " && r.active.state === 'activated')",
            timeout=120_000,
        )
        watcher.close()

        d = open_app(context, stack.pwa_url, shots)  # the next start
        assert build_of(d) == new_build.version
        d.by_id(f"job-{job['number']}").wait_for(timeout=300_000)
        assert d.number_in("sync-pending") == 1, d.text_of("sync-pending")  # the outbox is kept
        d.button(zh("app.sync.details")).click()
        d.wait_text("app-build", zh("app.pwa.build", build=new_build.version))  # it says which build
        context.unroute("**/api/**")
        d.button(zh("app.sync.now")).click()
        d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=300)
    assert stack.job(job["id"])["acknowledged_at"] is not None


def build_of_dir(out: Path) -> str:
    import json

    return str(json.loads((out / "build.json").read_text())["version"])
