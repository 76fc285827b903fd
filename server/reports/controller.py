"""``/api/reports``: response times, SLA compliance, breaches and quality, for the office."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from server.db.base import utcnow
from server.deps import DbSession, requires
from server.errors import DomainError
from server.paging import MAX_LIMIT
from server.reports.filters import ReportFilters
from server.reports.service import ReportService
from shared.enums import EquipmentCategory, JobKind, Role, Severity
from shared.models import Page
from shared.reports import BreachRow, QualityReport, ReportGroup, ResponseTimeReport, SlaReport

requires_reports = requires(Role.MANAGER, Role.QA, Role.DISPATCHER, Role.ADMIN)
Filters = NamedDependency[ReportFilters]
Reports = NamedDependency[ReportService]


def provide_filters(
    received_from: Annotated[
        datetime | None, QueryParameter(description="calls received at or after this (with a zone)")
    ] = None,
    received_to: Annotated[
        datetime | None, QueryParameter(description="calls received before this (with a zone)")
    ] = None,
    customer_id: FromQuery[uuid.UUID | None] = None,
    site_id: FromQuery[uuid.UUID | None] = None,
    engineer_id: FromQuery[uuid.UUID | None] = None,
    severity: FromQuery[Severity | None] = None,
    category: Annotated[EquipmentCategory | None, QueryParameter(description="equipment category")] = None,
    kind: FromQuery[JobKind | None] = None,
) -> ReportFilters:
    return ReportFilters(
        received_from=received_from,
        received_to=received_to,
        customer_id=customer_id,
        site_id=site_id,
        engineer_id=engineer_id,
        severity=severity,
        category=category,
        kind=kind,
    )


def provide_report_service(db_session: DbSession, state: State) -> ReportService:
    """The service, with month boundaries in the server's time zone (its offset now; no DST in China)."""
    offset = utcnow().astimezone(ZoneInfo(state.settings.timezone)).utcoffset() or timedelta(0)
    return ReportService(db_session, utc_offset_minutes=int(offset.total_seconds() // 60))


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise DomainError("now needs a time zone, e.g. 2026-06-01T00:00:00+08:00", field="now")
    return now


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]  # noqa: RUF012
    guards = [requires_reports]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "filters": Provide(provide_filters, sync_to_thread=False),
        "reports": Provide(provide_report_service, sync_to_thread=False),
    }

    @get("/response-times")
    async def response_times(
        self,
        filters: Filters,
        reports: Reports,
        group_by: Annotated[ReportGroup | None, QueryParameter(description="one row per group")] = None,
    ) -> ResponseTimeReport:
        """Minutes from the call to acknowledge, arrive and fix: count, median, p90, max.

        Measured on the device's tap times stored on the job; jobs without the stamp are left out of
        that measure. Each measure is also given without the jobs whose times were flagged.
        Percentiles interpolate linearly between closest ranks (as PostgreSQL's percentile_cont).
        """
        return await reports.response_times(filters, group_by)

    @get("/sla")
    async def sla(
        self,
        filters: Filters,
        reports: Reports,
        now: Annotated[datetime | None, QueryParameter(description="judge open jobs at; default now")] = None,
    ) -> SlaReport:
        """Compliance per promise (respond, onsite, fix) and backup equipment for late fixes."""
        return await reports.sla(filters, _now(now))

    @get("/breaches")
    async def breaches(
        self,
        filters: Filters,
        reports: Reports,
        now: Annotated[datetime | None, QueryParameter(description="judge open jobs at; default now")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[BreachRow]:
        """Jobs that broke a promise, newest call first, with which promises and by how many minutes."""
        return await reports.breaches(filters, _now(now), limit, offset)

    @get("/quality")
    async def quality(self, filters: Filters, reports: Reports) -> QualityReport:
        """First-time-fix rate, satisfaction, backup equipment lent and the monthly quality feedback.

        A resolved repair job is a first-time fix when no other repair job on the same equipment was
        received within 30 days after its resolved_at.
        """
        return await reports.quality(filters)
