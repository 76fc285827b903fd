"""The field app in a real browser, as an engineer uses it: online, then offline, then back online.

Set ``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the screenshots (they always go to the test's tmp dir).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.browser import INKED, Driver, Stack, chromium_page, now, require_browser, zh

pytestmark = pytest.mark.browser
SIGNATURE = [(40, 150), (80, 60), (120, 150), (160, 70), (200, 140), (260, 90), (320, 130), (400, 80)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    s = Stack(tmp_path_factory.mktemp("field-app"))
    s.prepare()
    s.start_server()
    s.start_app()
    try:
        yield s
    finally:
        s.stop()
        keep = os.environ.get("LEVEE_SCREENSHOTS")
        shots = s.tmp / "shots"
        if keep and shots.exists():
            Path(keep).mkdir(parents=True, exist_ok=True)
            for png in shots.glob("*.png"):
                shutil.copy(png, Path(keep) / png.name)


@pytest.fixture(scope="module")
def jobs(stack: Stack) -> dict[str, dict[str, Any]]:
    return {
        "online": stack.create_job(severity="major", symptom="排涝泵出水量不足，电机过热"),
        "offline": stack.create_job(symptom="机械密封漏水"),
        "conflict": stack.create_job(symptom="运行噪声大", kind="inspection"),
    }


@pytest.fixture(scope="module")
def driver(stack: Stack, jobs: dict[str, dict[str, Any]]) -> Iterator[Driver]:
    with chromium_page() as page:
        d = Driver(page, stack.tmp / "shots")
        d.open(stack.app_url)
        d.sign_in("eng1", f"job-{jobs['online']['number']}")
        yield d


def _timed(action: Any) -> tuple[datetime, datetime]:
    before = now()
    action()
    return before, now()


def _between(value: str | None, window: tuple[datetime, datetime]) -> bool:
    assert value is not None
    at = datetime.fromisoformat(value)
    return window[0] - timedelta(seconds=1) <= at <= window[1] + timedelta(seconds=1)


def _work_job(
    d: Driver, job: dict[str, Any], reading: str, *, shots: bool, photo: Path | None = None
) -> dict[str, tuple[datetime, datetime]]:
    """Open the job, acknowledge, arrive, answer the checklist, add a part (and the ``photo``, picked
    from the device's files), resolve, get the signature."""
    times: dict[str, tuple[datetime, datetime]] = {}
    d.tap(f"job-{job['number']}")
    d.by_id("tap-acknowledged").wait_for()
    for event in ("acknowledged", "arrived"):
        label = zh(f"enum.event.{event}")
        times[event] = _timed(
            lambda e=event, lb=label: (d.tap(f"tap-{e}"), d.wait_text(f"tap-{e}", "✓ " + lb))
        )
    if shots:
        d.shot("job")
    d.tap("section-checklist")
    value_label = zh("app.checklist.value", item="绝缘电阻", unit="MΩ")
    d.type_into(value_label, reading)
    d.tap("item-insulation-save")
    out = float(reading) < 0.5
    flag = d.wait_text(
        "item-insulation-flag",
        zh("app.checklist.out_of_range" if out else "app.checklist.in_range", value=f"{reading} MΩ"),
    )
    assert ("超出范围" in flag) is out
    d.tap("item-seal-ok")
    d.wait_text("checklist-summary", zh("app.checklist.complete"))
    if shots:
        d.shot("checklist")
    d.tap("section-parts")
    d.tap("part-add-P-DP-001")
    d.wait_text("parts-used", "机械密封")
    d.shot("parts" if shots else "parts-offline")  # the row is drawn, not Flutter's grey error box
    if photo is not None:
        d.tap("section-photos")
        with d.page.expect_file_chooser() as chooser:
            d.tap("photo-add")
        chooser.value.set_files(str(photo))
        d.by_id("photo-grid").wait_for()
    if shots:
        d.tap("section-photos")
        d.shot("photos")
    d.tap("section-overview")
    times["resolved"] = _timed(lambda: (d.tap("tap-resolved"), d.wait_text("tap-resolved", "✓ ")))
    d.tap("section-acceptance")
    d.tap("sat-5")
    d.drag("signature-pad", SIGNATURE)
    d.wait_text("accept-ink", INKED)  # the strokes reached the app (not a fixed wait: a loaded machine)
    if shots:
        d.shot("signature")
    times["signed_off"] = _timed(lambda: (d.tap("accept-submit"), d.by_id("accept-done").wait_for()))
    if shots:
        d.shot("signed")
    d.back()
    return times


def test_engineer_works_online_then_offline_and_the_server_gets_the_tap_times(
    stack: Stack, jobs: dict[str, dict[str, Any]], driver: Driver
) -> None:
    d = driver
    d.wait_text("sync-state", zh("app.sync.online"))
    d.shot("job-list")
    online = _work_job(d, jobs["online"], "0.2", shots=True)
    d.wait_text("sync-pending", zh("app.sync.all_sent"))

    stack.server.stop(hard=True)  # the flood took the mast down
    d.by_id(f"job-{jobs['offline']['number']}").wait_for()
    offline = _work_job(d, jobs["offline"], "1.2", shots=False)
    d.wait_text("sync-state", zh("app.sync.offline"))
    pending = d.wait_text("sync-pending", "待同步")
    assert "待同步" in pending
    d.shot("offline")

    stack.start_server()
    d.button(zh("app.sync.now")).click()
    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    d.wait_text("sync-state", zh("app.sync.online"))

    for key, taps in (("online", online), ("offline", offline)):
        server = stack.job(jobs[key]["id"])
        assert server["status"] == "signed_off", (key, server["status"])
        for event, window in taps.items():
            assert _between(server[f"{event}_at"], window), (key, event, server[f"{event}_at"], window)
    assert stack.job(jobs["online"]["id"])["signature"].startswith("M ")


def test_a_conflict_with_the_office_is_explained_on_the_device(
    stack: Stack, jobs: dict[str, dict[str, Any]], driver: Driver
) -> None:
    d = driver
    job = jobs["conflict"]
    stack.server.stop(hard=True)
    d.tap(f"job-{job['number']}")
    d.type_into(zh("app.field.symptom"), "叶轮缠绕杂物")
    d.tap("fault-save")
    d.wait_text("sync-state", zh("app.sync.offline"))
    stack.start_server()
    with stack.office() as office:
        r = office.patch(f"/api/jobs/{job['id']}", json={"symptom": "客户改报：异响"})
        assert r.status_code == 200, r.text
    d.button(zh("app.sync.now")).click()
    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    d.back()
    d.button(zh("app.sync.details")).click()
    text = d.wait_text("conflict-list", job["number"], timeout=30)
    assert "叶轮缠绕杂物" in text and "客户改报：异响" in text, text
    assert zh("enum.conflict_reason.both_changed") in text
    d.shot("conflict")
