"""The field app in a real browser keeps what the engineer types (issue 11 item 1, issue 19 item 8) and
tells of a new job until it is opened, while other messages pass (issue 11 item 10), and a landscape
tablet's width is used (issue 11 item 11).

A note typed into a checklist item and left for another tab, a reading typed and left, the fault's
cause typed and left with the back button: each is on the tablet when the engineer comes back, says it
is saved, and reaches the server's form, with no save button pressed after the typing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from shared.i18n import translate
from tests.mobile.browser import INKED, Driver, Stack, chromium_page, require_browser, zh

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    s = Stack(tmp_path_factory.mktemp("typed-text"))
    s.prepare()
    s.start_server()
    s.start_app()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def job(stack: Stack) -> dict[str, Any]:
    return stack.create_job(symptom="排涝泵振动大")


@pytest.fixture(scope="module")
def driver(stack: Stack, job: dict[str, Any]) -> Iterator[Driver]:
    with chromium_page(1280, 1400) as page:
        d = Driver(page, stack.tmp / "shots")
        d.open(stack.app_url)
        d.sign_in("eng1", f"job-{job['number']}")
        yield d


def _form(stack: Stack, job_id: str) -> dict[str, Any]:
    """The server's service form of the job (what QA reviews and the PDF prints)."""
    with stack.office("qa") as office:
        r = office.get(f"/api/jobs/{job_id}/form")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _answer(form: dict[str, Any], code: str) -> dict[str, Any]:
    return next((a for a in form["checklist"] if a["item_code"] == code), {})


def _field_value(d: Driver, label: str) -> str:
    """What a Flutter text field holds: Flutter's semantics node does not carry the text, so focus the
    field (as a finger would) and read the editing element Flutter fills with it."""
    from playwright.sync_api import Error as PlaywrightError

    d.field(label).click()
    d.page.wait_for_function(
        "document.activeElement && ['INPUT','TEXTAREA'].includes(document.activeElement.tagName)"
    )
    # Flutter fills the editing element a moment after it takes the focus (read at once on a loaded
    # machine, a kept text read as ''): wait a while for it, then read whatever is there.
    with contextlib.suppress(PlaywrightError):
        d.page.wait_for_function(
            "document.activeElement && document.activeElement.value !== ''", timeout=10_000
        )
    return str(d.page.evaluate("document.activeElement.value"))


def test_a_checklist_note_typed_and_left_for_another_tab_is_kept_and_reaches_the_server(
    stack: Stack, job: dict[str, Any], driver: Driver
) -> None:
    d = driver
    d.tap(f"job-{job['number']}")
    d.tap("section-checklist")
    d.tap("item-seal-fault")
    d.wait_text("checklist-summary", zh("app.checklist.missing", n=1))
    seal_note = zh("app.checklist.note", item="机械密封")
    d.type_into(seal_note, "密封圈老化渗水")
    # no result button, no save button: straight to another tab, at once
    d.tap("section-overview")
    d.by_id("tap-acknowledged").wait_for()
    d.tap("section-checklist")
    d.by_id("checklist-summary").wait_for()
    assert _field_value(d, seal_note) == "密封圈老化渗水"
    d.wait_text("item-seal-note-state", zh("app.autosave.saved"))

    # a reading and a note on a measured item, typed and left the same way
    d.type_into(zh("app.checklist.value", item="绝缘电阻", unit="MΩ"), "0.3")
    d.type_into(zh("app.checklist.note", item="绝缘电阻"), "受潮后复测")
    d.tap("section-parts")
    d.tap("section-checklist")
    d.wait_text("item-insulation-note-state", zh("app.autosave.saved"))
    d.wait_text("item-insulation-flag", zh("app.checklist.out_of_range", value="0.3 MΩ"))

    # the fault's cause, typed, then the back button at once
    d.tap("section-overview")
    d.type_into(zh("app.field.cause"), "叶轮缠绕水草")
    d.back()

    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    form = _form(stack, job["id"])
    seal = _answer(form, "seal")
    assert seal.get("result") == "fault" and seal.get("note") == "密封圈老化渗水", seal
    insulation = _answer(form, "insulation")
    assert insulation.get("value") == 0.3 and insulation.get("note") == "受潮后复测", insulation
    assert form["job"]["cause"] == "叶轮缠绕水草"

    d.tap(f"job-{job['number']}")
    d.wait_text("fault-cause-state", zh("app.autosave.saved"))
    assert "叶轮缠绕水草" in _field_value(d, zh("app.field.cause"))
    d.shot("typed-text-kept")


def _gone(d: Driver, identifier: str, timeout: float) -> None:
    d.page.locator(f'[flt-semantics-identifier="{identifier}"]').first.wait_for(
        state="detached", timeout=timeout * 1000
    )


def _shown(d: Driver, identifier: str) -> bool:
    return bool(d.page.locator(f'[flt-semantics-identifier="{identifier}"]').count())


def test_a_new_job_is_announced_until_opened_and_other_notices_go_by_themselves(
    stack: Stack, job: dict[str, Any], driver: Driver
) -> None:
    d = driver
    d.back()
    arrived = stack.create_job(symptom="发电机组无法启动", severity="major")
    number = arrived["number"]
    # the tablet's long poll brings it: a notice and a badge, with no tap
    d.wait_text("new-job-notice", number, timeout=90)
    d.by_id(f"job-new-{number}").wait_for()
    d.shot("new-job")

    # a passing message: in the language shown, switched with it, gone by itself, never on the next screen
    d.tap(f"job-{job['number']}")
    d.tap("tap-acknowledged")
    d.wait_text("notice", zh("app.job.tapped", what=zh("enum.event.acknowledged")))
    d.tap("lang-switch")
    en = translate("en", "app.job.tapped", what=translate("en", "enum.event.acknowledged"))
    d.wait_text("notice", en)
    d.tap("lang-switch")
    d.wait_text("notice", zh("app.job.tapped", what=zh("enum.event.acknowledged")))
    _gone(d, "notice", timeout=30)
    assert number in d.text_of("new-job-notice")  # the new job's notice stays

    d.tap("tap-departed")
    d.wait_text("notice", zh("app.job.tapped", what=zh("enum.event.departed")))
    d.back()
    assert not _shown(d, "notice"), d.text_of("notice")
    assert number in d.text_of("new-job-notice")

    # opened from the notice: notice and badge go
    d.tap("new-job-open")
    d.by_id("tap-acknowledged").wait_for()
    _gone(d, "new-job-notice", timeout=30)
    d.back()
    d.by_id(f"job-{number}").wait_for()
    assert not _shown(d, f"job-new-{number}")


def test_a_landscape_tablet_uses_its_width_and_portrait_still_fits(
    stack: Stack, job: dict[str, Any], driver: Driver
) -> None:
    d = driver
    page = d.page
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        d.by_id(f"job-{job['number']}").wait_for()
        d.shot("landscape-job-list")
        d.tap(f"job-{job['number']}")
        d.tap("section-checklist")
        d.by_id("checklist-summary").wait_for()
        box = d.by_id("checklist-section").bounding_box()
        header = d.by_id("job-status").bounding_box()
        assert box is not None and header is not None
        d.shot("landscape-checklist")
        print(f"landscape: checklist {box['width']:.0f} px wide, job header at y={header['y']:.0f}")
        assert box["width"] > 600, box  # the checklist uses the width (it was one 440 px column)
        assert header["y"] < 150, header  # the bars above the job are compact (they took 210 px)
        left = d.by_id("item-insulation-note").bounding_box()
        right = d.by_id("item-seal-note").bounding_box()
        assert left is not None and right is not None
        assert abs(left["y"] - right["y"]) < 200 and left["x"] != right["x"], (left, right)  # two columns

        page.set_viewport_size({"width": 800, "height": 1280})
        d.by_id("checklist-summary").wait_for()
        d.shot("portrait-checklist")
        box = d.by_id("checklist-section").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 800, box
        d.back()
    finally:
        page.set_viewport_size({"width": 1280, "height": 1400})


def test_a_job_that_is_not_a_repair_carries_no_fault_severity(stack: Stack, driver: Driver) -> None:
    d = driver
    inspection = stack.create_job(symptom="汛前例行巡检", kind="inspection")
    card = d.wait_text(f"job-{inspection['number']}", zh("enum.kind.inspection"), timeout=90)
    assert zh("enum.severity.general") not in card and zh("enum.severity.major") not in card, card
    repair = d.text_of(f"job-{stack_job_number(stack)}")
    assert zh("enum.severity.general") in repair, repair  # a repair still shows its severity
    d.tap(f"job-{inspection['number']}")
    head = d.wait_text("job-status", zh("enum.status.assigned"))
    assert head
    d.back()


def stack_job_number(stack: Stack) -> str:
    """The number of the module's first job (a repair of general severity)."""
    with stack.office() as office:
        r = office.get("/api/jobs", params={"q": "排涝泵振动大"})
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["number"])


SIGNATURE = [(40, 150), (90, 70), (140, 150), (200, 80), (260, 140), (330, 90)]


def test_a_rating_and_a_signature_not_yet_submitted_survive_a_tab_switch_and_leaving_the_job(
    stack: Stack, driver: Driver
) -> None:
    """The customer picked 4 and signed, then the engineer switched tabs and left the job before
    "submit": coming back, the rating and the strokes are there, and submitting sends exactly them."""
    d = driver
    arrived = stack.create_job(symptom="发电机组输出电压低")
    number = arrived["number"]
    d.wait_text(f"job-{number}", number, timeout=90)  # the long poll brings it
    d.tap(f"job-{number}")
    d.tap("tap-acknowledged")
    d.wait_text("tap-acknowledged", "✓ ")
    d.tap("tap-arrived")
    d.wait_text("tap-arrived", "✓ ")
    # the cause picked for the billing decision, not yet confirmed, is kept the same way
    proposed = d.text_of("billing-proposal")
    d.tap("cause-man_made")
    man_made = d.wait_text("billing-proposal", zh("enum.billable_reason.man_made"))
    assert man_made != proposed
    d.tap("section-checklist")
    d.type_into(zh("app.checklist.value", item="绝缘电阻", unit="MΩ"), "2.5")
    d.tap("item-insulation-save")
    d.tap("item-seal-ok")
    d.wait_text("checklist-summary", zh("app.checklist.complete"))
    d.tap("section-overview")
    assert d.wait_text("billing-proposal", man_made) == man_made
    d.tap("tap-resolved")
    d.wait_text("tap-resolved", "✓ ")
    d.tap("section-acceptance")
    d.wait_text("accept-ink", zh("app.accept.no_ink"))
    d.tap("sat-4")
    d.drag("signature-pad", SIGNATURE)
    drawn = d.wait_text("accept-ink", INKED)

    d.tap("section-overview")  # another tab, then out of the job altogether
    d.by_id("tap-resolved").wait_for()
    d.back()
    d.tap(f"job-{number}")
    d.tap("section-acceptance")
    assert d.wait_text("accept-ink", drawn) == drawn  # the same strokes, not an empty pad
    d.tap("accept-submit")  # no new rating, no new signature
    d.by_id("accept-done").wait_for()
    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    job = stack.job(arrived["id"])
    assert job["satisfaction"] == 4, job
    assert job["signature"], job
    d.back()
