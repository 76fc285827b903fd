"""Demo inspection schedules, and the generator run once so the demo shows upcoming inspections.

Called at the end of ``server.seed.seed_demo`` (the caller commits). Every schedule's first visit is
today or later, so each generated job is upcoming: a monthly one anchored on a 31st (to show month
ends), a quarterly, a half-yearly and a yearly one for equipment, and a yearly whole-site one with its
own checklist and no engineer (the dispatcher assigns it).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ChangeLog,
    ChecklistTemplate,
    Equipment,
    InspectionSchedule,
    Job,
    JobAssignment,
    Site,
    User,
)
from server.inspections.generator import generate
from shared.enums import JobKind, Role
from shared.schedules import Frequency

DEMO_TZ = ZoneInfo("Asia/Shanghai")
COUNTED = {"jobs": Job, "job_assignments": JobAssignment, "change_log": ChangeLog}


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _next_31st(today: date) -> date:
    day = today
    while day.day != 31:
        day += timedelta(days=1)
    return day


async def seed_inspections(
    session: AsyncSession, *, now: datetime, rng_seed: int, counts: dict[str, int]
) -> dict[str, int]:
    """Add the demo schedules and their first jobs; returns ``counts`` entries to update."""
    rng = random.Random(rng_seed + 6)
    today = now.astimezone(DEMO_TZ).date()
    before = {name: await _count(session, model) for name, model in COUNTED.items()}
    templates = {
        t.category: t
        for t in (
            await session.scalars(
                select(ChecklistTemplate).where(ChecklistTemplate.job_kind == JobKind.INSPECTION.value)
            )
        ).all()
    }
    equipment = [
        (eq, site)
        for eq, site in (
            await session.execute(
                select(Equipment, Site).join(Site, Site.id == Equipment.site_id).order_by(Equipment.serial_no)
            )
        )
        .tuples()
        .all()
        if eq.category in templates
    ]
    engineers = list(
        (
            await session.scalars(
                select(User)
                .where(User.role == Role.ENGINEER.value, User.active.is_(True))
                .order_by(User.username)
            )
        ).all()
    )
    if not equipment or not engineers:
        return {"inspection_schedules": 0}
    picks = rng.sample(equipment, min(4, len(equipment)))
    plans = [
        (Frequency.MONTHLY, _next_31st(today), 7, "汛前月度巡检"),
        (Frequency.QUARTERLY, today + timedelta(days=3), 14, "季度保养巡检"),
        (Frequency.HALF_YEARLY, today + timedelta(days=5), 10, "半年全面检查"),
        (Frequency.YEARLY, today + timedelta(days=2), 14, "年度检测"),
    ]
    schedules = []
    for (eq, site), (frequency, start_on, lead, note) in zip(picks, plans, strict=False):
        schedules.append(
            InspectionSchedule(
                customer_id=site.customer_id,
                site_id=site.id,
                equipment_id=eq.id,
                frequency=frequency.value,
                engineer_id=rng.choice(engineers).id,
                start_on=start_on,
                lead_days=lead,
                note=note,
            )
        )
    eq, site = picks[0]
    schedules.append(
        InspectionSchedule(
            customer_id=site.customer_id,
            site_id=site.id,
            equipment_id=None,
            frequency=Frequency.YEARLY.value,
            template_id=templates[eq.category].id,
            start_on=today + timedelta(days=6),
            lead_days=30,
            note="全站年度防汛检查",
        )
    )
    session.add_all(schedules)
    await session.flush()
    result = await generate(session, tz=DEMO_TZ, today=today, now=now, commit=False)
    out = {"inspection_schedules": len(schedules), "inspection_jobs": result.created}
    for name, model in COUNTED.items():
        out[name] = counts.get(name, 0) + await _count(session, model) - before[name]
    return out
