"""SLA arithmetic: the deadlines a call creates and how a job stands against them.

All times are measured from when things happened on site (the device's tap times), never from when
they reached the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


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
