"""``/api/jobs/{id}/manager-decision``: the form's 公司领导处理意见 (the plan: "目的在于重赏服务优良者,
严惩服务不良者"), written by the manager on a finished form, with who and when; printed on the PDF.

One decision per job: writing it again replaces the text and the audit trail keeps the one before.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Job, ManagerDecision, User
from server.deps import CurrentUser, DbSession, requires_office, requires_to
from server.errors import Conflict, NotFound
from shared.clock import utcnow
from shared.enums import JobStatus
from shared.roles import Capability
from shared.service_form import ManagerDecisionIn, ManagerDecisionOut

requires_manager_decision = requires_to(Capability.DECIDE_AS_MANAGER)
#: a decision judges the work done: the form must be finished (resolved, signed off or approved)
DECIDABLE = frozenset({JobStatus.RESOLVED.value, JobStatus.SIGNED_OFF.value, JobStatus.CLOSED.value})


async def decision_out(session: AsyncSession, job_id: uuid.UUID) -> ManagerDecisionOut | None:
    """The job's decision with the manager's name, or None."""
    row = await session.scalar(select(ManagerDecision).where(ManagerDecision.job_id == job_id))
    if row is None:
        return None
    user = await session.get(User, row.decided_by)
    return ManagerDecisionOut(
        job_id=row.job_id,
        text=row.text,
        decided_by=row.decided_by,
        decided_by_name=user.display_name if user else "",
        decided_at=row.decided_at,
    )


class ManagerDecisionController(Controller):
    path = "/api/jobs/{job_id:uuid}/manager-decision"
    tags = ["jobs"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def get_decision(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession
    ) -> ManagerDecisionOut | None:
        """The manager's decision on the job, or null while there is none."""
        if await db_session.get(Job, job_id) is None:
            raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
        return await decision_out(db_session, job_id)

    @put("/", guards=[requires_manager_decision])
    async def put_decision(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[ManagerDecisionIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ManagerDecisionOut:
        """Record (or rewrite) the manager's decision on a resolved, signed-off or closed job (409 before)."""
        job = await db_session.get(Job, job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
        if job.status not in DECIDABLE:
            raise Conflict(
                f"job {job.number} is {job.status}: a decision is made once the work is done",
                code="job.not_decidable",
                params={"number": job.number, "status": job.status},
            )
        row = await db_session.scalar(select(ManagerDecision).where(ManagerDecision.job_id == job.id))
        before = row.text if row else None
        now = utcnow()
        if row is None:
            row = ManagerDecision(job_id=job.id, text=data.text, decided_by=principal.user_id, decided_at=now)
            db_session.add(row)
        else:
            row.text, row.decided_by, row.decided_at = data.text, principal.user_id, now
        await db_session.flush()
        detail = {"number": job.number, "text": [before, data.text]}
        await audit.record_by(db_session, principal, "job.manager_decision", "job", job.id, detail)
        await db_session.commit()
        out = await decision_out(db_session, job.id)
        assert out is not None
        return out
