"""Occurrences of inspection schedules: anchored on the start date, across month ends and leap years."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schedules import (
    CATCH_UP_DAYS,
    MONTH_STEP,
    Compliance,
    Frequency,
    add_months,
    compliance,
    generation_window,
    month_bounds,
    occurrences,
)

starts = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
frequencies = st.sampled_from(list(Frequency))
spans = st.integers(min_value=0, max_value=3 * 366)


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


@settings(max_examples=300)
@given(starts, frequencies, st.integers(min_value=-400, max_value=4000), spans)
def test_occurrences_are_increasing_distinct_in_window_and_anchored(
    start: date, frequency: Frequency, offset: int, span: int
) -> None:
    window_from = start + timedelta(days=offset)
    window_to = window_from + timedelta(days=span)
    days = occurrences(start, frequency, window_from, window_to)
    assert all(a < b for a, b in itertools.pairwise(days))
    assert all(max(start, window_from) <= d <= window_to for d in days)
    for d in days:
        if frequency is Frequency.DAILY:
            continue
        months = _months(start, d)
        assert months % MONTH_STEP[frequency] == 0
        assert d.day == min(start.day, calendar.monthrange(d.year, d.month)[1])


@settings(max_examples=300)
@given(starts, frequencies, st.integers(min_value=0, max_value=2000), spans)
def test_count_over_a_window_matches_the_arithmetic(
    start: date, frequency: Frequency, offset: int, span: int
) -> None:
    window_from = start + timedelta(days=offset)
    window_to = window_from + timedelta(days=span)
    got = occurrences(start, frequency, window_from, window_to)
    if frequency is Frequency.DAILY:
        assert len(got) == span + 1
        return
    step = MONTH_STEP[frequency]
    # brute force over every index that could land in the window
    expected = [
        add_months(start, k * step)
        for k in range(0, _months(start, window_to) // step + 2)
        if window_from <= add_months(start, k * step) <= window_to
    ]
    assert got == expected


@settings(max_examples=200)
@given(starts, frequencies, st.integers(min_value=0, max_value=1500), st.integers(min_value=1, max_value=600))
def test_windows_split_anywhere_give_the_same_dates(
    start: date, frequency: Frequency, span: int, cut: int
) -> None:
    """Generating day by day or in one go yields the same dates, none twice (the generator's premise)."""
    end = start + timedelta(days=span)
    middle = start + timedelta(days=min(cut, span))
    whole = occurrences(start, frequency, start, end)
    parts = occurrences(start, frequency, start, middle) + occurrences(
        start, frequency, middle + timedelta(days=1), end
    )
    assert whole == parts


@given(starts, frequencies, spans, st.integers(min_value=0, max_value=400))
def test_end_on_is_the_last_possible_date(start: date, frequency: Frequency, span: int, tail: int) -> None:
    end_on = start + timedelta(days=tail)
    days = occurrences(start, frequency, start, start + timedelta(days=span), end_on=end_on)
    assert all(d <= end_on for d in days)
    assert days[:1] == [start]


def test_monthly_from_january_31_follows_the_month_ends() -> None:
    days = occurrences(date(2024, 1, 31), Frequency.MONTHLY, date(2024, 1, 1), date(2025, 3, 31))
    assert days == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
        date(2024, 7, 31),
        date(2024, 8, 31),
        date(2024, 9, 30),
        date(2024, 10, 31),
        date(2024, 11, 30),
        date(2024, 12, 31),
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
    ]


def test_monthly_from_the_30th_does_not_drift_after_february() -> None:
    days = occurrences(date(2023, 1, 30), Frequency.MONTHLY, date(2023, 2, 1), date(2023, 4, 30))
    assert days == [date(2023, 2, 28), date(2023, 3, 30), date(2023, 4, 30)]


def test_yearly_from_february_29() -> None:
    days = occurrences(date(2024, 2, 29), Frequency.YEARLY, date(2024, 1, 1), date(2033, 1, 1))
    assert days == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_century_rule() -> None:
    """2100 is not a leap year, 2000 was."""
    days = occurrences(date(1996, 2, 29), Frequency.YEARLY, date(2000, 1, 1), date(2000, 12, 31))
    assert days == [date(2000, 2, 29)]
    assert occurrences(date(2096, 2, 29), Frequency.YEARLY, date(2100, 1, 1), date(2100, 12, 31)) == [
        date(2100, 2, 28)
    ]


def test_quarterly_and_half_yearly_from_a_month_end() -> None:
    assert occurrences(date(2023, 11, 30), Frequency.QUARTERLY, date(2023, 1, 1), date(2024, 12, 31)) == [
        date(2023, 11, 30),
        date(2024, 2, 29),
        date(2024, 5, 30),
        date(2024, 8, 30),
        date(2024, 11, 30),
    ]
    assert occurrences(date(2023, 8, 31), Frequency.HALF_YEARLY, date(2023, 1, 1), date(2025, 3, 1)) == [
        date(2023, 8, 31),
        date(2024, 2, 29),
        date(2024, 8, 31),
        date(2025, 2, 28),
    ]


def test_daily_across_a_leap_day() -> None:
    assert occurrences(date(2024, 2, 27), Frequency.DAILY, date(2024, 2, 28), date(2024, 3, 1)) == [
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]


def test_nothing_before_start_or_in_an_empty_window() -> None:
    assert occurrences(date(2024, 5, 1), Frequency.MONTHLY, date(2024, 1, 1), date(2024, 4, 30)) == []
    assert occurrences(date(2024, 5, 1), Frequency.DAILY, date(2024, 6, 2), date(2024, 6, 1)) == []
    assert (
        occurrences(
            date(2024, 5, 1), Frequency.MONTHLY, date(2024, 1, 1), date(2024, 12, 31), end_on=date(2024, 4, 1)
        )
        == []
    )


def test_generation_window() -> None:
    today = date(2026, 3, 10)
    assert generation_window(date(2020, 1, 1), None, 7, today) == (
        today - timedelta(days=CATCH_UP_DAYS),
        date(2026, 3, 17),
    )
    assert generation_window(date(2026, 3, 12), None, 0, today) is None
    assert generation_window(date(2026, 3, 12), None, 2, today) == (date(2026, 3, 12), date(2026, 3, 12))
    assert generation_window(date(2026, 1, 1), date(2026, 3, 11), 30, today) == (
        date(2026, 3, 3),
        date(2026, 3, 11),
    )
    assert generation_window(date(2026, 1, 1), date(2026, 2, 1), 30, today) is None


def test_compliance_rules() -> None:
    due, today = date(2026, 3, 31), date(2026, 4, 2)
    assert compliance(due, date(2026, 3, 31), False, today) is Compliance.ON_TIME
    assert compliance(due, date(2026, 3, 1), False, today) is Compliance.ON_TIME
    assert compliance(due, date(2026, 4, 1), False, today) is Compliance.LATE
    assert compliance(due, None, False, today) is Compliance.MISSED
    assert compliance(due, None, True, date(2026, 3, 1)) is Compliance.MISSED
    assert compliance(due, None, False, due) is Compliance.PENDING


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-01", "2026/01", "abcd-ef", ""])
def test_month_bounds_refuses_non_months(bad: str) -> None:
    with pytest.raises(ValueError):
        month_bounds(bad)


def test_month_bounds() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_bounds("2100-02") == (date(2100, 2, 1), date(2100, 2, 28))
