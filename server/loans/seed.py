"""Demo backup equipment: a pool of units per equipment category and a loan for every demo job that
says backup equipment was lent (8小时内提供备品, 直到问题解决为止).

A unit is lent when the engineer is on site and the fix runs past the backup limit (at the later of
arrival and the backup deadline less an hour), and comes back when the job is resolved; a job still open
keeps its unit out. One closed job's unit was never brought back, so the console has a unit to flag.
Everything comes from ``random.Random(rng_seed)`` and ``now``, like the rest of the demo.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import BackupUnit, Equipment, Job, JobLoan
from shared.ids import uuid7
from shared.loans import ReturnCondition, UnitPlace, UnitStatus

SERIAL_PREFIX = {
    "drainage_pump": "BY-PB",
    "pump_truck": "BY-BC",
    "generator_set": "BY-FD",
    "lighting_tower": "BY-ZM",
    "assault_boat": "BY-CF",
    "life_jacket": "BY-JS",
    "sandbag_machine": "BY-ZD",
}
STORE = "备品库（抚州中心仓）"


async def seed_loans(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """The pool and its loans; the caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 16)
    jobs = list(
        (
            await session.scalars(
                select(Job)
                .where(Job.backup_lent.is_(True), Job.equipment_id.isnot(None))
                .order_by(Job.call_received_at, Job.number)
            )
        ).all()
    )
    kinds = {
        row[0]: (row[1], row[2])
        for row in (await session.execute(select(Equipment.id, Equipment.category, Equipment.model))).all()
    }
    pool: dict[str, list[BackupUnit]] = {}
    free_at: dict[uuid.UUID, datetime | None] = {}  # None: out on an open loan
    loans: list[JobLoan] = []
    flagged = False
    for job in jobs:
        category, model = kinds[job.equipment_id]
        start = job.arrived_at or job.call_received_at
        if job.backup_due_at is not None:
            start = max(start, job.backup_due_at - timedelta(minutes=rng.randint(30, 90)))
        if start >= now:
            continue
        units = pool.setdefault(category, [])
        unit = next((u for u in units if (f := free_at[u.id]) is not None and f <= start), None)
        if unit is None:
            unit = BackupUnit(
                id=uuid7(),
                category=category,
                model=model,
                serial_no=f"{SERIAL_PREFIX.get(category, 'BY')}-{len(units) + 1:02d}",
                place=UnitPlace.STORE.value,
                place_note=STORE,
                status=UnitStatus.AVAILABLE.value,
                note="",
                created_at=now - timedelta(days=400),
                updated_at=now - timedelta(days=400),
            )
            units.append(unit)
        back = job.resolved_at if job.resolved_at is not None and job.resolved_at > start else None
        if back is not None and not flagged and job.status == "closed":
            back, flagged = None, True  # never brought back: the console flags it
        loan = JobLoan(
            id=uuid7(),
            job_id=job.id,
            unit_id=unit.id,
            lent_at=start,
            lent_by=job.assigned_engineer_id,
            note=job.backup_note[:500],
            returned_at=back,
            returned_by=job.assigned_engineer_id if back else None,
            condition=(ReturnCondition.WORN if rng.random() < 0.2 else ReturnCondition.GOOD).value
            if back
            else None,
            return_note="",
            received_at=back or start,
        )
        loans.append(loan)
        free_at[unit.id] = back
        if back is None:
            unit.status, unit.place, unit.place_note = (
                UnitStatus.LENT.value,
                UnitPlace.CUSTOMER_SITE.value,
                job.number,
            )
            unit.current_loan_id = loan.id
        else:
            unit.status, unit.place, unit.place_note = (
                UnitStatus.AVAILABLE.value,
                UnitPlace.STORE.value,
                STORE,
            )
            unit.current_loan_id = None
    for category, prefix in SERIAL_PREFIX.items():  # spares in the store, free to lend today
        group = pool.setdefault(category, [])
        model = next((m for c, m in kinds.values() if c == category), category)
        for _ in range(2):
            group.append(
                BackupUnit(
                    id=uuid7(),
                    category=category,
                    model=model,
                    serial_no=f"{prefix}-{len(group) + 1:02d}",
                    place=UnitPlace.STORE.value,
                    place_note=STORE,
                    status=UnitStatus.AVAILABLE.value,
                    note="备品",
                    created_at=now - timedelta(days=400),
                    updated_at=now - timedelta(days=400),
                )
            )
    units = [u for group in pool.values() for u in group]
    session.add_all(units)
    await session.flush()
    session.add_all(loans)
    await session.flush()
    # No change-log rows: a device's first download reads the whole pool from its table.
    return {"backup_units": len(units), "job_loans": len(loans)}
