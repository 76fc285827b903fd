"""Escalation (紧急事件应及时上报): the events the server watches for, who is told and how.

The service plan asks that urgent matters reach the right people in time. The server's scanner
(``server/escalation``) finds four kinds of event on open jobs and two on open complaints and tells each recipient the escalation
rules name exactly once: in the console's notification centre, by e-mail, or by a webhook. These are the
words and API schemas the server and the console's typed client share.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from shared.enums import Role, Severity
from shared.i18n import translate
from shared.models import Model, OutModel


class EventKind(StrEnum):
    """What the scanner escalates."""

    #: a promise (respond, on site, fix) falls due within the warning window and is not kept yet
    PROMISE_DUE_SOON = "promise_due_soon"
    #: a promise's deadline passed and it is not kept
    PROMISE_MISSED = "promise_missed"
    #: backup equipment is due (its deadline within the window or past), none lent and the fix not done
    BACKUP_DUE = "backup_due"
    #: a call of the major severity (重大故障) was recorded
    MAJOR_FAULT = "major_fault"
    #: an open complaint's deadline falls within LEVEE_COMPLAINT_WARNING_HOURS
    COMPLAINT_DUE_SOON = "complaint_due_soon"
    #: an open complaint's deadline passed
    COMPLAINT_LATE = "complaint_late"


class Channel(StrEnum):
    CONSOLE = "console"
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    """A console notification is ``shown``; an outbound one goes pending -> sending -> sent or failed."""

    SHOWN = "shown"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


#: the severity whose new calls are escalated at once as a major fault
MAJOR = Severity.MAJOR

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
]


class RuleIn(Model):
    """An escalation rule: which events, for which severity and customer (empty: any), told to whom."""

    name: Name
    severity: Severity | None = Field(default=None, description="only jobs of this severity; null: any")
    customer_id: uuid.UUID | None = Field(default=None, description="only this customer's jobs; null: any")
    events: list[EventKind] = Field(min_length=1, max_length=6, description="the event kinds it covers")
    roles: list[Role] = Field(
        default_factory=list, max_length=6, description="everyone active in these roles"
    )
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="named users")
    emails: list[Email] = Field(
        default_factory=list, max_length=20, description="the e-mail channel's addresses"
    )
    channels: list[Channel] = Field(min_length=1, max_length=3, description="console, email, webhook")
    active: bool = True


class RuleOut(OutModel):
    id: uuid.UUID
    name: str
    severity: Severity | None
    customer_id: uuid.UUID | None
    events: list[EventKind]
    roles: list[Role]
    user_ids: list[uuid.UUID]
    emails: list[str]
    channels: list[Channel]
    active: bool
    created_at: datetime
    updated_at: datetime


class NotificationOut(OutModel):
    """One notification in the console's centre (or the log): the event, the job, read or not."""

    id: uuid.UUID
    event_kind: EventKind
    channel: Channel
    recipient: str
    #: the console recipient's display name (in the log)
    recipient_name: str = ""
    job_id: uuid.UUID | None
    severity: str
    promise: str | None
    due_at: datetime | None
    params: dict[str, str] = Field(description="job number, customer and the like, for the message")
    created_at: datetime
    read_at: datetime | None
    state: DeliveryState
    attempts: int
    last_error: str


class UnreadCount(OutModel):
    unread: int


class AttemptOut(OutModel):
    number: int
    at: datetime
    outcome: str
    error: str


class ScanResult(OutModel):
    """What one pass of the scanner did."""

    created: int = Field(description="notifications made in this pass (0 when all were made before)")
    delivered: int = Field(description="outbound notifications sent in this pass")
    failed: int = Field(description="outbound tries that failed in this pass")


def message_text(lang: str, kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of a notification in ``lang``: the e-mail, the webhook's text and the
    console's notification centre say the same."""
    promise = translate(lang, f"enum.promise.{params.get('promise')}") if params.get("promise") else ""
    words = {**params, "promise": promise}
    return (
        translate(lang, f"escalation.subject.{kind}", **words),
        translate(lang, f"escalation.body.{kind}", **words),
    )
