"""Demo data for the customer side: return visits after the closed jobs, a handful of complaints in
every state, two planned training sessions and an office billing decision. Called by ``server.seed``
after the jobs exist; the caller commits."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.customers.complaints import counter_name
from server.db.models import ChangeLog, Complaint, Equipment, Job, ReturnVisit, Site, User
from server.jobs.service import JobService, bump
from shared.customers import DEFAULT_RETURN_VISIT_DAYS, RETURN_VISIT_KINDS
from shared.enums import JobKind, JobStatus, Role
from shared.models import JobCreate

CST = timezone(timedelta(hours=8), "CST")
OUTCOMES = {
    5: "设备运行正常，对维修很满意",
    4: "问题已解决，希望到场再快一些",
    3: "基本满意，汛前需再检查一次",
    2: "维修后仍偶有异响，希望再来看看",
}
COMPLAINTS = [
    ("工程师到场比约定晚了两个多小时", "已向客户致歉，核查派单记录", "派单未考虑路程，已改为就近派单"),
    ("维修后水泵仍有异响", "安排工程师复查，更换轴承", "首次维修未检查轴承磨损，已补充检查项"),
    ("收费标准不清楚", "已向客户解释三包条款及收费依据", ""),
    ("回访电话打了三次才接通，态度一般", "", ""),
]
TRAININGS = [
    ("潜水排涝泵日常维护与汛前检查", "泵站会议室", ["站长", "值班员甲", "值班员乙", "机修工"]),
    ("柴油发电机组操作与应急启动", "防汛物资仓库", ["仓库主管", "驾驶员", "电工"]),
]


#: tables other seeds count too, which the training sessions and the billing decision add to
COUNTED: dict[str, Any] = {"jobs": Job, "change_log": ChangeLog}


async def _count(session: AsyncSession, model: Any) -> int:
    await session.flush()
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def seed_customers(
    session: AsyncSession, *, now: datetime, rng_seed: int, counts: dict[str, int]
) -> dict[str, int]:
    """Returns ``counts`` entries to update (the training sessions are jobs too)."""
    rng = random.Random(rng_seed + 11)
    before = {name: await _count(session, model) for name, model in COUNTED.items()}
    today = now.astimezone(CST).date()
    kinds = [k.value for k in RETURN_VISIT_KINDS]
    closed = list(
        (
            await session.scalars(
                select(Job)
                .where(Job.status == JobStatus.CLOSED.value, Job.kind.in_(kinds))
                .order_by(Job.call_received_at, Job.id)
            )
        ).all()
    )
    manager = await session.scalar(
        select(User).where(User.role == Role.MANAGER.value).order_by(User.username)
    )
    qa = await session.scalar(select(User).where(User.role == Role.QA.value).order_by(User.username))
    dispatcher = await session.scalar(
        select(User).where(User.role == Role.DISPATCHER.value).order_by(User.username)
    )
    caller = dispatcher or manager
    visits = []
    for job in closed:
        anchor = job.signed_off_at or job.closed_at or job.call_received_at
        due = anchor.astimezone(CST).date() + timedelta(days=DEFAULT_RETURN_VISIT_DAYS)
        visit = ReturnVisit(id=uuid.uuid4(), job_id=job.id, customer_id=job.customer_id, scheduled_on=due)
        if due < today - timedelta(days=2) and rng.random() < 0.9:
            if rng.random() < 0.08:
                visit.status, visit.note = "unreachable", "电话无人接听"
            else:
                score = rng.choices([5, 4, 3, 2], weights=[55, 30, 11, 4])[0]
                visit.status, visit.satisfaction, visit.outcome = "done", score, OUTCOMES[score]
                visit.method = "on_site" if rng.random() < 0.15 else "phone"
            visit.visited_at = datetime.combine(due, datetime.min.time(), CST) + timedelta(
                hours=rng.randint(9, 16), minutes=rng.randint(0, 59)
            )
            visit.visitor_id = caller.id if caller else None
        else:
            visit.status = "scheduled"
        visits.append(visit)
    session.add_all(visits)

    complaints = []
    picked = rng.sample(closed, min(len(COMPLAINTS), len(closed)))
    for job, (content, handling, root_cause) in zip(picked, COMPLAINTS, strict=False):
        received = (job.closed_at or now) + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
        received = min(received, now - timedelta(hours=1))
        year = received.astimezone(CST).year
        n = await take_numbers(session, counter_name(year))
        status = "closed" if root_cause else "handling" if handling else "received"
        complaints.append(
            Complaint(
                id=uuid.uuid4(),
                number=f"TS-{year}-{n:04d}",
                customer_id=job.customer_id,
                job_id=job.id,
                received_at=received,
                channel="phone",
                complainant="客户联系人",
                content=content,
                status=status,
                handler_id=(qa.id if qa else None) if handling else None,
                handling=handling,
                root_cause=root_cause,
                closed_at=received + timedelta(days=2) if root_cause else None,
                created_by=caller.id if caller else None,
            )
        )
    session.add_all(complaints)

    decided = 0
    repairs = [j for j in closed if j.kind == JobKind.REPAIR.value and j.billable is False]
    if repairs and manager is not None:
        job = rng.choice(repairs)
        job.billable, job.billable_reason = True, "misuse"
        job.billing_override_by, job.billing_override_at = manager.id, now - timedelta(days=1)
        job.billing_override_note = "现场照片显示未按规程操作，属使用不当，按合同收费"
        bump(job, ["billable", "billable_reason", "billing_override_at", "billing_override_note"])
        # no new log row: the job's row from the demo jobs already points devices at its current state
        decided = 1

    engineers = list(
        (
            await session.scalars(
                select(User)
                .where(User.role == Role.ENGINEER.value, User.active.is_(True))
                .order_by(User.username)
            )
        ).all()
    )
    sites = list((await session.scalars(select(Site).order_by(Site.name))).all())
    trainings = 0
    for i, (content, place, attendees) in enumerate(TRAININGS):
        if not sites or not engineers:
            break
        site = sites[(i * 7) % len(sites)]
        item = await session.scalar(
            select(Equipment).where(Equipment.site_id == site.id).order_by(Equipment.serial_no)
        )
        job = await JobService(session).open(
            JobCreate(
                kind=JobKind.TRAINING,
                customer_id=site.customer_id,
                site_id=site.id,
                equipment_id=item.id if item else None,
                symptom=content,
                assigned_engineer_id=engineers[i % len(engineers)].id,
            ),
            None,
            now,
            planned={
                "scheduled_at": datetime.combine(today + timedelta(days=5 + 4 * i), datetime.min.time(), CST)
                + timedelta(hours=9, minutes=30),
                "training_content": content,
                "training_place": f"{site.name}{place}",
                "training_attendees": attendees,
            },
        )
        trainings += 1
    return {
        "return_visits": len(visits),
        "complaints": len(complaints),
        "training_jobs": trainings,
        **{
            name: counts.get(name, 0) + await _count(session, model) - before[name]
            for name, model in COUNTED.items()
        },
        "billing_overrides": decided,
    }
