"""Demo staff files: every engineer holds an electrician's certificate (特种作业操作证) and one or two
equipment certificates that back the categories they are qualified for, with a training record. So that
the console has something to show, eng01's 发电机组 certificate expires within 30 days and eng02's 移动泵车
certificate expired three weeks ago (dispatching eng02 to a pump truck warns); the last engineer holds no
qualification yet. Everything comes from ``random.Random(rng_seed)`` and ``now``, like the rest of the demo."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import StaffCertificate, StaffQualification, StaffTraining, User
from shared.enums import EquipmentCategory, Role
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.people import TrainingResult

CATEGORY_CERTIFICATE = {
    EquipmentCategory.DRAINAGE_PUMP: "排涝泵维修上岗证",
    EquipmentCategory.PUMP_TRUCK: "移动泵车操作维修证",
    EquipmentCategory.GENERATOR_SET: "发电机组维修上岗证",
    EquipmentCategory.LIGHTING_TOWER: "照明灯塔维修上岗证",
    EquipmentCategory.ASSAULT_BOAT: "冲锋舟（船外机）维修证",
    EquipmentCategory.LIFE_JACKET: "救生器材检验员证",
    EquipmentCategory.SANDBAG_MACHINE: "装袋机维修上岗证",
}
COURSES = (
    ("潜水排涝泵拆装与密封更换", Decimal("8.0")),
    ("柴油发电机组保养与故障诊断", Decimal("12.0")),
    ("防汛设备安全操作规程", Decimal("4.0")),
    ("移动泵车液压系统检修", Decimal("16.0")),
    ("客户服务规范与服务报告填写", Decimal("2.5")),
)


async def seed_staff(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """The caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 17)
    today = now.astimezone(zone(DEFAULT_TIMEZONE)).date()
    engineers = (
        await session.scalars(select(User).where(User.role == Role.ENGINEER.value).order_by(User.username))
    ).all()
    categories = list(EquipmentCategory)
    counts = {"staff_certificates": 0, "staff_qualifications": 0, "staff_training": 0}

    def certificate(
        user: User, name: str, number: str, level: str, issued: date, expires: date
    ) -> StaffCertificate:
        row = StaffCertificate(
            engineer_id=user.id, name=name, number=number, level=level, issued_on=issued, expires_on=expires
        )
        session.add(row)
        counts["staff_certificates"] += 1
        return row

    for n, user in enumerate(engineers):
        issued = today - timedelta(days=rng.randint(400, 1500))
        certificate(
            user,
            "特种作业操作证（低压电工作业）",
            f"T3601{rng.randrange(10**8):08d}",
            "",
            issued,
            issued + timedelta(days=6 * 365),
        )
        if n == len(engineers) - 1:
            continue  # a newcomer: no qualification yet
        held = [categories[n % len(categories)], categories[(n + 2) % len(categories)]]
        if EquipmentCategory.DRAINAGE_PUMP not in held:
            held.append(EquipmentCategory.DRAINAGE_PUMP)  # every qualified engineer can fix a pump
        for category in held:
            start = today - timedelta(days=rng.randint(200, 1000))
            expires = start + timedelta(days=3 * 365)
            if expires <= today + timedelta(days=60):
                expires += timedelta(days=3 * 365)  # renewed
            if n == 0 and category is EquipmentCategory.GENERATOR_SET:
                expires = today + timedelta(days=12)  # expiring: on the console's notice
            if n == 1 and category is EquipmentCategory.PUMP_TRUCK:
                expires = today - timedelta(days=21)  # expired: dispatch warns
            level = rng.choice(("初级", "中级", "高级"))
            cert = certificate(
                user,
                CATEGORY_CERTIFICATE[category],
                f"LV-{category.value[:2].upper()}-{n + 1:02d}{rng.randrange(1000):03d}",
                level,
                start,
                expires,
            )
            await session.flush()
            session.add(
                StaffQualification(engineer_id=user.id, category=category.value, certificate_id=cert.id)
            )
            counts["staff_qualifications"] += 1
        for course, hours in rng.sample(COURSES, k=rng.randint(2, 3)):
            session.add(
                StaffTraining(
                    engineer_id=user.id,
                    taken_on=today - timedelta(days=rng.randint(20, 600)),
                    course=course,
                    hours=hours,
                    result=(TrainingResult.PASSED if rng.random() < 0.85 else TrainingResult.ATTENDED).value,
                )
            )
            counts["staff_training"] += 1
    await session.flush()
    return counts
