"""The customer side of after-sales: the office's billing decision, complaints (投诉), return visits
(回访), training sessions (培训) and the customer file, as the API exchanges them.

Complaints move ``received`` -> ``handling`` (a handler and what is being done) -> ``closed`` (the root
cause is required to close). A return visit is ``scheduled`` after a job is closed, then ``done`` (with
the customer's satisfaction, 1 to 5) or ``unreachable`` (tried, nobody answered: it may be tried again).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.contacts import ContactRow
from shared.enums import BillableReason, JobKind, JobStatus, Severity
from shared.models import CustomerOut, EquipmentOut, SiteOut, check_dates
from shared.warranty import WarrantyState

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text4000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Required4000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
PhoneText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+\-() ]*$")]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Satisfaction = Annotated[int, Field(ge=1, le=5)]

#: how many days after a job is closed its return visit falls due, unless the server is told otherwise
DEFAULT_RETURN_VISIT_DAYS = 3
#: the kinds of job that get a return visit when QA closes them
RETURN_VISIT_KINDS = frozenset({JobKind.REPAIR, JobKind.INSTALLATION, JobKind.TRAINING})
MAX_ATTENDEES = 300


class _In(BaseModel):
    """Input: unknown fields refused, dates within Levee's calendar (as :class:`shared.models.Model`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _dates_within_calendar(self) -> Self:
        check_dates(self)
        return self


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- billing --------------------------------------------------------------------------------------


class BillingOverride(_In):
    """The office's billing decision on a job, overruling the field's proposal; the note says why."""

    billable: bool
    reason: BillableReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.reason is BillableReason.IN_WARRANTY and self.billable:
            raise ValueError(
                "a repair paid for cannot have the reason in_warranty; give the cause that voids the warranty"
            )
        return self


# --- complaints ------------------------------------------------------------------------------------


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    HANDLING = "handling"
    CLOSED = "closed"


class ComplaintChannel(StrEnum):
    PHONE = "phone"
    ON_SITE = "on_site"
    LETTER = "letter"
    ONLINE = "online"


class ComplaintCreate(_In):
    customer_id: uuid.UUID
    job_id: uuid.UUID | None = Field(
        default=None, description="the job complained about; a job of this customer"
    )
    received_at: AwareDatetime | None = Field(default=None, description="now if left out; not in the future")
    channel: ComplaintChannel = ComplaintChannel.PHONE
    complainant: Text200 = ""
    phone: PhoneText = ""
    content: Required4000
    severity: Severity = Field(
        default=Severity.GENERAL,
        description="sets the deadline: received_at + LEVEE_COMPLAINT_HOURS_GENERAL or _MAJOR hours",
    )


class ComplaintHandle(_In):
    """Start or update the handling: who handles it (the caller if left out) and what is being done."""

    handler_id: uuid.UUID | None = None
    handling: Required4000


class ComplaintClose(_In):
    root_cause: Required4000
    handling: Text4000 = Field(default="", description="what was finally done; the earlier note if empty")


class ComplaintOut(_Out):
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    job_id: uuid.UUID | None
    received_at: datetime
    channel: ComplaintChannel
    complainant: str
    phone: str
    content: str
    status: ComplaintStatus
    handler_id: uuid.UUID | None
    handling: str
    root_cause: str
    closed_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    severity: Severity = Severity.GENERAL
    due_at: datetime | None = Field(default=None, description="when it must be closed; null: no deadline")


class ComplaintRow(ComplaintOut):
    customer_name: str = ""
    job_number: str | None = None
    handler_name: str = ""
    #: open and past its deadline, or closed after it
    late: bool = False


# --- return visits ---------------------------------------------------------------------------------


class ReturnVisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    UNREACHABLE = "unreachable"


class ReturnVisitMethod(StrEnum):
    PHONE = "phone"
    ON_SITE = "on_site"


class ReturnVisitCreate(_In):
    """A return visit planned by hand (one per job)."""

    job_id: uuid.UUID
    scheduled_on: date
    method: ReturnVisitMethod = ReturnVisitMethod.PHONE


class ReturnVisitRecord(_In):
    """What came of a return visit: done (with the customer's satisfaction) or unreachable."""

    result: ReturnVisitStatus
    method: ReturnVisitMethod = ReturnVisitMethod.PHONE
    satisfaction: Satisfaction | None = None
    outcome: Text4000 = Field(default="", description="what the customer said")
    note: Text4000 = ""
    visited_at: AwareDatetime | None = Field(default=None, description="now if left out")

    @model_validator(mode="after")
    def _satisfaction(self) -> Self:
        if self.result is ReturnVisitStatus.SCHEDULED:
            raise ValueError("result must be done or unreachable")
        if self.result is ReturnVisitStatus.DONE and self.satisfaction is None:
            raise ValueError("a done return visit needs the customer's satisfaction (1 to 5)")
        if self.result is ReturnVisitStatus.UNREACHABLE and self.satisfaction is not None:
            raise ValueError("an unreachable customer gave no satisfaction")
        return self


class ReturnVisitOut(_Out):
    id: uuid.UUID
    job_id: uuid.UUID
    customer_id: uuid.UUID
    scheduled_on: date
    status: ReturnVisitStatus
    method: ReturnVisitMethod
    visited_at: datetime | None
    visitor_id: uuid.UUID | None
    outcome: str
    satisfaction: int | None
    note: str


class ReturnVisitRow(ReturnVisitOut):
    job_number: str = ""
    job_kind: JobKind | None = None
    customer_name: str = ""
    engineer_id: uuid.UUID | None = None
    engineer_name: str = ""
    overdue: bool = False


# --- training --------------------------------------------------------------------------------------

Attendees = Annotated[list[PersonName], Field(max_length=MAX_ATTENDEES)]


class TrainingCreate(_In):
    """A training session: a job of kind ``training`` whose engineer is the trainer."""

    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None = None
    content: Required4000
    engineer_id: uuid.UUID | None = Field(default=None, description="the trainer (an engineer)")
    place: Text200 = ""
    scheduled_at: AwareDatetime
    attendees: Attendees = []
    caller_name: Text200 = ""
    caller_phone: PhoneText = ""


class TrainingUpdate(_In):
    """Change a session's details afterwards (the attendees after the session, for example)."""

    content: Required4000 | None = None
    place: Text200 | None = None
    scheduled_at: AwareDatetime | None = None
    attendees: Attendees | None = None


class TrainingOut(_Out):
    id: uuid.UUID
    number: str
    status: JobStatus
    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None
    assigned_engineer_id: uuid.UUID | None
    scheduled_at: datetime | None
    training_content: str
    training_place: str
    training_attendees: list[str]
    version: int


# --- the customer file -----------------------------------------------------------------------------


class EquipmentWarranty(EquipmentOut):
    site_name: str = ""
    warranty_state: WarrantyState = WarrantyState.UNKNOWN


class FileJob(_Out):
    id: uuid.UUID
    number: str
    kind: JobKind
    status: JobStatus
    severity: str
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None
    assigned_engineer_id: uuid.UUID | None
    engineer_name: str = ""
    symptom: str
    call_received_at: datetime
    closed_at: datetime | None
    billable: bool | None
    billable_reason: BillableReason | None
    billing_overridden: bool = False
    satisfaction: int | None
    scheduled_at: datetime | None


class SatisfactionSummary(BaseModel):
    """Return-visit satisfaction (asked a few days later) beside the satisfaction given at sign-off."""

    visits: int = 0
    visit_average: float | None = None
    unreachable: int = 0
    acceptances: int = 0
    acceptance_average: float | None = None


class CustomerFile(BaseModel):
    customer: CustomerOut
    sites: list[SiteOut]
    equipment: list[EquipmentWarranty]
    jobs: list[FileJob]
    jobs_total: int
    complaints: list[ComplaintRow]
    return_visits: list[ReturnVisitRow]
    satisfaction: SatisfactionSummary
    today: date
    #: the person responsible for this customer (指定专人负责), by name
    responsible_name: str = ""
    #: the newest contacts in the register (来电来函登记)
    contacts: list[ContactRow] = []


class EngineerSatisfaction(SatisfactionSummary):
    engineer_id: uuid.UUID
    engineer_name: str


class SatisfactionReport(BaseModel):
    month: str
    engineers: list[EngineerSatisfaction]
    total: SatisfactionSummary
