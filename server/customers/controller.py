"""``/api/complaints``, ``/api/return-visits``, ``/api/training``, ``/api/customers/{id}/file``,
``/api/jobs/{id}/billing`` and ``/api/reports/satisfaction``.

Who may do what: the service desk (dispatcher, manager, admin) records complaints and plans training;
anyone who answers customers (dispatcher, manager, QA, admin) reads the customer file, handles
complaints and records return visits; closing a complaint (its root cause) and overruling the billing of
a job are quality decisions (manager, QA, admin). Warehouse staff and engineers have no part in these.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, Router, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from server.customers.billing import override_billing
from server.customers.complaints import ComplaintService
from server.customers.file import (
    complaint_rows,
    customer_file,
    satisfaction_report,
    satisfaction_table,
    visit_rows,
)
from server.customers.training import TrainingService
from server.customers.visits import ReturnVisitService
from server.db.models import Complaint, Job, ReturnVisit
from server.deps import CurrentUser, DbSession, requires_dispatch, requires_qa, requires_to
from server.errors import Invalid, NotFound
from server.paging import MAX_LIMIT, fetch_page
from server.reports.exports import to_csv, to_xlsx
from shared.clock import utcnow
from shared.customers import (
    BillingOverride,
    ComplaintClose,
    ComplaintCreate,
    ComplaintHandle,
    ComplaintOut,
    ComplaintRow,
    ComplaintStatus,
    CustomerFile,
    ReturnVisitCreate,
    ReturnVisitOut,
    ReturnVisitRecord,
    ReturnVisitRow,
    ReturnVisitStatus,
    SatisfactionReport,
    TrainingCreate,
    TrainingOut,
    TrainingUpdate,
)
from shared.models import EARLIEST_DAY, LATEST_DAY, JobOut, Page
from shared.roles import ROLES, Capability

#: who answers customers: reads the file, handles complaints, records return visits
requires_customer_care = requires_to(Capability.CARE_FOR_CUSTOMERS)
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]
Month = Annotated[str, QueryParameter(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")]
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
assert ROLES[Capability.DISPATCH] <= ROLES[Capability.CARE_FOR_CUSTOMERS]


def _tz(state: State) -> ZoneInfo:
    return ZoneInfo(state.settings.timezone)


def _today(state: State) -> date:
    return utcnow().astimezone(_tz(state)).date()


class ComplaintController(Controller):
    path = "/complaints"
    tags = ["customers"]  # noqa: RUF012

    @post("/", guards=[requires_dispatch])
    async def create_complaint(
        self, data: JSONBody[ComplaintCreate], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ComplaintOut:
        """Record a complaint (number TS-<year>-<nnnn>); a job it names must be one of the customer's. Its
        deadline is received_at plus the hours for its severity (LEVEE_COMPLAINT_HOURS_GENERAL, _MAJOR); it
        is registered in the contact register (/api/contacts) in the same transaction."""
        complaint = await ComplaintService(db_session, _tz(state), state.settings.complaint_hours).create(
            data, principal
        )
        return ComplaintOut.model_validate(complaint)

    @get("/", guards=[requires_customer_care])
    async def list_complaints(
        self,
        db_session: DbSession,
        status: FromQuery[ComplaintStatus | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        job_id: FromQuery[uuid.UUID | None] = None,
        late: Annotated[bool, QueryParameter(description="only open ones past their deadline")] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ComplaintRow]:
        """Complaints, newest first, with customer, job number and handler names, and whether late."""
        query = select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id)
        if late:
            query = query.where(Complaint.status != ComplaintStatus.CLOSED.value, Complaint.due_at < utcnow())
        if status is not None:
            query = query.where(Complaint.status == status.value)
        if customer_id is not None:
            query = query.where(Complaint.customer_id == customer_id)
        if job_id is not None:
            query = query.where(Complaint.job_id == job_id)
        rows, total = await fetch_page(db_session, query, limit, offset)
        items = await complaint_rows(db_session, rows)
        return Page[ComplaintRow](items=items, total=total, limit=limit, offset=offset)

    @get("/{complaint_id:uuid}", guards=[requires_customer_care])
    async def get_complaint(
        self, complaint_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> ComplaintRow:
        complaint = await ComplaintService(db_session, _tz(state)).get(complaint_id)
        return (await complaint_rows(db_session, [complaint]))[0]

    @post("/{complaint_id:uuid}/handle", guards=[requires_customer_care], status_code=200)
    async def handle_complaint(
        self,
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[ComplaintHandle],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> ComplaintOut:
        """Start handling (received -> handling) or update the handler and what is being done."""
        complaint = await ComplaintService(db_session, _tz(state)).handle(complaint_id, data, principal)
        return ComplaintOut.model_validate(complaint)

    @post("/{complaint_id:uuid}/close", guards=[requires_qa], status_code=200)
    async def close_complaint(
        self,
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[ComplaintClose],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> ComplaintOut:
        """Close a handled complaint; the root cause is required."""
        complaint = await ComplaintService(db_session, _tz(state)).close(complaint_id, data, principal)
        return ComplaintOut.model_validate(complaint)


class ReturnVisitController(Controller):
    path = "/return-visits"
    tags = ["customers"]  # noqa: RUF012
    guards = [requires_customer_care]  # noqa: RUF012

    @get("/")
    async def list_visits(
        self,
        db_session: DbSession,
        state: State,
        status: FromQuery[ReturnVisitStatus | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        engineer_id: FromQuery[uuid.UUID | None] = None,
        due: Annotated[bool, QueryParameter(description="not done and due today or earlier")] = False,
        overdue: Annotated[bool, QueryParameter(description="not done and due before today")] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ReturnVisitRow]:
        """Return visits, earliest due first, with job, customer and engineer."""
        today = _today(state)
        query = select(ReturnVisit).order_by(ReturnVisit.scheduled_on, ReturnVisit.id)
        if status is not None:
            query = query.where(ReturnVisit.status == status.value)
        if customer_id is not None:
            query = query.where(ReturnVisit.customer_id == customer_id)
        if engineer_id is not None:
            query = query.where(
                ReturnVisit.job_id.in_(select(Job.id).where(Job.assigned_engineer_id == engineer_id))
            )
        if due or overdue:
            query = query.where(ReturnVisit.status != ReturnVisitStatus.DONE.value)
            query = query.where(
                ReturnVisit.scheduled_on < today if overdue else ReturnVisit.scheduled_on <= today
            )
        rows, total = await fetch_page(db_session, query, limit, offset)
        items = await visit_rows(db_session, rows, today)
        return Page[ReturnVisitRow](items=items, total=total, limit=limit, offset=offset)

    @post("/")
    async def create_visit(
        self, data: JSONBody[ReturnVisitCreate], db_session: DbSession, principal: CurrentUser
    ) -> ReturnVisitOut:
        """Plan a return visit by hand (one per job; closing a job plans one by itself)."""
        return ReturnVisitOut.model_validate(await ReturnVisitService(db_session).create(data, principal))

    @get("/{visit_id:uuid}")
    async def get_visit(
        self, visit_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> ReturnVisitRow:
        visit = await ReturnVisitService(db_session).get(visit_id)
        return (await visit_rows(db_session, [visit], _today(state)))[0]

    @post("/{visit_id:uuid}/record", status_code=200)
    async def record_visit(
        self,
        visit_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnVisitRecord],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ReturnVisitOut:
        """What came of the call or visit: done (with satisfaction 1-5) or unreachable (try again later)."""
        return ReturnVisitOut.model_validate(
            await ReturnVisitService(db_session).record(visit_id, data, principal)
        )


class TrainingController(Controller):
    path = "/training"
    tags = ["customers"]  # noqa: RUF012
    guards = [requires_dispatch]  # noqa: RUF012

    @post("/")
    async def create_training(
        self, data: JSONBody[TrainingCreate], db_session: DbSession, principal: CurrentUser
    ) -> TrainingOut:
        """Plan a training session: a ``training`` job whose engineer is the trainer."""
        return TrainingOut.model_validate(await TrainingService(db_session).create(data, principal))

    @patch("/{job_id:uuid}")
    async def update_training(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[TrainingUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> TrainingOut:
        """Change content, place, time or attendees; the trainer's device gets it at its next sync."""
        return TrainingOut.model_validate(await TrainingService(db_session).update(job_id, data, principal))


class CustomerFileController(Controller):
    path = "/customers"
    tags = ["customers"]  # noqa: RUF012

    @get("/{customer_id:uuid}/file", guards=[requires_customer_care])
    async def customer_file(
        self, customer_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> CustomerFile:
        """Sites, equipment with warranty end and state, jobs (newest first), complaints, return visits
        and satisfaction of one customer."""
        return await customer_file(db_session, customer_id, _today(state))


class BillingController(Controller):
    path = "/jobs"
    tags = ["jobs"]  # noqa: RUF012

    @post("/{job_id:uuid}/billing", guards=[requires_qa], status_code=200)
    async def override_billing(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[BillingOverride],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> JobOut:
        """Overrule the field's billing proposal (manager, QA, admin) with a reason and a note. The
        engineer's device gets the decision at its next sync; its later edits of billable do not undo it."""
        return JobOut.model_validate(await override_billing(db_session, job_id, data, principal))


class SatisfactionController(Controller):
    path = "/reports"
    tags = ["reports"]  # noqa: RUF012

    @get("/satisfaction", guards=[requires_customer_care])
    async def satisfaction(self, db_session: DbSession, state: State, month: Month) -> SatisfactionReport:
        """Per engineer for one month: return-visit satisfaction (and unreachable customers), and the
        satisfaction given at sign-off."""
        return await satisfaction_report(db_session, _month(month), _tz(state))

    @get(
        "/satisfaction/export/{name:str}",
        guards=[requires_customer_care],
        media_type="application/octet-stream",
        summary="The satisfaction report as CSV or XLSX",
        description="`satisfaction.csv` (UTF-8 with BOM) or `satisfaction.xlsx` for one month: per engineer, "
        "then everyone; every text cell neutralised, like the other reports.",
    )
    async def satisfaction_export(
        self,
        name: FromPath[str],
        db_session: DbSession,
        state: State,
        month: Month,
        lang: Annotated[
            str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")
        ] = "zh-CN",
    ) -> Response[bytes]:
        """The satisfaction report as ``satisfaction.csv`` (UTF-8 with BOM) or ``satisfaction.xlsx`` (with
        the month it covers), like the other reports: per engineer, then everyone; every text cell
        neutralised."""
        report_name, _, fmt = name.rpartition(".")
        if report_name != "satisfaction" or fmt not in ("csv", "xlsx"):
            raise NotFound(
                f"no export '{name}': use satisfaction.csv or satisfaction.xlsx",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": ["satisfaction.csv", "satisfaction.xlsx"]},
            )
        tz = _tz(state)
        report = await satisfaction_report(db_session, _month(month), tz)
        table, lines = satisfaction_table(report, lang, tz, utcnow())
        filename = f"levee-satisfaction-{report.month.replace('-', '')}.{fmt}"
        if fmt == "csv":
            content, media_type = to_csv(table), "text/csv; charset=utf-8"
        else:
            content = await anyio.to_thread.run_sync(to_xlsx, table, lines)
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _month(month: str) -> str:
    if not MONTH.match(month) or not EARLIEST_DAY.year <= int(month[:4]) <= LATEST_DAY.year:
        raise Invalid(
            f"month must be YYYY-MM between {EARLIEST_DAY:%Y-%m} and {LATEST_DAY:%Y-%m}, e.g. 2026-05",
            field="month",
            code="month.invalid",
            params={"month": month},
        )
    return month


customer_routes = Router(
    path="/api",
    route_handlers=[
        ComplaintController,
        ReturnVisitController,
        TrainingController,
        CustomerFileController,
        BillingController,
        SatisfactionController,
    ],
)
