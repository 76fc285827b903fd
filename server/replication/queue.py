"""The conflict review queue with names: job number, engineer, device, reviewer, and who wrote the
value the server kept (GET /api/console/conflicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import AuditEntry, Conflict, Device, Job, User
from server.deps import DbSession, requires_to
from server.paging import MAX_LIMIT
from shared.conflicts import ConflictRow
from shared.models import ConflictOut, Page
from shared.roles import Capability

#: offsets beyond this overflow the databases' integers; no table gets near it
MAX_OFFSET = 2**31 - 1
requires_review = requires_to(Capability.REVIEW_CONFLICTS)


class ConflictQueueController(Controller):
    path = "/api/console"
    tags = ["console"]  # noqa: RUF012

    @get("/conflicts", guards=[requires_review])
    async def conflicts(
        self,
        db_session: DbSession,
        status: FromQuery[str | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[ConflictRow]:
        """The conflict review queue with job numbers and names; ``status=`` (empty) lists every status.

        Accept or override through ``/api/conflicts/{id}/accept`` and ``/override``.
        """
        rows, total = await conflict_rows(db_session, status=status or None, limit=limit, offset=offset)
        return Page[ConflictRow](items=rows, total=total, limit=limit, offset=offset)


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
