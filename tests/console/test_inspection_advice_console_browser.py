"""The console's service form shows an inspection's maintenance advice (维护建议, issue 11 item 14), in a
real browser against a real server: the engineer's tablet writes it and resolves the job, QA finds the
job in its queue and reads the advice under its label in the form it reviews."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.enums import JobEventType
from tests.console.browser import ConsoleDriver, ConsoleStack, RealDevice, running_stack
from tests.mobile.browser import chromium_page, zh

pytestmark = pytest.mark.browser
SITE = "城东排涝泵站"
ADVICE = "建议汛前检查控制柜接线端子并紧固"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("advice-console"), keep={}) as s:
        yield s


def test_qa_reads_the_engineers_maintenance_advice_in_the_inspection_form(
    stack: ConsoleStack, tmp_path: Path
) -> None:
    engineer = next(e for e in stack.get("/api/users", role="engineer")["items"] if e["username"] == "eng02")
    site = next(s for s in stack.get("/api/sites", limit=500)["items"] if s["name"] == SITE)
    with stack.api("dispatcher") as office:
        r = office.post(
            "/api/jobs",
            json={
                "kind": "inspection",
                "customer_id": site["customer_id"],
                "site_id": site["id"],
                "symptom": "季度巡检",
                "assigned_engineer_id": engineer["id"],
            },
        )
    assert r.status_code == 201, r.text
    job = r.json()
    tablet = RealDevice(stack, "eng02", tmp_path / "tablet.db")
    try:
        tablet.sync()
        job_id = uuid.UUID(job["id"])
        tablet.actions.edit(job_id, advice=ADVICE)
        tablet.actions.tap(job_id, JobEventType.RESOLVED)
        tablet.sync()
    finally:
        tablet.close()
    assert stack.get(f"/api/jobs/{job['id']}")["advice"] == ADVICE

    with chromium_page(width=1360, height=1500) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)
        d.sign_in("manager", "nav-board")
        d.tap("nav-qa")
        d.by_id("qa-list").wait_for()
        d.type_into(zh("console.qa.search"), job["number"])
        d.wait_text("qa-list", job["number"])
        d.tap(f"qa-{job['number']}")
        shown = d.wait_text("form-fault", ADVICE, timeout=60)
        assert zh("app.field.advice") in shown, shown
        d.shot("console-inspection-advice")
