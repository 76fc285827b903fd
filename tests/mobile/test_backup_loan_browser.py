"""A backup unit lent and returned in the field app in a real browser: the engineer taps 借给用户 in the job's
备用设备 section, the loan reaches the server with the tablet's time, then the return does too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.mobile.browser import Driver, Stack, chromium_page, now, require_browser, zh

pytestmark = pytest.mark.browser
SERIAL = "BY-PB-77"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    s = Stack(tmp_path_factory.mktemp("backup-loan"))
    s.prepare()
    s.start_server()
    s.start_app()
    try:
        yield s
    finally:
        s.stop()


def test_the_engineer_lends_a_backup_unit_and_takes_it_back_on_the_tablet(stack: Stack) -> None:
    with stack.office("warehouse") as client:
        r = client.post(
            "/api/backup-units", json={"category": "drainage_pump", "model": "QW100-30", "serial_no": SERIAL}
        )
        assert r.status_code == 201, r.text
    job = stack.create_job(symptom="泵站主泵烧毁，需借备用泵")
    with chromium_page() as page:
        d = Driver(page, stack.tmp / "shots")
        d.open(stack.app_url)
        d.sign_in("eng1", f"job-{job['number']}")
        d.tap(f"job-{job['number']}")
        d.tap("section-loans")
        d.wait_text("loans-pool", SERIAL)
        before = now()
        d.tap(f"loan-lend-{SERIAL}")
        d.wait_text("loans-job", SERIAL)
        after = now()
        d.shot("loan-lent")
        d.tap("loan-condition-worn")
        # the condition picked survives another tab before "return" (a device draft, like the rating)
        d.tap("section-photos")
        d.tap("section-loans")
        d.tap("loan-return")
        d.wait_text("loans-job", zh("enum.return_condition.worn"))
        d.button(zh("app.common.back")).click()
        d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    with stack.office() as client:
        [loan] = client.get("/api/loans", params={"job_id": job["id"]}).json()
    lent_at = datetime.fromisoformat(loan["lent_at"])
    assert before - timedelta(seconds=1) <= lent_at <= after + timedelta(seconds=1)
    assert loan["condition"] == "worn" and loan["returned_at"] is not None
