"""The job list as the screen needs it: overdue, today, upcoming and done, each with its SLA clock.

Built from the replica's light job summaries and the reference names; filtering and searching work on
the built rows in memory, so typing in the search box never goes back to the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from shared.enums import JobStatus
from ui.logic.clocks import SlaClock, current_clock, parse_time


class Group(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    UPCOMING = "upcoming"
    DONE = "done"


DONE_STATUSES = frozenset({JobStatus.SIGNED_OFF, JobStatus.CLOSED, JobStatus.CANCELLED})
#: Once the engineer is on the way the job is today's work, whatever its deadline.
UNDER_WAY = frozenset({JobStatus.DEPARTED, JobStatus.ARRIVED, JobStatus.STARTED, JobStatus.RESOLVED})


@dataclass(slots=True)
class JobRow:
    """One line of the job list."""

    id: str
    number: str
    status: str
    kind: str
    severity: str
    customer: str
    site: str
    equipment: str
    symptom: str
    call_received_at: datetime | None
    finished_at: datetime | None
    clock: SlaClock | None
    group: Group
    pending: int = 0
    haystack: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Names:
    """Reference names by id, loaded once per list refresh."""

    customers: Mapping[str, str]
    sites: Mapping[str, str]
    equipment: Mapping[str, str]
    equipment_category: Mapping[str, str] = field(default_factory=dict)


def end_of_today(now: datetime, tz: tzinfo | None) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


#: A promise due within this long is today's work even when it falls after midnight: at 23:30 a job to
#: answer by 00:15 belongs at the top of the list, not under "upcoming".
TODAY_HORIZON = timedelta(hours=12)


def group_of(status: str, clk: SlaClock | None, now: datetime, today_ends: datetime) -> Group:
    if status in DONE_STATUSES:
        return Group.DONE
    if clk is None:  # every promise kept, waiting for sign-off
        return Group.TODAY
    if clk.breached:
        return Group.OVERDUE
    if status in UNDER_WAY or clk.due_at is None or clk.due_at < max(today_ends, now + TODAY_HORIZON):
        return Group.TODAY
    return Group.UPCOMING


def build_rows(
    summaries: Iterable[dict[str, Any]],
    names: Names,
    pending: Mapping[str, int],
    now: datetime,
    tz: tzinfo | None = None,
) -> list[JobRow]:
    today_ends = end_of_today(now, tz)
    rows = []
    for s in summaries:
        status = s["status"]
        clk = None if status in DONE_STATUSES else current_clock(s, now)
        customer = names.customers.get(s.get("customer_id") or "", "")
        site = names.sites.get(s.get("site_id") or "", "")
        equipment = names.equipment.get(s.get("equipment_id") or "", "")
        symptom = s.get("symptom") or ""
        number = s.get("number") or ""
        finished = parse_time(s.get("signed_off_at") or s.get("closed_at") or s.get("resolved_at"))
        rows.append(
            JobRow(
                id=s["id"],
                number=number,
                status=status,
                kind=s.get("kind") or "",
                severity=s.get("severity") or "",
                customer=customer,
                site=site,
                equipment=equipment,
                symptom=symptom,
                call_received_at=parse_time(s.get("call_received_at")),
                finished_at=finished,
                clock=clk,
                group=group_of(status, clk, now, today_ends),
                pending=pending.get(s["id"], 0),
                haystack=" ".join(
                    (number, customer, site, equipment, symptom, s.get("caller_name") or "")
                ).lower(),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class JobFilter:
    search: str = ""
    kind: str = ""  # empty: every kind
    severity: str = ""  # empty: every severity
    unsynced_only: bool = False

    def matches(self, row: JobRow) -> bool:
        if self.kind and row.kind != self.kind:
            return False
        if self.severity and row.severity != self.severity:
            return False
        if self.unsynced_only and not row.pending:
            return False
        if self.search:
            return all(word in row.haystack for word in self.search.lower().split())
        return True


def _due_key(row: JobRow) -> float:
    if row.clock is None or row.clock.due_at is None:
        return float("inf")
    return row.clock.due_at.timestamp()


def _finished_key(row: JobRow) -> float:
    return -(row.finished_at.timestamp() if row.finished_at else 0.0)


def group_rows(rows: Iterable[JobRow], flt: JobFilter | None = None) -> dict[Group, list[JobRow]]:
    """Rows by group in screen order: most urgent first, most recently finished first for done."""
    out: dict[Group, list[JobRow]] = {g: [] for g in Group}
    for row in rows:
        if flt is None or flt.matches(row):
            out[row.group].append(row)
    for group, items in out.items():
        items.sort(key=_finished_key if group is Group.DONE else _due_key)
    return out
