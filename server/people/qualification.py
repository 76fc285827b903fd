"""持证上岗 at dispatch: what an engineer lacks for a job's equipment, and the record of an assignment made
in spite of it.

The rule itself is :func:`shared.people.qualification_gaps`; this module reads what it needs from the
database. :func:`note_gaps` is called from one place, ``JobService._assign``: an assignment is never
refused for a gap (the dispatcher has confirmed it in the console, or an urgent call needs whoever is
free), but the gaps are kept with it (``job_assignments.qualification_gaps``, in the assignment history
``GET /api/jobs/{id}/assignments``; the assignment row is part of the job's audited change).
"""

from __future__ import annotations

import uuid
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Equipment, Job, StaffCertificate, StaffQualification
from shared.clock import utcnow
from shared.people import Held, QualificationGap, qualification_gaps


async def held_by(session: AsyncSession, engineer_id: uuid.UUID) -> list[Held]:
    """The qualifications the engineer holds, each with its certificate's expiry when one backs it."""
    rows = await session.execute(
        select(StaffQualification.category, StaffCertificate.expires_on, StaffCertificate.name)
        .outerjoin(StaffCertificate, StaffCertificate.id == StaffQualification.certificate_id)
        .where(StaffQualification.engineer_id == engineer_id)
    )
    return [Held(category, expires_on, name or "") for category, expires_on, name in rows]


async def gaps_for(
    session: AsyncSession, equipment_id: uuid.UUID | None, engineer_id: uuid.UUID, today: date
) -> tuple[str | None, list[QualificationGap]]:
    """The equipment's category and what the engineer lacks for it on ``today``."""
    category = (
        await session.scalar(select(Equipment.category).where(Equipment.id == equipment_id))
        if equipment_id is not None
        else None
    )
    if category is None:
        return None, []
    return category, qualification_gaps(category, await held_by(session, engineer_id), today)


async def note_gaps(
    session: AsyncSession, job: Job, engineer_id: uuid.UUID, tz: tzinfo
) -> list[dict[str, Any]]:
    """The qualification gaps of assigning ``job`` to the engineer today, as kept with the assignment
    (``job_assignments.qualification_gaps``, shown in the job's assignment history)."""
    _, gaps = await gaps_for(session, job.equipment_id, engineer_id, utcnow().astimezone(tz).date())
    return [g.model_dump(mode="json") for g in gaps]
