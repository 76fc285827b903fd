"""SLA arithmetic: the deadlines a call creates and how a job stands against them.

All times are measured from when things happened on site (the device's tap times), never from when
they reached the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.enums import JobKind


class Promise(StrEnum):
    """The service plan's time promises (响应 / 到场 / 修复 / 备用设备)."""

    RESPOND = "respond"
    ONSITE = "onsite"
    FIX = "fix"
    BACKUP = "backup"


#: promise -> (the job's deadline field, the tap's stamp that keeps it). Backup equipment is lent when
#: the fix is late, so its deadline is kept by the same stamp as the fix (or by lending: ``backup_lent``).
PROMISE_FIELDS: dict[Promise, tuple[str, str]] = {
    Promise.RESPOND: ("respond_due_at", "acknowledged_at"),
    Promise.ONSITE: ("onsite_due_at", "arrived_at"),
    Promise.FIX: ("fix_due_at", "resolved_at"),
    Promise.BACKUP: ("backup_due_at", "resolved_at"),
}
#: the clocks an engineer works against, in the order they fall due (backup is the office's to lend)
CLOCKS: tuple[Promise, ...] = (Promise.RESPOND, Promise.ONSITE, Promise.FIX)


@dataclass(frozen=True, slots=True)
class SlaLimits:
    respond_minutes: int
    onsite_minutes: int
    fix_minutes: int
    backup_minutes: int


@dataclass(frozen=True, slots=True)
class Deadlines:
    respond_due_at: datetime
    onsite_due_at: datetime
    fix_due_at: datetime
    backup_due_at: datetime


def deadlines(call_received_at: datetime, limits: SlaLimits) -> Deadlines:
    """The four promise deadlines for a call received at ``call_received_at``."""
    if call_received_at.tzinfo is None:
        raise ValueError("call_received_at must carry a time zone")
    return Deadlines(
        respond_due_at=call_received_at + timedelta(minutes=limits.respond_minutes),
        onsite_due_at=call_received_at + timedelta(minutes=limits.onsite_minutes),
        fix_due_at=call_received_at + timedelta(minutes=limits.fix_minutes),
        backup_due_at=call_received_at + timedelta(minutes=limits.backup_minutes),
    )


def breached(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """True when a promise was not kept: done after its deadline, or still not done past it."""
    if due_at is None:
        return False
    if done_at is not None:
        return done_at > due_at
    return now > due_at


#: The promises each kind of job carries. A repair (and an inspection) has the contract's clocks from the
#: call: respond, be on site, fix, lend backup. Training and installation are booked: their one promise
#: is to be there at the appointment (``onsite_due_at`` = ``scheduled_at``; none until one is booked).
#: A return visit promises no time at all.
REPAIR_PROMISES = frozenset({"respond", "onsite", "fix", "backup"})
PROMISES_BY_KIND: dict[JobKind, frozenset[str]] = {
    JobKind.REPAIR: REPAIR_PROMISES,
    JobKind.INSPECTION: REPAIR_PROMISES,
    JobKind.INSTALLATION: frozenset({"appointment"}),
    JobKind.TRAINING: frozenset({"appointment"}),
    JobKind.RETURN_VISIT: frozenset(),
}


@dataclass(frozen=True, slots=True)
class KindDeadlines:
    respond_due_at: datetime | None
    onsite_due_at: datetime | None
    fix_due_at: datetime | None
    backup_due_at: datetime | None


def deadlines_for(
    kind: JobKind, call_received_at: datetime, limits: SlaLimits | None, scheduled_at: datetime | None
) -> KindDeadlines:
    """The deadlines a job of ``kind`` carries (see ``PROMISES_BY_KIND``); None where it promises nothing."""
    promises = PROMISES_BY_KIND[kind]
    if promises == REPAIR_PROMISES and limits is not None:
        d = deadlines(call_received_at, limits)
        return KindDeadlines(d.respond_due_at, d.onsite_due_at, d.fix_due_at, d.backup_due_at)
    appointment = scheduled_at if "appointment" in promises else None
    return KindDeadlines(None, appointment, None, None)
