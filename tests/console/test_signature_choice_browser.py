"""A job signed on two tablets: the conflict review shows both customers' comments, and the office
keeps the first signature with one press (issue 12 item 1). Real browser, real server, real tablets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.enums import JobEventType
from tests.console.browser import ConsoleDriver, ConsoleStack, RealDevice, running_stack
from tests.mobile.browser import chromium_page, zh

pytestmark = pytest.mark.browser
SITE = "城东排涝泵站"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("console-signatures")) as s:
        yield s


def test_the_office_keeps_the_first_of_two_signatures(stack: ConsoleStack, tmp_path: Path) -> None:
    eng = next(e for e in stack.get("/api/users", role="engineer")["items"] if e["username"] == "eng03")
    site = next(s for s in stack.get("/api/sites", limit=500)["items"] if s["name"] == SITE)
    with stack.api("dispatcher") as office:
        r = office.post(
            "/api/jobs",
            json={
                "customer_id": site["customer_id"],
                "site_id": site["id"],
                "symptom": "闸门启闭异常",
                "assigned_engineer_id": eng["id"],
            },
        )
        assert r.status_code == 201, r.text
        job: dict[str, Any] = r.json()
    job_id = uuid.UUID(job["id"])
    first = RealDevice(stack, "eng03", tmp_path / "first.db")
    second = RealDevice(stack, "eng03", tmp_path / "second.db")
    try:
        first.sync()
        for event in (JobEventType.ARRIVED, JobEventType.STARTED, JobEventType.RESOLVED):
            first.actions.tap(job_id, event)
        first.sync()
        second.sync()
        first.actions.sign(job_id, satisfaction=5, signature="M 1 1 L 9 9", comment="第一次签字的意见")
        first.sync()
        second.actions.sign(job_id, satisfaction=2, signature="M 2 2 L 8 3", comment="第二次签字的意见")
        second.sync()
        assert stack.get(f"/api/jobs/{job_id}")["acceptance_comment"] == "第二次签字的意见"

        with chromium_page(width=1360, height=1500) as page:
            d = ConsoleDriver(page, stack.tmp / "shots")
            d.open(stack.console_url)
            d.sign_in("manager", "nav-board")
            d.tap("nav-conflicts")
            card = d.wait_text(f"conflict-{job['number']}", "第二次签字的意见", timeout=40)
            assert "第一次签字的意见" in card, card
            assert zh("console.conflicts.keep_first_signature") in card, card
            d.tap(f"override-{job['number']}")
            d.wait_text("notice", zh("console.conflicts.overridden", number=job["number"]))
        server = stack.get(f"/api/jobs/{job_id}")
        assert (server["acceptance_comment"], server["satisfaction"]) == ("第一次签字的意见", 5)
        kept = stack.get(f"/api/jobs/{job_id}/signatures")
        assert [(s["comment"], s["standing"]) for s in kept] == [
            ("第一次签字的意见", True),
            ("第二次签字的意见", False),
        ]
        second.sync()
        assert second.replica.job(job_id)["acceptance_comment"] == "第一次签字的意见"  # type: ignore[index]
    finally:
        first.close()
        second.close()
