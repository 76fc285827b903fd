"""Backup units and their loans: the steps the tablet's push handlers and the office's API share.

The rule of who may lend a unit is ``sync.rules.lend_refusal`` (pure); this module reads what it decides
from, under a lock on the unit row, and writes the loan, the unit's new place and the job's ``backup_lent``
flag (kept for the board, the SLA report and older tablets: derived from the loans). Every change a device
should see goes into the change log: the unit (``backup_unit``, everyone's reference data) and the job.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import Change
from server.db.models import BackupUnit, Job, JobLoan
from shared.loans import ReturnCondition, UnitPlace, UnitStatus, status_after_return
from sync.protocol import wire_time
from sync.rules import lend_refusal, return_refusal

#: reason code -> the message people read (the device shows its own catalogue's words for the code)
MESSAGES = {
    "unknown_unit": "there is no such backup unit",
    "unit_out": "this backup unit is already lent on another job (or was still out at that time)",
    "unit_unavailable": "this backup unit is being repaired or retired and cannot be lent",
    "unknown_loan": "there is no such loan on this job",
    "invalid_args": "the unit cannot come back before it was lent",
    "duplicate_id": "this loan id is already used on another job",
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def lock_unit(session: AsyncSession, unit_id: uuid.UUID) -> BackupUnit | None:
    """The unit, locked until commit: two pushes lending it at once queue here, and the second sees the
    first's loan (on SQLite the single writer does the same)."""
    unit: BackupUnit | None = await session.scalar(
        select(BackupUnit).where(BackupUnit.id == unit_id).with_for_update()
    )
    return unit


async def refusal_to_lend(
    session: AsyncSession, unit: BackupUnit | None, lent_at: datetime, loan_id: uuid.UUID
) -> str:
    """Why ``unit`` cannot be lent at ``lent_at`` (``""`` when it can), judged by ``sync.rules``."""
    if unit is None:
        return lend_refusal(None, open_loan_job=None, last_returned_at=None, lent_at="")
    open_job: str | None = None
    if unit.current_loan_id is not None and unit.current_loan_id != loan_id:
        open_job = str(unit.current_loan_id)
    last = await session.scalar(
        select(func.max(JobLoan.returned_at)).where(JobLoan.unit_id == unit.id, JobLoan.id != loan_id)
    )
    return lend_refusal(
        unit.status,
        open_loan_job=open_job,
        last_returned_at=wire_time(_utc(last)) if last is not None else None,
        lent_at=wire_time(lent_at),
    )


def lend(
    session: AsyncSession,
    job: Job,
    unit: BackupUnit,
    *,
    loan_id: uuid.UUID,
    lent_at: datetime,
    note: str,
    by: uuid.UUID,
    now: datetime,
) -> JobLoan:
    """Record the loan (checked already): the unit goes to the job's site, the job says backup lent."""
    loan = JobLoan(
        id=loan_id,
        job_id=job.id,
        unit_id=unit.id,
        lent_at=lent_at,
        lent_by=by,
        note=note,
        return_note="",
        received_at=now,
    )
    session.add(loan)
    unit.status = UnitStatus.LENT.value
    unit.place = UnitPlace.CUSTOMER_SITE.value
    unit.place_note = job.number
    unit.current_loan_id = loan.id
    unit.updated_at = now
    job.backup_lent = True
    return loan


def refusal_to_return(loan: JobLoan | None, job: Job, returned_at: datetime) -> str:
    if loan is None:
        return return_refusal(None, str(job.id), "", "")
    return return_refusal(
        str(loan.job_id), str(job.id), wire_time(_utc(loan.lent_at)), wire_time(returned_at)
    )


def give_back(
    loan: JobLoan,
    unit: BackupUnit | None,
    *,
    returned_at: datetime,
    condition: ReturnCondition,
    note: str,
    by: uuid.UUID,
    by_engineer: bool,
    now: datetime,
) -> bool:
    """Close the loan (the first return stands: a second one changes nothing); returns whether it changed.

    The unit is free again (or goes to repair when it came back damaged), with the engineer who took it
    back or in the store when the office records the return."""
    if loan.returned_at is not None:
        return False
    loan.returned_at = returned_at
    loan.returned_by = by
    loan.condition = condition.value
    loan.return_note = note
    if unit is not None and unit.current_loan_id == loan.id:
        unit.status = status_after_return(condition).value
        unit.place = (UnitPlace.ENGINEER if by_engineer else UnitPlace.STORE).value
        unit.place_note = ""
        unit.current_loan_id = None
        unit.updated_at = now
    return True


def unit_change(unit: BackupUnit) -> Change:
    """The unit as every tablet's reference data (they pick a unit to lend from the pool)."""
    return Change("backup_unit", unit.id, "put", None)
