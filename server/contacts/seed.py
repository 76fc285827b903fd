"""Demo data for the contact register (来电来函登记): every demo call that opened a repair job registered
under its channel, the complaints registered and given their deadlines (some open ones late, one about to
be), technical inquiries with their answers (one turned into a job), letters and e-mails; and two key
customers (重点客户) with the person responsible for each (指定专人负责). Called after the complaints
exist and before the escalation scan, so the notification centre shows the late complaints; the caller
commits."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.contacts.register import COMPLAINT_CHANNELS, counter_name
from server.customers.seed import COUNTED, _count
from server.db.models import Complaint, Contact, Customer, InspectionSchedule, Job, Site, User
from server.inspections.generator import generate
from server.inspections.seed import DEMO_TZ
from server.settings import Settings
from shared.contacts import ContactKind
from shared.customers import ComplaintChannel, ComplaintStatus
from shared.enums import ContactChannel, JobKind, JobStatus, Role, Severity
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.schedules import Frequency, ScheduleKind

#: how the demo's calls came in: mostly the hotline and the phone
CALL_CHANNELS = [ContactChannel.HOTLINE] * 6 + [ContactChannel.PHONE] * 3 + [ContactChannel.WEB]
INQUIRIES = [
    ("QW 系列潜水泵的机械密封多久更换一次？", "按说明书每运行 8000 小时或两年检查更换，汛前检查时一并确认。"),
    ("柴油发电机组冬季停用需要怎样保养？", "放净冷却水或加注防冻液，每月空载运行 15 分钟，蓄电池保持充电。"),
    ("闸门启闭机限位开关失灵能否自行调整？", "可按手册第 5 章调整限位凸轮；如仍失灵请报修，勿强行操作。"),
    ("移动泵车的软管有无更长规格可以选购？", "有 30 米和 50 米两种规格，已转销售部报价。"),
    ("汛前巡检能否提前到四月上旬？", ""),
    (
        "控制柜报 E07 故障码是什么意思？",
        "E07 为电机过载保护动作，请检查叶轮是否被杂物卡住后复位；复发请报修。",
    ),
]
LETTERS = [
    (ContactChannel.LETTER, "来函：申请增加汛期驻点服务人员", "已转服务部经理研究，十日内函复"),
    (ContactChannel.EMAIL, "邮件：索取 2025 年度设备维护记录", "已将维护记录汇总表邮件发送"),
    (ContactChannel.EMAIL, "邮件：感谢汛期抢修及时", "已转达工程师，存档"),
]


async def seed_contacts(
    session: AsyncSession, *, now: datetime, rng_seed: int, counts: dict[str, int]
) -> dict[str, int]:
    rng = random.Random(rng_seed + 17)
    tz = zone(DEFAULT_TIMEZONE)
    settings = Settings()
    staff = list(
        (
            await session.scalars(
                select(User)
                .where(User.role.in_([Role.DISPATCHER.value, Role.MANAGER.value]), User.active.is_(True))
                .order_by(User.username)
            )
        ).all()
    )
    taker = staff[0].id if staff else None
    contacts: list[Contact] = []

    async def add(
        kind: ContactKind, channel: ContactChannel, received: datetime, summary: str, **kw: object
    ) -> Contact:
        year = received.astimezone(tz).year
        n = await take_numbers(session, counter_name(year))
        contact = Contact(
            id=uuid.uuid4(),
            number=f"LD-{year}-{n:05d}",
            kind=kind.value,
            channel=channel.value,
            received_at=received,
            taken_by=taker,
            summary=summary,
            created_at=now,
            updated_at=now,
            **{"contact_name": "", "phone": "", "answer": "", "outcome": ""} | kw,
        )
        contacts.append(contact)
        return contact

    jobs = list(
        (
            await session.scalars(
                select(Job).where(Job.kind == JobKind.REPAIR.value).order_by(Job.call_received_at, Job.id)
            )
        ).all()
    )
    for job in jobs:  # every call that opened a repair job
        await add(
            ContactKind.REPAIR,
            rng.choice(CALL_CHANNELS),
            job.call_received_at,
            job.symptom or job.number,
            customer_id=job.customer_id,
            contact_name=job.caller_name,
            phone=job.caller_phone,
            outcome=job.number,
            job_id=job.id,
        )

    complaints = list(
        (await session.scalars(select(Complaint).order_by(Complaint.received_at, Complaint.id))).all()
    )
    for i, complaint in enumerate(complaints):
        severity = Severity.MAJOR if i == 0 else Severity.GENERAL
        complaint.severity = severity.value
        if complaint.status != ComplaintStatus.CLOSED.value and i == len(complaints) - 1:
            # the newest open one arrived yesterday: about to be late at ``now``, not late yet
            complaint.received_at = now - timedelta(hours=settings.complaint_hours(severity.value) - 3)
        complaint.due_at = complaint.received_at + timedelta(hours=settings.complaint_hours(severity.value))
        await add(
            ContactKind.COMPLAINT,
            COMPLAINT_CHANNELS[ComplaintChannel(complaint.channel)],
            complaint.received_at,
            complaint.content,
            customer_id=complaint.customer_id,
            contact_name=complaint.complainant,
            phone=complaint.phone,
            outcome=complaint.number,
            complaint_id=complaint.id,
            job_id=complaint.job_id,
        )

    customers = list((await session.scalars(select(Customer).order_by(Customer.name))).all())
    open_jobs = [j for j in jobs if j.status in (JobStatus.NEW.value, JobStatus.ASSIGNED.value)]
    for i, (question, answer) in enumerate(INQUIRIES):
        customer = customers[(i * 5) % len(customers)] if customers else None
        received = now - timedelta(days=2 * i + 1, hours=rng.randint(0, 8))
        linked = open_jobs[-1] if i == 2 and open_jobs else None  # the one that needed an engineer
        await add(
            ContactKind.INQUIRY,
            ContactChannel.HOTLINE if i % 3 else ContactChannel.WEB,
            received,
            question,
            customer_id=linked.customer_id if linked else customer.id if customer else None,
            contact_name="值班员",
            answer=answer,
            outcome=linked.number if linked else ("已答复" if answer else "待厂家答复"),
            job_id=linked.id if linked else None,
        )
    for i, (channel, summary, outcome) in enumerate(LETTERS):
        customer = customers[(i * 3 + 1) % len(customers)] if customers else None
        await add(
            ContactKind.CORRESPONDENCE,
            channel,
            now - timedelta(days=3 * i + 2),
            summary,
            customer_id=customer.id if customer else None,
            outcome=outcome,
        )
    session.add_all(contacts)

    key = 0
    for i, customer in enumerate(customers[:2]):  # 重点客户, each with its person responsible
        customer.key_customer = True
        customer.responsible_id = staff[i % len(staff)].id if staff else None
        key += 1
    await session.flush()
    return {"contacts": len(contacts), "key_customers": key} | await _care_visits(
        session, customers[:2], now=now, counts=counts
    )


async def _care_visits(
    session: AsyncSession, customers: list[Customer], *, now: datetime, counts: dict[str, int]
) -> dict[str, int]:
    """A quarterly care visit (回访/走访) to each key customer's first site, the next one made now."""
    before = {name: await _count(session, model) for name, model in COUNTED.items()}
    today = now.astimezone(DEMO_TZ).date()
    schedules = []
    for i, customer in enumerate(customers):
        site = await session.scalar(select(Site).where(Site.customer_id == customer.id).order_by(Site.name))
        if site is None:
            continue
        schedules.append(
            InspectionSchedule(
                customer_id=customer.id,
                site_id=site.id,
                frequency=Frequency.QUARTERLY.value,
                kind=ScheduleKind.CARE_VISIT.value,
                start_on=today + timedelta(days=3 + 10 * i),
                lead_days=14,
                note="重点客户季度走访",
            )
        )
    session.add_all(schedules)
    await session.flush()
    result = await generate(
        session, tz=DEMO_TZ, today=today, now=now, commit=False, schedule_ids=[s.id for s in schedules]
    )
    out = {"care_visit_schedules": len(schedules), "care_visit_jobs": result.created}
    for name, model in COUNTED.items():
        out[name] = counts.get(name, 0) + await _count(session, model) - before[name]
    return out
