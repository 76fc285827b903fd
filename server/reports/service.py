"""The manager's reports, aggregated in the database with SQLAlchemy Core (SQLite and PostgreSQL).

Nothing here loads job rows into Python: each report is a few aggregate statements, and Python only
turns their results (exact integer microseconds, counts, sums) into minutes, percentages and response
models. Times are the device-recorded tap times stored on the job (``acknowledged_at``, ``arrived_at``,
``resolved_at``); when an event reached the server (``job_events.received_at``) never enters a figure,
so a tablet that synced days late changes nothing.

Percentiles: linear interpolation between closest ranks (the definition of PostgreSQL's
``percentile_cont``), exact and identical on both databases; see :mod:`server.reports.durations`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Job, JobLoan, ServiceStation, Site, User
from server.paging import MAX_OFFSET
from server.quality.report import incident_rows
from server.reports.durations import (
    Figures,
    base_cte,
    postgres_rows,
    postgres_statement,
    sqlite_rows,
    sqlite_statement,
)
from server.reports.filters import ReportFilters
from server.reports.quality import quality_report
from server.reports.sql import (
    count_if,
    dialect_name,
    duration_us,
    local_month,
    minutes,
    percent,
)
from server.stations.service import job_station
from shared.enums import JobStatus, Severity
from shared.models import Page
from shared.reports import (
    BackupCompliance,
    BreachRow,
    MeasureStats,
    PromiseBreach,
    PromiseCompliance,
    QualityReport,
    ReportGroup,
    ResponseTimeReport,
    ResponseTimeRow,
    SlaReport,
    StationCompliance,
    TimeStats,
)
from shared.sla import CLOCKS, PROMISE_FIELDS, Promise

#: promise -> (deadline column, the stamp that keeps it), the engineer's three clocks (shared/sla.py)
PROMISES: dict[Promise, tuple[Any, Any]] = {
    p: (getattr(Job, PROMISE_FIELDS[p][0]), getattr(Job, PROMISE_FIELDS[p][1])) for p in CLOCKS
}
CANCELLED = JobStatus.CANCELLED.value


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else uuid.UUID(str(value))


class ReportService:
    """Reports over the jobs a :class:`ReportFilters` selects.

    ``utc_offset_minutes`` places month boundaries (``group_by=month``, quality feedback) in the server's
    time zone; it is a fixed offset, exact for Asia/Shanghai (no daylight saving).
    """

    def __init__(self, session: AsyncSession, utc_offset_minutes: int = 480) -> None:
        self.session = session
        self.dialect = dialect_name(session.bind)
        self.offset = utc_offset_minutes

    @staticmethod
    def _at(stamp: datetime) -> BindParameter[datetime]:
        if stamp.tzinfo is None:
            raise ValueError("report times must carry a time zone")
        return bindparam("now", stamp, type_=DateTimeUTC())

    # --- response times --------------------------------------------------------------------------

    def _group_key(self, group_by: ReportGroup | None) -> Any:
        if group_by is ReportGroup.ENGINEER:
            return Job.assigned_engineer_id
        if group_by is ReportGroup.CUSTOMER:
            return Job.customer_id
        if group_by is ReportGroup.SEVERITY:
            return Job.severity
        if group_by is ReportGroup.MONTH:
            return local_month(self.dialect, Job.call_received_at, self.offset)
        if group_by is ReportGroup.STATION:
            return job_station(Job)
        return None

    async def response_times(
        self, filters: ReportFilters, group_by: ReportGroup | None = None
    ) -> ResponseTimeReport:
        """Time to acknowledge, to arrive and to fix: count, median, p90, max, with and without flagged jobs.

        Jobs without the stamp (still open for that step) are left out of that measure only. One
        statement computes everything; see :mod:`server.reports.durations` for how each database does it.
        """
        key = self._group_key(group_by)
        base = base_cte(self.dialect, filters, key)
        if self.dialect == "postgresql":
            # the sorts behind percentile_cont stay in memory (this transaction only)
            await self.session.execute(text("SET LOCAL work_mem = '32MB'"))
            result = await self.session.execute(postgres_statement(base))
            jobs, figures = postgres_rows(list(result.mappings()))
        else:
            result = await self.session.execute(sqlite_statement(base))
            jobs, figures = sqlite_rows(list(result.mappings()))
        if key is None:
            jobs = {None: sum(jobs.values())}
            figures = {(None, m): f for (_, m), f in figures.items()}
        labels = await self._labels(group_by, [k for k in jobs if k is not None])
        rows = []
        for k, n in jobs.items():
            ident = _uuid(k) if labels is not None else k
            rows.append(
                ResponseTimeRow(
                    key=None if ident is None else str(ident),
                    label=labels.get(ident) if labels is not None else (None if k is None else str(k)),
                    jobs=n,
                    acknowledge=_measure(figures.get((k, "acknowledge"))),
                    arrive=_measure(figures.get((k, "arrive"))),
                    fix=_measure(figures.get((k, "fix"))),
                )
            )
        rows.sort(key=lambda row: (row.key is None, row.label or "", row.key or ""))
        return ResponseTimeReport(group_by=group_by, rows=rows, kinds=filters.kinds)

    async def _labels(
        self, group_by: ReportGroup | None, keys: list[Any]
    ) -> dict[uuid.UUID | None, str] | None:
        """Names for engineer, customer and station ids (None for the other groupings)."""
        columns: tuple[Any, Any]
        if group_by is ReportGroup.ENGINEER:
            columns = (User.id, User.display_name)
        elif group_by is ReportGroup.CUSTOMER:
            columns = (Customer.id, Customer.name)
        elif group_by is ReportGroup.STATION:
            columns = (ServiceStation.id, ServiceStation.name)
        else:
            return None
        ids = [_uuid(k) for k in keys]
        if not ids:
            return {}
        rows = await self.session.execute(select(*columns).where(columns[0].in_(ids)))
        return {_uuid(i): str(n) for i, n in rows.all()}

    # --- SLA --------------------------------------------------------------------------------------

    async def sla(self, filters: ReportFilters, now: datetime, by_station: bool = False) -> SlaReport:
        """Per promise: met, breached (done late, or open past the deadline at ``now``), open not yet due.

        A cancelled job counts for a promise only if it got the stamp (a cancelled call is not open).
        Backup equipment: jobs whose backup deadline passed before they were resolved (or while they
        are still open), and how many of those had backup equipment lent. ``by_station``: the promise
        figures also per service station covering each job's site (one GROUP BY statement more).
        """
        at = self._at(now)
        cancelled = Job.status == CANCELLED
        aggregates = self._promise_aggregates(at)
        overdue = and_(
            Job.backup_due_at.isnot(None),
            Job.backup_due_at < at,
            or_(Job.resolved_at > Job.backup_due_at, and_(Job.resolved_at.is_(None), ~cancelled)),
        )
        # The loan record says when the unit reached the customer (the tablet's lent_at): in time when by
        # the backup deadline. ``backup_lent`` is the job's flag, which every loan sets.
        in_time = exists().where(JobLoan.job_id == Job.id, JobLoan.lent_at <= Job.backup_due_at)
        still_out = exists().where(JobLoan.job_id == Job.id, JobLoan.returned_at.is_(None))
        backup = [
            count_if(and_(Job.status.in_(["closed", "cancelled"]), still_out)).label(
                "backup_out_after_close"
            ),
            count_if(overdue).label("backup_overdue"),
            count_if(and_(overdue, Job.backup_lent)).label("backup_lent"),
            count_if(and_(overdue, in_time)).label("backup_in_time"),
        ]
        row = (
            (await self.session.execute(select(*aggregates, *backup).where(*filters.conditions())))
            .mappings()
            .one()
        )
        stations: list[StationCompliance] = []
        if by_station:
            key = job_station(Job).label("station")
            grouped = (
                await self.session.execute(
                    select(key, *aggregates).where(*filters.conditions()).group_by(key)
                )
            ).mappings()
            per = {_uuid(r["station"]): _compliance(r) for r in grouped}
            labels = await self._labels(ReportGroup.STATION, [k for k in per if k is not None]) or {}
            stations = sorted(
                (
                    StationCompliance(
                        key=None if k is None else str(k), label=labels.get(k), promises=promises
                    )
                    for k, promises in per.items()
                ),
                key=lambda s: (s.key is None, s.label or "", s.key or ""),
            )
        overdue_n, lent = int(row["backup_overdue"]), int(row["backup_lent"])
        return SlaReport(
            now=now,
            kinds=filters.kinds,
            promises=_compliance(row),
            backup=BackupCompliance(
                overdue=overdue_n,
                backup_lent=lent,
                lent_pct=percent(lent, overdue_n),
                lent_in_time=int(row["backup_in_time"]),
                out_after_close=int(row["backup_out_after_close"]),
            ),
            stations=stations,
        )

    @staticmethod
    def _promise_aggregates(at: Any) -> list[Any]:
        cancelled = Job.status == CANCELLED
        aggregates: list[Any] = []
        for promise, (due, done) in PROMISES.items():
            has = and_(due.isnot(None), or_(done.isnot(None), ~cancelled))
            aggregates += [
                count_if(has).label(f"{promise}_jobs"),
                count_if(and_(has, done <= due)).label(f"{promise}_met"),
                count_if(and_(has, done > due)).label(f"{promise}_late"),
                count_if(and_(has, done.is_(None), due < at)).label(f"{promise}_open_breached"),
                count_if(and_(has, done.is_(None), due >= at)).label(f"{promise}_open_not_due"),
            ]
        return aggregates

    # --- breaches ---------------------------------------------------------------------------------

    async def breaches(
        self, filters: ReportFilters, now: datetime, limit: int, offset: int
    ) -> Page[BreachRow]:
        """Jobs that broke any promise, newest call first, with how late each promise was.

        respond/onsite/fix are broken when their stamp came after the deadline, or is still missing
        past it (cancelled jobs aside). backup is broken when the job was not resolved by its backup
        deadline and no backup equipment was lent; its lateness runs until resolution (or ``now``).
        """
        d = self.dialect
        at = self._at(now)
        cancelled = Job.status == CANCELLED
        due, done = PROMISE_FIELDS[Promise.BACKUP]
        specs = {**PROMISES, Promise.BACKUP: (getattr(Job, due), getattr(Job, done))}
        conditions: list[ColumnElement[bool]] = []
        columns: list[Any] = []
        for promise, (due, done) in specs.items():
            broken = or_(done > due, and_(done.is_(None), ~cancelled, due < at))
            if promise is Promise.BACKUP:
                broken = and_(broken, ~Job.backup_lent)
            conditions.append(broken)
            late = case((broken, duration_us(d, func.coalesce(done, at), due)))
            columns += [
                due.label(f"{promise}_due"),
                done.label(f"{promise}_done"),
                late.label(f"{promise}_us"),
            ]
        where = [*filters.conditions(), or_(*conditions)]
        total = await self.session.scalar(select(func.count()).select_from(Job).where(*where))
        query = (
            select(
                Job.id,
                Job.number,
                Job.status,
                Job.severity,
                Job.call_received_at,
                Job.times_flagged,
                Job.backup_lent,
                Customer.name.label("customer_name"),
                Site.name.label("site_name"),
                User.display_name.label("engineer_name"),
                *columns,
            )
            .join(Customer, Customer.id == Job.customer_id)
            .join(Site, Site.id == Job.site_id)
            .outerjoin(User, User.id == Job.assigned_engineer_id)
            .where(*where)
            .order_by(Job.call_received_at.desc(), Job.id.desc())
            .limit(limit)
            .offset(min(offset, MAX_OFFSET))
        )
        items = []
        for row in (await self.session.execute(query)).mappings():
            broken_list = [
                PromiseBreach(
                    promise=promise,
                    due_at=row[f"{promise}_due"],
                    done_at=row[f"{promise}_done"],
                    minutes_late=minutes(row[f"{promise}_us"]) or 0.0,
                    still_open=row[f"{promise}_done"] is None,
                )
                for promise in specs
                if row[f"{promise}_us"] is not None
            ]
            items.append(
                BreachRow(
                    job_id=row["id"],
                    number=row["number"],
                    status=JobStatus(row["status"]),
                    severity=Severity(row["severity"]),
                    call_received_at=row["call_received_at"],
                    customer_name=row["customer_name"],
                    site_name=row["site_name"],
                    engineer_name=row["engineer_name"],
                    times_flagged=bool(row["times_flagged"]),
                    backup_lent=bool(row["backup_lent"]),
                    breaches=broken_list,
                )
            )
        return Page[BreachRow](items=items, total=int(total or 0), limit=limit, offset=offset)

    # --- quality ----------------------------------------------------------------------------------

    async def quality(self, filters: ReportFilters) -> QualityReport:
        """See :func:`server.reports.quality.quality_report`; with the period's quality incidents
        (:func:`server.quality.report.incident_rows`)."""
        report = await quality_report(self.session, self.dialect, self.offset, filters)
        report.incidents = await incident_rows(self.session, self.offset, filters)
        return report


def _compliance(row: Any) -> list[PromiseCompliance]:
    """The three promises' figures from one row of :meth:`ReportService._promise_aggregates`."""
    out = []
    for promise in PROMISES:
        met, late = int(row[f"{promise}_met"]), int(row[f"{promise}_late"])
        open_breached = int(row[f"{promise}_open_breached"])
        breached = late + open_breached
        out.append(
            PromiseCompliance(
                promise=promise,
                jobs=int(row[f"{promise}_jobs"]),
                met=met,
                breached=breached,
                done_late=late,
                open_breached=open_breached,
                open_not_due=int(row[f"{promise}_open_not_due"]),
                compliance_pct=percent(met, met + breached),
            )
        )
    return out


def _measure(fig: Figures | None) -> MeasureStats:
    """One measure's figures as minutes; ``None`` (no job had the stamp) gives the empty measure."""
    if fig is None:
        fig = Figures(0, 0, None, None, None, None, None, None)

    def stats(count: int, median2: Any, p90x10: Any, top: Any) -> TimeStats:
        if count == 0:
            return TimeStats(count=0, median_min=None, p90_min=None, max_min=None)
        return TimeStats(
            count=count, median_min=minutes(median2, 2), p90_min=minutes(p90x10, 10), max_min=minutes(top)
        )

    overall = stats(fig.count, fig.median, fig.p90, fig.max)
    return MeasureStats(
        **overall.model_dump(),
        flagged_jobs=fig.count - fig.count_clean,
        excluding_flagged=stats(fig.count_clean, fig.median_clean, fig.p90_clean, fig.max_clean),
    )
