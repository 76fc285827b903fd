"""Service desk rules for jobs: opening a call, assigning, holding, cancelling, editing.

Every change bumps the job's version, notes which fields changed at that version (the field-level
merge needs it) and writes the change log in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import Change, log_changes, take_numbers
from server.contracts.promises import ChosenLimits, limits_for_call
from server.customers.visits import schedule_after_close
from server.db.models import Customer, Equipment, Job, JobAssignment, JobEvent, Site, User
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from server.jobs.form import checklist_items
from server.knowledge.scope import changes_for_assignment
from server.people.qualification import note_gaps
from shared import job_rules
from shared.acceptance import SATISFACTION, SIGNATURE, RequiredItem, missing_for_approval
from shared.clock import utcnow
from shared.customers import DEFAULT_RETURN_VISIT_DAYS
from shared.enums import JobEventType, JobKind, JobStatus, Role
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.models import JobCreate, JobOfficeUpdate
from shared.sla import SlaLimits, deadlines_for

JOB_NUMBER_COUNTER = "job_number"


OFFICE = "office"


def bump(job: Job, fields: list[str], by: str = OFFICE) -> None:
    """Advance the job's version and remember, per field, the version and writer of its last change.

    ``by`` is the device id of an engineer's write, or ``"office"``. The field-level merge uses both:
    a write is concurrent with the field's last change only if it came from someone else.
    """
    job.version = (job.version or 1) + 1
    versions = dict(job.field_versions or {})
    for name in fields:
        versions[name] = {"v": job.version, "by": by}
    job.field_versions = versions
    job.updated_at = utcnow()


def stale_edit(job: Job, fields: list[str], base_version: int) -> None:
    """Refuse an office write of ``fields`` made on ``base_version`` when any of them changed since.

    The 409 carries, per contested field, the value that stands and the version it was written at, so
    the office can look again and send its edit on the current version: nothing is overwritten silently.
    """
    versions = job.field_versions or {}
    newer = sorted(f for f in fields if int((versions.get(f) or {}).get("v", 0)) > base_version)
    if newer:
        raise Conflict(
            f"job {job.number} changed since version {base_version}: {', '.join(newer)}; "
            "look at the current value and edit again",
            version=job.version,
            current={f: _plain(getattr(job, f)) for f in newer},
            code="job.changed_since",
            params={"number": job.number, "version": base_version, "fields": newer},
        )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def job_changes(job: Job, previous_engineer: uuid.UUID | None = None) -> list[Change]:
    """What the log needs after a job changed: a put for its engineer, a remove for one who lost it."""
    out: list[Change] = []
    if previous_engineer is not None and previous_engineer != job.assigned_engineer_id:
        out.append(Change("job", job.id, "remove", previous_engineer))
    if job.assigned_engineer_id is not None:
        out.append(Change("job", job.id, "put", job.assigned_engineer_id))
    return out


async def applicable_limits(session: AsyncSession, job: Job, tz: tzinfo) -> ChosenLimits:
    """The clocks the job's call is measured against: the contract in force on the call's date (its most
    specific promise), else the customer's policy, else the default (server/contracts/promises.py)."""
    category = None
    if job.equipment_id is not None:
        equipment = await session.get(Equipment, job.equipment_id)
        category = equipment.category if equipment else None
    day = job.call_received_at.astimezone(tz).date()
    return await limits_for_call(session, job.customer_id, day, job.severity, job.kind, category)


def apply_deadlines(job: Job, limits: SlaLimits | None) -> None:
    """The job's deadlines for its kind (shared/sla.py): the contract's clocks, an appointment, or none."""
    d = deadlines_for(JobKind(job.kind), job.call_received_at, limits, job.scheduled_at)
    job.respond_due_at, job.onsite_due_at = d.respond_due_at, d.onsite_due_at
    job.fix_due_at, job.backup_due_at = d.fix_due_at, d.backup_due_at


class JobService:
    def __init__(self, session: AsyncSession, tz: tzinfo | None = None) -> None:
        self.session = session
        #: the installation's calendar: which contract is in force on a call's date
        self.tz = tz or zone(DEFAULT_TIMEZONE)

    async def _audit(self, job: Job, action: str, by: Principal | None, **detail: Any) -> None:
        await audit.record(
            self.session,
            action=action,
            entity="job",
            entity_id=job.id,
            user_id=by.user_id if by else None,
            device_id=by.device_id if by else None,
            detail={"number": job.number, "version": job.version, **detail},
        )

    async def get(self, job_id: uuid.UUID, principal: Principal | None = None) -> Job:
        """A job, or 404 also when an engineer asks for someone else's (no leak that it exists)."""
        job = await self.session.get(Job, job_id)
        if job is None or (
            principal is not None and principal.is_engineer and job.assigned_engineer_id != principal.user_id
        ):
            raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
        return job

    async def _engineer(self, engineer_id: uuid.UUID) -> User:
        user = await self.session.get(User, engineer_id)
        if user is None or user.role != Role.ENGINEER.value:
            raise Invalid(
                f"no engineer with id {engineer_id}",
                field="engineer_id",
                code="engineer.not_found",
                params={"id": engineer_id},
            )
        if not user.active:
            raise Invalid(
                f"engineer {user.display_name} is disabled",
                field="engineer_id",
                code="engineer.disabled",
                params={"name": user.display_name},
            )
        return user

    async def create(self, data: JobCreate, by: Principal, now: datetime | None = None) -> Job:
        job = await self.open(data, by, now)
        await self.session.commit()
        return job

    async def open(
        self,
        data: JobCreate,
        by: Principal | None,
        now: datetime | None = None,
        *,
        planned: Mapping[str, Any] | None = None,
    ) -> Job:
        """Create a job in the caller's transaction (no commit); ``by`` None is the server itself.

        ``planned`` sets columns before the job is first written (an inspection schedule's id and due
        date, its checklist, deadlines that follow the due date), so a duplicate fails at that flush.
        """
        now = now or utcnow()
        customer = await self.session.get(Customer, data.customer_id)
        if customer is None:
            raise Invalid(
                f"no customer with id {data.customer_id}",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        site = await self.session.get(Site, data.site_id)
        if site is None or site.customer_id != customer.id:
            raise Invalid(
                f"site {data.site_id} is not a site of {customer.name}",
                field="site_id",
                code="site.not_of_customer",
                params={"site": data.site_id, "customer": customer.name},
            )
        if data.equipment_id is not None:
            equipment = await self.session.get(Equipment, data.equipment_id)
            if equipment is None or equipment.site_id != site.id:
                raise Invalid(
                    f"equipment {data.equipment_id} is not at {site.name}",
                    field="equipment_id",
                    code="equipment.not_at_site",
                    params={"equipment": data.equipment_id, "site": site.name},
                )
        received = data.call_received_at or now
        if received > now:
            raise Invalid(
                "call_received_at is in the future",
                field="call_received_at",
                code="time.in_future",
                params={"field": "call_received_at"},
            )
        number = await take_numbers(self.session, JOB_NUMBER_COUNTER)
        job = Job(
            number=f"WO-{received:%Y%m}-{number:05d}",
            kind=data.kind.value,
            severity=data.severity.value,
            status=JobStatus.NEW.value,
            customer_id=customer.id,
            site_id=site.id,
            equipment_id=data.equipment_id,
            caller_name=data.caller_name,
            caller_phone=data.caller_phone,
            symptom=data.symptom,
            call_received_at=received,
            version=1,
            field_versions={},
            created_at=now,
            updated_at=now,
        )
        job.scheduled_at = (planned or {}).get("scheduled_at", data.scheduled_at)  # an appointment's clock
        chosen = await applicable_limits(self.session, job, self.tz)
        apply_deadlines(job, chosen.limits)
        for column, value in (planned or {}).items():
            setattr(job, column, value)
        self.session.add(job)
        await self.session.flush()
        if data.assigned_engineer_id is not None:
            await self._assign(job, data.assigned_engineer_id, by)
        extra: dict[str, Any] = {"planned": dict(planned)} if planned else {}
        extra["promise"] = chosen.source
        await self._audit(job, "job.create", by, data=data.model_dump(mode="json"), **extra)
        return job

    async def _assign(self, job: Job, engineer_id: uuid.UUID, by: Principal | None, reason: str = "") -> None:
        engineer = await self._engineer(engineer_id)
        previous = job.assigned_engineer_id
        if previous == engineer.id:
            return
        now = utcnow()
        if previous is not None:
            open_rows = await self.session.scalars(
                select(JobAssignment).where(
                    JobAssignment.job_id == job.id, JobAssignment.unassigned_at.is_(None)
                )
            )
            for row in open_rows:
                row.unassigned_at = now
        assigned_by = by.user_id if by else None
        gaps = await note_gaps(self.session, job, engineer.id, self.tz)  # 持证上岗: kept with the assignment
        self.session.add(
            JobAssignment(
                job_id=job.id,
                engineer_id=engineer.id,
                assigned_by=assigned_by,
                reason=reason,
                qualification_gaps=gaps,
            )
        )
        job.assigned_engineer_id = engineer.id
        changed = ["assigned_engineer_id"]
        if job.status == JobStatus.NEW.value:
            job.status = JobStatus.ASSIGNED.value
            changed.append("status")
        bump(job, changed)
        knowledge = await changes_for_assignment(self.session, job.id, job.equipment_id, engineer.id)
        await log_changes(self.session, [*job_changes(job, previous), *knowledge])

    async def assign(self, job_id: uuid.UUID, engineer_id: uuid.UUID, by: Principal, reason: str = "") -> Job:
        job = await self.get(job_id)
        if job.status in job_rules.FINAL:
            raise Conflict(
                f"job {job.number} is {job.status}; it cannot be assigned",
                code="job.not_assignable",
                params={"number": job.number, "status": job.status},
            )
        if not job_rules.may_assign(job.status):
            raise Conflict(
                f"job {job.number} is signed off by the customer; QA approves it or returns it first",
                code="job.signed_off",
                params={"number": job.number},
            )
        await self._assign(job, engineer_id, by, reason)
        await self._audit(job, "job.assign", by, engineer_id=str(engineer_id), reason=reason)
        await self.session.commit()
        return job

    async def set_office_status(
        self, job_id: uuid.UUID, status: JobStatus, reason: str, by: Principal
    ) -> Job:
        """Hold or cancel a job (office decisions), or resume a held one."""
        job = await self.get(job_id)
        if job.status in job_rules.FINAL:
            raise Conflict(
                f"job {job.number} is already {job.status}",
                code="job.final",
                params={"number": job.number, "status": job.status},
            )
        if status is JobStatus.ON_HOLD and job.status == JobStatus.ON_HOLD.value:
            raise Conflict(
                f"job {job.number} is already on hold",
                code="job.already_on_hold",
                params={"number": job.number},
            )
        if job.status == JobStatus.SIGNED_OFF.value:
            raise Conflict(
                f"job {job.number} is signed off by the customer; QA approves it or returns it first",
                code="job.signed_off",
                params={"number": job.number},
            )
        # a held job is judged by where its field work stands, so a hold is no way round the rule
        held = status is JobStatus.CANCELLED and job.status == JobStatus.ON_HOLD.value
        progress = await self._status_from_progress(job) if held else job.status
        if status is JobStatus.CANCELLED and not job_rules.may_cancel(progress):
            raise Conflict(
                f"job {job.number} is resolved: work done is not cancelled; QA approves it or returns it",
                code="job.work_done",
                params={"number": job.number},
            )
        job.status = status.value
        job.office_reason = reason
        bump(job, ["status", "office_reason"])
        await log_changes(self.session, job_changes(job))
        await self._audit(job, f"job.{status.value}", by, reason=reason)
        await self.session.commit()
        return job

    async def approve(
        self,
        job_id: uuid.UUID,
        by: Principal,
        note: str,
        *,
        return_visit_days: int = DEFAULT_RETURN_VISIT_DAYS,
        tz: tzinfo = UTC,
    ) -> Job:
        """QA approves the service form: only now does the job count as closed.

        Its return visit is planned in the same transaction, ``return_visit_days`` after the sign-off
        (local dates in ``tz``)."""
        job = await self.get(job_id)
        if job.status not in job_rules.REVIEWABLE:
            raise Conflict(
                f"job {job.number} is {job.status}; only resolved or signed-off jobs can be approved",
                code="job.not_reviewable",
                params={"number": job.number, "status": job.status},
            )
        await self._check_complete(job)
        now = utcnow()
        job.status, job.closed_at = JobStatus.CLOSED.value, now
        job.qa_note, job.qa_by, job.qa_at = note, by.user_id, now
        bump(job, ["status", "closed_at", "qa_note"])
        await log_changes(self.session, job_changes(job))
        await self._audit(job, "job.approve", by, note=note)
        await schedule_after_close(self.session, job, by, days=return_visit_days, tz=tz)
        await self.session.commit()
        return job

    async def _check_complete(self, job: Job) -> None:
        """Refuse (409, the missing items named) a form that lacks what approval needs."""
        items = [
            RequiredItem(a.item_code, a.label_zh, a.kind.value, a.required, a.result, a.value)
            for a in await checklist_items(self.session, job)
        ]
        missing = missing_for_approval(
            JobKind(job.kind), signature=job.signature, satisfaction=job.satisfaction, checklist=items
        )
        if not missing:
            return
        labels = {f"checklist:{i.code}": f"{i.label} ({i.code})" for i in items}
        unanswered = [labels[m] for m in missing if m in labels]
        lacking = []
        if unanswered:
            lacking.append("required checklist items unanswered: " + ", ".join(unanswered))
        acceptance = [m for m in missing if m in (SIGNATURE, SATISFACTION)]
        if acceptance:
            lacking.append(
                "no customer acceptance: " + " and ".join(f"the {m}" for m in acceptance) + " missing"
            )
        raise Conflict(
            f"job {job.number} cannot be approved; " + "; ".join(lacking),
            missing=missing,
            code="job.incomplete",
            params={"number": job.number, "lacking": [*unanswered, *acceptance]},
        )

    async def return_to_engineer(self, job_id: uuid.UUID, by: Principal, reason: str) -> Job:
        """QA sends the form back: the job reopens as started, keeping the times already recorded."""
        job = await self.get(job_id)
        if job.status not in job_rules.REVIEWABLE:
            raise Conflict(
                f"job {job.number} is {job.status}; only resolved or signed-off jobs can be returned",
                code="job.not_returnable",
                params={"number": job.number, "status": job.status},
            )
        job.status = JobStatus.STARTED.value
        job.qa_note, job.qa_by, job.qa_at = reason, by.user_id, utcnow()
        job.qa_returns += 1
        bump(job, ["status", "qa_note"])
        await log_changes(self.session, job_changes(job))
        await self._audit(job, "job.return", by, reason=reason)
        await self.session.commit()
        return job

    async def resume(self, job_id: uuid.UUID, by: Principal) -> Job:
        job = await self.get(job_id)
        if job.status != JobStatus.ON_HOLD.value:
            raise Conflict(
                f"job {job.number} is not on hold", code="job.not_on_hold", params={"number": job.number}
            )
        job.status = await self._status_from_progress(job)
        job.office_reason = ""
        bump(job, ["status", "office_reason"])
        await log_changes(self.session, job_changes(job))
        await self._audit(job, "job.resume", by, status=job.status)
        await self.session.commit()
        return job

    async def _status_from_progress(self, job: Job) -> str:
        """Where the field work stands, from its stamps (a resumed job goes back there).

        The stamps keep the first time of each step, so after QA returned the form they still show it
        resolved and signed: then only the resolutions and signatures received since count, and a
        job held before the engineer redid them resumes as started, not as the form QA sent back."""
        if job.qa_returns and job.qa_at is not None and (job.resolved_at or job.signed_off_at):
            since = set(
                await self.session.scalars(
                    select(JobEvent.type).where(
                        JobEvent.job_id == job.id,
                        JobEvent.received_at > job.qa_at,
                        JobEvent.type.in_([JobEventType.RESOLVED.value, JobEventType.SIGNED_OFF.value]),
                    )
                )
            )
            for status in (JobStatus.SIGNED_OFF, JobStatus.RESOLVED):
                if status.value in since:
                    return status.value
            return JobStatus.STARTED.value
        for status, stamp in (
            (JobStatus.SIGNED_OFF, job.signed_off_at),
            (JobStatus.RESOLVED, job.resolved_at),
            (JobStatus.STARTED, job.started_at),
            (JobStatus.ARRIVED, job.arrived_at),
            (JobStatus.DEPARTED, job.departed_at),
            (JobStatus.ACKNOWLEDGED, job.acknowledged_at),
        ):
            if stamp is not None:
                return status.value
        return (JobStatus.ASSIGNED if job.assigned_engineer_id else JobStatus.NEW).value

    async def update(self, job_id: uuid.UUID, data: JobOfficeUpdate, by: Principal) -> Job:
        job = await self.get(job_id)
        changes: dict[str, Any] = {
            k: (v.value if hasattr(v, "value") else v)
            for k, v in data.model_dump(exclude_unset=True, exclude={"base_version"}).items()
            if v is not None
        }
        changed = [k for k, v in changes.items() if getattr(job, k) != v]
        if not changed:
            return job
        if data.base_version is not None:
            stale_edit(job, changed, data.base_version)
        before = {k: getattr(job, k) for k in changed}
        for key in changed:
            setattr(job, key, changes[key])
        if "severity" in changed:
            apply_deadlines(job, (await applicable_limits(self.session, job, self.tz)).limits)
            changed += ["respond_due_at", "onsite_due_at", "fix_due_at", "backup_due_at"]
        bump(job, changed)
        await log_changes(self.session, job_changes(job))
        await self._audit(job, "job.update", by, changes={k: [before[k], changes[k]] for k in before})
        await self.session.commit()
        return job
