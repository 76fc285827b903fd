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

The money rule, the words and the other rules both sides share are in ``shared.paid_rules``
(re-exported here), a module without pydantic models that the tablet imports at start.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.models import Model, OutModel
from shared.paid_rules import (
    CENT,
    LABOUR_RATE,
    MAX_LINES,
    ChargeStatus,
    LineKind,
    PaidBy,
    PayMethod,
    QuoteStatus,
    ReviewReason,
    SummaryBy,
    Totals,
    cents,
    charge_status,
    line_amount,
    quote_refusal,
    quote_totals,
    status_on_arrival,
)

__all__ = [
    "CENT",
    "LABOUR_RATE",
    "MAX_LINES",
    "ChargeCreate",
    "ChargeOut",
    "ChargeStatus",
    "LineKind",
    "Money",
    "Note",
    "PaidBy",
    "PaidRow",
    "PayMethod",
    "PaymentCreate",
    "PaymentOut",
    "Percent",
    "QuoteLineOut",
    "QuoteOut",
    "QuoteStatus",
    "ReviewReason",
    "SummaryBy",
    "ThreeGuaranteeRow",
    "Totals",
    "cents",
    "charge_status",
    "line_amount",
    "quote_refusal",
    "quote_totals",
    "status_on_arrival",
]

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
