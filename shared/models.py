"""Pydantic models shared by the server, the field app and the console.

Every model validates on the way in: a bad value is rejected with a message naming the field and
saying what would be accepted, so a dispatcher or an engineer can fix it without reading code.

One module (~530 lines) on purpose: these are the API's request and answer models of the core domain
(jobs, people, places, equipment, catalogue), read together as the schema; the newer domains have
modules of their own (stock, customers, service_form, conflicts, reports).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from shared.enums import (
    BillableReason,
    ChecklistItemKind,
    CheckResult,
    ContactChannel,
    EquipmentCategory,
    JobKind,
    JobStatus,
    Role,
    Severity,
)
from shared.local_time import DEFAULT_TIMEZONE

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+\-() ]*$"),
]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
T = TypeVar("T")
Minutes = Annotated[int, Field(gt=0, le=60 * 24 * 60, description="a duration in minutes")]


#: The calendar a date or time sent to Levee must fall in. Wider than any delivery, warranty or call the
#: business has, and narrow enough that adding a warranty's 30 years or a month stays a valid date
#: (9999-12-31 plus anything was a 500).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def check_calendar(value: date, what: str) -> None:
    """Refuse a date (or the day of a time) outside ``EARLIEST_DAY`` .. ``LATEST_DAY``."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{what} must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")


def check_dates(model: BaseModel) -> None:
    """:func:`check_calendar` on every date and time field of ``model`` (and in its lists)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list | tuple | set | frozenset) else (value,):
            if isinstance(item, date):
                check_calendar(item, name)


class Model(BaseModel):
    """Base for input models: unknown fields are an error, not silently dropped; dates and times must
    fall within the calendar Levee computes with (:data:`EARLIEST_DAY` .. :data:`LATEST_DAY`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _dates_within_calendar(self) -> Self:
        check_dates(self)
        return self


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- users and auth -------------------------------------------------------------------------


class LoginRequest(Model):
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    device_name: Name = Field(description="what the user calls this device, e.g. '张工的平板'")


class LoginResponse(OutModel):
    token: str
    token_type: str = "bearer"
    device_id: uuid.UUID
    user: UserOut
    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="the installation's time zone (LEVEE_TIMEZONE): both apps show every time in it",
    )


class UserCreate(Model):
    username: Username
    display_name: Name
    role: Role
    password: Password
    phone: Phone = ""


class UserUpdate(Model):
    display_name: Name | None = None
    phone: Phone | None = None
    active: bool | None = None


class PasswordChange(Model):
    old_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


class UserOut(OutModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    phone: str
    active: bool


class DeviceOut(OutModel):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    last_sync_at: datetime | None
    revoked_at: datetime | None


# --- customers, sites, equipment --------------------------------------------------------------


class CustomerCreate(Model):
    name: Name
    contract_no: ShortText = ""
    contact_name: ShortText = ""
    contact_phone: Phone = ""
    address: ShortText = ""
    warranty_years: Annotated[int, Field(ge=0, le=30)] = 2


class CustomerUpdate(Model):
    """What the office may change on a customer; a field left out stays, an empty name is refused."""

    name: Name | None = None
    contract_no: ShortText | None = None
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    address: ShortText | None = None
    warranty_years: Annotated[int, Field(ge=0, le=30)] | None = None


class CustomerOut(OutModel):
    id: uuid.UUID
    name: str
    contract_no: str
    contact_name: str
    contact_phone: str
    address: str
    warranty_years: int
    #: a key customer (重点客户) and the office user responsible for it (指定专人负责)
    key_customer: bool = False
    responsible_id: uuid.UUID | None = None


class SiteCreate(Model):
    customer_id: uuid.UUID
    name: Name
    address: ShortText = ""
    contact_name: ShortText = ""
    contact_phone: Phone = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class SiteUpdate(Model):
    """What the office may change on a site (not its customer); ``latitude: null`` clears the position."""

    name: Name | None = None
    address: ShortText | None = None
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class SiteOut(OutModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    address: str
    contact_name: str
    contact_phone: str
    latitude: float | None
    longitude: float | None


class EquipmentCreate(Model):
    site_id: uuid.UUID
    category: EquipmentCategory
    model: Name
    serial_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    delivered_on: date | None = None
    #: free-warranty years of this item's contract; left out, the customer's contract years apply
    warranty_years: Annotated[int, Field(ge=0, le=30)] | None = None
    #: set only to overrule the computed end (delivered_on + warranty years)
    warranty_end: date | None = None

    @model_validator(mode="after")
    def _warranty_after_delivery(self) -> Self:
        if self.delivered_on and self.warranty_end and self.warranty_end < self.delivered_on:
            raise ValueError("warranty_end must not be before delivered_on")
        return self


class EquipmentUpdate(Model):
    """What the office may correct on a piece of equipment; the warranty end follows unless it is set."""

    model: Name | None = None
    delivered_on: date | None = None
    warranty_years: Annotated[int, Field(ge=0, le=30)] | None = None
    warranty_end: date | None = None


class EquipmentOut(OutModel):
    id: uuid.UUID
    site_id: uuid.UUID
    category: EquipmentCategory
    model: str
    serial_no: str
    delivered_on: date | None
    warranty_years: int | None = None
    warranty_end: date | None


# --- SLA policies -------------------------------------------------------------------------------


class SlaPolicyCreate(Model):
    """The promise for one severity: per customer contract, or the default when customer_id is empty."""

    customer_id: uuid.UUID | None = None
    severity: Severity
    respond_minutes: Minutes
    onsite_minutes: Minutes
    fix_minutes: Minutes
    backup_minutes: Minutes

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.respond_minutes <= self.onsite_minutes <= self.fix_minutes:
            raise ValueError("limits must be ordered: respond_minutes <= onsite_minutes <= fix_minutes")
        return self


class SlaPolicyOut(OutModel):
    id: uuid.UUID
    customer_id: uuid.UUID | None
    severity: Severity
    respond_minutes: int
    onsite_minutes: int
    fix_minutes: int
    backup_minutes: int


# --- checklists and parts ------------------------------------------------------------------------


class ChecklistItemDef(Model):
    code: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    label_zh: Name
    label_en: Name
    kind: ChecklistItemKind = ChecklistItemKind.CHECK
    unit: ShortText = ""
    min_value: float | None = None
    max_value: float | None = None
    required: bool = True

    @model_validator(mode="after")
    def _limits(self) -> Self:
        if self.kind is ChecklistItemKind.CHECK and (
            self.min_value is not None or self.max_value is not None
        ):
            raise ValueError("only 'measure' items take min_value/max_value")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value must not exceed max_value")
        return self


class ChecklistTemplateCreate(Model):
    category: EquipmentCategory
    job_kind: JobKind = JobKind.INSPECTION
    name: Name
    items: Annotated[list[ChecklistItemDef], Field(min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        codes = [i.code for i in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("item codes must be unique within a template")
        return self


class ChecklistTemplateOut(OutModel):
    id: uuid.UUID
    category: EquipmentCategory
    job_kind: JobKind
    name: str
    items: list[ChecklistItemDef]


class ChecklistAnswer(Model):
    """One answer on a job's checklist, as the engineer gave it."""

    item_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    result: CheckResult | None = None
    value: float | None = None
    note: LongText = ""


class ChecklistResultOut(OutModel):
    id: uuid.UUID
    job_id: uuid.UUID
    item_code: str
    result: CheckResult | None
    value: float | None
    out_of_range: bool
    note: str
    answered_at: datetime | None


class PartCreate(Model):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    name: Name
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = "个"
    unit_price: Annotated[float, Field(ge=0)] = 0
    categories: list[EquipmentCategory] = []


class PartOut(OutModel):
    id: uuid.UUID
    code: str
    name: str
    unit: str
    unit_price: float
    categories: list[EquipmentCategory]


# --- jobs ----------------------------------------------------------------------------------------


class JobCreate(Model):
    """A call recorded by the service desk."""

    kind: JobKind = JobKind.REPAIR
    severity: Severity = Severity.GENERAL
    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None = None
    symptom: LongText = ""
    caller_name: ShortText = ""
    caller_phone: Phone = ""
    call_received_at: AwareDatetime | None = Field(
        default=None, description="when the call came in; now if left out; must carry a time zone"
    )
    assigned_engineer_id: uuid.UUID | None = None
    scheduled_at: AwareDatetime | None = Field(
        default=None,
        description="the appointment of an installation or training: its one time promise (shared/sla.py)",
    )
    channel: ContactChannel = Field(
        default=ContactChannel.PHONE,
        description="how the call came in; the call is registered under it in the contact register",
    )


class JobAssign(Model):
    engineer_id: uuid.UUID
    #: why the job goes to this engineer (e.g. 原工程师病假), kept in the job's assignment history
    reason: ShortText = ""


class AssignmentOut(Model):
    """One entry of a job's assignment history: who had it, from when until when, given by whom and why."""

    engineer_id: uuid.UUID
    engineer_name: str
    assigned_by: uuid.UUID | None
    assigned_by_name: str
    assigned_at: datetime
    unassigned_at: datetime | None
    reason: str
    #: 持证上岗: what the engineer lacked for the job's equipment when assigned (shared.people.QualificationGap:
    #: category, reason missing/expired, certificate_name, expired_on); empty when qualified
    qualification_gaps: list[dict[str, Any]] = []


class JobOfficeUpdate(Model):
    """Fields the office may edit on a job directly.

    ``base_version`` is the job ``version`` the office saw: a field another writer (a device, or
    someone else in the office) changed after it is not overwritten, the edit is refused with 409
    and the current values (docs/merge-rules.md, "Office edits carry a base version")."""

    severity: Severity | None = None
    symptom: LongText | None = None
    caller_name: ShortText | None = None
    caller_phone: Phone | None = None
    base_version: Annotated[int, Field(ge=0)] | None = None


class JobHold(Model):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]


class QaDecision(Model):
    """QA's verdict on a resolved job's service form; a return needs a reason the engineer can act on."""

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class QaReturn(Model):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2000)]


class JobOut(OutModel):
    id: uuid.UUID
    number: str
    kind: JobKind
    severity: Severity
    status: JobStatus
    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None
    assigned_engineer_id: uuid.UUID | None
    caller_name: str
    caller_phone: str
    symptom: str
    cause: str
    fix: str
    billable: bool | None
    billable_reason: BillableReason | None
    backup_lent: bool
    backup_note: str
    notes: str
    #: the engineer's maintenance advice (维护建议), written on inspection jobs
    advice: str = ""
    office_reason: str
    acceptance_opinion: str
    satisfaction: int | None
    acceptance_comment: str
    times_flagged: bool
    qa_note: str
    qa_at: datetime | None
    qa_returns: int
    call_received_at: datetime
    acknowledged_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    started_at: datetime | None
    resolved_at: datetime | None
    signed_off_at: datetime | None
    closed_at: datetime | None
    respond_due_at: datetime | None
    onsite_due_at: datetime | None
    fix_due_at: datetime | None
    backup_due_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    #: an appointment (a training session); for training, what is taught, where, and who attended
    scheduled_at: datetime | None = None
    training_content: str = ""
    training_place: str = ""
    training_attendees: list[str] = []
    #: the office's billing decision when it overruled the field's proposal (see docs/merge-rules.md)
    billing_override_by: uuid.UUID | None = None
    billing_override_at: datetime | None = None
    billing_override_note: str = ""


class JobDetail(JobOut):
    """A job with what an engineer needs to work it."""

    signature: str
    customer: CustomerOut
    site: SiteOut
    equipment: EquipmentOut | None
    engineer: UserOut | None


class JobSignatureOut(OutModel):
    """One customer signature a job received; every one is kept, the job's own fields hold the one that
    stands (see docs/merge-rules.md, "Every signature is kept")."""

    id: uuid.UUID
    job_id: uuid.UUID
    mutation_id: uuid.UUID | None
    event_id: uuid.UUID | None
    opinion: str
    satisfaction: int | None
    comment: str
    signature: str
    signed_at: datetime | None
    received_at: datetime
    user_id: uuid.UUID | None
    device_id: uuid.UUID | None
    #: whether the job's acceptance is this signature now
    standing: bool = False


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


LoginResponse.model_rebuild()


# --- conflicts -------------------------------------------------------------------------------------


class ConflictOut(OutModel):
    id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    job_id: uuid.UUID | None
    field: str
    device_value: Any
    server_value: Any
    base_version: int | None
    mutation_id: uuid.UUID | None
    user_id: uuid.UUID | None
    device_id: uuid.UUID | None
    resolution: str
    reason: str
    status: str
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    review_note: str
    created_at: datetime


class ConflictReview(Model):
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ConflictOverride(Model):
    """Set the field to ``value`` (a normal office change that syncs to the device)."""

    value: Any
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class RejectedMutationOut(OutModel):
    id: uuid.UUID
    device_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    args: dict[str, Any]
    outcome: str
    detail: dict[str, Any]
    received_at: datetime
