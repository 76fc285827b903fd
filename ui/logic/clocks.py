"""SLA clocks as the engineer sees them: time left to respond, to be on site, to fix; red when breached.

Pure functions over a job's fields (ISO strings as they come from the replica), so the job list and
the job screen show the same thing and tests need no UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.sla import CLOCKS, PROMISE_FIELDS, Promise, breached

__all__ = [
    "PROMISE_FIELDS",
    "Promise",
    "SlaClock",
    "any_breached",
    "clock",
    "clocks",
    "current_clock",
    "parse_time",
    "split_duration",
]


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One promise of one job at one moment."""

    promise: Promise
    due_at: datetime | None
    done_at: datetime | None
    seconds_left: float | None  # to the deadline from now (negative when late); None when done or no deadline
    breached: bool

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def late_by(self) -> float | None:
        """Seconds past the deadline (for a kept-late promise: how late it was kept)."""
        if self.due_at is None or not self.breached:
            return None
        end = self.done_at or None
        if end is None:
            return -(self.seconds_left or 0.0)
        return (end - self.due_at).total_seconds()


def clock(job: dict[str, Any], promise: Promise, now: datetime) -> SlaClock:
    due_field, done_field = PROMISE_FIELDS[promise]
    due, done = parse_time(job.get(due_field)), parse_time(job.get(done_field))
    left = None if due is None or done is not None else (due - now).total_seconds()
    return SlaClock(promise, due, done, left, breached(due, done, now))


def clocks(job: dict[str, Any], now: datetime) -> list[SlaClock]:
    """All three promises, in the order they fall due."""
    return [clock(job, p, now) for p in CLOCKS]


def current_clock(job: dict[str, Any], now: datetime) -> SlaClock | None:
    """The promise the engineer is working against now: the first one not yet kept; None when all are."""
    for promise in CLOCKS:
        c = clock(job, promise, now)
        if not c.done:
            return c
    return None


def any_breached(job: dict[str, Any], now: datetime) -> bool:
    return any(c.breached for c in clocks(job, now))


def split_duration(seconds: float) -> tuple[int, int, int]:
    """Whole days, hours and minutes of ``abs(seconds)`` (minutes rounded down)."""
    total = int(abs(seconds) // 60)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes
