"""People (人员配备、持证上岗、绩效考核): each engineer's staff file and monthly appraisal.

The service plan staffs the service with qualified engineers who work with their certificates (持证上岗)
and are appraised on measured figures (考核). A staff file holds an engineer's certificates (name,
number, level, issued, expiry), the equipment categories they are qualified for (each optionally
backed by a certificate, whose expiry is then the qualification's), and their training record.

The rules both sides read live here: when a certificate counts as expiring (:data:`EXPIRY_WARNING_DAYS`),
and which qualification gaps an assignment has (:func:`qualification_gaps`). The server records the
gaps with the assignment (in the audit) and the console asks the dispatcher to confirm them first.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from shared.enums import EquipmentCategory
from shared.models import Model, OutModel

__all__ = [
    "APPRAISAL_EXPORT_FORMATS",
    "EXPIRY_WARNING_DAYS",
    "Appraisal",
    "CertificateIn",
    "CertificateOut",
    "CertificateState",
    "ExpiringCertificate",
    "GapReason",
    "Held",
    "QualificationCheck",
    "QualificationGap",
    "QualificationIn",
    "QualificationOut",
    "QualificationsSet",
    "StaffFile",
    "StaffRow",
    "TrainingIn",
    "TrainingOut",
    "TrainingResult",
    "certificate_state",
    "qualification_gaps",
    "valid_month",
]

#: a certificate expiring within this many days (or expired) is shown on the console
EXPIRY_WARNING_DAYS = 30
APPRAISAL_EXPORT_FORMATS = ("csv", "xlsx")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Level = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def valid_month(month: str) -> bool:
    """Whether ``month`` is ``YYYY-MM`` within the years Levee computes with."""
    found = _MONTH.match(month)
    return bool(found) and 1900 <= int(found.group(1)) <= 2199  # type: ignore[union-attr]


class CertificateState(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # within EXPIRY_WARNING_DAYS
    EXPIRED = "expired"


def certificate_state(
    expires_on: date | None, today: date, warning_days: int = EXPIRY_WARNING_DAYS
) -> CertificateState:
    """A certificate without an expiry never expires; one whose expiry day has passed is expired (it is
    still valid on its expiry day); one expiring within ``warning_days`` of ``today`` is expiring."""
    if expires_on is None:
        return CertificateState.VALID
    if expires_on < today:
        return CertificateState.EXPIRED
    if expires_on <= today + timedelta(days=warning_days):
        return CertificateState.EXPIRING
    return CertificateState.VALID


class GapReason(StrEnum):
    """Why an engineer is not qualified for a job's equipment."""

    MISSING = "missing"  # no qualification for the category
    EXPIRED = "expired"  # the certificate behind the qualification has expired


@dataclass(frozen=True, slots=True)
class Held:
    """A qualification an engineer holds: its category and, when a certificate backs it, its expiry."""

    category: str
    expires_on: date | None = None
    certificate_name: str = ""


class QualificationGap(BaseModel):
    category: EquipmentCategory
    reason: GapReason
    certificate_name: str = ""
    expired_on: date | None = None


def qualification_gaps(category: str | None, held: Iterable[Held], today: date) -> list[QualificationGap]:
    """The rule of 持证上岗 for one assignment: what the engineer lacks for equipment of ``category``.

    No equipment (or a category Levee does not know) needs nothing. A qualification backed by a
    certificate counts while that certificate is not expired; one without a certificate always counts.
    """
    try:
        needed = EquipmentCategory(category) if category else None
    except ValueError:
        return []
    if needed is None:
        return []
    mine = [h for h in held if h.category == needed.value]
    if not mine:
        return [QualificationGap(category=needed, reason=GapReason.MISSING)]
    if any(h.expires_on is None or h.expires_on >= today for h in mine):
        return []
    last = max(mine, key=lambda h: h.expires_on or today)
    return [
        QualificationGap(
            category=needed,
            reason=GapReason.EXPIRED,
            certificate_name=last.certificate_name,
            expired_on=last.expires_on,
        )
    ]


# --- certificates ----------------------------------------------------------------------------------


class CertificateIn(Model):
    """A certificate (e.g. 特种作业操作证, 电工证): name, number, level, issued and expiry days."""

    name: Name
    number: Number
    level: Level = Field(default="", description="e.g. 初级, 中级, 高级")
    issued_on: date
    expires_on: date | None = Field(default=None, description="null: does not expire")
    note: Note = ""

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.expires_on is not None and self.expires_on < self.issued_on:
            raise ValueError("expires_on must not be before issued_on")
        return self


class CertificateOut(OutModel):
    id: uuid.UUID
    engineer_id: uuid.UUID
    name: str
    number: str
    level: str
    issued_on: date
    expires_on: date | None
    note: str
    state: CertificateState = CertificateState.VALID
    days_left: int | None = Field(
        default=None, description="days from today to the expiry; negative: expired"
    )


# --- qualifications --------------------------------------------------------------------------------


class QualificationIn(Model):
    category: EquipmentCategory
    certificate_id: uuid.UUID | None = Field(
        default=None, description="the engineer's certificate behind it; its expiry is the qualification's"
    )


class QualificationsSet(Model):
    """The whole set of categories an engineer is qualified for (it replaces the earlier set)."""

    qualifications: list[QualificationIn] = Field(max_length=len(EquipmentCategory))


class QualificationOut(OutModel):
    category: EquipmentCategory
    certificate_id: uuid.UUID | None
    certificate_name: str = ""
    expires_on: date | None = None
    state: CertificateState = CertificateState.VALID


# --- training --------------------------------------------------------------------------------------


class TrainingResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ATTENDED = "attended"  # no examination


class TrainingIn(Model):
    taken_on: date
    course: Name
    hours: Annotated[Decimal, Field(gt=0, le=999, max_digits=4, decimal_places=1)]
    result: TrainingResult
    note: Note = ""


class TrainingOut(OutModel):
    id: uuid.UUID
    engineer_id: uuid.UUID
    taken_on: date
    course: str
    hours: Decimal
    result: TrainingResult
    note: str


# --- the file and the lists ------------------------------------------------------------------------


class StaffRow(OutModel):
    """An engineer in the staff list, with the worst state of their certificates."""

    engineer_id: uuid.UUID
    name: str
    username: str
    active: bool
    certificates: int
    qualifications: list[EquipmentCategory]
    training_hours: Decimal
    expiring: int = Field(description="certificates expiring within 30 days")
    expired: int


class StaffFile(OutModel):
    engineer_id: uuid.UUID
    name: str
    username: str
    phone: str
    active: bool
    today: date
    certificates: list[CertificateOut]
    qualifications: list[QualificationOut]
    training: list[TrainingOut]
    training_hours: Decimal


class ExpiringCertificate(CertificateOut):
    engineer_name: str


class QualificationCheck(OutModel):
    """What assigning the job to the engineer would lack: empty ``gaps`` means qualified."""

    job_id: uuid.UUID
    engineer_id: uuid.UUID
    category: EquipmentCategory | None
    gaps: list[QualificationGap]


# --- appraisal -------------------------------------------------------------------------------------


class Appraisal(BaseModel):
    """One engineer's month (绩效考核), every figure taken from the reports' own computations."""

    engineer_id: uuid.UUID
    engineer_name: str
    month: str
    jobs: int = Field(description="jobs called in during the month and assigned to the engineer")
    respond_median_min: float | None
    onsite_median_min: float | None
    fix_median_min: float | None
    respond_compliance_pct: float | None
    onsite_compliance_pct: float | None
    fix_compliance_pct: float | None
    breaches: int = Field(description="promises broken (done late, or open past the deadline)")
    first_time_fix_pct: float | None
    resolved_repairs: int
    satisfaction_avg: float | None = Field(description="at sign-off, 1..5")
    return_visits: int
    return_visit_avg: float | None
    unreachable: int
    complaints: int = Field(description="complaints received in the month about the engineer's jobs")
    made_at: datetime
