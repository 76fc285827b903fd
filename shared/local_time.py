"""One wall-clock spelling of a moment for every screen and paper of an installation.

An installation has one time zone: the server's ``LEVEE_TIMEZONE`` (Asia/Shanghai unless set), which
the server tells both apps when someone signs in. The field app, the console, the printed service form
and the exports all write a moment through :func:`full` (or the field app's shorter :func:`short`,
which only leaves out what today's date already says), so one deadline reads the same everywhere
instead of 03:38 on a tablet whose host is set to UTC and 11:38 in the console.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
FULL_FORMAT = "%Y-%m-%d %H:%M"

__all__ = ["DEFAULT_TIMEZONE", "FULL_FORMAT", "full", "short", "zone"]


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``); ValueError with a readable message otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as {DEFAULT_TIMEZONE}") from None


def full(moment: datetime, tz: tzinfo) -> str:
    """``2026-07-14 11:38``: the moment's date and time in ``tz``."""
    return moment.astimezone(tz).strftime(FULL_FORMAT)


def short(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """:func:`full`, leaving out what ``now`` already says: ``11:38`` today, ``07-14 11:38`` this year."""
    text, today = full(moment, tz), full(now, tz)
    if text[:10] == today[:10]:
        return text[11:]
    if text[:4] == today[:4]:
        return text[5:]
    return text
