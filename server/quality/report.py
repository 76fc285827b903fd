"""The monthly quality report's incident section: the quality incidents of the period."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Job, QualityIncident, QualityIncidentJob, User
from server.reports.filters import ReportFilters
from shared.enums import Severity
from shared.quality import IncidentRow, IncidentStatus

#: the most incidents a report lists
MAX_ROWS = 1000


async def incident_rows(
    session: AsyncSession, utc_offset_minutes: int, filters: ReportFilters
) -> list[IncidentRow]:
    """The incidents live in the report's period: opened before its end and not closed before its start
    (an incident opened in May and still open is in June's report too), oldest first. The severity and
    equipment-category filters apply to the incident's own; the customer, site, engineer and job-kind
    filters do not (an incident spans customers). ``month`` is the month it was opened, local time."""
    query = select(QualityIncident).order_by(QualityIncident.opened_at, QualityIncident.number)
    if filters.received_to is not None:
        query = query.where(QualityIncident.opened_at < filters.received_to)
    if filters.received_from is not None:
        query = query.where(
            or_(QualityIncident.closed_at.is_(None), QualityIncident.closed_at >= filters.received_from)
        )
    if filters.severity is not None:
        query = query.where(QualityIncident.severity == filters.severity.value)
    if filters.category is not None:
        query = query.where(QualityIncident.category == filters.category.value)
    rows = list((await session.scalars(query.limit(MAX_ROWS))).all())
    if not rows:
        return []
    ids = [r.id for r in rows]
    counts = {
        incident_id: (int(jobs), int(customers))
        for incident_id, jobs, customers in (
            await session.execute(
                select(
                    QualityIncidentJob.incident_id,
                    func.count(),
                    func.count(func.distinct(Job.customer_id)),
                )
                .join(Job, Job.id == QualityIncidentJob.job_id)
                .where(QualityIncidentJob.incident_id.in_(ids))
                .group_by(QualityIncidentJob.incident_id)
            )
        ).tuples()
    }
    owners = dict(
        (
            await session.execute(
                select(User.id, User.display_name).where(User.id.in_({r.owner_id for r in rows}))
            )
        )
        .tuples()
        .all()
    )
    shift = timedelta(minutes=utc_offset_minutes)
    out = []
    for r in rows:
        opened = r.opened_at if r.opened_at.tzinfo else r.opened_at.replace(tzinfo=UTC)
        closed = r.closed_at if r.closed_at is None or r.closed_at.tzinfo else r.closed_at.replace(tzinfo=UTC)
        jobs, customers = counts.get(r.id, (0, 0))
        out.append(
            IncidentRow(
                month=(opened.astimezone(UTC) + shift).strftime("%Y-%m"),
                number=r.number,
                title=r.title,
                equipment_model=r.equipment_model,
                fault=r.fault,
                severity=Severity(r.severity),
                status=IncidentStatus(r.status),
                owner_name=owners.get(r.owner_id, ""),
                jobs=jobs,
                customers=customers,
                root_cause=r.root_cause,
                opened_at=opened,
                closed_at=closed,
            )
        )
    return out
