"""Report answers shaped for the console's tables and charts (pure; the server computes the figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from console.logic.times import day_start, month_start, parse_day
from shared.i18n import translate

MEASURES = ("acknowledge", "arrive", "fix")


class Period(StrEnum):
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    DAYS_30 = "days_30"
    DAYS_90 = "days_90"
    ALL = "all"
    CUSTOM = "custom"


def period_range(
    period: Period, now: datetime, tz: tzinfo, start: str = "", end: str = ""
) -> tuple[datetime | None, datetime | None]:
    """[from, to) of the calls a report covers; ``start``/``end`` are days typed for a custom period
    (``end`` inclusive). Raises ValueError for a bad custom day."""
    if period is Period.THIS_MONTH:
        return month_start(now, tz), None
    if period is Period.LAST_MONTH:
        return month_start(now, tz, 1), month_start(now, tz)
    if period is Period.DAYS_30:
        return now - timedelta(days=30), None
    if period is Period.DAYS_90:
        return now - timedelta(days=90), None
    if period is Period.CUSTOM:
        first, last = parse_day(start), parse_day(end)
        return (
            day_start(first, tz) if first else None,
            day_start(last, tz) + timedelta(days=1) if last else None,
        )
    return None, None


def minutes(value: float | None) -> str:
    """Minutes as the tables show them: one decimal, or a dash when there is no figure."""
    return "—" if value is None else f"{value:.1f}"


def group_label(lang: str, group_by: str | None, row: dict[str, Any]) -> str:
    key, label = row.get("key"), row.get("label")
    if not group_by:
        return translate(lang, "report.all_jobs")
    if group_by == "severity" and key:
        return translate(lang, f"enum.severity.{key}")
    if group_by == "engineer" and key is None:
        return translate(lang, "report.no_engineer")
    if group_by == "station" and key is None:
        return translate(lang, "report.no_station")
    return str(label or key or "—")


@dataclass(frozen=True)
class Bar:
    label: str
    median: float
    p90: float


def response_bars(lang: str, report: dict[str, Any], measure: str) -> list[Bar]:
    """Median and p90 of one measure per group (groups without figures are left out)."""
    out = []
    for row in report.get("rows", []):
        stats = row[measure]
        if stats["count"]:
            out.append(
                Bar(
                    group_label(lang, report.get("group_by"), row),
                    stats["median_min"] or 0.0,
                    stats["p90_min"] or 0.0,
                )
            )
    return out


def flagged_total(report: dict[str, Any]) -> int:
    """Jobs counted with flagged times, at most once per group (the arrive measure covers most)."""
    return max((sum(row[m]["flagged_jobs"] for row in report.get("rows", [])) for m in MEASURES), default=0)


def nice_max(value: float) -> float:
    """A round upper bound for a chart axis just above ``value``."""
    if value <= 0:
        return 10.0
    step = 10 ** (len(str(int(value))) - 1)
    return float((int(value / step) + 1) * step)
