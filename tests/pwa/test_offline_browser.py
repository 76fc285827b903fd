"""Issue 14, done when: the field app installed from /app/ works a whole job with no network and no
server, across a reload and a new page, and then syncs it on its own, exactly once, with the tablet's
times. Chromium, tablet viewport and touch, a profile of its own."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.mobile.browser import require_browser, zh
from tests.mobile.test_field_app_browser import _between, _work_job
from tests.pwa.browser import PwaStack, open_app, start_marks, tablet, wait_bytecode, wait_controlled

# Chromium starts Pyodide and Flutter several times here: 10-30 s each on a loaded 2-core machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]


@pytest.fixture
def stack(tmp_path: Path, pwa_build: Path) -> Iterator[PwaStack]:
    require_browser()
    s = PwaStack(tmp_path, pwa_build)
    s.prepare()
    s.start_server()
    try:
        yield s
    finally:
        s.stop()
        keep = os.environ.get("LEVEE_SCREENSHOTS")  # e.g. docs/screenshots: the README's pictures
        if keep and (s.tmp / "shots").exists():
            Path(keep).mkdir(parents=True, exist_ok=True)
            for png in (s.tmp / "shots").glob("pwa-*.png"):
                shutil.copy(png, Path(keep) / png.name)


def test_tablet_works_a_job_offline_from_the_installed_app_and_syncs_it_once(stack: PwaStack) -> None:
    from playwright.sync_api import sync_playwright

    # rare characters (not in GB2312): drawn from the bundled font, with no fallback font to fetch
    job = stack.create_job(symptom="机械密封漏水，赟堃记录", caller_name="王喆")
    other = stack.create_job(symptom="运行噪声大")
    shots = stack.tmp / "shots"
    photo = stack.tmp / "seal.png"
    photo.write_bytes(PNG)
    failed: list[str] = []  # what the app asked of /app/ and did not get, online or offline
    with sync_playwright() as p, tablet(p, stack.tmp / "profile") as context:
        app = urlsplit(stack.pwa_url).path
        context.on(
            "response",
            lambda r: (
                failed.append(f"{r.status} {r.url}")
                if r.status >= 400 and urlsplit(r.url).path.startswith(app)
                else None
            ),
        )
        context.on(
            "requestfailed",
            lambda r: failed.append(f"{r.failure} {r.url}") if urlsplit(r.url).path.startswith(app) else None,
        )
        d = open_app(context, stack.pwa_url, shots)
        d.sign_in("eng1", f"job-{job['number']}", timeout=180)
        d.by_id(f"job-{other['number']}").wait_for()  # the jobs downloaded into the browser
        wait_controlled(d)

        stack.server.stop(hard=True)  # the flood takes the mast down
        context.set_offline(True)
        d.page.reload()
        d.page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=300_000)
        d.page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
        d.by_id(f"job-{job['number']}").wait_for(timeout=300_000)  # from the service worker and IndexedDB
        d.by_id(f"job-{other['number']}").wait_for()
        d.shot("pwa-offline-list")

        # the checklist reading out of range (< 0.5 MΩ), and a photo picked from the tablet's files
        times = _work_job(d, job, "0.2", shots=False, photo=photo)
        d.wait_text("sync-state", zh("app.sync.offline"))
        pending = d.number_in("sync-pending")
        assert pending >= 6, d.text_of("sync-pending")
        wait_bytecode(d)  # kept by a start that had none, for the next one
        d.page.close()

        d = open_app(context, stack.pwa_url, shots)  # a new page, still offline
        d.by_id(f"job-{job['number']}").wait_for(timeout=300_000)
        assert "bytecode found" in start_marks(d), start_marks(d)  # imports from the kept bytecode
        assert d.number_in("sync-pending") == pending
        d.tap(f"job-{job['number']}")
        d.wait_text("tap-resolved", "✓ ")
        d.tap("section-checklist")
        d.wait_text("checklist-summary", zh("app.checklist.complete"))
        d.tap("section-parts")
        d.wait_text("parts-used", "机械密封")
        d.tap("section-photos")
        d.by_id("photo-grid").wait_for()
        d.shot("pwa-offline-new-page")

        stack.start_server()
        context.set_offline(False)  # the browser's online event kicks the sync
        d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=300)

    server: dict[str, Any] = stack.job(job["id"])
    assert server["status"] == "signed_off", server["status"]
    for event, window in times.items():
        assert _between(server[f"{event}_at"], window), (event, server[f"{event}_at"], window)
    # exactly once on the server: each tap one event, the part one usage, the reading out of range
    with sqlite3.connect(stack.tmp / "server.db") as db:
        events = db.execute(
            f"SELECT type, COUNT(*) FROM job_events WHERE {JOB} GROUP BY type", (_hex(job["id"]),)
        ).fetchall()
        parts = db.execute(f"SELECT COUNT(*) FROM job_parts WHERE {JOB}", (_hex(job["id"]),)).fetchone()
        flagged = db.execute(
            f"SELECT out_of_range FROM checklist_results WHERE {JOB} AND item_code='insulation'",
            (_hex(job["id"]),),
        ).fetchall()
        photos = db.execute(f"SELECT filename, size FROM photos WHERE {JOB}", (_hex(job["id"]),)).fetchall()
    assert events and all(n == 1 for _, n in events), events
    assert {t for t, _ in events} >= set(times), events
    assert parts == (1,) and flagged == [(1,)], (parts, flagged)
    assert photos == [("seal.png", len(PNG))], photos
    assert failed == [], failed  # the fallback fonts and Flet's Rive script included


#: A job id as stored in SQLite, whichever form (text with or without dashes, or 16 bytes), as hex.
JOB = "replace(lower(CASE WHEN typeof(job_id)='blob' THEN hex(job_id) ELSE job_id END), '-', '') = ?"


#: a 1 x 1 PNG: the photo the engineer picks
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63f8cf"
    "c0f01f0005fe02fea1e1d6a80000000049454e44ae426082"
)


def _hex(job_id: str) -> str:
    return job_id.replace("-", "").lower()
