"""``/api/backup-units`` and ``/api/loans``: the backup-equipment pool and its loans, for the office.

Everyone in the office reads the pool and the loan history (per unit, per customer, the units still out
after their job closed); the service desk and the warehouse (``Capability.LEND_BACKUP``) add and move
units and record a loan or a return the tablet did not. Engineers record theirs offline as ``loan.lend``
and ``loan.return`` push mutations, judged by the same rule (``sync.rules.lend_refusal``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import log_changes
from server.db.models import BackupUnit, Customer, Job, JobLoan
from server.deps import CurrentUser, DbSession, Principal, requires_office, requires_to
from server.errors import Conflict, Invalid, NotFound
from server.jobs.service import bump, job_changes
from server.loans.service import (
    MESSAGES,
    give_back,
    lend,
    lock_unit,
    refusal_to_lend,
    refusal_to_return,
    unit_change,
)
from server.reports.exports import TableMaker, to_csv, to_xlsx
from shared.clock import utcnow
from shared.loans import (
    SETTABLE_STATUSES,
    LoanCreate,
    LoanOut,
    LoanReturn,
    ReturnCondition,
    UnitCreate,
    UnitOut,
    UnitStatus,
    UnitUpdate,
    out_after_close,
)
from shared.roles import Capability

requires_lending = requires_to(Capability.LEND_BACKUP)
#: the most loans one export holds
EXPORT_MAX = 20_000
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ExportLang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]
#: a device's or the office's time more than this far ahead of the server is refused
FUTURE_TOLERANCE = timedelta(minutes=5)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _loans_query() -> Select[Any]:
    return (
        select(
            JobLoan,
            Job.number,
            Job.status,
            Job.customer_id,
            Customer.name,
            BackupUnit.model,
            BackupUnit.serial_no,
        )
        .join(Job, Job.id == JobLoan.job_id)
        .join(Customer, Customer.id == Job.customer_id)
        .join(BackupUnit, BackupUnit.id == JobLoan.unit_id)
        .order_by(JobLoan.lent_at.desc(), JobLoan.id)
    )


def _loan_out(row: Any) -> LoanOut:
    loan, number, status, customer_id, customer_name, model, serial = row
    return LoanOut(
        id=loan.id,
        job_id=loan.job_id,
        job_number=number,
        job_status=status,
        customer_id=customer_id,
        customer_name=customer_name,
        unit_id=loan.unit_id,
        unit_label=f"{model} {serial}",
        lent_at=_utc(loan.lent_at),
        lent_by=loan.lent_by,
        returned_at=_utc(loan.returned_at) if loan.returned_at else None,
        condition=ReturnCondition(loan.condition) if loan.condition else None,
        note=loan.note,
        return_note=loan.return_note,
        out_after_close=out_after_close(status, loan.returned_at),
    )


async def _one_loan(session: AsyncSession, loan_id: uuid.UUID) -> LoanOut:
    row = (await session.execute(_loans_query().where(JobLoan.id == loan_id))).first()
    if row is None:
        raise NotFound(f"no loan with id {loan_id}", code="loan.not_found", params={"id": loan_id})
    return _loan_out(row)


async def _unit_out(session: AsyncSession, unit: BackupUnit) -> UnitOut:
    number = None
    if unit.current_loan_id is not None:
        number = await session.scalar(
            select(Job.number)
            .join(JobLoan, JobLoan.job_id == Job.id)
            .where(JobLoan.id == unit.current_loan_id)
        )
    out = UnitOut.model_validate(unit)
    out.current_job_number = number
    out.created_at, out.updated_at = _utc(unit.created_at), _utc(unit.updated_at)
    return out


def _not_future(moment: datetime, field: str) -> datetime:
    if _utc(moment) > utcnow() + FUTURE_TOLERANCE:
        raise Invalid(
            f"{field} is in the future", field=field, code="time.in_future", params={"field": field}
        )
    return _utc(moment)


class BackupUnitController(Controller):
    path = "/api/backup-units"
    tags = ["loans"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_units(
        self,
        db_session: DbSession,
        status: Annotated[UnitStatus | None, QueryParameter(description="only units in this status")] = None,
    ) -> list[UnitOut]:
        """The pool (备用设备), by category and serial number, with the job each lent unit is out on."""
        query = select(BackupUnit).order_by(BackupUnit.category, BackupUnit.serial_no)
        if status is not None:
            query = query.where(BackupUnit.status == status.value)
        units = (await db_session.scalars(query)).all()
        rows = await db_session.execute(
            select(JobLoan.id, Job.number)
            .join(Job, Job.id == JobLoan.job_id)
            .where(JobLoan.id.in_([u.current_loan_id for u in units if u.current_loan_id]))
        )
        numbers: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows.all()}
        out = []
        for unit in units:
            item = UnitOut.model_validate(unit)
            item.current_job_number = numbers.get(unit.current_loan_id) if unit.current_loan_id else None
            item.created_at, item.updated_at = _utc(unit.created_at), _utc(unit.updated_at)
            out.append(item)
        return out

    @post("/", guards=[requires_lending])
    async def create_unit(
        self, data: JSONBody[UnitCreate], db_session: DbSession, principal: CurrentUser
    ) -> UnitOut:
        """Add a unit to the pool; a category and serial number already in it is a 409."""
        taken = await db_session.scalar(
            select(BackupUnit.id).where(
                BackupUnit.category == data.category, BackupUnit.serial_no == data.serial_no
            )
        )
        if taken is not None:
            raise Conflict(
                f"a {data.category} unit with serial number {data.serial_no} is already in the pool",
                code="backup_unit.serial_taken",
                params={"category": data.category, "serial": data.serial_no},
            )
        unit = BackupUnit(
            category=data.category,
            model=data.model,
            serial_no=data.serial_no,
            place=data.place.value,
            place_note=data.place_note,
            status=UnitStatus.AVAILABLE.value,
            note=data.note,
        )
        db_session.add(unit)
        await db_session.flush()
        await log_changes(db_session, [unit_change(unit)])
        await audit.record_by(
            db_session,
            principal,
            "backup_unit.create",
            "backup_unit",
            unit.id,
            {"data": data.model_dump(mode="json")},
        )
        out = await _unit_out(db_session, unit)
        await db_session.commit()
        return out

    @patch("/{unit_id:uuid}", guards=[requires_lending])
    async def update_unit(
        self,
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[UnitUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> UnitOut:
        """Move a unit, send it to repair or retire it. A lent unit changes only by its loan's return (409)."""
        unit = await lock_unit(db_session, unit_id)
        if unit is None:
            raise NotFound(
                f"no backup unit with id {unit_id}", code="backup_unit.not_found", params={"id": unit_id}
            )
        changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
        if data.status is not None and data.status not in SETTABLE_STATUSES:
            raise Invalid(
                "a unit becomes lent only by a loan", field="status", code="backup_unit.lent_by_loan_only"
            )
        if unit.current_loan_id is not None and ({"status", "place", "place_note"} & changes.keys()):
            raise Conflict(
                "this unit is out on a loan: record its return first",
                code="backup_unit.on_loan",
                params={"serial": unit.serial_no},
            )
        for name, value in changes.items():
            setattr(unit, name, value)
        unit.updated_at = utcnow()
        await log_changes(db_session, [unit_change(unit)])
        await audit.record_by(
            db_session, principal, "backup_unit.update", "backup_unit", unit.id, {"changes": changes}
        )
        out = await _unit_out(db_session, unit)
        await db_session.commit()
        return out

    @get("/{unit_id:uuid}/loans", guards=[requires_office])
    async def unit_loans(self, unit_id: FromPath[uuid.UUID], db_session: DbSession) -> list[LoanOut]:
        """Every loan of one unit, newest first (its history: which jobs and customers had it)."""
        if await db_session.get(BackupUnit, unit_id) is None:
            raise NotFound(
                f"no backup unit with id {unit_id}", code="backup_unit.not_found", params={"id": unit_id}
            )
        rows = (await db_session.execute(_loans_query().where(JobLoan.unit_id == unit_id))).all()
        return [_loan_out(r) for r in rows]


class LoanController(Controller):
    path = "/api/loans"
    tags = ["loans"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_loans(
        self,
        db_session: DbSession,
        customer_id: FromQuery[uuid.UUID | None] = None,
        job_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        still_out: Annotated[bool, QueryParameter(description="only loans not returned yet")] = False,
        out_after_close: Annotated[
            bool, QueryParameter(description="only units still out although their job is closed or cancelled")
        ] = False,
    ) -> list[LoanOut]:
        """Loans, newest first: one customer's history, one unit's, one job's, the units still out, the
        flagged ones."""
        query = _loans_query()
        if unit_id is not None:
            query = query.where(JobLoan.unit_id == unit_id)
        if customer_id is not None:
            query = query.where(Job.customer_id == customer_id)
        if job_id is not None:
            query = query.where(JobLoan.job_id == job_id)
        if still_out or out_after_close:
            query = query.where(JobLoan.returned_at.is_(None))
        if out_after_close:
            query = query.where(Job.status.in_(["closed", "cancelled"]))
        rows = (await db_session.execute(query.limit(2000))).all()
        return [_loan_out(r) for r in rows]

    @get("/export.csv", guards=[requires_office], media_type=CSV)
    async def export_loans_csv(
        self,
        db_session: DbSession,
        state: State,
        customer_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        lang: ExportLang = "zh-CN",
    ) -> Response[bytes]:
        """The loan history of one unit, one customer, or all, as UTF-8 CSV with a byte-order mark (newest
        first; every text cell neutralised against formulas, as every export)."""
        return await _export(db_session, state, customer_id, unit_id, lang, "csv")

    @get("/export.xlsx", guards=[requires_office], media_type=XLSX)
    async def export_loans_xlsx(
        self,
        db_session: DbSession,
        state: State,
        customer_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        lang: ExportLang = "zh-CN",
    ) -> Response[bytes]:
        """The loan history of one unit, one customer, or all, as an XLSX workbook with the filters it was
        made with (newest first; every text cell neutralised)."""
        return await _export(db_session, state, customer_id, unit_id, lang, "xlsx")

    @post("/", guards=[requires_lending])
    async def lend_unit(
        self, data: JSONBody[LoanCreate], db_session: DbSession, principal: CurrentUser
    ) -> LoanOut:
        """The office records a unit lent on a job (the engineer usually does it on the tablet). The same
        rule judges it: a unit still out, in repair or retired is a 409 naming why."""
        lent_at = _not_future(data.lent_at, "lent_at")
        job = await db_session.scalar(select(Job).where(Job.id == data.job_id).with_for_update())
        if job is None:
            raise Invalid(
                f"no job with id {data.job_id}",
                field="job_id",
                code="job.not_found",
                params={"id": data.job_id},
            )
        unit = await lock_unit(db_session, data.unit_id)
        if unit is None:
            raise Invalid(
                f"no backup unit with id {data.unit_id}",
                field="unit_id",
                code="backup_unit.not_found",
                params={"id": data.unit_id},
            )
        loan_id = uuid.uuid4()
        reason = await refusal_to_lend(db_session, unit, lent_at, loan_id)
        if reason == "unit_out":  # the reasons of sync.rules.lend_refusal for a unit that exists
            raise Conflict(
                f"{reason}: {MESSAGES[reason]}", code="loan.unit_out", params={"serial": unit.serial_no}
            )
        if reason:
            raise Conflict(
                f"{reason}: {MESSAGES[reason]}",
                code="loan.unit_unavailable",
                params={"serial": unit.serial_no, "unit_status": unit.status},
            )
        now = utcnow()
        lend(
            db_session,
            job,
            unit,
            loan_id=loan_id,
            lent_at=lent_at,
            note=data.note,
            by=principal.user_id,
            now=now,
        )
        return await _recorded(
            db_session, principal, "loan.lend", job, ["loans", "backup_lent"], unit, loan_id, data
        )

    @post("/{loan_id:uuid}/return", guards=[requires_lending], status_code=200)
    async def return_unit(
        self,
        loan_id: FromPath[uuid.UUID],
        data: JSONBody[LoanReturn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> LoanOut:
        """The unit came back: when and in what condition (a damaged one goes to repair). A loan already
        returned is a 409: the first return stands."""
        returned_at = _not_future(data.returned_at, "returned_at")
        loan = await db_session.get(JobLoan, loan_id)
        if loan is None:
            raise NotFound(f"no loan with id {loan_id}", code="loan.not_found", params={"id": loan_id})
        job = await db_session.scalar(select(Job).where(Job.id == loan.job_id).with_for_update())
        assert job is not None
        if loan.returned_at is not None:
            raise Conflict("this loan was already returned", code="loan.already_returned")
        reason = refusal_to_return(loan, job, returned_at)
        if reason:  # the loan is this job's, so sync.rules.return_refusal can only say "invalid_args"
            raise Invalid(MESSAGES[reason], field="returned_at", code="loan.returned_before_lent")
        unit = await lock_unit(db_session, loan.unit_id)
        give_back(
            loan,
            unit,
            returned_at=returned_at,
            condition=data.condition,
            note=data.note,
            by=principal.user_id,
            by_engineer=False,
            now=utcnow(),
        )
        return await _recorded(db_session, principal, "loan.return", job, ["loans"], unit, loan_id, data)


async def _recorded(
    session: AsyncSession,
    principal: Principal,
    action: str,
    job: Job,
    fields: list[str],
    unit: BackupUnit | None,
    loan_id: uuid.UUID,
    data: LoanCreate | LoanReturn,
) -> LoanOut:
    """An office lend or return made: the job's new version and the unit's state logged for the
    devices, the audit entry, the commit; the loan as it now reads."""
    bump(job, fields)
    await session.flush()
    await log_changes(session, [*job_changes(job), *([unit_change(unit)] if unit else [])])
    detail = {"loan_id": str(loan_id), "data": data.model_dump(mode="json")}
    await audit.record_by(session, principal, action, "job", job.id, detail)
    await session.commit()
    return await _one_loan(session, loan_id)


async def _export(
    session: AsyncSession,
    state: State,
    customer_id: uuid.UUID | None,
    unit_id: uuid.UUID | None,
    lang: str,
    fmt: str,
) -> Response[bytes]:
    query = _loans_query()
    if unit_id is not None:
        query = query.where(JobLoan.unit_id == unit_id)
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    loans = [_loan_out(r) for r in (await session.execute(query.limit(EXPORT_MAX))).all()]
    maker = TableMaker(lang, ZoneInfo(state.settings.timezone))
    table = maker.loans(loans)
    stamp = utcnow().astimezone(maker.tz).strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="levee-loans-{stamp}.{fmt}"'}
    if fmt == "csv":
        return Response(to_csv(table), media_type=CSV, headers=headers)
    filters = [(maker.t("report.filter.made_at"), maker.when(utcnow()))]
    if unit_id is not None:
        label = loans[0].unit_label if loans else str(unit_id)
        filters.insert(0, (maker.t("report.loans.col.unit"), label))
    if customer_id is not None:
        name = await session.scalar(select(Customer.name).where(Customer.id == customer_id))
        filters.insert(0, (maker.t("report.loans.col.customer"), name or str(customer_id)))
    content = await anyio.to_thread.run_sync(to_xlsx, table, filters)
    return Response(content, media_type=XLSX, headers=headers)
