"""Times, durations and SLA clocks in words, from the catalogue."""

from __future__ import annotations

from datetime import datetime, tzinfo

from shared.i18n import translate
from shared.local_time import short
from ui.logic.clocks import SlaClock, split_duration


def duration(lang: str, seconds: float) -> str:
    days, hours, minutes = split_duration(seconds)
    if days:
        return translate(lang, "app.time.days_hours", d=days, h=hours)
    if hours:
        return translate(lang, "app.time.hours_minutes", h=hours, m=minutes)
    return translate(lang, "app.time.minutes", m=minutes)


def when(lang: str, moment: datetime | None, now: datetime, tz: tzinfo) -> str:
    """``14:05`` today, ``11-27 14:05`` another day this year, full date otherwise: the console's and
    the printed form's text for the same moment, less what today's date says (:mod:`shared.local_time`)."""
    if moment is None:
        return translate(lang, "app.time.never")
    return short(moment, now, tz)


def ago(lang: str, moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return translate(lang, "app.time.never")
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return translate(lang, "app.time.just_now")
    return translate(lang, "app.time.ago", d=duration(lang, seconds))


def clock_text(lang: str, clk: SlaClock | None) -> tuple[str, bool]:
    """The clock in words and whether to show it red."""
    if clk is None:
        return translate(lang, "app.sla.all_kept"), False
    what = translate(lang, f"app.sla.{clk.promise.value}")
    if clk.due_at is None:
        return translate(lang, "app.sla.no_deadline", what=what), False
    if clk.done:
        late = clk.late_by
        if late is not None:
            return translate(lang, "app.sla.kept_late", what=what, d=duration(lang, late)), True
        return translate(lang, "app.sla.kept", what=what), False
    left = clk.seconds_left or 0.0
    if clk.breached:
        return translate(lang, "app.sla.overdue", what=what, d=duration(lang, -left)), True
    return translate(lang, "app.sla.left", what=what, d=duration(lang, left)), False
