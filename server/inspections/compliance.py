"""The inspection compliance report: per customer, the visits planned in a month and how they went.

A planned visit is a job made by a schedule (``schedule_id`` set) whose ``due_on`` falls in the month.
Its resolution time (``resolved_at``, the engineer's tap) is turned into a local date in the company's
time zone and judged by ``shared.schedules.compliance``: on time, late, missed or still pending.
"""

from __future__ import annotations

import uuid
from datetime import date, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Job
from server.reports.exports import Table, TableMaker
from shared.enums import JobStatus
from shared.schedules import ComplianceReport, ComplianceRow, compliance, month_bounds


async def compliance_report(
    session: AsyncSession, month: str, *, today: date, tz: tzinfo, customer_id: uuid.UUID | None = None
) -> ComplianceReport:
    """``month`` is ``YYYY-MM`` (ValueError otherwise); rows by customer name, then the total."""
    first, last = month_bounds(month)
    query = (
        select(Job.customer_id, Customer.name, Job.due_on, Job.resolved_at, Job.status)
        .join(Customer, Customer.id == Job.customer_id)
        .where(Job.schedule_id.is_not(None), Job.due_on >= first, Job.due_on <= last)
    )
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    rows: dict[uuid.UUID, ComplianceRow] = {}
    total = ComplianceRow(customer_id=None, customer_name="")
    for cid, name, due_on, resolved_at, status in (await session.execute(query)).all():
        row = rows.setdefault(cid, ComplianceRow(customer_id=cid, customer_name=name))
        cancelled = status == JobStatus.CANCELLED.value
        resolved_on = resolved_at.astimezone(tz).date() if resolved_at is not None and not cancelled else None
        outcome = compliance(due_on, resolved_on, cancelled, today).value
        for target in (row, total):
            target.planned += 1
            setattr(target, outcome, getattr(target, outcome) + 1)
    ordered = sorted(rows.values(), key=lambda r: (r.customer_name, str(r.customer_id)))
    return ComplianceReport(month=month, today=today, rows=ordered, total=total)


def compliance_table(report: ComplianceReport, maker: TableMaker) -> Table:
    """The report as a table for CSV / XLSX: one row per customer, then the total."""
    t = maker.t
    table = Table(
        title=t("inspections.report.title", month=report.month),
        headers=[
            t("inspections.report.customer"),
            t("inspections.report.planned"),
            t("inspections.report.on_time"),
            t("inspections.report.late"),
            t("inspections.report.missed"),
            t("inspections.report.pending"),
            t("inspections.report.rate"),
        ],
        note=t("inspections.report.note", today=report.today.isoformat()),
    )
    for row in [*report.rows, report.total]:
        label = row.customer_name if row.customer_id is not None else t("inspections.report.total")
        table.rows.append(
            [label, row.planned, row.on_time, row.late, row.missed, row.pending, row.on_time_rate()]
        )
    return table
