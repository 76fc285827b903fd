"""The money of a paid repair's quote (shared.paid.quote_totals), checked against a model in whole fen.

Each line is quantity × unit price rounded to the fen half up; the subtotal is their sum; the contract's
discount is subtotal × percent / 100 rounded the same way; the total is subtotal − discount, never
negative. The tablet's view of a pushed quote (``sync.merge``), the tablet's preview
(``mobile.services.jobs``) and the server's recomputation (``server.paid.service.figures``) all give the
same figures, and every figure is a Decimal that travels as text the wire accepts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from server.paid.service import figures
from shared.paid import cents, line_amount, quote_totals, status_on_arrival
from sync.merge import LOCAL_APPLY
from sync.protocol import MoneyText, MutationName, QuoteMakeArgs
from tests.properties import examples

# quantities to the hundredth (hours, pieces), prices to the fen, percents to the hundredth
quantities = st.integers(min_value=0, max_value=999_999)  # hundredths: up to 9,999.99
prices = st.integers(min_value=0, max_value=9_999_999)  # fen: up to 99,999.99 yuan
percents = st.integers(min_value=0, max_value=10_000)  # hundredths of a percent: 0 .. 100.00
lines_st = st.lists(st.tuples(quantities, prices), min_size=1, max_size=40)


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest whole, halves up (both not negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _model(lines: list[tuple[int, int]], pct: int) -> tuple[int, int, int]:
    """Subtotal, discount and total in whole fen, with integers only."""
    subtotal = sum(_half_up(q * p, 100) for q, p in lines)  # hundredths × fen = 1/100 fen
    discount = _half_up(subtotal * pct, 10_000)
    return subtotal, discount, subtotal - discount


def _dec(lines: list[tuple[int, int]]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(q) / 100, Decimal(p) / 100) for q, p in lines]


@pytest.mark.property
@settings(max_examples=examples(400))
@given(lines_st, percents)
def test_the_totals_are_the_fen_model_and_never_negative(lines: list[tuple[int, int]], pct: int) -> None:
    totals = quote_totals(_dec(lines), Decimal(pct) / 100)
    subtotal, discount, total = _model(lines, pct)
    assert (totals.subtotal, totals.discount, totals.total) == (
        Decimal(subtotal) / 100,
        Decimal(discount) / 100,
        Decimal(total) / 100,
    )
    assert totals.subtotal == sum(line_amount(q, p) for q, p in _dec(lines))
    assert Decimal(0) <= totals.discount <= totals.subtotal and totals.total >= 0
    for value in (totals.subtotal, totals.discount, totals.total):
        assert isinstance(value, Decimal) and value == cents(value)  # to the fen, a Decimal
        assert value.as_tuple().exponent == -2


def _args(lines: list[tuple[int, int]], pct: int, total: str, signed: bool) -> QuoteMakeArgs:
    return QuoteMakeArgs.model_validate(
        {
            "job_id": str(uuid.uuid4()),
            "quote_id": str(uuid.uuid4()),
            "lines": [
                {"kind": "travel", "quantity": str(Decimal(q) / 100), "unit_price": str(Decimal(p) / 100)}
                for q, p in lines
            ],
            "discount_pct": str(Decimal(pct) / 100),
            "total": total,
            "quoted_at": datetime(2026, 7, 1, 8, 30, tzinfo=UTC).isoformat(),
            "signature": "M 0 0 L 9 9" if signed else "",
        }
    )


@pytest.mark.property
@settings(max_examples=examples(200))
@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=12), percents, st.booleans())
def test_the_tablet_and_the_server_compute_the_same_figures(
    lines: list[tuple[int, int]], pct: int, signed: bool
) -> None:
    shown = quote_totals(_dec(lines), Decimal(pct) / 100)
    args = _args(lines, pct, str(shown.total), signed)
    view: dict[str, Any] = {"quotes": []}
    LOCAL_APPLY[MutationName.QUOTE_MAKE](view, args)
    [quote] = view["quotes"]
    server_lines = [
        {"quantity": x.quantity, "unit_price": x.unit_price} for x in args.lines
    ]  # travel lines keep their price
    server = figures(server_lines, Decimal(args.discount_pct), Decimal(args.total))
    for key in ("subtotal", "discount", "total"):
        assert quote["figures"][key] == server[key]
    assert server["total"] == server["device_total"]  # the server agrees: the quote is not for review
    assert quote["status"] == ("accepted" if signed else "offered")
    money = TypeAdapter(MoneyText)
    for key in ("subtotal", "discount", "total"):
        money.validate_python(server[key])  # travels as decimal text the wire accepts
    assert all(money.validate_python(line["amount"]) for line in quote["lines"])


def test_rounding_is_half_up_to_the_fen() -> None:
    # 0.5 h × 0.25 = 0.125 → 0.13 (banker's rounding would give 0.12)
    assert line_amount(Decimal("0.5"), Decimal("0.25")) == Decimal("0.13")
    # 10 % of 0.25 = 0.025 → 0.03; of 1330.00 at 12.5 % = 166.25 exactly
    assert quote_totals([(Decimal(1), Decimal("0.25"))], Decimal(10)).discount == Decimal("0.03")
    assert quote_totals([(Decimal(1), Decimal("1330"))], Decimal("12.5")).total == Decimal("1163.75")
    assert quote_totals([(Decimal(1), Decimal("9.99"))], Decimal(100)).total == Decimal("0.00")
    with pytest.raises(ValueError):
        quote_totals([(Decimal(1), Decimal(1))], Decimal("100.01"))
    with pytest.raises(ValueError):
        line_amount(Decimal(-1), Decimal(1))


def test_an_accepted_quote_is_never_replaced_silently() -> None:
    assert status_on_arrival(signed=True, accepted_exists=False, figures_differ=False).value == "accepted"
    assert status_on_arrival(signed=False, accepted_exists=False, figures_differ=False).value == "offered"
    assert status_on_arrival(signed=True, accepted_exists=True, figures_differ=False).value == "review"
    assert status_on_arrival(signed=True, accepted_exists=False, figures_differ=True).value == "review"
