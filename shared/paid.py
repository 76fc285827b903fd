"""Paid repairs (有偿维修、优惠收费): the quote the engineer makes on the tablet, the office's charge and
its payments, and the one pure rule both sides compute a quote's money with.

The plan (第四节 一 3) makes a repair within the warranty paid when the damage is man-made or force
majeure, from misuse, or from modification or disassembly, and every repair after the warranty paid
(the three-guarantee rules in ``shared.warranty`` decide it: the job's ``billable``). For such
repairs the plan promises 优惠收费 (第二节 五 4, 第五节 (二) 2): the customer's maintenance agreement
gives a discount on special repairs (``repair_discount_pct``).

Money is ``decimal.Decimal``, never float. Each line is quantity × unit price rounded to cents
(``ROUND_HALF_UP``); the subtotal is the sum of the lines; the discount is the subtotal × percent / 100
rounded the same way and never more than the subtotal; the total is subtotal − discount, never negative.
The tablet shows this and the server recomputes it with the price list (``server/paid``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.models import Model, OutModel

CENT = Decimal("0.01")
#: the labour rate of the price list (工时费, yuan per hour) the tablet and the server both quote with
LABOUR_RATE = Decimal("180.00")
#: a quote has at most this many lines (a repair, not an inventory)
MAX_LINES = 40


class LineKind(StrEnum):
    """What a quote line charges for."""

    LABOUR = "labour"  # hours × the labour rate
    PART = "part"  # parts used × their list price
    TRAVEL = "travel"  # the trip to the site, one amount


class QuoteStatus(StrEnum):
    """Where a quote stands."""

    OFFERED = "offered"  # made, not signed by the customer yet
    ACCEPTED = "accepted"  # the customer accepted it with a signature: the one the office charges
    SUPERSEDED = "superseded"  # an offered quote replaced by a later one before acceptance
    REVIEW = "review"  # kept for the office: arrived after another was accepted, or its figures differ


class ReviewReason(StrEnum):
    """Why a quote waits for the office (``QuoteStatus.REVIEW``)."""

    AFTER_ACCEPTANCE = "after_acceptance"  # the customer had accepted another quote of the job
    FIGURES_DIFFER = "figures_differ"  # the tablet's figures differ from the price list or the discount


class PaidBy(StrEnum):
    """How the paid-repairs report groups the accepted quotes."""

    MONTH = "month"
    CUSTOMER = "customer"
    CAUSE = "cause"


class SummaryBy(StrEnum):
    """How the three-guarantee summary groups the repairs."""

    CAUSE = "cause"
    MODEL = "model"


class ChargeStatus(StrEnum):
    ISSUED = "issued"  # the charge is issued, nothing paid yet
    PART_PAID = "part_paid"
    PAID = "paid"


class PayMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    OTHER = "other"


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, halves away from zero (ROUND_HALF_UP)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    total: Decimal


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """One line's amount in yuan: quantity × unit price, to the cent; never negative."""
    if quantity < 0 or unit_price < 0:
        raise ValueError("a quote line cannot be negative")
    return cents(quantity * unit_price)


def quote_totals(lines: list[tuple[Decimal, Decimal]], discount_pct: Decimal) -> Totals:
    """Subtotal, discount and total of ``lines`` (quantity, unit price) with the contract's discount."""
    if not Decimal(0) <= discount_pct <= Decimal(100):
        raise ValueError("the discount is a percent between 0 and 100")
    subtotal = sum((line_amount(q, p) for q, p in lines), Decimal("0.00"))
    discount = min(cents(subtotal * discount_pct / Decimal(100)), subtotal)
    return Totals(subtotal=subtotal, discount=discount, total=subtotal - discount)


def quote_refusal(billable: bool | None) -> str:
    """Why no quote may be made on a job (``""`` when it may): only a billable repair is charged."""
    return "" if billable is True else "not_billable"


def status_on_arrival(*, signed: bool, accepted_exists: bool, figures_differ: bool) -> QuoteStatus:
    """What a quote that reaches the server becomes.

    - a quote on a job whose customer already accepted another stays for the office's review: an accepted
      quote is never replaced silently (the customer signed those figures);
    - a quote whose figures differ from the server's (price list, contract discount) is kept for review;
    - otherwise a signed quote is accepted and an unsigned one offered.
    """
    if accepted_exists or figures_differ:
        return QuoteStatus.REVIEW
    return QuoteStatus.ACCEPTED if signed else QuoteStatus.OFFERED


def charge_status(amount: Decimal, paid: Decimal) -> ChargeStatus:
    if paid <= 0:
        return ChargeStatus.ISSUED
    return ChargeStatus.PAID if paid >= amount else ChargeStatus.PART_PAID


# --- the API's schemas (server/paid/controller.py; the console's PaidClient) ---

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class QuoteLineOut(OutModel):
    kind: LineKind
    description: str
    part_id: uuid.UUID | None = None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class ChargeOut(OutModel):
    id: uuid.UUID
    number: str
    quote_id: uuid.UUID
    amount: Decimal
    paid: Decimal
    status: ChargeStatus
    issued_at: datetime
    note: str


class QuoteOut(OutModel):
    id: uuid.UUID
    job_id: uuid.UUID
    job_number: str
    customer_id: uuid.UUID
    customer_name: str
    billable_reason: str | None
    lines: list[QuoteLineOut]
    discount_pct: Decimal
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    #: what the tablet showed the customer, when it differs from the server's figures
    device_total: Decimal
    status: QuoteStatus
    review_reason: str
    quoted_at: datetime
    accepted_at: datetime | None
    signed: bool
    charge: ChargeOut | None = None


class ChargeCreate(Model):
    """The office issues the charge of an accepted quote (the amount is the quote's total)."""

    note: Note = ""


class PaymentCreate(Model):
    """A payment received against a charge."""

    amount: Money = Field(gt=0)
    method: PayMethod
    paid_on: date
    note: Note = ""


class PaymentOut(OutModel):
    id: uuid.UUID
    charge_id: uuid.UUID
    amount: Decimal
    method: PayMethod
    paid_on: date
    note: str
    recorded_at: datetime


class PaidRow(OutModel):
    """One group of the paid-repairs report (a month, a customer or a cause)."""

    key: str
    label: str
    quotes: int
    quoted: Decimal
    charged: Decimal
    paid: Decimal


class ThreeGuaranteeRow(OutModel):
    """One group of the three-guarantee summary: repairs done free vs paid."""

    key: str
    label: str
    free: int
    paid: int
    undecided: int
