"""Staff files (人员档案): an engineer's certificates, qualifications and training, and the certificates
that expire soon. The controller (``server/people/controller.py``) guards and audits; these read and shape."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import StaffCertificate, StaffQualification, StaffTraining, User
from server.errors import NotFound
from shared.enums import EquipmentCategory, Role
from shared.people import (
    EXPIRY_WARNING_DAYS,
    CertificateOut,
    CertificateState,
    ExpiringCertificate,
    QualificationOut,
    StaffFile,
    StaffRow,
    TrainingOut,
    certificate_state,
)


async def engineer(session: AsyncSession, engineer_id: uuid.UUID) -> User:
    """An engineer, or 404 (a user of another role has no staff file)."""
    user = await session.get(User, engineer_id)
    if user is None or user.role != Role.ENGINEER.value:
        raise NotFound(
            f"no engineer with id {engineer_id}", code="people.no_engineer", params={"id": engineer_id}
        )
    return user


def certificate_out(row: StaffCertificate, today: date) -> CertificateOut:
    out = CertificateOut.model_validate(row)
    out.state = certificate_state(row.expires_on, today)
    out.days_left = (row.expires_on - today).days if row.expires_on is not None else None
    return out


async def staff_file(session: AsyncSession, user: User, today: date) -> StaffFile:
    certificates = (
        await session.scalars(
            select(StaffCertificate)
            .where(StaffCertificate.engineer_id == user.id)
            .order_by(StaffCertificate.issued_on, StaffCertificate.id)
        )
    ).all()
    by_id = {c.id: c for c in certificates}
    qualifications = (
        await session.scalars(select(StaffQualification).where(StaffQualification.engineer_id == user.id))
    ).all()
    order = list(EquipmentCategory)
    held = []
    for q in sorted(qualifications, key=lambda q: order.index(EquipmentCategory(q.category))):
        cert = by_id.get(q.certificate_id) if q.certificate_id else None
        held.append(
            QualificationOut(
                category=EquipmentCategory(q.category),
                certificate_id=q.certificate_id,
                certificate_name=cert.name if cert else "",
                expires_on=cert.expires_on if cert else None,
                state=certificate_state(cert.expires_on if cert else None, today),
            )
        )
    training = (
        await session.scalars(
            select(StaffTraining)
            .where(StaffTraining.engineer_id == user.id)
            .order_by(StaffTraining.taken_on.desc(), StaffTraining.id)
        )
    ).all()
    return StaffFile(
        engineer_id=user.id,
        name=user.display_name,
        username=user.username,
        phone=user.phone,
        active=user.active,
        today=today,
        certificates=[certificate_out(c, today) for c in certificates],
        qualifications=held,
        training=[TrainingOut.model_validate(t) for t in training],
        training_hours=sum((t.hours for t in training), Decimal("0.0")),
    )


async def staff_list(session: AsyncSession, today: date) -> list[StaffRow]:
    """Every engineer with counts and the states of their certificates, by name."""
    engineers = (
        await session.scalars(
            select(User).where(User.role == Role.ENGINEER.value).order_by(User.display_name, User.id)
        )
    ).all()
    states: dict[uuid.UUID, list[CertificateState]] = defaultdict(list)
    for engineer_id, expires_on in await session.execute(
        select(StaffCertificate.engineer_id, StaffCertificate.expires_on)
    ):
        states[engineer_id].append(certificate_state(expires_on, today))
    categories: dict[uuid.UUID, list[EquipmentCategory]] = defaultdict(list)
    for engineer_id, category in await session.execute(
        select(StaffQualification.engineer_id, StaffQualification.category).order_by(
            StaffQualification.category
        )
    ):
        categories[engineer_id].append(EquipmentCategory(category))
    totals = select(StaffTraining.engineer_id, func.sum(StaffTraining.hours)).group_by(
        StaffTraining.engineer_id
    )
    hours: dict[uuid.UUID, Decimal] = dict((await session.execute(totals)).tuples().all())
    return [
        StaffRow(
            engineer_id=u.id,
            name=u.display_name,
            username=u.username,
            active=u.active,
            certificates=len(states[u.id]),
            qualifications=categories[u.id],
            training_hours=Decimal(hours.get(u.id) or 0).quantize(Decimal("0.1")),
            expiring=states[u.id].count(CertificateState.EXPIRING),
            expired=states[u.id].count(CertificateState.EXPIRED),
        )
        for u in engineers
    ]


async def expiring(
    session: AsyncSession, today: date, days: int = EXPIRY_WARNING_DAYS
) -> list[ExpiringCertificate]:
    """Certificates of active engineers expired or expiring within ``days``, soonest first."""
    rows = await session.execute(
        select(StaffCertificate, User.display_name)
        .join(User, User.id == StaffCertificate.engineer_id)
        .where(
            User.active,
            StaffCertificate.expires_on.is_not(None),
            StaffCertificate.expires_on <= today + timedelta(days=days),
        )
        .order_by(StaffCertificate.expires_on, User.display_name, StaffCertificate.id)
    )
    return [
        ExpiringCertificate(**certificate_out(c, today).model_dump(), engineer_name=name) for c, name in rows
    ]
