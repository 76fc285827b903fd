"""Backup equipment (备用设备): the pool of units and the loans made to customers while a fix takes long.

The plan promises 8小时内提供备品, 直到问题解决为止: a unit is lent when a fix runs past the backup limit and
stays with the customer until the problem is solved. These are the words and the API schemas both the
server (``server/loans``) and the console's typed client read; the one rule the office and the tablet
share (when a unit still out is a problem) lives here too.

The words and the shared rules are in ``shared.loan_rules`` (re-exported here), a module without
pydantic models that the tablet imports at start.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.loan_rules import (
    SETTABLE_STATUSES,
    ReturnCondition,
    UnitPlace,
    UnitStatus,
    out_after_close,
    status_after_return,
)
from shared.models import Model, OutModel

__all__ = [
    "SETTABLE_STATUSES",
    "Label",
    "LoanCreate",
    "LoanOut",
    "LoanReturn",
    "Note",
    "ReturnCondition",
    "Short",
    "UnitCreate",
    "UnitOut",
    "UnitPlace",
    "UnitStatus",
    "UnitUpdate",
    "out_after_close",
    "status_after_return",
]

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


# --- the API's schemas (server/loans/controller.py; the console's LoansClient) ---


class UnitCreate(Model):
    """A unit added to the pool."""

    category: Short = Field(description="equipment category, e.g. drainage_pump")
    model: Label
    serial_no: Short
    place: UnitPlace = UnitPlace.STORE
    place_note: Note = Field(default="", description="which store, engineer or site, in words")
    note: Note = ""


class UnitUpdate(Model):
    """The office moves a unit, sends it to repair or retires it; a lent unit changes by its loan."""

    place: UnitPlace | None = None
    place_note: Note | None = None
    status: UnitStatus | None = None
    note: Note | None = None


class UnitOut(OutModel):
    id: uuid.UUID
    category: str
    model: str
    serial_no: str
    place: UnitPlace
    place_note: str
    status: UnitStatus
    note: str
    current_loan_id: uuid.UUID | None
    #: the job the unit is lent on, when it is out (its number, for the list)
    current_job_number: str | None = None
    created_at: datetime
    updated_at: datetime


class LoanCreate(Model):
    """The office records a unit lent on a job (the tablet sends ``loan.lend`` instead)."""

    job_id: uuid.UUID
    unit_id: uuid.UUID
    lent_at: datetime
    note: Note = ""


class LoanReturn(Model):
    """The unit came back: when, and in what condition."""

    returned_at: datetime
    condition: ReturnCondition = ReturnCondition.GOOD
    note: Note = ""


class LoanOut(OutModel):
    id: uuid.UUID
    job_id: uuid.UUID
    job_number: str
    job_status: str
    customer_id: uuid.UUID
    customer_name: str
    unit_id: uuid.UUID
    unit_label: str = Field(description="model and serial number")
    lent_at: datetime
    lent_by: uuid.UUID | None
    returned_at: datetime | None
    condition: ReturnCondition | None
    note: str
    return_note: str
    #: the unit is still with the customer although the job is closed or cancelled
    out_after_close: bool
