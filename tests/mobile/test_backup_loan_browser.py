"""Issue 16 on the tablet in a real browser: a backup unit lent and returned (the engineer taps 借给用户 in the
job's 备用设备 section, the loan reaches the server with the tablet's time, then the return does too), and a
paid repair quoted offline (有偿维修报价: labour, a part at its list price, travel and the contract's
discount, accepted with the customer's signature; back online the server holds the accepted quote with
the same Decimal totals). Set ``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the picture of the quote
being signed (tablet-quote.png).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.browser import INKED, Driver, Stack, chromium_page, now, require_browser, zh

pytestmark = pytest.mark.browser
SERIAL = "BY-PB-77"
SIGNATURE: list[tuple[float, float]] = [(40, 150), (90, 70), (140, 150), (200, 80), (260, 140), (330, 90)]
KEPT = ("tablet-quote.png",)


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
        keep, shots = os.environ.get("LEVEE_SCREENSHOTS"), s.tmp / "shots"
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                if (shots / name).exists():
                    shutil.copy(shots / name, Path(keep) / name)


def _agreement(stack: Stack, discount: str) -> None:
    """The customer's maintenance agreement (长期维护协议), running today, with a repair discount (优惠收费)."""
    assert stack.world is not None
    today = now().date()
    with stack.office("manager") as client:
        contract = client.post(
            "/api/contracts",
            json={
                "customer_id": str(stack.world.customer_id),
                "number": f"HT-{uuid.uuid4().hex[:6]}",
                "starts_on": (today - timedelta(days=400)).isoformat(),
            },
        )
        assert contract.status_code == 201, contract.text
        r = client.post(
            f"/api/contracts/{contract.json()['id']}/agreements",
            json={
                "number": f"WHXY-{uuid.uuid4().hex[:6]}",
                "scope": "全部排涝设备",
                "fee": "36800.00",
                "fee_terms": "按季度收取，专项维修优惠收费",
                "starts_on": (today - timedelta(days=30)).isoformat(),
                "ends_on": (today + timedelta(days=700)).isoformat(),
                "repair_discount_pct": discount,
            },
        )
        assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def jobs(stack: Stack) -> dict[str, dict[str, Any]]:
    """Made before the tablet signs in, so its first download holds them: a backup unit in the pool and a
    job to lend it on; the customer's agreement with 12.50 % off paid repairs and a job to quote."""
    with stack.office("warehouse") as client:
        r = client.post(
            "/api/backup-units", json={"category": "drainage_pump", "model": "QW100-30", "serial_no": SERIAL}
        )
        assert r.status_code == 201, r.text
    _agreement(stack, "12.50")
    return {
        "loan": stack.create_job(symptom="泵站主泵烧毁，需借备用泵"),
        "quote": stack.create_job(symptom="泵体被外力砸裂，漏水"),
    }


@pytest.fixture(scope="module")
def driver(stack: Stack, jobs: dict[str, dict[str, Any]]) -> Iterator[Driver]:
    with chromium_page() as page:
        d = Driver(page, stack.tmp / "shots")
        d.open(stack.app_url)
        d.sign_in("eng1", f"job-{jobs['loan']['number']}")
        yield d


def test_the_engineer_lends_a_backup_unit_and_takes_it_back_on_the_tablet(
    stack: Stack, jobs: dict[str, dict[str, Any]], driver: Driver
) -> None:
    d, job = driver, jobs["loan"]
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
    d.back()
    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
    with stack.office() as client:
        [loan] = client.get("/api/loans", params={"job_id": job["id"]}).json()
    lent_at = datetime.fromisoformat(loan["lent_at"])
    assert before - timedelta(seconds=1) <= lent_at <= after + timedelta(seconds=1)
    assert loan["condition"] == "worn" and loan["returned_at"] is not None


def test_the_engineer_quotes_a_billable_repair_offline_and_the_customer_signs_it(
    stack: Stack, jobs: dict[str, dict[str, Any]], driver: Driver
) -> None:
    """有偿维修 with no network: the engineer finds the pump broken by outside force (人为损坏, billable
    within the warranty), uses two seals, quotes 2.5 hours and 120 yuan travel; the tablet prices the seals
    at the price list and takes the agreement's 12.50 % off; the customer signs. Back online the server
    has recomputed the same figures, to the fen, and holds the quote as accepted and signed."""
    d, job = driver, jobs["quote"]
    number = job["number"]
    d.by_id(f"job-{number}").wait_for()
    try:
        stack.use_part_while_server_down(d, number, "P-DP-001", 2)  # 机械密封, list price 380.00
        d.tap(f"job-{number}")
        d.tap("section-overview")
        d.tap("cause-man_made")
        d.wait_text("billing-proposal", zh("enum.billable_reason.man_made"))
        d.tap("billing-confirm")
        d.tap("section-quote")
        d.by_id("quote-preview").wait_for()  # only a repair recorded as billable is quoted
        d.type_into(zh("app.quote.hours"), "2.5")
        d.type_into(zh("app.quote.travel"), "120")
        # labour 2.5 h × 180.00 = 450.00; seals 2 × 380.00 = 760.00; travel 120.00: 1330.00, 12.5 % = 166.25
        d.wait_text("quote-total", zh("app.quote.to_pay", total="1163.75"))
        preview = d.text_of("quote-preview")
        assert zh("app.quote.discount", subtotal="1330.00", pct="12.50", discount="166.25") in preview
        assert "2 × ¥380.00 = ¥760.00" in preview, preview
        d.drag("signature-pad", SIGNATURE)
        d.wait_text("quote-ink", INKED)  # the strokes reached the app (not a fixed wait: a loaded machine)
        d.shot("tablet-quote")
        d.tap("quote-submit")
        made = d.wait_text("quotes-made", zh("enum.quote_status.accepted"))
        assert "1163.75" in made, made
        d.back()
        d.wait_text("sync-pending", "待同步")
        d.wait_text("sync-state", zh("app.sync.offline"))
    finally:
        if stack.server.proc is None:  # the next test, or a failure here, finds the server up
            stack.start_server()
    d.button(zh("app.sync.now")).click()
    d.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)

    with stack.office() as client:
        [quote] = client.get("/api/paid/quotes", params={"job_id": job["id"]}).json()
    assert (quote["status"], quote["signed"], quote["billable_reason"]) == ("accepted", True, "man_made")
    money = {k: Decimal(quote[k]) for k in ("subtotal", "discount_pct", "discount", "total", "device_total")}
    assert money == {
        "subtotal": Decimal("1330.00"),
        "discount_pct": Decimal("12.50"),
        "discount": Decimal("166.25"),
        "total": Decimal("1163.75"),
        "device_total": Decimal("1163.75"),
    }
    lines = [(x["kind"], Decimal(x["quantity"]), Decimal(x["unit_price"])) for x in quote["lines"]]
    assert lines == [
        ("labour", Decimal("2.5"), Decimal("180.00")),
        ("part", Decimal("2"), Decimal("380.00")),
        ("travel", Decimal("1"), Decimal("120.00")),
    ]
    assert all(isinstance(quote[k], str) for k in money), quote  # decimal text on the wire, never a float
