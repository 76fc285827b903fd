"""The rules of a paid repair's money both the tablet and the server compute (``shared.paid`` re-exports
them beside the API's schemas): its words, the quote's lines and totals, and what a quote becomes.

A module of its own, without pydantic models, so the field app imports it without building the API's
schemas (in the browser a start pays for every model built at import: docs/performance.md, Round 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

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
