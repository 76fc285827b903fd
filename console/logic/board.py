"""The live board's order: breached first, then about to breach, then the rest by their next deadline.

Pure functions over jobs as the API returns them (ISO times), so the order and the flags are tested
without a browser. The SLA clocks are the field app's (``ui.logic.clocks``): the same promise
reads the same on the tablet and in the office.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ui.logic.clocks import SlaClock, clocks, current_clock, parse_time

#: a promise due within this is "about to breach"
SOON = timedelta(minutes=30)


class Urgency(StrEnum):
    BREACHED = "breached"
    SOON = "soon"
    ON_TRACK = "on_track"


RANK = {Urgency.BREACHED: 0, Urgency.SOON: 1, Urgency.ON_TRACK: 2}


class Filter(StrEnum):
    ALL = "all"
    BREACHED = "breached"
    SOON = "soon"
    BACKUP = "backup"
    UNASSIGNED = "unassigned"
    ON_HOLD = "on_hold"


@dataclass(frozen=True, slots=True)
class BoardRow:
    job: dict[str, Any]
    urgency: Urgency
    clock: SlaClock | None  # the promise being worked against now; None when all three are kept
    needs_backup: bool  # past the backup-equipment limit, not fixed, nothing lent yet
    backup_lent: bool
    kept_late: tuple[str, ...]  # promises already kept, but late

    @property
    def id(self) -> str:
        return str(self.job["id"])

    @property
    def unassigned(self) -> bool:
        return not self.job.get("assigned_engineer_id")

    @property
    def on_hold(self) -> bool:
        return self.job.get("status") == "on_hold"


def past_backup_limit(job: dict[str, Any], now: datetime) -> bool:
    due = parse_time(job.get("backup_due_at"))
    return due is not None and job.get("resolved_at") is None and now > due


def board_row(job: dict[str, Any], now: datetime) -> BoardRow:
    clock = current_clock(job, now)
    if clock is not None and clock.breached:
        urgency = Urgency.BREACHED
    elif clock is not None and clock.seconds_left is not None and clock.seconds_left <= SOON.total_seconds():
        urgency = Urgency.SOON
    else:
        urgency = Urgency.ON_TRACK
    lent = bool(job.get("backup_lent"))
    return BoardRow(
        job=job,
        urgency=urgency,
        clock=clock,
        needs_backup=past_backup_limit(job, now) and not lent,
        backup_lent=lent,
        kept_late=tuple(c.promise.value for c in clocks(job, now) if c.done and c.breached),
    )


def _sort_key(row: BoardRow) -> tuple[int, int, datetime, str]:
    due = row.clock.due_at if row.clock is not None and row.clock.due_at is not None else datetime.max
    if due is not datetime.max and due.tzinfo is not None:
        due = due.replace(tzinfo=None) - (due.utcoffset() or timedelta(0))
    rank = RANK[row.urgency]
    if row.needs_backup and row.urgency is Urgency.ON_TRACK:
        rank = RANK[Urgency.SOON]  # backup equipment to lend now is as urgent as a deadline about to pass
    return (rank, 0 if row.needs_backup else 1, due, str(row.job.get("number", "")))


def board_rows(jobs: Iterable[dict[str, Any]], now: datetime) -> list[BoardRow]:
    """Open jobs in board order: breached (most overdue first), then about to breach or past the
    backup-equipment limit, then the rest by their next deadline; within each, backup to lend first."""
    return sorted((board_row(j, now) for j in jobs), key=_sort_key)


def matches(row: BoardRow, which: Filter) -> bool:
    return {
        Filter.ALL: True,
        Filter.BREACHED: row.urgency is Urgency.BREACHED,
        Filter.SOON: row.urgency is Urgency.SOON,
        Filter.BACKUP: row.needs_backup,
        Filter.UNASSIGNED: row.unassigned,
        Filter.ON_HOLD: row.on_hold,
    }[which]


def counts(rows: list[BoardRow]) -> dict[Filter, int]:
    return {f: sum(1 for r in rows if matches(r, f)) for f in Filter}


def search(rows: list[BoardRow], text: str, names: dict[str, str]) -> list[BoardRow]:
    """Rows whose number, symptom, caller, customer, site or engineer contains ``text``."""
    needle = text.strip().lower()
    if not needle:
        return rows

    def haystack(row: BoardRow) -> str:
        job = row.job
        ids = (job.get("customer_id"), job.get("site_id"), job.get("assigned_engineer_id"))
        parts = [job.get("number", ""), job.get("symptom", ""), job.get("caller_name", "")]
        parts += [names.get(str(i), "") for i in ids if i]
        return " ".join(parts).lower()

    return [r for r in rows if needle in haystack(r)]
