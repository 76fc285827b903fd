"""The service form (售后维修服务单) of one job: what the QA reviewer reads, the console shows and the
PDF prints. The timeline with its clock flags, the checklist with its labels, parts and photos; the
server fills it (``server/jobs/form.py``), the console and the printed form read it alike.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from shared.enums import ChecklistItemKind, CheckResult, JobEventType, JobStatus
from shared.i18n import translate
from shared.models import JobDetail, Model
from shared.sla import CLOCKS, PROMISE_FIELDS


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


class FormQuoteLine(BaseModel):
    kind: str
    description: str
    quantity: str
    unit_price: str
    amount: str


class FormQuote(BaseModel):
    """The paid repair's quote the form shows: the accepted one, else the newest (decimal text)."""

    status: str
    lines: list[FormQuoteLine]
    discount_pct: str
    subtotal: str
    discount: str
    total: str
    accepted_at: datetime | None


class FormPhoto(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    caption: str
    taken_at: datetime


class ManagerDecisionIn(Model):
    """The form's 公司领导处理意见: what the manager decides on the job (reward, penalty, follow-up)."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ManagerDecisionOut(BaseModel):
    """The manager's decision with who made it and when (the last writer; earlier texts are audited)."""

    job_id: uuid.UUID
    text: str
    decided_by: uuid.UUID
    decided_by_name: str
    decided_at: datetime


class ServiceForm(BaseModel):
    """The whole service form (售后维修服务单) of one job, as QA reviews it and as it is printed."""

    job: JobDetail
    template_name: str = ""
    events: list[FormEvent]
    checklist: list[FormAnswer]
    parts: list[FormPart]
    photos: list[FormPhoto]
    qa_by_name: str | None = None
    manager_decision: ManagerDecisionOut | None = None
    #: the paid repair's quote (有偿维修报价), when the repair is billable and was quoted
    quote: FormQuote | None = None

    @property
    def reviewable(self) -> bool:
        return self.job.status in (JobStatus.RESOLVED, JobStatus.SIGNED_OFF)


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


_DUE_KEPT_BY = {done: due for due, done in (PROMISE_FIELDS[p] for p in CLOCKS)}
#: the timeline's steps in order, with the deadline each one keeps (shared/sla.py pairs them)
STEPS: tuple[tuple[str, str | None], ...] = tuple(
    (step.value, _DUE_KEPT_BY.get(f"{step.value}_at")) for step in JobEventType
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
