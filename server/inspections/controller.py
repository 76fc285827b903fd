"""``/api/inspections``: schedules and the generator; ``/api/reports/inspections``: compliance by month."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from server.db.models import Customer
from server.deps import CurrentUser, DbSession, requires_dispatch
from server.errors import DomainError
from server.inspections.compliance import compliance_report, compliance_table
from server.inspections.generator import generate, local_today
from server.inspections.service import ScheduleService
from server.paging import MAX_LIMIT
from server.reports.controller import requires_reports
from server.reports.exports import TableMaker, to_csv, to_xlsx
from shared.clock import utcnow
from shared.i18n import LANGS, translate
from shared.models import Page
from shared.schedules import (
    ComplianceReport,
    GenerationResult,
    ScheduleCreate,
    ScheduleRow,
    ScheduleUpdate,
    month_bounds,
)

Month = Annotated[str, QueryParameter(description="the month, YYYY-MM", pattern=r"^\d{4}-\d{2}$")]
Today = Annotated[
    date | None, QueryParameter(description="judge open visits as of this local date; default today")
]
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


def _tz(state: State) -> ZoneInfo:
    return ZoneInfo(state.settings.timezone)


class InspectionController(Controller):
    path = "/api/inspections"
    tags = ["inspections"]  # noqa: RUF012
    guards = [requires_dispatch]  # noqa: RUF012

    @get("/schedules")
    async def list_schedules(
        self,
        db_session: DbSession,
        state: State,
        customer_id: FromQuery[uuid.UUID | None] = None,
        site_id: FromQuery[uuid.UUID | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[ScheduleRow]:
        """Schedules with names, the next due date and how many jobs each has made; active first."""
        rows, total = await ScheduleService(db_session).rows(
            local_today(_tz(state)),
            customer_id=customer_id,
            site_id=site_id,
            active=active,
            limit=limit,
            offset=offset,
        )
        return Page[ScheduleRow](items=rows, total=total, limit=limit, offset=offset)

    @post("/schedules")
    async def create_schedule(
        self, data: JSONBody[ScheduleCreate], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ScheduleRow:
        """A schedule for a site (needs ``template_id``) or one piece of equipment at it.

        Jobs are made by the generator (hourly, or ``POST /api/inspections/generate``), ``lead_days``
        before each due date.
        """
        service = ScheduleService(db_session)
        schedule = await service.create(data, principal)
        [row] = await service.describe([schedule], local_today(_tz(state)))
        return row

    @get("/schedules/{schedule_id:uuid}")
    async def get_schedule(
        self, schedule_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> ScheduleRow:
        service = ScheduleService(db_session)
        [row] = await service.describe([await service.get(schedule_id)], local_today(_tz(state)))
        return row

    @patch("/schedules/{schedule_id:uuid}")
    async def update_schedule(
        self,
        schedule_id: FromPath[uuid.UUID],
        data: JSONBody[ScheduleUpdate],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> ScheduleRow:
        """Change engineer, checklist, end date, lead days, note or active; jobs already made stay."""
        service = ScheduleService(db_session)
        schedule = await service.update(schedule_id, data, principal)
        [row] = await service.describe([schedule], local_today(_tz(state)))
        return row

    @post("/schedules/{schedule_id:uuid}/deactivate", status_code=200)
    async def deactivate_schedule(
        self, schedule_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ScheduleRow:
        """Stop making jobs; the jobs already made stay (cancel them on the board if needed)."""
        service = ScheduleService(db_session)
        schedule = await service.deactivate(schedule_id, principal)
        [row] = await service.describe([schedule], local_today(_tz(state)))
        return row

    @post("/generate", status_code=200)
    async def generate_now(
        self, db_session: DbSession, principal: CurrentUser, state: State
    ) -> GenerationResult:
        """Make the jobs that fall due now (the server also does it hourly); running it twice adds none."""
        return await generate(db_session, tz=_tz(state), by=principal)


def _month(month: str) -> str:
    try:
        month_bounds(month)
    except ValueError as exc:
        raise DomainError(str(exc), field="month", code="month.invalid", params={"month": month}) from exc
    return month


class InspectionReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]  # noqa: RUF012
    guards = [requires_reports]  # noqa: RUF012

    @get("/inspections")
    async def inspections(
        self,
        db_session: DbSession,
        state: State,
        month: Month,
        customer_id: FromQuery[uuid.UUID | None] = None,
        today: Today = None,
    ) -> ComplianceReport:
        """Per customer, the inspections due in the month: planned, done on time, late, missed, pending.

        Done on time: resolved on or before the due date (local dates); late: resolved after it;
        missed: cancelled, or unresolved with the due date passed; pending: unresolved, due today or later.
        """
        return await compliance_report(
            db_session,
            _month(month),
            today=today or local_today(_tz(state)),
            tz=_tz(state),
            customer_id=customer_id,
        )

    @get("/inspections.csv", media_type="text/csv; charset=utf-8")
    async def inspections_csv(
        self,
        db_session: DbSession,
        state: State,
        month: Month,
        customer_id: FromQuery[uuid.UUID | None] = None,
        today: Today = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """The compliance report as CSV (UTF-8 with a byte-order mark, for Excel)."""
        return await _file(db_session, state, month, customer_id, today, lang, "csv")

    @get("/inspections.xlsx", media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    async def inspections_xlsx(
        self,
        db_session: DbSession,
        state: State,
        month: Month,
        customer_id: FromQuery[uuid.UUID | None] = None,
        today: Today = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """The compliance report as an XLSX workbook with the month and filters above the table."""
        return await _file(db_session, state, month, customer_id, today, lang, "xlsx")


async def _file(
    db_session: DbSession,
    state: State,
    month: str,
    customer_id: uuid.UUID | None,
    today: date | None,
    lang: str,
    fmt: str,
) -> Response[bytes]:
    tz = _tz(state)
    lang = lang if lang in LANGS else "zh-CN"
    report = await compliance_report(
        db_session, _month(month), today=today or local_today(tz), tz=tz, customer_id=customer_id
    )
    maker = TableMaker(lang, tz)
    table = compliance_table(report, maker)
    filename = f"levee-inspections-{report.month}.{fmt}"
    if fmt == "csv":
        content, media_type = to_csv(table), "text/csv; charset=utf-8"
    else:
        lines = [(translate(lang, "inspections.report.month"), report.month)]
        if customer_id is not None:
            customer = await db_session.get(Customer, customer_id)
            lines.append(
                (translate(lang, "report.filter.customer"), customer.name if customer else str(customer_id))
            )
        lines.append((translate(lang, "report.filter.made_at"), maker.when(utcnow())))
        content = await anyio.to_thread.run_sync(to_xlsx, table, lines)
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
