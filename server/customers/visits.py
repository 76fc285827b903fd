"""Return visits (回访): one per job, due a few days after the job is closed, and what came of them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Job, ReturnVisit
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from shared.clock import utcnow
from shared.customers import (
    RETURN_VISIT_KINDS,
    ReturnVisitCreate,
    ReturnVisitRecord,
    ReturnVisitStatus,
)
from shared.enums import JobKind, JobStatus


def due_date(job: Job, days: int, tz: tzinfo) -> date:
    """``days`` after the customer signed the job off, or after it was closed when nobody signed."""
    anchor = job.signed_off_at or job.closed_at or utcnow()
    return anchor.astimezone(tz).date() + timedelta(days=days)


async def _audit(
    session: AsyncSession, visit: ReturnVisit, action: str, by: Principal | None, **detail: Any
) -> None:
    await audit.record(
        session,
        action=action,
        entity="return_visit",
        entity_id=visit.id,
        user_id=by.user_id if by else None,
        device_id=by.device_id if by else None,
        detail={"job_id": str(visit.job_id), **detail},
    )


async def schedule_after_close(
    session: AsyncSession, job: Job, by: Principal | None, *, days: int, tz: tzinfo
) -> ReturnVisit | None:
    """Plan the return visit of a job QA has just closed, in the caller's transaction.

    Only for the kinds that get one; a job that already has a visit (planned by hand, or a second
    approval) keeps it, so this is safe to call again.
    """
    if JobKind(job.kind) not in RETURN_VISIT_KINDS:
        return None
    if await session.scalar(select(ReturnVisit.id).where(ReturnVisit.job_id == job.id)) is not None:
        return None
    visit = ReturnVisit(
        id=uuid.uuid4(),
        job_id=job.id,
        customer_id=job.customer_id,
        scheduled_on=due_date(job, days, tz),
        status=ReturnVisitStatus.SCHEDULED.value,
    )
    session.add(visit)
    await session.flush()
    await _audit(session, visit, "return_visit.schedule", by, scheduled_on=visit.scheduled_on, automatic=True)
    return visit


class ReturnVisitService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, visit_id: uuid.UUID) -> ReturnVisit:
        visit = await self.session.get(ReturnVisit, visit_id)
        if visit is None:
            raise NotFound(
                f"no return visit with id {visit_id}", code="return_visit.not_found", params={"id": visit_id}
            )
        return visit

    async def create(self, data: ReturnVisitCreate, by: Principal) -> ReturnVisit:
        job = await self.session.get(Job, data.job_id)
        if job is None:
            raise Invalid(
                f"no job with id {data.job_id}",
                field="job_id",
                code="job.not_found",
                params={"id": data.job_id},
            )
        if job.status == JobStatus.CANCELLED.value:
            raise Conflict(
                f"job {job.number} was cancelled; there is nothing to follow up",
                field="job_id",
                code="return_visit.job_cancelled",
                params={"number": job.number},
            )
        if await self.session.scalar(select(ReturnVisit.id).where(ReturnVisit.job_id == job.id)) is not None:
            raise Conflict(
                f"job {job.number} already has a return visit",
                field="job_id",
                code="return_visit.exists",
                params={"number": job.number},
            )
        visit = ReturnVisit(
            id=uuid.uuid4(),
            job_id=job.id,
            customer_id=job.customer_id,
            scheduled_on=data.scheduled_on,
            method=data.method.value,
            status=ReturnVisitStatus.SCHEDULED.value,
        )
        self.session.add(visit)
        await self.session.flush()
        await _audit(
            self.session, visit, "return_visit.schedule", by, scheduled_on=visit.scheduled_on, automatic=False
        )
        await self.session.commit()
        return visit

    async def record(
        self, visit_id: uuid.UUID, data: ReturnVisitRecord, by: Principal, now: datetime | None = None
    ) -> ReturnVisit:
        """Record a call or visit; a done visit is final, an unreachable one may be tried again."""
        now = now or utcnow()
        visit = await self.get(visit_id)
        if visit.status == ReturnVisitStatus.DONE.value:
            raise Conflict("this return visit is already done", code="return_visit.done")
        visited_at = data.visited_at or now
        if visited_at > now + timedelta(minutes=5):
            raise Invalid(
                "visited_at is in the future",
                field="visited_at",
                code="time.in_future",
                params={"field": "visited_at"},
            )
        before = {"status": visit.status, "satisfaction": visit.satisfaction}
        visit.status = data.result.value
        visit.method = data.method.value
        visit.satisfaction = data.satisfaction
        visit.outcome = data.outcome
        visit.note = data.note
        visit.visited_at = visited_at
        visit.visitor_id = by.user_id
        visit.updated_at = now
        await _audit(
            self.session,
            visit,
            "return_visit.record",
            by,
            before=before,
            result=data.result.value,
            method=data.method.value,
            satisfaction=data.satisfaction,
            outcome=data.outcome,
            note=data.note,
        )
        await self.session.commit()
        return visit
