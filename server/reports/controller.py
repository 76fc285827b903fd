"""``/api/reports``: response times, SLA compliance, breaches and quality, for the office."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from server.db.models import Customer, ServiceStation, Site, User
from server.deps import DbSession, requires_to
from server.errors import DomainError, Invalid, NotFound
from server.paging import MAX_LIMIT
from server.reports.exports import Table, TableMaker, to_csv, to_xlsx
from server.reports.filters import ReportFilters
from server.reports.service import ReportService
from shared.clock import utcnow
from shared.enums import EquipmentCategory, JobKind, Severity
from shared.i18n import LANGS, translate
from shared.models import Page
from shared.reports import (
    EXPORT_FORMATS,
    EXPORT_REPORTS,
    BreachRow,
    QualityReport,
    ReportGroup,
    ResponseTimeReport,
    SlaReport,
)
from shared.roles import Capability

requires_reports = requires_to(Capability.READ_REPORTS)
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
    station_id: Annotated[
        uuid.UUID | None, QueryParameter(description="jobs at sites in this service station's area")
    ] = None,
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
        station_id=station_id,
    )


def provide_report_service(db_session: DbSession, state: State) -> ReportService:
    """The service, with month boundaries in the server's time zone (its offset now; no DST in China)."""
    offset = utcnow().astimezone(ZoneInfo(state.settings.timezone)).utcoffset() or timedelta(0)
    return ReportService(db_session, utc_offset_minutes=int(offset.total_seconds() // 60))


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise DomainError(
            "now needs a time zone, e.g. 2026-06-01T00:00:00+08:00",
            field="now",
            code="time.needs_zone",
            params={"field": "now"},
        )
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
        group_by: Annotated[
            ReportGroup | None, QueryParameter(description="station: also the figures per service station")
        ] = None,
    ) -> SlaReport:
        """Compliance per promise (respond, onsite, fix) and backup equipment for late fixes; with
        ``group_by=station`` also per service station (the one covering each job's site)."""
        return await reports.sla(filters, _now(now), by_station=group_by is ReportGroup.STATION)

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


Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]
BREACH_EXPORT_MAX = 20_000


async def _filter_lines(
    db_session: DbSession, filters: ReportFilters, maker: TableMaker
) -> list[tuple[str, str]]:
    """The filters a file was made with, in words (names, not ids)."""
    t = maker.t
    lines = [
        (t("report.filter.from"), maker.when(filters.received_from) or t("report.filter.any")),
        (t("report.filter.to"), maker.when(filters.received_to) or t("report.filter.any")),
    ]
    for key, model, value in (
        ("customer", Customer, filters.customer_id),
        ("site", Site, filters.site_id),
        ("engineer", User, filters.engineer_id),
        ("station", ServiceStation, filters.station_id),
    ):
        if value is not None:
            row = await db_session.get(model, value)
            name = getattr(row, "display_name", None) or getattr(row, "name", None) or str(value)
            lines.append((t(f"report.filter.{key}"), name))
    if filters.severity is not None:
        lines.append((t("report.filter.severity"), t(f"enum.severity.{filters.severity.value}")))
    if filters.category is not None:
        lines.append((t("report.filter.category"), t(f"enum.category.{filters.category.value}")))
    if filters.kind is not None:
        lines.append((t("report.filter.kind"), t(f"enum.kind.{filters.kind.value}")))
    return lines


class ExportController(Controller):
    path = "/api/exports"
    tags = ["reports"]  # noqa: RUF012
    guards = [requires_reports]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "filters": Provide(provide_filters, sync_to_thread=False),
        "reports": Provide(provide_report_service, sync_to_thread=False),
    }

    @get("/{name:str}", media_type="application/octet-stream")
    async def export(
        self,
        name: FromPath[str],
        filters: Filters,
        reports: Reports,
        db_session: DbSession,
        state: State,
        group_by: Annotated[
            ReportGroup | None,
            QueryParameter(
                description="response-times: one row per group; sla: station only, rows per station"
            ),
        ] = None,
        now: Annotated[
            datetime | None, QueryParameter(description="sla/breaches: judge open jobs at")
        ] = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """A report as a file: ``response-times``, ``sla``, ``breaches``, ``quality``, ``feedback`` or
        ``incidents`` (the quality incidents of the period),
        each as ``.csv`` (UTF-8 with BOM) or ``.xlsx``, e.g. ``/api/exports/response-times.xlsx?group_by=engineer``.
        Takes the filters of ``/api/reports/*``."""
        report, _, fmt = name.rpartition(".")
        if report not in EXPORT_REPORTS or fmt not in EXPORT_FORMATS:
            raise NotFound(
                f"no export '{name}': use one of {', '.join(EXPORT_REPORTS)} with .csv or .xlsx",
                field="name",
                code="export.unknown",
                params={
                    "name": name,
                    "choices": [f"{r}.{f}" for r in EXPORT_REPORTS for f in EXPORT_FORMATS],
                },
            )
        lang = lang if lang in LANGS else "zh-CN"
        judged_at = now or utcnow()
        if judged_at.tzinfo is None:
            raise Invalid(
                "now needs a time zone, e.g. 2026-06-01T00:00:00+08:00",
                field="now",
                code="time.needs_zone",
                params={"field": "now"},
            )
        maker = TableMaker(lang, ZoneInfo(state.settings.timezone))
        table: Table
        if report == "response-times":
            table = maker.response_times(await reports.response_times(filters, group_by))
        elif report == "sla":
            table = maker.sla(
                await reports.sla(filters, judged_at, by_station=group_by is ReportGroup.STATION)
            )
        elif report == "breaches":
            rows: list[BreachRow] = []
            while len(rows) < BREACH_EXPORT_MAX:
                page = await reports.breaches(filters, judged_at, MAX_LIMIT, len(rows))
                rows += page.items
                if len(rows) >= page.total or not page.items:
                    break
            table = maker.breaches(rows)
        else:
            quality = await reports.quality(filters)
            if report == "quality":
                table = maker.quality(quality)
            elif report == "incidents":
                table = maker.incidents(quality)
            else:
                table = maker.feedback(quality)
        stamp = utcnow().astimezone(maker.tz).strftime("%Y%m%d-%H%M")
        filename = f"levee-{report}-{stamp}.{fmt}"
        if fmt == "csv":
            content, media_type = to_csv(table), "text/csv; charset=utf-8"
        else:
            lines = await _filter_lines(db_session, filters, maker)
            lines.append((translate(lang, "report.filter.made_at"), maker.when(utcnow())))
            content = await anyio.to_thread.run_sync(to_xlsx, table, lines)
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
