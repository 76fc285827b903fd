"""Routes the back-office console needs: ``/api/console/*``, the service form, and report exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from server.console.exports import Table, TableMaker, to_csv, to_xlsx
from server.console.form import photo_bytes, service_form
from server.console.form_pdf import MAX_PHOTOS, render_form_pdf
from server.console.office import conflict_rows, engineer_loads
from server.db.base import utcnow
from server.db.models import Customer, Site, User
from server.deps import DbSession, requires, requires_dispatch
from server.errors import Invalid, NotFound
from server.paging import MAX_LIMIT
from server.reports.controller import (
    Filters,
    Reports,
    provide_filters,
    provide_report_service,
    requires_reports,
)
from server.reports.filters import ReportFilters
from shared.console import EXPORT_FORMATS, EXPORT_REPORTS, ConflictRow, EngineerLoad, ServiceForm
from shared.enums import Role
from shared.i18n import LANGS, translate
from shared.models import Page
from shared.reports import BreachRow, ReportGroup

requires_review = requires(Role.MANAGER, Role.QA, Role.DISPATCHER, Role.ADMIN)
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]
BREACH_EXPORT_MAX = 20_000


class ConsoleController(Controller):
    path = "/console"
    tags = ["console"]  # noqa: RUF012

    @get("/engineers", guards=[requires_dispatch])
    async def engineers(self, db_session: DbSession) -> list[EngineerLoad]:
        """Every engineer with their open jobs (major, breached) and when their tablet last synced."""
        return await engineer_loads(db_session, utcnow())

    @get("/conflicts", guards=[requires_review])
    async def conflicts(
        self,
        db_session: DbSession,
        status: FromQuery[str | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[ConflictRow]:
        """The conflict review queue with job numbers and names; ``status=`` (empty) lists every status.

        Accept or override through ``/api/conflicts/{id}/accept`` and ``/override``.
        """
        rows, total = await conflict_rows(db_session, status=status or None, limit=limit, offset=offset)
        return Page[ConflictRow](items=rows, total=total, limit=limit, offset=offset)


class ServiceFormController(Controller):
    path = "/jobs"
    tags = ["console"]  # noqa: RUF012
    guards = [requires_review]  # noqa: RUF012

    @get("/{job_id:uuid}/form")
    async def form(self, job_id: FromPath[uuid.UUID], db_session: DbSession) -> ServiceForm:
        """The whole service form: job, timeline with clock flags, checklist, parts, photos (metadata)."""
        return await service_form(db_session, job_id)

    @get("/{job_id:uuid}/form.pdf", media_type="application/pdf")
    async def form_pdf(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, state: State, lang: Lang = "zh-CN"
    ) -> Response[bytes]:
        """The printable service form (A4, Chinese by default) with the customer's signature."""
        form = await service_form(db_session, job_id)
        photos = await photo_bytes(db_session, form, MAX_PHOTOS)
        render = partial(
            render_form_pdf,
            form,
            lang=lang,
            tz=ZoneInfo(state.settings.timezone),
            printed_at=utcnow(),
            photos=photos,
        )
        pdf = await anyio.to_thread.run_sync(render)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{form.job.number}.pdf"'},
        )


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
    path = "/exports"
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
        group_by: Annotated[ReportGroup | None, QueryParameter(description="response-times only")] = None,
        now: Annotated[
            datetime | None, QueryParameter(description="sla/breaches: judge open jobs at")
        ] = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """A report as a file: ``response-times``, ``sla``, ``breaches``, ``quality`` or ``feedback``,
        each as ``.csv`` (UTF-8 with BOM) or ``.xlsx``, e.g. ``/api/exports/response-times.xlsx?group_by=engineer``.
        Takes the filters of ``/api/reports/*``."""
        report, _, fmt = name.rpartition(".")
        if report not in EXPORT_REPORTS or fmt not in EXPORT_FORMATS:
            raise NotFound(
                f"no export '{name}': use one of {', '.join(EXPORT_REPORTS)} with .csv or .xlsx", field="name"
            )
        lang = lang if lang in LANGS else "zh-CN"
        judged_at = now or utcnow()
        if judged_at.tzinfo is None:
            raise Invalid("now needs a time zone, e.g. 2026-06-01T00:00:00+08:00", field="now")
        maker = TableMaker(lang, ZoneInfo(state.settings.timezone))
        table: Table
        if report == "response-times":
            table = maker.response_times(await reports.response_times(filters, group_by))
        elif report == "sla":
            table = maker.sla(await reports.sla(filters, judged_at))
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
            table = maker.quality(quality) if report == "quality" else maker.feedback(quality)
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


console_routes = Router(
    path="/api", route_handlers=[ConsoleController, ServiceFormController, ExportController]
)
