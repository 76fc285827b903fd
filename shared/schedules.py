"""Inspection schedules (定期巡检): when a schedule's visits fall due, and what the API exchanges.

Occurrences are anchored on the schedule's ``start_on`` and never drift. Occurrence ``k`` of a
calendar frequency is ``start_on`` moved ``k * step`` months (step 1, 3, 6 or 12), on the same day of
the month, or the month's last day when it is shorter: monthly from 31 January falls on 28/29
February, 31 March, 30 April, 31 May ...; yearly from 29 February falls on 28 February in common years
and 29 February in leap years. Each occurrence is computed from ``start_on``, never from the previous
one, so a short month does not pull the later ones earlier. Daily is ``start_on + k`` days.

Compliance of one planned visit (a job with a schedule and a due date), judged on local dates in the
company's time zone:

* done on time: resolved on or before its due date;
* late: resolved after its due date;
* missed: cancelled, or not resolved and its due date has passed;
* pending: not resolved, not cancelled, due today or later.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.models import EARLIEST_DAY, LATEST_DAY, Model

#: how far ahead of its due date a visit may be planned (the job is made ``lead_days`` before it)
MAX_LEAD_DAYS = 90
#: occurrences that fell due while nobody generated (server down) are still made up to this many days
#: back; older ones are not, so a schedule started long ago does not flood the board with the past
CATCH_UP_DAYS = 7


class Frequency(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


class ScheduleKind(StrEnum):
    """What a schedule's visits are: an inspection (巡检, a checklist) or a care visit to the customer
    (回访/走访: a job of kind ``return_visit`` with a return visit to record, which feeds the customer file)."""

    INSPECTION = "inspection"
    CARE_VISIT = "care_visit"


#: months between occurrences for the calendar frequencies
MONTH_STEP: dict[Frequency, int] = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved ``months`` calendar months, on its day or the month's last day if shorter."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def nth_occurrence(start_on: date, frequency: Frequency, k: int) -> date:
    """Occurrence ``k`` (0 is ``start_on`` itself)."""
    if frequency is Frequency.DAILY:
        return start_on + timedelta(days=k)
    return add_months(start_on, k * MONTH_STEP[frequency])


def _first_index(start_on: date, frequency: Frequency, window_from: date) -> int:
    """An index whose occurrence is not after ``window_from`` (or 0): where scanning may begin."""
    if window_from <= start_on:
        return 0
    if frequency is Frequency.DAILY:
        return (window_from - start_on).days
    months = (window_from.year - start_on.year) * 12 + (window_from.month - start_on.month)
    return max(0, months // MONTH_STEP[frequency] - 1)


def iter_occurrences(
    start_on: date, frequency: Frequency, window_from: date, window_to: date, end_on: date | None = None
) -> Iterator[date]:
    last = window_to if end_on is None else min(window_to, end_on)
    k = _first_index(start_on, frequency, window_from)
    while True:
        day = nth_occurrence(start_on, frequency, k)
        if day > last:
            return
        if day >= window_from:
            yield day
        k += 1


def occurrences(
    start_on: date, frequency: Frequency, window_from: date, window_to: date, end_on: date | None = None
) -> list[date]:
    """Due dates of a schedule within ``window_from`` .. ``window_to`` (both included), ascending.

    Nothing before ``start_on`` or after ``end_on`` (when given); an empty list when the window is
    empty. See the module docstring for how dates are anchored.
    """
    return list(iter_occurrences(start_on, frequency, window_from, window_to, end_on))


def generation_window(
    start_on: date, end_on: date | None, lead_days: int, today: date
) -> tuple[date, date] | None:
    """The due dates the generator makes jobs for on ``today``, or None when there are none.

    From ``max(start_on, today - CATCH_UP_DAYS)`` to ``min(end_on, today + lead_days)``.
    """
    first = max(start_on, today - timedelta(days=CATCH_UP_DAYS))
    last = today + timedelta(days=lead_days)
    if end_on is not None:
        last = min(last, end_on)
    return (first, last) if first <= last else None


class Compliance(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    PENDING = "pending"


def compliance(due_on: date, resolved_on: date | None, cancelled: bool, today: date) -> Compliance:
    """How one planned visit stands (see the module docstring); all dates are local dates."""
    if cancelled:
        return Compliance.MISSED
    if resolved_on is not None:
        return Compliance.ON_TIME if resolved_on <= due_on else Compliance.LATE
    return Compliance.MISSED if due_on < today else Compliance.PENDING


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; ValueError when it is not a month."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"'{month}' is not a month like 2026-03")
    year, mon = int(month[:4]), int(month[5:])
    if not 1 <= mon <= 12 or year < 1:
        raise ValueError(f"'{month}' is not a month like 2026-03")
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise ValueError(f"'{month}' is not between {EARLIEST_DAY:%Y-%m} and {LATEST_DAY:%Y-%m}")
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


# --- what the API exchanges ------------------------------------------------------------------------

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
LeadDays = Annotated[int, Field(ge=0, le=MAX_LEAD_DAYS, description="days ahead of the due date")]


class ScheduleCreate(Model):
    """A new inspection schedule for a site, or for one piece of equipment at it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None = None
    frequency: Frequency
    kind: ScheduleKind = Field(
        default=ScheduleKind.INSPECTION,
        description="inspection (a checklist) or care_visit (回访/走访: a return_visit job and its report)",
    )
    template_id: uuid.UUID | None = Field(
        default=None, description="the checklist; needed when there is no equipment (inspections only)"
    )
    engineer_id: uuid.UUID | None = None
    start_on: date
    end_on: date | None = None
    lead_days: LeadDays = 7
    note: Note = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_on is not None and self.end_on < self.start_on:
            raise ValueError("end_on must not be before start_on")
        return self


class ScheduleUpdate(Model):
    """What may change on a schedule; the place and the rhythm stay (make a new schedule instead)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    engineer_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None
    end_on: date | None = None
    lead_days: LeadDays | None = None
    active: bool | None = None
    note: Note | None = None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None
    frequency: Frequency
    kind: ScheduleKind = ScheduleKind.INSPECTION
    template_id: uuid.UUID | None
    engineer_id: uuid.UUID | None
    start_on: date
    end_on: date | None
    lead_days: int
    active: bool
    note: str
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ScheduleRow(ScheduleOut):
    """A schedule with names and its next due date, as the console lists it."""

    customer_name: str
    site_name: str
    equipment_label: str
    engineer_name: str
    template_name: str
    next_due_on: date | None
    jobs: int


class GenerationResult(BaseModel):
    today: date
    schedules: int
    created: int
    existing: int
    job_ids: list[uuid.UUID]
    #: schedules that could not make a job (e.g. their equipment moved to another site)
    problems: list[str] = Field(default_factory=list)


class ComplianceRow(BaseModel):
    customer_id: uuid.UUID | None
    customer_name: str
    planned: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def done(self) -> int:
        return self.on_time + self.late

    def on_time_rate(self) -> float | None:
        """Share of the visits already judged (done or missed) that were done on time, in percent."""
        judged = self.on_time + self.late + self.missed
        return None if judged == 0 else round(100 * self.on_time / judged, 1)


class ComplianceReport(BaseModel):
    month: str
    today: date
    rows: list[ComplianceRow]
    total: ComplianceRow
