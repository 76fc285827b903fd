"""Training sessions (培训): a job of kind ``training`` with its content, trainer (the assigned engineer),
place, time and attendees. The office plans it and may change the details afterwards; the trainer's
device gets every change at its next sync."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import log_changes
from server.db.models import Job
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from server.jobs.service import JobService, bump, job_changes
from shared import job_rules
from shared.clock import utcnow
from shared.customers import TrainingCreate, TrainingUpdate
from shared.enums import JobKind
from shared.models import JobCreate

#: TrainingUpdate field -> job column
COLUMNS = {
    "content": "training_content",
    "place": "training_place",
    "scheduled_at": "scheduled_at",
    "attendees": "training_attendees",
}


def _attendees(names: list[str]) -> list[str]:
    """Names as given, without repeats (the same person written twice is one attendee)."""
    return list(dict.fromkeys(names))


class TrainingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, data: TrainingCreate, by: Principal, now: datetime | None = None) -> Job:
        job = await JobService(self.session).open(
            JobCreate(
                kind=JobKind.TRAINING,
                customer_id=data.customer_id,
                site_id=data.site_id,
                equipment_id=data.equipment_id,
                symptom=data.content,
                caller_name=data.caller_name,
                caller_phone=data.caller_phone,
                assigned_engineer_id=data.engineer_id,
            ),
            by,
            now,
            planned={
                "scheduled_at": data.scheduled_at,
                "training_content": data.content,
                "training_place": data.place,
                "training_attendees": _attendees(data.attendees),
            },
        )
        await self.session.commit()
        return job

    async def get(self, job_id: uuid.UUID) -> Job:
        job = await self.session.get(Job, job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
        if job.kind != JobKind.TRAINING.value:
            raise Invalid(
                f"job {job.number} is a {job.kind} job, not a training session",
                field="job_id",
                code="training.not_training",
                params={"number": job.number, "kind": job.kind},
            )
        return job

    async def update(self, job_id: uuid.UUID, data: TrainingUpdate, by: Principal) -> Job:
        job = await self.get(job_id)
        if job.status in job_rules.FINAL:
            raise Conflict(
                f"job {job.number} is {job.status}; its training details are final",
                code="training.final",
                params={"number": job.number, "status": job.status},
            )
        sent = data.model_dump(exclude_unset=True)
        for key in list(sent):
            if sent[key] is None:
                raise Invalid(f"{key} cannot be empty", field=key, code="field.empty", params={"field": key})
        if "attendees" in sent:
            sent["attendees"] = _attendees(sent["attendees"])
        changes: dict[str, list[Any]] = {}
        for key, value in sent.items():
            column = COLUMNS[key]
            if getattr(job, column) != value:
                changes[column] = [getattr(job, column), value]
                setattr(job, column, value)
        if not changes:
            return job
        if "scheduled_at" in changes:  # the one promise of a training session is its appointment
            changes["onsite_due_at"] = [job.onsite_due_at, job.scheduled_at]
            job.onsite_due_at = job.scheduled_at
        bump(job, list(changes))
        job.updated_at = utcnow()
        await log_changes(self.session, job_changes(job))
        await audit.record(
            self.session,
            action="job.training_update",
            entity="job",
            entity_id=job.id,
            user_id=by.user_id,
            device_id=by.device_id,
            detail={"number": job.number, "version": job.version, "changes": changes},
        )
        await self.session.commit()
        return job
