"""SQL building blocks the reports share, portable between SQLite and PostgreSQL.

Durations are computed in the database as exact whole microseconds (integers), so percentile picks and
maxima are exact and identical on both databases; only the final division into minutes happens in
Python, with ``Decimal`` and half-up rounding to 0.1 minute.

How the two databases hold ``DateTimeUTC`` columns: PostgreSQL as ``timestamptz``; SQLite as text in
SQLAlchemy's fixed format ``YYYY-MM-DD HH:MM:SS.ffffff``, already converted to UTC and without a zone
suffix. SQLite's ``julianday()`` parses that text but keeps only milliseconds (and as a float), so it
would round differently from PostgreSQL; the whole seconds come from ``unixepoch()`` (or
``strftime('%s')`` before SQLite 3.38) and the microseconds from characters 21-26 of the text instead.
"""

from __future__ import annotations

import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, and_, case, cast, func, literal_column
from sqlalchemy.sql.elements import KeyedColumnElement

US_PER_MINUTE = 60_000_000
US_PER_DAY = 86_400_000_000
TENTH = Decimal("0.1")
_HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def dialect_name(bind: Any) -> str:
    """``postgresql`` or ``sqlite``; anything else is refused rather than given wrong numbers."""
    name = str(bind.dialect.name)
    if name not in {"postgresql", "sqlite"}:  # pragma: no cover - only the two are supported
        raise NotImplementedError(f"reports support PostgreSQL and SQLite, not {name}")
    return name


def _sqlite_us(stamp: Any) -> ColumnElement[int]:
    seconds = func.unixepoch(stamp) if _HAS_UNIXEPOCH else cast(func.strftime("%s", stamp), Integer)
    return seconds * 1_000_000 + cast(func.substr(stamp, 21, 6), Integer)


def duration_us(dialect: str, end: Any, start: Any) -> ColumnElement[int]:
    """``end - start`` in exact whole microseconds (NULL when either is NULL)."""
    if dialect == "postgresql":
        # date_part stays float8 (EXTRACT is numeric since PostgreSQL 14, and slower); seconds * 1e6 is
        # within far less than 0.5 of the integer for any duration under centuries, so round() is exact
        return cast(func.round(func.date_part("epoch", end - start) * 1_000_000), BigInteger)
    return cast(_sqlite_us(end) - _sqlite_us(start), BigInteger)


def local_month(dialect: str, stamp: Any, utc_offset_minutes: int) -> ColumnElement[str]:
    """``YYYY-MM`` of a UTC stamp shifted by a fixed offset (the server's zone; Asia/Shanghai has no DST)."""
    offset = int(utc_offset_minutes)
    if dialect == "postgresql":
        shifted = func.timezone(literal_column("'UTC'"), stamp) + literal_column(
            f"INTERVAL '{offset} minutes'"
        )
        return func.to_char(shifted, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), stamp, literal_column(f"'{offset:+d} minutes'"))


def flag(condition: Any) -> ColumnElement[int]:
    """1 when the condition holds, else 0 (also when it is NULL)."""
    return case((condition, 1), else_=0)


def count_if(condition: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(flag(condition)), 0)


def interpolated_numerator(
    value: KeyedColumnElement[Any],
    rank: KeyedColumnElement[Any],
    n: KeyedColumnElement[Any],
    num: int,
    den: int,
    where: ColumnElement[bool] | None = None,
) -> ColumnElement[int]:
    """An aggregate giving ``den`` times the (num/den)-th percentile of ``value``, as an exact integer.

    ``rank`` is the 1-based row number of ``value`` in ascending order within the group and ``n`` the
    group's size (both window columns). The 0-based position is h = (n - 1) * num / den; with
    lo = floor(h) and rem = (n - 1) * num mod den, the percentile is
    (x[lo] * (den - rem) + x[lo + 1] * rem) / den, which is what this sums (integer arithmetic only).
    """
    position = (n - 1) * num
    lo = position // den
    rem = position % den
    at_lo, at_hi = rank == lo + 1, rank == lo + 2
    if where is not None:
        at_lo, at_hi = and_(where, at_lo), and_(where, at_hi)
    return func.coalesce(
        func.sum(case((at_lo, value * (den - rem)), (at_hi, value * rem), else_=0)),
        0,
    )


def minutes(us: int | Decimal | None, den: int = 1) -> float | None:
    """Microseconds (times ``den``) as minutes, rounded half-up to 0.1."""
    if us is None:
        return None
    value = Decimal(int(us)) / (den * US_PER_MINUTE)
    return float(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def percent(part: int, whole: int, places: str = "0.1") -> float | None:
    """``part / whole`` in %, rounded half-up; None when there is nothing to divide by."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def ratio(total: int, count: int, places: str = "0.01") -> float | None:
    """``total / count`` rounded half-up; None when count is 0."""
    if not count:
        return None
    return float((Decimal(total) / Decimal(count)).quantize(Decimal(places), rounding=ROUND_HALF_UP))
