"""Times typed by a dispatcher and shown to office staff, in the office's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from shared.local_time import full as local_full

FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m-%d %H:%M", "%H:%M")


def parse_local(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """``2026-07-14 09:30``, ``07-14 09:30`` (this year) or ``09:30`` (today), in ``tz``; None if blank.

    Raises ValueError for anything else, or for a time in the future.
    """
    text = text.strip().replace("：", ":")
    if not text:
        return None
    local_now = now.astimezone(tz)
    for fmt in FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%m-%d %H:%M":
            parsed = parsed.replace(year=local_now.year)
        elif fmt == "%H:%M":
            parsed = datetime.combine(local_now.date(), parsed.time())
        moment = parsed.replace(tzinfo=tz)
        if moment > now + timedelta(minutes=1):
            raise ValueError("in the future")
        return moment
    raise ValueError(f"not a time: {text!r}")


def parse_day(text: str) -> date | None:
    """``2026-07-01`` (or ``2026/7/1``); None if blank; ValueError otherwise."""
    text = text.strip().replace("/", "-")
    if not text:
        return None
    year, month, day = (int(x) for x in text.split("-"))
    return date(year, month, day)


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def month_start(moment: datetime, tz: tzinfo, back: int = 0) -> datetime:
    """The first instant of the month ``back`` months before the one ``moment`` falls in (in ``tz``)."""
    local = moment.astimezone(tz)
    year, month = local.year, local.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=tz)


def full(moment: datetime | None, tz: tzinfo) -> str:
    """The moment as every screen and paper of the installation writes it (:mod:`shared.local_time`)."""
    return "—" if moment is None else local_full(moment, tz)
