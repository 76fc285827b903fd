"""The field app in a real browser: on an inspection job the engineer types the maintenance advice
(维护建议, issue 11 item 14) into its own field, leaves with the back button at once, and the advice is
kept on the tablet, says it is saved, and reaches the server's form and the printed inspection report.
A repair job has no such field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.mobile.browser import Driver, Stack, chromium_page, require_browser, zh
from tests.pdf import pdf_text, squeezed

pytestmark = pytest.mark.browser

ADVICE = "建议雨季前复测绝缘电阻，每季度清理进水口格栅"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    s = Stack(tmp_path_factory.mktemp("advice"))
    s.prepare()
    s.start_server()
    s.start_app()
    try:
        yield s
    finally:
        s.stop()


def _field_value(d: Driver, label: str) -> str:
    """What a Flutter text field holds (focus it, read the editing element Flutter fills)."""
    d.field(label).click()
    # Flutter puts the editing element in place first and fills it a frame later: wait for the text
    # (an empty field times out here, so the test still fails when nothing was kept)
    d.page.wait_for_function(
        "document.activeElement && ['INPUT','TEXTAREA'].includes(document.activeElement.tagName)"
        " && document.activeElement.value !== ''",
        timeout=30_000,
    )
    return str(d.page.evaluate("document.activeElement.value"))


def _in_sight(d: Driver, element: Any) -> None:
    box, height = element.bounding_box(), d.page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)


def test_advice_typed_on_an_inspection_is_kept_and_printed(stack: Stack) -> None:
    inspection = stack.create_job(kind="inspection", symptom="季度巡检")
    repair = stack.create_job(symptom="排涝泵振动大")
    with chromium_page(1280, 1400) as page:
        d = Driver(page, stack.tmp / "shots")
        d.open(stack.app_url)
        d.sign_in("eng1", f"job-{inspection['number']}")

        d.tap(f"job-{repair['number']}")
        d.field(zh("app.field.fix")).wait_for()
        assert not d.page.get_by_role("textbox", name=zh("app.field.advice")).count()
        d.back()

        d.tap(f"job-{inspection['number']}")
        d.type_into(zh("app.field.advice"), ADVICE)
        # typed at the foot of the job, which scrolled there: "back" and the job's number stay in sight
        _in_sight(d, d.button(zh("app.common.back")))
        _in_sight(d, d.page.get_by_text(inspection["number"], exact=True).first)
        d.back()  # no save button: straight back
        d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)

        with stack.office("qa") as office:
            form = office.get(f"/api/jobs/{inspection['id']}/form")
            assert form.status_code == 200, form.text
            assert form.json()["job"]["advice"] == ADVICE
            printed = office.get(f"/api/jobs/{inspection['id']}/form.pdf")
            assert printed.status_code == 200
        text = squeezed(pdf_text(printed.content))
        assert text.startswith("巡检报告") and "维护建议" + squeezed(ADVICE) in text

        d.tap(f"job-{inspection['number']}")
        d.wait_text("fault-advice-state", zh("app.autosave.saved"))
        assert ADVICE in _field_value(d, zh("app.field.advice"))
        d.shot("inspection-advice")
