"""What the back-office console reads beyond the plain job and directory models.

The dispatcher's engineer list (open load and how long since each tablet last synced), the QA
reviewer's full service form (timeline with clock flags, checklist with its labels, parts, photos) and
the conflict queue with names instead of ids. The server fills them (``server/console/``); the console
and the tests read them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import ChecklistItemKind, CheckResult, JobEventType, JobStatus
from shared.i18n import translate
from shared.models import ConflictOut, JobDetail

EXPORT_FORMATS = ("csv", "xlsx")
ExportFormat = Literal["csv", "xlsx"]
#: report name -> what it holds (the names of ``GET /api/exports/{name}.{csv|xlsx}``)
EXPORT_REPORTS: dict[str, str] = {
    "response-times": "minutes to acknowledge, arrive and fix: count, median, p90, max (group_by=)",
    "sla": "compliance per promise, and backup equipment for late fixes",
    "breaches": "every job that broke a promise, with which promises and by how many minutes",
    "quality": "first-time-fix rate, satisfaction, backup equipment lent",
    "feedback": "the monthly quality feedback by equipment model and fault",
}


class EngineerLoad(BaseModel):
    """One engineer as the dispatcher weighs them: open jobs and how fresh their tablet's data is."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    phone: str
    active: bool
    open_jobs: int = Field(description="jobs assigned to them in an open status (on hold included)")
    major_open: int = Field(description="of those, major faults")
    breached_open: int = Field(description="of those, past a respond, on-site or fix deadline not yet kept")
    devices: int = Field(description="signed-in devices that are not revoked")
    last_sync_at: datetime | None = Field(
        description="newest sync of any of their devices (a finished pull or a push, stamped at most every "
        "30 s; or a long-poll, to the minute); None if never"
    )


class FormEvent(BaseModel):
    """A tap on the timeline with the device's time and whether the server distrusts that time."""

    id: uuid.UUID  # the event id the device made (as in the job document's events)
    type: JobEventType
    device_time: datetime
    received_at: datetime
    flagged: bool
    flag_reason: str


class FormAnswer(BaseModel):
    """A checklist item of the job's template with the engineer's answer (empty when unanswered)."""

    item_code: str
    label_zh: str
    label_en: str
    kind: ChecklistItemKind
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    required: bool = True
    result: CheckResult | None = None
    value: float | None = None
    out_of_range: bool = False
    note: str = ""
    answered_at: datetime | None = None


class FormPart(BaseModel):
    id: uuid.UUID
    part_id: uuid.UUID
    code: str
    name: str
    unit: str
    quantity: int
    old_part_returned: bool
    used_at: datetime
    voided_at: datetime | None


class FormPhoto(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    caption: str
    taken_at: datetime


class ServiceForm(BaseModel):
    """The whole service form (售后维修服务单) of one job, as QA reviews it and as it is printed."""

    job: JobDetail
    template_name: str = ""
    events: list[FormEvent]
    checklist: list[FormAnswer]
    parts: list[FormPart]
    photos: list[FormPhoto]
    qa_by_name: str | None = None

    @property
    def reviewable(self) -> bool:
        return self.job.status in (JobStatus.RESOLVED, JobStatus.SIGNED_OFF)


class ConflictRow(ConflictOut):
    """A conflict with the names the review queue shows: job number, engineer, device, reviewer."""

    job_number: str | None = None
    job_status: JobStatus | None = None
    engineer_name: str | None = None
    device_name: str | None = None
    reviewer_name: str | None = None
    #: who wrote the value the server held when the device's change arrived (the office's side), and when
    server_by_name: str | None = None
    server_at: datetime | None = None


_CLOCK = re.compile(r"^device clock is (\d+) min (fast|slow)$")
#: the server's fixed flag reasons (sync/merge.py flag_event_time) -> catalogue key
_FLAG_REASONS = {
    "time is later than the device's clock when it synced": "flag.future",
    "time is before the call was received": "flag.before_call",
    "time is implausibly old": "flag.too_old",
    "time is before the device's previous sync, which did not carry it": "flag.before_offline",
}


def flag_reason_text(lang: str, reason: str) -> str:
    """Why a tap's time is distrusted, in the reader's language (unknown reasons are shown as stored)."""
    match = _CLOCK.match(reason)
    if match:
        return translate(lang, f"flag.clock_{match.group(2)}", n=int(match.group(1)))
    key = _FLAG_REASONS.get(reason)
    return translate(lang, key) if key else reason


#: the timeline's steps in order, with the deadline each one keeps
STEPS: tuple[tuple[str, str | None], ...] = (
    ("acknowledged", "respond_due_at"),
    ("departed", None),
    ("arrived", "onsite_due_at"),
    ("started", None),
    ("resolved", "fix_due_at"),
    ("signed_off", None),
)


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One line of the form's timeline: a step once, its deadline, when it happened, kept or late, flags.

    ``outcome`` is ``met``, ``late``, ``open`` (not due yet), ``overdue`` (not done, past due), empty
    for a step without a deadline, or for the ``backup`` line ``backup_lent``, ``backup_not_lent`` or
    ``backup_not_needed``.
    """

    step: str
    due_at: datetime | None
    done_at: datetime | None
    received_at: datetime | None
    outcome: str
    late_seconds: float | None
    flags: tuple[str, ...]

    @property
    def bad(self) -> bool:
        return bool(self.flags) or self.outcome in {"late", "overdue", "backup_not_lent"}


def _outcome(due: datetime | None, done: datetime | None, now: datetime) -> tuple[str, float | None]:
    if due is None:
        return "", None
    if done is None:
        return ("overdue", (now - due).total_seconds()) if now > due else ("open", None)
    if done > due:
        return "late", (done - due).total_seconds()
    return "met", None


def timeline(form: ServiceForm, now: datetime) -> list[TimelineStep]:
    """The call, each step that happened or has a deadline, and the backup-equipment line."""
    job = form.job
    taps: dict[str, list[FormEvent]] = {}
    for event in form.events:
        taps.setdefault(event.type.value, []).append(event)
    out = [TimelineStep("call", None, job.call_received_at, None, "", None, ())]
    for step, due_field in STEPS:
        done: datetime | None = getattr(job, f"{step}_at")
        due: datetime | None = getattr(job, due_field) if due_field else None
        events = taps.get(step, [])
        if done is None and not events and due is None:
            continue
        tap = next((e for e in events if e.device_time == done), events[0] if events else None)
        outcome, late = _outcome(due, done, now)
        flags = tuple(e.flag_reason for e in events if e.flagged)
        out.append(TimelineStep(step, due, done, tap.received_at if tap else None, outcome, late, flags))
    if job.backup_due_at is not None:
        late_fix = (job.resolved_at or now) > job.backup_due_at
        outcome = (
            ("backup_lent" if job.backup_lent else "backup_not_lent") if late_fix else "backup_not_needed"
        )
        out.append(TimelineStep("backup", job.backup_due_at, None, None, outcome, None, ()))
    return out
