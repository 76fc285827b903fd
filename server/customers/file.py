"""The customer file (客户档案): sites, equipment with warranty, jobs, complaints, return visits and
satisfaction in one answer; and the monthly satisfaction per engineer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contacts.rows import contact_rows
from server.db.models import Complaint, Contact, Customer, Equipment, Job, ReturnVisit, Site, User
from server.errors import NotFound
from server.reports.exports import Table
from shared.clock import utcnow
from shared.customers import (
    ComplaintOut,
    ComplaintRow,
    CustomerFile,
    EngineerSatisfaction,
    EquipmentWarranty,
    FileJob,
    ReturnVisitOut,
    ReturnVisitRow,
    ReturnVisitStatus,
    SatisfactionReport,
    SatisfactionSummary,
)
from shared.i18n import translate
from shared.local_time import full
from shared.models import CustomerOut, EquipmentOut, SiteOut
from shared.warranty import warranty_state

FILE_JOBS = 200  # the newest jobs in a customer file; the total says how many there are
FILE_CONTACTS = 50  # the newest contacts of the register in a customer file


async def _names(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {r.id: r.display_name for r in rows}


def _average(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def summarise(
    visit_scores: Sequence[int], unreachable: int, acceptance_scores: Sequence[int]
) -> SatisfactionSummary:
    return SatisfactionSummary(
        visits=len(visit_scores),
        visit_average=_average(visit_scores),
        unreachable=unreachable,
        acceptances=len(acceptance_scores),
        acceptance_average=_average(acceptance_scores),
    )


async def complaint_rows(session: AsyncSession, complaints: Sequence[Complaint]) -> list[ComplaintRow]:
    customers = (
        {
            c.id: c.name
            for c in (
                await session.scalars(
                    select(Customer).where(Customer.id.in_({c.customer_id for c in complaints}))
                )
            ).all()
        }
        if complaints
        else {}
    )
    job_ids = {c.job_id for c in complaints if c.job_id}
    numbers = (
        dict((await session.execute(select(Job.id, Job.number).where(Job.id.in_(job_ids)))).tuples().all())
        if job_ids
        else {}
    )
    handlers = await _names(session, (c.handler_id for c in complaints))
    now = utcnow()
    return [
        ComplaintRow(
            **ComplaintOut.model_validate(c).model_dump(),
            customer_name=customers.get(c.customer_id, ""),
            job_number=numbers.get(c.job_id) if c.job_id else None,
            handler_name=handlers.get(c.handler_id, "") if c.handler_id else "",
            late=is_late(c, now),
        )
        for c in complaints
    ]


def is_late(complaint: Complaint, now: datetime) -> bool:
    """Past its deadline and still open, or closed after it."""
    due = complaint.due_at
    if due is None:
        return False
    due = due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
    closed = complaint.closed_at
    if closed is not None:
        return (closed if closed.tzinfo else closed.replace(tzinfo=now.tzinfo)) > due
    return now > due


async def visit_rows(
    session: AsyncSession, visits: Sequence[ReturnVisit], today: date
) -> list[ReturnVisitRow]:
    if not visits:
        return []
    jobs = {
        j.id: j
        for j in (await session.scalars(select(Job).where(Job.id.in_({v.job_id for v in visits})))).all()
    }
    customers = dict(
        (
            await session.execute(
                select(Customer.id, Customer.name).where(Customer.id.in_({v.customer_id for v in visits}))
            )
        )
        .tuples()
        .all()
    )
    engineers = await _names(session, (j.assigned_engineer_id for j in jobs.values()))
    out = []
    for v in visits:
        job = jobs.get(v.job_id)
        engineer = job.assigned_engineer_id if job else None
        out.append(
            ReturnVisitRow(
                **ReturnVisitOut.model_validate(v).model_dump(),
                job_number=job.number if job else "",
                job_kind=job.kind if job else None,
                customer_name=customers.get(v.customer_id, ""),
                engineer_id=engineer,
                engineer_name=engineers.get(engineer, "") if engineer else "",
                overdue=v.status != ReturnVisitStatus.DONE.value and v.scheduled_on < today,
            )
        )
    return out


async def customer_file(session: AsyncSession, customer_id: uuid.UUID, today: date) -> CustomerFile:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(
            f"no customer with id {customer_id}", code="customer.not_found", params={"id": customer_id}
        )
    sites = (
        await session.scalars(select(Site).where(Site.customer_id == customer.id).order_by(Site.name))
    ).all()
    site_names = {s.id: s.name for s in sites}
    equipment = (
        (
            await session.scalars(
                select(Equipment)
                .where(Equipment.site_id.in_(site_names))
                .order_by(Equipment.category, Equipment.serial_no)
            )
        ).all()
        if sites
        else []
    )
    jobs = (
        await session.scalars(
            select(Job)
            .where(Job.customer_id == customer.id)
            .order_by(Job.call_received_at.desc(), Job.id)
            .limit(FILE_JOBS)
        )
    ).all()
    jobs_total = int(
        await session.scalar(select(func.count()).select_from(Job).where(Job.customer_id == customer.id)) or 0
    )
    engineers = await _names(session, (j.assigned_engineer_id for j in jobs))
    complaints = (
        await session.scalars(
            select(Complaint)
            .where(Complaint.customer_id == customer.id)
            .order_by(Complaint.received_at.desc())
        )
    ).all()
    visits = (
        await session.scalars(
            select(ReturnVisit)
            .where(ReturnVisit.customer_id == customer.id)
            .order_by(ReturnVisit.scheduled_on.desc(), ReturnVisit.id)
        )
    ).all()
    accepted = (
        await session.scalars(
            select(Job.satisfaction).where(Job.customer_id == customer.id, Job.satisfaction.is_not(None))
        )
    ).all()
    return CustomerFile(
        customer=CustomerOut.model_validate(customer),
        sites=[SiteOut.model_validate(s) for s in sites],
        equipment=[
            EquipmentWarranty(
                **EquipmentOut.model_validate(e).model_dump(),
                site_name=site_names.get(e.site_id, ""),
                warranty_state=warranty_state(e.warranty_end, today),
            )
            for e in equipment
        ],
        jobs=[
            FileJob.model_validate(j).model_copy(
                update={
                    "engineer_name": engineers.get(j.assigned_engineer_id, "")
                    if j.assigned_engineer_id
                    else "",
                    "billing_overridden": j.billing_override_at is not None,
                }
            )
            for j in jobs
        ],
        jobs_total=jobs_total,
        complaints=await complaint_rows(session, complaints),
        return_visits=await visit_rows(session, visits, today),
        satisfaction=summarise(
            [v.satisfaction for v in visits if v.satisfaction is not None],
            sum(v.status == ReturnVisitStatus.UNREACHABLE.value for v in visits),
            [int(s) for s in accepted if s is not None],
        ),
        today=today,
        responsible_name=(await _names(session, [customer.responsible_id])).get(customer.responsible_id, "")
        if customer.responsible_id
        else "",
        contacts=await contact_rows(
            session,
            (
                await session.scalars(
                    select(Contact)
                    .where(Contact.customer_id == customer.id)
                    .order_by(Contact.received_at.desc(), Contact.id)
                    .limit(FILE_CONTACTS)
                )
            ).all(),
        ),
    )


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """``YYYY-MM`` as [first instant, first instant of the next month) in ``tz``."""
    year, mon = (int(p) for p in month.split("-"))
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)


async def satisfaction_report(session: AsyncSession, month: str, tz: tzinfo) -> SatisfactionReport:
    """Per engineer of the job: return visits made in ``month`` (satisfaction, unreachable) and the
    satisfaction customers gave when they signed off jobs in that month."""
    start, end = month_bounds(month, tz)
    visits = (
        await session.execute(
            select(Job.assigned_engineer_id, ReturnVisit.status, ReturnVisit.satisfaction)
            .join(Job, Job.id == ReturnVisit.job_id)
            .where(
                ReturnVisit.visited_at >= start,
                ReturnVisit.visited_at < end,
                ReturnVisit.status != ReturnVisitStatus.SCHEDULED.value,
            )
        )
    ).all()
    signed = (
        await session.execute(
            select(Job.assigned_engineer_id, Job.satisfaction).where(
                Job.signed_off_at >= start, Job.signed_off_at < end, Job.satisfaction.is_not(None)
            )
        )
    ).all()
    per: dict[uuid.UUID | None, tuple[list[int], list[int], list[int]]] = {}
    for engineer, status, score in visits:
        scores, unreachable, _ = per.setdefault(engineer, ([], [], []))
        if status == ReturnVisitStatus.UNREACHABLE.value:
            unreachable.append(1)
        elif score is not None:
            scores.append(int(score))
    for engineer, score in signed:
        per.setdefault(engineer, ([], [], []))[2].append(int(score))
    names = await _names(session, per)
    rows = [
        EngineerSatisfaction(
            engineer_id=engineer,
            engineer_name=names.get(engineer, ""),
            **summarise(scores, len(unreachable), accepted).model_dump(),
        )
        for engineer, (scores, unreachable, accepted) in per.items()
        if engineer is not None
    ]
    rows.sort(key=lambda r: (-(r.visit_average or 0), r.engineer_name))
    all_scores = [s for scores, _, _ in per.values() for s in scores]
    all_unreachable = sum(len(u) for _, u, _ in per.values())
    all_accepted = [s for _, _, accepted in per.values() for s in accepted]
    return SatisfactionReport(
        month=month, engineers=rows, total=summarise(all_scores, all_unreachable, all_accepted)
    )


def satisfaction_table(
    report: SatisfactionReport, lang: str, tz: tzinfo, made_at: datetime
) -> tuple[Table, list[tuple[str, str]]]:
    """The satisfaction report as the table of its CSV/XLSX file (one row per engineer, then everyone)
    and the lines saying what it covers. Text cells are neutralised by the writers
    (``server/reports/exports.py``)."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    table = Table(
        t("satisfaction_report.title"),
        [
            t("satisfaction_report.col.engineer"),
            t("satisfaction_report.col.visits"),
            t("satisfaction_report.col.visit_average"),
            t("satisfaction_report.col.unreachable"),
            t("satisfaction_report.col.acceptances"),
            t("satisfaction_report.col.acceptance_average"),
        ],
    )
    for name, s in [(r.engineer_name, r) for r in report.engineers] + [
        (t("satisfaction_report.all"), report.total)
    ]:
        table.rows.append(
            [name, s.visits, s.visit_average, s.unreachable, s.acceptances, s.acceptance_average]
        )
    lines = [
        (t("satisfaction_report.month"), report.month),
        (t("satisfaction_report.made_at"), full(made_at, tz)),
    ]
    return table, lines
