"""The dispatcher's engineer list and the conflict queue with names, each in one call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import AuditEntry, Conflict, Device, Job, User
from shared.console import ConflictRow, EngineerLoad
from shared.enums import OPEN_STATUSES, Role
from shared.models import ConflictOut
from shared.sla import breached

#: offsets beyond this overflow the databases' integers; no table gets near it
MAX_OFFSET = 2**31 - 1
#: deadline column -> the stamp that keeps it
PROMISES = (
    ("respond_due_at", "acknowledged_at"),
    ("onsite_due_at", "arrived_at"),
    ("fix_due_at", "resolved_at"),
)


def _breached_now(job: Any, now: datetime) -> bool:
    """Past a deadline whose promise is not kept yet (a promise kept late is history, not load)."""
    return any(
        getattr(job, done) is None and breached(getattr(job, due), None, now) for due, done in PROMISES
    )


def _newest(*stamps: datetime | None) -> datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


async def engineer_loads(session: AsyncSession, now: datetime) -> list[EngineerLoad]:
    """Every engineer, active first, with their open jobs and their devices' last sync.

    Only a push stamps ``devices.last_sync_at``; every authenticated request (an engineer's token only
    pulls, long-polls and pushes) moves ``last_seen_at`` at most once a minute, so the newer of the two
    is when the tablet last synced.
    """
    engineers = (
        await session.scalars(
            select(User)
            .where(User.role == Role.ENGINEER.value)
            .order_by(User.active.desc(), User.display_name, User.username)
        )
    ).all()
    open_jobs = (
        await session.execute(
            select(
                Job.assigned_engineer_id,
                Job.severity,
                *(getattr(Job, c) for pair in PROMISES for c in pair),
            ).where(
                Job.assigned_engineer_id.is_not(None),
                Job.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
    ).all()
    load: dict[uuid.UUID, list[int]] = {}
    for row in open_jobs:
        counts = load.setdefault(row.assigned_engineer_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += row.severity == "major"
        counts[2] += _breached_now(row, now)
    devices = {
        row.user_id: row
        for row in (
            await session.execute(
                select(
                    Device.user_id,
                    func.count().label("n"),
                    func.max(Device.last_sync_at).label("last_sync_at"),
                    func.max(Device.last_seen_at).label("last_seen_at"),
                )
                .where(Device.revoked_at.is_(None))
                .group_by(Device.user_id)
            )
        ).all()
    }
    out = []
    for user in engineers:
        n_open, n_major, n_breached = load.get(user.id, [0, 0, 0])
        dev = devices.get(user.id)
        out.append(
            EngineerLoad(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                phone=user.phone,
                active=user.active,
                open_jobs=n_open,
                major_open=n_major,
                breached_open=n_breached,
                devices=int(dev.n) if dev else 0,
                last_sync_at=_newest(dev.last_sync_at, dev.last_seen_at) if dev else None,
            )
        )
    return out


async def conflict_rows(
    session: AsyncSession, *, status: str | None, limit: int, offset: int
) -> tuple[list[ConflictRow], int]:
    """The review queue, newest first, with job number and the names of engineer, device and reviewer."""
    engineer, reviewer = aliased(User), aliased(User)
    base = select(Conflict)
    if status:
        base = base.where(Conflict.status == status)
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    query = (
        select(
            Conflict,
            Job.number,
            Job.status,
            engineer.display_name,
            Device.name,
            reviewer.display_name,
        )
        .outerjoin(Job, Job.id == Conflict.job_id)
        .outerjoin(engineer, engineer.id == Conflict.user_id)
        .outerjoin(Device, Device.id == Conflict.device_id)
        .outerjoin(reviewer, reviewer.id == Conflict.reviewed_by)
        .order_by(Conflict.created_at.desc(), Conflict.id)
        .limit(limit)
        .offset(min(offset, MAX_OFFSET))
    )
    if status:
        query = query.where(Conflict.status == status)
    rows = []
    for conflict, number, job_status, engineer_name, device_name, reviewer_name in (
        await session.execute(query)
    ).all():
        server_by, server_at = await _server_side(session, conflict)
        rows.append(
            ConflictRow.model_validate(
                {
                    **ConflictOut.model_validate(conflict).model_dump(),
                    "job_number": number,
                    "job_status": job_status,
                    "engineer_name": engineer_name,
                    "device_name": device_name,
                    "reviewer_name": reviewer_name,
                    "server_by_name": server_by,
                    "server_at": server_at,
                }
            )
        )
    return rows, total


_STATUS_ACTIONS = frozenset(
    {"job.on_hold", "job.cancelled", "job.closed", "job.resume", "job.approve", "job.return", "job.event"}
)


def _wrote(entry: AuditEntry, field: str) -> bool:
    """Whether this audit entry wrote the contested ``field`` of a job (office edit or device push)."""
    detail, action = entry.detail or {}, entry.action
    args = detail.get("args") or {}
    if action == "job.update":
        return field in (detail.get("changes") or {})
    if action == "job.billing_override":
        return field in ("billable", "billable_reason")
    if action == "job.edit":
        return field in (args.get("fields") or {})
    if action == "checklist.answer":
        return field == f"checklist:{args.get('item_code')}"
    if action == "job.sign":
        return field in ("acceptance", "status")
    return field == "status" and (action in _STATUS_ACTIONS or action == "job.assign")


async def _server_side(session: AsyncSession, conflict: Conflict) -> tuple[str | None, datetime | None]:
    """Who wrote the value the server kept against the device, and when: the newest audit entry on the
    job before the conflict that wrote that field, by someone other than the device in conflict."""
    if conflict.job_id is None:
        return None, None
    entries = (
        await session.execute(
            select(AuditEntry, User.display_name)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(
                AuditEntry.entity == "job",
                AuditEntry.entity_id == str(conflict.job_id),
                AuditEntry.at <= conflict.created_at,
            )
            .order_by(AuditEntry.seq.desc())
            .limit(200)
        )
    ).all()
    for entry, name in entries:
        if conflict.device_id is not None and entry.device_id == conflict.device_id:
            continue
        if _wrote(entry, conflict.field):
            return name, entry.at
    return None, None
