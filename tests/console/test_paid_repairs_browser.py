"""Paid repairs in a real browser against a real server on demo data (one short test).

A dispatcher opens 有偿维修, sees the quote kept for review in red beside the accepted ones, issues the
charge of an accepted quote the office had not charged yet, then records a first payment against it
(bank transfer picked, the amount typed); the server holds the charge and the payment to the fen, and the
screen says 部分收款. Set ``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the picture (console-paid.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.console.browser import ConsoleDriver, ConsoleStack, running_stack
from tests.mobile.browser import chromium_page, zh

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("paid"), keep={"console-paid.png": "console-paid.png"}) as s:
        yield s


def test_the_desk_charges_an_accepted_quote_and_records_a_first_payment(stack: ConsoleStack) -> None:
    quotes = stack.get("/api/paid/quotes", username="dispatcher")
    review = next(q for q in quotes if q["status"] == "review")
    quote = next(q for q in quotes if q["status"] == "accepted" and q["charge"] is None)
    half = str((Decimal(quote["total"]) / 2).quantize(Decimal("0.01")))
    with chromium_page(width=1360, height=1500) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)
        d.sign_in("dispatcher", "nav-board")
        d.tap("nav-paid")
        d.wait_match("paid-quotes", review["job_number"])
        d.wait_match("paid-quotes", zh("enum.quote_status.review"))

        d.press(f"charge-issue-{quote['job_number']}")
        d.wait_match("notice", zh("console.paid.issued", job=quote["job_number"]))
        charged = next(
            q for q in stack.get("/api/paid/quotes", username="dispatcher") if q["id"] == quote["id"]
        )
        assert charged["charge"] is not None and charged["charge"]["amount"] == quote["total"]

        d.press(f"charge-pick-{quote['job_number']}")
        d.press("pay-method-bank_transfer")
        d.type_into(zh("console.paid.amount"), half)
        d.press("payment-record")
        number = charged["charge"]["number"]
        d.wait_match("notice", zh("console.paid.recorded", number=number))
        payments = stack.get(f"/api/paid/charges/{charged['charge']['id']}/payments", username="dispatcher")
        assert [(p["amount"], p["method"]) for p in payments] == [(half, "bank_transfer")]
        d.wait_match("paid-quotes", zh("enum.charge_status.part_paid"))
        d.to_top()
        d.shot("console-paid")
