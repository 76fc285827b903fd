"""The monthly appraisal (绩效考核) per engineer, built from the figures the reports already measure.

Nothing is computed twice: response, on-site and fix times come from the response-time report grouped
by engineer, SLA compliance from the SLA report and first-time fixes and sign-off satisfaction from the
quality report (``server/reports``, each filtered to the engineer's jobs called in during the month),
return visits and their satisfaction from the monthly satisfaction report (``server/customers/file.py``).
Only the complaints about an engineer's jobs had no report yet; they are counted here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.customers.file import month_bounds, satisfaction_report
from server.db.models import Complaint, Job, User
from server.reports.exports import Table
from server.reports.filters import ReportFilters
from server.reports.service import ReportService
from shared.enums import Role
from shared.i18n import translate
from shared.local_time import full
from shared.people import Appraisal
from shared.reports import ReportGroup
from shared.sla import Promise

#: the columns of the export, in order (the catalogue's ``people.appraisal.col.<name>``)
COLUMNS = (
    "engineer",
    "month",
    "jobs",
    "respond_median_min",
    "onsite_median_min",
    "fix_median_min",
    "respond_compliance_pct",
    "onsite_compliance_pct",
    "fix_compliance_pct",
    "breaches",
    "first_time_fix_pct",
    "resolved_repairs",
    "satisfaction_avg",
    "return_visits",
    "return_visit_avg",
    "unreachable",
    "complaints",
)


async def appraisals(
    session: AsyncSession,
    month: str,
    tz: tzinfo,
    now: datetime,
    engineer_id: uuid.UUID | None = None,
) -> list[Appraisal]:
    """The month's appraisal of every engineer (or of one), by name."""
    start, end = month_bounds(month, tz)
    offset = int((start.utcoffset() or timedelta(0)).total_seconds() // 60)
    reports = ReportService(session, utc_offset_minutes=offset)
    query = select(User).where(User.role == Role.ENGINEER.value).order_by(User.display_name, User.id)
    if engineer_id is not None:
        query = query.where(User.id == engineer_id)
    engineers = (await session.scalars(query)).all()
    month_filters = ReportFilters(received_from=start, received_to=end)
    times = {
        row.key: row
        for row in (await reports.response_times(month_filters, ReportGroup.ENGINEER)).rows
        if row.key is not None
    }
    visits = {r.engineer_id: r for r in (await satisfaction_report(session, month, tz)).engineers}
    about = (
        select(Job.assigned_engineer_id, func.count(Complaint.id))
        .join(Job, Job.id == Complaint.job_id)
        .where(Complaint.received_at >= start, Complaint.received_at < end)
        .group_by(Job.assigned_engineer_id)
    )
    complaints: dict[uuid.UUID | None, int] = dict((await session.execute(about)).tuples().all())
    out = []
    for user in engineers:
        mine = ReportFilters(received_from=start, received_to=end, engineer_id=user.id)
        sla = {p.promise: p for p in (await reports.sla(mine, now)).promises}
        quality = await reports.quality(mine)
        row = times.get(str(user.id))
        visit = visits.get(user.id)
        out.append(
            Appraisal(
                engineer_id=user.id,
                engineer_name=user.display_name,
                month=month,
                jobs=row.jobs if row else 0,
                respond_median_min=row.acknowledge.median_min if row else None,
                onsite_median_min=row.arrive.median_min if row else None,
                fix_median_min=row.fix.median_min if row else None,
                respond_compliance_pct=sla[Promise.RESPOND].compliance_pct,
                onsite_compliance_pct=sla[Promise.ONSITE].compliance_pct,
                fix_compliance_pct=sla[Promise.FIX].compliance_pct,
                breaches=sum(p.breached for p in sla.values()),
                first_time_fix_pct=quality.first_time_fix_pct,
                resolved_repairs=quality.resolved_repairs,
                satisfaction_avg=quality.satisfaction_avg,
                return_visits=visit.visits if visit else 0,
                return_visit_avg=visit.visit_average if visit else None,
                unreachable=visit.unreachable if visit else 0,
                complaints=int(complaints.get(user.id, 0)),
                made_at=now,
            )
        )
    return out


def appraisal_table(
    rows: list[Appraisal], month: str, lang: str, tz: tzinfo, made_at: datetime
) -> tuple[Table, list[tuple[str, str]]]:
    """The appraisal as the table of its CSV/XLSX file, one row per engineer. Text cells are neutralised
    by the writers (``server/reports/exports.py: cell_text``); numbers stay numbers."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    table = Table(t("people.appraisal.title"), [t(f"people.appraisal.col.{c}") for c in COLUMNS])
    for r in rows:
        values = r.model_dump()
        table.rows.append([r.engineer_name, *(values[c] for c in COLUMNS[1:])])
    lines = [(t("people.appraisal.month"), month), (t("people.appraisal.made_at"), full(made_at, tz))]
    return table, lines
