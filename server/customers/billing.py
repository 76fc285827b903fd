"""The office's billing decision (三包): it overrules the field's proposal, and the engineer's device
gets it at its next sync. After it, a device's edit of ``billable`` no longer lands (see
``sync.merge.OFFICE_DECIDED`` and docs/merge-rules.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import log_changes
from server.db.models import Job
from server.deps import Principal
from server.errors import Conflict, NotFound
from server.jobs.service import bump, job_changes
from shared.clock import utcnow
from shared.customers import BillingOverride
from shared.enums import JobStatus


async def override_billing(
    session: AsyncSession,
    job_id: uuid.UUID,
    data: BillingOverride,
    by: Principal,
    now: datetime | None = None,
) -> Job:
    now = now or utcnow()
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
    if job.status == JobStatus.CANCELLED.value:
        raise Conflict(
            f"job {job.number} was cancelled; there is nothing to bill",
            code="billing.job_cancelled",
            params={"number": job.number},
        )
    before = {
        "billable": job.billable,
        "billable_reason": job.billable_reason,
        "overridden_before": job.billing_override_at is not None,
    }
    job.billable = data.billable
    job.billable_reason = data.reason.value
    job.billing_override_by = by.user_id
    job.billing_override_at = now
    job.billing_override_note = data.note
    bump(job, ["billable", "billable_reason", "billing_override_at", "billing_override_note"])
    await log_changes(session, job_changes(job))
    await audit.record(
        session,
        action="job.billing_override",
        entity="job",
        entity_id=job.id,
        user_id=by.user_id,
        device_id=by.device_id,
        detail={
            "number": job.number,
            "version": job.version,
            "before": before,
            "billable": data.billable,
            "reason": data.reason.value,
            "note": data.note,
        },
    )
    await session.commit()
    return job
