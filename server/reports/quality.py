"""The quality report: first-time fixes, satisfaction, backup equipment lent, monthly feedback."""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Equipment, Job
from server.reports.filters import ReportFilters
from server.reports.sql import US_PER_DAY, count_if, duration_us, local_month, percent, ratio
from shared.enums import EquipmentCategory, JobKind, JobStatus
from shared.reports import FaultSource, FeedbackRow, QualityReport

REPEAT_WINDOW_DAYS = 30
CANCELLED = JobStatus.CANCELLED.value
REPAIR = JobKind.REPAIR.value


async def quality_report(
    session: AsyncSession, dialect: str, utc_offset_minutes: int, filters: ReportFilters
) -> QualityReport:
    """First-time fixes, satisfaction, backup equipment lent and the monthly quality feedback.

    First-time fix: a resolved, not cancelled repair job on a known piece of equipment is a
    first-time fix when no other (not cancelled) repair job on the same equipment was received after
    its ``resolved_at`` and at most 30 days (30 * 24 h) after it. The repeat call counts whatever the
    report's filters, so a repeat handled by another engineer or reported next month still counts
    against the first fix. The rate is first-time fixes / resolved repair jobs. (A job whose
    resolution is stamped before its own call, a clock error that flags its times, sees its own call
    as the repeat.)

    Satisfaction: mean and count of ``satisfaction`` (1..5) over signed-off jobs that have one.

    Feedback: not cancelled repair jobs per month of the call (server time zone), equipment model
    and category, and fault, where the fault is the recorded cause or, if none yet, the symptom.
    """
    d = dialect
    conditions = filters.conditions()
    resolved_repair = and_(
        Job.kind == REPAIR,
        Job.resolved_at.isnot(None),
        Job.equipment_id.isnot(None),
        Job.status != CANCELLED,
    )
    # First-time fixes with one window instead of a self-join: per piece of equipment, every repair
    # call (kind 1, whatever the filters) and every resolution the report covers (kind 0), newest
    # first; the earliest call strictly after a resolution is the minimum over the rows before it (a
    # call at the very same instant sorts after the resolution, so it is not "after").
    events = union_all(
        select(
            Job.equipment_id.label("equipment_id"),
            Job.call_received_at.label("at"),
            literal_column("1").label("kind"),
        ).where(Job.kind == REPAIR, Job.status != CANCELLED, Job.equipment_id.isnot(None)),
        select(Job.equipment_id, Job.resolved_at, literal_column("0")).where(resolved_repair, *conditions),
    ).subquery("events")
    next_call = func.min(case((events.c.kind == 1, events.c.at))).over(
        partition_by=events.c.equipment_id,
        order_by=[events.c.at.desc(), events.c.kind],
        rows=(None, 0),
    )
    marked = select(events.c.kind, events.c.at, next_call.label("next_call")).subquery("marked")
    fixed = marked.c.kind == 0
    first_time = and_(
        fixed,
        or_(
            marked.c.next_call.is_(None),
            duration_us(d, marked.c.next_call, marked.c.at) > REPEAT_WINDOW_DAYS * US_PER_DAY,
        ),
    )
    ftf_row = (
        (await session.execute(select(count_if(fixed).label("resolved"), count_if(first_time).label("ftf"))))
        .mappings()
        .one()
    )
    rated = and_(Job.signed_off_at.isnot(None), Job.satisfaction.isnot(None))
    summary = select(
        func.coalesce(func.sum(case((rated, Job.satisfaction))), 0).label("sat_sum"),
        count_if(rated).label("sat_n"),
        count_if(Job.backup_lent).label("lent"),
    ).where(*conditions)
    row = (await session.execute(summary)).mappings().one()

    has_cause = func.trim(Job.cause) != ""
    lines = (
        select(
            local_month(d, Job.call_received_at, utc_offset_minutes).label("month"),
            Equipment.model.label("model"),
            Equipment.category.label("category"),
            case(
                (has_cause, literal_column(f"'{FaultSource.CAUSE}'")),
                else_=literal_column(f"'{FaultSource.SYMPTOM}'"),
            ).label("source"),
            case((has_cause, func.trim(Job.cause)), else_=func.trim(Job.symptom)).label("fault"),
        )
        .select_from(Job)
        .outerjoin(Equipment, Equipment.id == Job.equipment_id)
        .where(*conditions, Job.kind == REPAIR, Job.status != CANCELLED)
        .subquery("lines")
    )
    c = lines.c
    grouped = select(c.month, c.model, c.category, c.source, c.fault, func.count().label("jobs")).group_by(
        c.month, c.model, c.category, c.source, c.fault
    )
    feedback = [
        FeedbackRow(
            month=r["month"],
            equipment_model=r["model"],
            category=EquipmentCategory(r["category"]) if r["category"] else None,
            fault_source=FaultSource(r["source"]),
            fault=r["fault"] or "",
            jobs=int(r["jobs"]),
        )
        for r in (await session.execute(grouped)).mappings()
    ]
    # a stable order that does not depend on either database's collation
    feedback.sort(
        key=lambda f: (
            f.month,
            -f.jobs,
            f.category or "",
            f.equipment_model or "",
            f.fault_source,
            f.fault,
        )
    )
    resolved, ftf = int(ftf_row["resolved"]), int(ftf_row["ftf"])
    return QualityReport(
        repeat_window_days=REPEAT_WINDOW_DAYS,
        resolved_repairs=resolved,
        first_time_fixes=ftf,
        first_time_fix_pct=percent(ftf, resolved),
        satisfaction_avg=ratio(int(row["sat_sum"]), int(row["sat_n"])),
        satisfaction_count=int(row["sat_n"]),
        backup_lent=int(row["lent"]),
        feedback=feedback,
        kinds=filters.kinds,
    )
