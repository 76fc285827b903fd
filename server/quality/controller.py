"""``/api/quality-incidents``: quality incidents (批量或重大质量问题) for the office.

An incident groups the jobs of one defect (same equipment model, same fault) whatever their customer.
QA and the manager open, change and close it, link and unlink jobs and record the actions taken
(``MANAGE_QUALITY_INCIDENTS``); the desk reads it (``READ_QUALITY_INCIDENTS``). The status moves forward
only (open → investigating → contained → closed, ``shared.quality``); closing needs the root cause; a
closed incident takes no more changes. Every change is audited; every refusal carries its code.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import take_numbers
from server.db.models import (
    Customer,
    Equipment,
    Job,
    QualityIncident,
    QualityIncidentAction,
    QualityIncidentJob,
    Site,
    User,
)
from server.deps import CurrentUser, DbSession, requires_to
from server.errors import Conflict, Invalid, NotFound
from shared.clock import utcnow
from shared.enums import EquipmentCategory, JobStatus, Role, Severity
from shared.quality import (
    CANDIDATE_DAYS,
    MAX_CANDIDATE_DAYS,
    ActionCreate,
    ActionOut,
    FaultCategory,
    IncidentChange,
    IncidentCreate,
    IncidentDraft,
    IncidentJob,
    IncidentLink,
    IncidentMove,
    IncidentOut,
    IncidentStatus,
    OwnerOut,
    can_move,
    fault_category,
)
from shared.roles import ROLES, Capability

requires_readers = requires_to(Capability.READ_QUALITY_INCIDENTS)
requires_quality = requires_to(Capability.MANAGE_QUALITY_INCIDENTS)
#: an action dated further ahead than this is a typing mistake
FUTURE_DAYS = 1
MAX_LINKED = 500


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _one(session: AsyncSession, incident_id: uuid.UUID, *, lock: bool = False) -> QualityIncident:
    query = select(QualityIncident).where(QualityIncident.id == incident_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(
            f"no quality incident with id {incident_id}",
            code="quality.not_found",
            params={"id": incident_id},
        )
    return row


def _still_open(row: QualityIncident) -> None:
    if row.status == IncidentStatus.CLOSED.value:
        raise Conflict(
            f"quality incident {row.number} is closed: it takes no more changes",
            code="quality.closed",
            params={"number": row.number},
        )


async def _owner(session: AsyncSession, owner_id: uuid.UUID) -> User:
    """The owner must be an active user who may manage incidents (QA, the manager or an admin)."""
    user = await session.get(User, owner_id)
    if user is None or not user.active or Role(user.role) not in ROLES[Capability.MANAGE_QUALITY_INCIDENTS]:
        raise Invalid(
            "the owner must be an active QA, manager or admin user",
            field="owner_id",
            code="quality.bad_owner",
            params={},
        )
    return user


async def _jobs_out(session: AsyncSession, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, IncidentJob]:
    """The linked or suggested jobs with their customer, site and equipment, by id."""
    if not job_ids:
        return {}
    rows = await session.execute(
        select(Job, Customer.name, Site.name, Equipment.model, Equipment.serial_no)
        .join(Customer, Customer.id == Job.customer_id)
        .join(Site, Site.id == Job.site_id)
        .outerjoin(Equipment, Equipment.id == Job.equipment_id)
        .where(Job.id.in_(job_ids))
    )
    out = {}
    for job, customer, site, model, serial in rows.tuples():
        out[job.id] = IncidentJob(
            job_id=job.id,
            number=job.number,
            customer_name=customer,
            site_name=site,
            equipment_model=model or "",
            serial_no=serial or "",
            symptom=job.symptom,
            cause=job.cause,
            fault_category=fault_category(job.symptom, job.cause),
            status=JobStatus(job.status),
            call_received_at=_utc(job.call_received_at) or job.call_received_at,
        )
    return out


async def _incidents_out(
    session: AsyncSession, rows: list[QualityIncident], *, whole: bool = True
) -> list[IncidentOut]:
    """Incidents with their owner's name and customers; ``whole`` adds their jobs and actions."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    owners = dict(
        (
            await session.execute(
                select(User.id, User.display_name).where(User.id.in_({r.owner_id for r in rows}))
            )
        )
        .tuples()
        .all()
    )
    links = (
        (
            await session.execute(
                select(
                    QualityIncidentJob.incident_id, QualityIncidentJob.job_id, QualityIncidentJob.linked_at
                )
                .where(QualityIncidentJob.incident_id.in_(ids))
                .order_by(QualityIncidentJob.linked_at, QualityIncidentJob.job_id)
            )
        )
        .tuples()
        .all()
    )
    customers: dict[uuid.UUID, set[uuid.UUID]] = {}
    job_customer = (
        dict(
            (
                await session.execute(
                    select(Job.id, Job.customer_id).where(Job.id.in_({job_id for _, job_id, _ in links}))
                )
            )
            .tuples()
            .all()
        )
        if links
        else {}
    )
    for incident_id, job_id, _ in links:
        customers.setdefault(incident_id, set()).add(job_customer[job_id])
    jobs = await _jobs_out(session, [job_id for _, job_id, _ in links]) if whole else {}
    actions: dict[uuid.UUID, list[ActionOut]] = {}
    if whole:
        for a in (
            await session.scalars(
                select(QualityIncidentAction)
                .where(QualityIncidentAction.incident_id.in_(ids))
                .order_by(QualityIncidentAction.taken_on, QualityIncidentAction.recorded_at)
            )
        ).all():
            action = ActionOut.model_validate(a)
            action.recorded_at = _utc(a.recorded_at) or a.recorded_at
            actions.setdefault(a.incident_id, []).append(action)
    out = []
    for r in rows:
        item = IncidentOut(
            id=r.id,
            number=r.number,
            title=r.title,
            equipment_model=r.equipment_model,
            category=EquipmentCategory(r.category) if r.category else None,
            fault=r.fault,
            fault_category=FaultCategory(r.fault_category),
            severity=Severity(r.severity),
            owner_id=r.owner_id,
            owner_name=owners.get(r.owner_id, ""),
            status=IncidentStatus(r.status),
            root_cause=r.root_cause,
            opened_by=r.opened_by,
            opened_at=_utc(r.opened_at) or r.opened_at,
            closed_at=_utc(r.closed_at),
            customers=len(customers.get(r.id, set())),
        )
        if whole:
            for incident_id, job_id, linked_at in links:
                if incident_id == r.id and job_id in jobs:
                    item.jobs.append(jobs[job_id].model_copy(update={"linked_at": _utc(linked_at)}))
            item.actions = actions.get(r.id, [])
        out.append(item)
    return out


async def _whole(session: AsyncSession, row: QualityIncident) -> IncidentOut:
    return (await _incidents_out(session, [row]))[0]


async def _check_jobs(session: AsyncSession, job_ids: list[uuid.UUID]) -> None:
    if not job_ids:
        return
    found = set((await session.scalars(select(Job.id).where(Job.id.in_(set(job_ids))))).all())
    missing = [j for j in job_ids if j not in found]
    if missing:
        raise Invalid(
            f"no job with id {missing[0]}", field="job_ids", code="job.not_found", params={"id": missing[0]}
        )


class QualityIncidentController(Controller):
    path = "/api/quality-incidents"
    tags = ["quality incidents"]  # noqa: RUF012

    @get("/", guards=[requires_readers])
    async def list_incidents(
        self,
        db_session: DbSession,
        status: Annotated[
            IncidentStatus | None, QueryParameter(description="only incidents in this state")
        ] = None,
        job_id: Annotated[
            uuid.UUID | None, QueryParameter(description="only the incidents this job is linked to")
        ] = None,
    ) -> list[IncidentOut]:
        """Quality incidents, newest first (at most 500), with their owner and how many customers their
        jobs belong to; the jobs and actions are in each incident's own answer."""
        query = select(QualityIncident).order_by(QualityIncident.opened_at.desc(), QualityIncident.id)
        if status is not None:
            query = query.where(QualityIncident.status == status.value)
        if job_id is not None:
            query = query.where(
                QualityIncident.id.in_(
                    select(QualityIncidentJob.incident_id).where(QualityIncidentJob.job_id == job_id)
                )
            )
        rows = list((await db_session.scalars(query.limit(500))).all())
        return await _incidents_out(db_session, rows, whole=False)

    @get("/{incident_id:uuid}", guards=[requires_readers])
    async def get_incident(self, incident_id: FromPath[uuid.UUID], db_session: DbSession) -> IncidentOut:
        """One incident with its linked jobs (any customer) and the actions taken, oldest first."""
        return await _whole(db_session, await _one(db_session, incident_id))

    @get("/owners", guards=[requires_readers])
    async def owners(self, db_session: DbSession) -> list[OwnerOut]:
        """The active users who may own an incident (QA, the manager, administrators), by name."""
        roles = [r.value for r in ROLES[Capability.MANAGE_QUALITY_INCIDENTS]]
        users = await db_session.scalars(
            select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.display_name)
        )
        return [OwnerOut(id=u.id, display_name=u.display_name, role=u.role) for u in users.all()]

    @get("/draft", guards=[requires_quality])
    async def draft_from_job(
        self,
        db_session: DbSession,
        job_number: Annotated[
            str, QueryParameter(min_length=1, max_length=32, description="the job the incident starts from")
        ],
    ) -> IncidentDraft:
        """What an incident opened from a job would say: the job's equipment model and category, its
        fault (the cause when found, else the symptom), the fault category and the job linked."""
        job = await db_session.scalar(select(Job).where(Job.number == job_number.strip()))
        if job is None:
            raise NotFound(
                f"no job numbered {job_number}", code="quality.no_such_job", params={"number": job_number}
            )
        equipment = await db_session.get(Equipment, job.equipment_id) if job.equipment_id else None
        if equipment is None:
            raise Invalid(
                f"job {job.number} names no equipment: an incident needs its model",
                field="job_id",
                code="quality.job_without_equipment",
                params={"number": job.number},
            )
        fault = job.cause.strip() or job.symptom.strip()
        return IncidentDraft(
            title=f"{equipment.model} {job.symptom.strip()}"[:200],
            equipment_model=equipment.model,
            category=EquipmentCategory(equipment.category),
            fault=fault,
            fault_category=fault_category(job.symptom, job.cause),
            severity=Severity(job.severity),
            job_ids=[job.id],
        )

    @get("/{incident_id:uuid}/candidates", guards=[requires_readers])
    async def candidates(
        self,
        incident_id: FromPath[uuid.UUID],
        db_session: DbSession,
        days: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_CANDIDATE_DAYS, description="how far back calls are looked at"),
        ] = CANDIDATE_DAYS,
    ) -> list[IncidentJob]:
        """Jobs not linked yet that look like the same defect: on equipment of the same model, called in
        within the last ``days`` days, not cancelled, whose symptom and cause fall in the same fault
        category (``shared.quality.fault_category``). Newest call first, at most 200."""
        row = await _one(db_session, incident_id)
        since = utcnow() - timedelta(days=days)
        linked = select(QualityIncidentJob.job_id).where(QualityIncidentJob.incident_id == row.id)
        found = (
            await db_session.execute(
                select(Job.id, Job.symptom, Job.cause)
                .join(Equipment, Equipment.id == Job.equipment_id)
                .where(
                    Equipment.model == row.equipment_model,
                    Job.call_received_at >= since,
                    Job.status != JobStatus.CANCELLED.value,
                    Job.id.not_in(linked),
                )
                .order_by(Job.call_received_at.desc(), Job.id)
                .limit(2000)
            )
        ).tuples()
        ids = [
            job_id
            for job_id, symptom, cause in found
            if fault_category(symptom, cause).value == row.fault_category
        ][:200]
        jobs = await _jobs_out(db_session, ids)
        return [jobs[i] for i in ids if i in jobs]

    @post("/", guards=[requires_quality])
    async def create_incident(
        self, data: JSONBody[IncidentCreate], db_session: DbSession, principal: CurrentUser
    ) -> IncidentOut:
        """Open an incident (state ``open``), from scratch or from jobs (``job_ids``, any customer).
        An owner who may not manage incidents, or a job that does not exist, is a 422."""
        await _owner(db_session, data.owner_id)
        job_ids = list(dict.fromkeys(data.job_ids))
        await _check_jobs(db_session, job_ids)
        now = utcnow()
        n = await take_numbers(db_session, "quality_incidents")
        row = QualityIncident(
            number=f"ZL{now.year}-{n:04d}",
            title=data.title,
            equipment_model=data.equipment_model,
            category=data.category.value if data.category else None,
            fault=data.fault,
            fault_category=data.fault_category.value,
            severity=data.severity.value,
            owner_id=data.owner_id,
            status=IncidentStatus.OPEN.value,
            root_cause="",
            opened_by=principal.user_id,
            opened_at=now,
        )
        db_session.add(row)
        await db_session.flush()
        for job_id in job_ids:
            db_session.add(
                QualityIncidentJob(
                    incident_id=row.id, job_id=job_id, linked_by=principal.user_id, linked_at=now
                )
            )
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.open",
            "quality_incident",
            row.id,
            {"number": row.number, "data": data.model_dump(mode="json")},
        )
        await db_session.commit()
        return await _whole(db_session, row)

    @patch("/{incident_id:uuid}", guards=[requires_quality])
    async def change_incident(
        self,
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[IncidentChange],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> IncidentOut:
        """Change the words, severity, owner or root cause of an incident that is not closed."""
        row = await _one(db_session, incident_id, lock=True)
        _still_open(row)
        changes = data.model_dump(mode="json", exclude_unset=True)
        if data.owner_id is not None:
            await _owner(db_session, data.owner_id)
        before = {k: getattr(row, k) for k in changes}
        for key, value in changes.items():
            if value is None and key != "category":
                continue
            setattr(row, key, uuid.UUID(value) if key == "owner_id" else value)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.change",
            "quality_incident",
            row.id,
            {"number": row.number, "before": _jsonable(before), "after": changes},
        )
        await db_session.commit()
        return await _whole(db_session, row)

    @post("/{incident_id:uuid}/status", guards=[requires_quality], status_code=200)
    async def move_incident(
        self,
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[IncidentMove],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> IncidentOut:
        """Move an incident forward (a step may be skipped, never undone: 409). ``closed`` needs the
        root cause, given here or recorded before (422 without one)."""
        row = await _one(db_session, incident_id, lock=True)
        current = IncidentStatus(row.status)
        if not can_move(current, data.status):
            raise Conflict(
                f"quality incident {row.number} is {current.value}: it cannot become {data.status.value}",
                code="quality.illegal_step",
                params={
                    "number": row.number,
                    "incident_status": current.value,
                    "incident_target": data.status.value,
                },
            )
        if data.root_cause is not None and data.root_cause:
            row.root_cause = data.root_cause
        if data.status is IncidentStatus.CLOSED:
            if not row.root_cause.strip():
                raise Invalid(
                    "a quality incident closes only with its root cause",
                    field="root_cause",
                    code="quality.root_cause_required",
                    params={"number": row.number},
                )
            row.closed_at = utcnow()
        row.status = data.status.value
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.move",
            "quality_incident",
            row.id,
            {
                "number": row.number,
                "from": current.value,
                "to": data.status.value,
                "root_cause": row.root_cause,
                "note": data.note,
            },
        )
        await db_session.commit()
        return await _whole(db_session, row)

    @post("/{incident_id:uuid}/jobs", guards=[requires_quality])
    async def link_job(
        self,
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[IncidentLink],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> IncidentOut:
        """Link a job of any customer (a job already linked is a 409, one that does not exist a 422)."""
        row = await _one(db_session, incident_id, lock=True)
        _still_open(row)
        if data.job_id is not None:
            job = await db_session.get(Job, data.job_id)
        else:
            job = await db_session.scalar(select(Job).where(Job.number == data.number))
        if job is None:
            raise Invalid(
                f"no job {data.number or data.job_id}",
                field="job_id" if data.job_id else "number",
                code="quality.no_such_job",
                params={"number": data.number or str(data.job_id)},
            )
        if await db_session.get(QualityIncidentJob, (row.id, job.id)) is not None:
            raise Conflict(
                f"job {job.number} is already linked to {row.number}",
                code="quality.already_linked",
                params={"number": row.number, "job": job.number},
            )
        linked = await db_session.scalar(
            select(func.count())
            .select_from(QualityIncidentJob)
            .where(QualityIncidentJob.incident_id == row.id)
        )
        if int(linked or 0) >= MAX_LINKED:
            raise Conflict(
                f"quality incident {row.number} has {MAX_LINKED} jobs already",
                code="quality.too_many_jobs",
                params={"number": row.number, "max": MAX_LINKED},
            )
        db_session.add(QualityIncidentJob(incident_id=row.id, job_id=job.id, linked_by=principal.user_id))
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.link_job",
            "quality_incident",
            row.id,
            {"number": row.number, "job": job.number, "job_id": str(job.id)},
        )
        await db_session.commit()
        return await _whole(db_session, row)

    @delete("/{incident_id:uuid}/jobs/{job_id:uuid}", guards=[requires_quality], status_code=200)
    async def unlink_job(
        self,
        incident_id: FromPath[uuid.UUID],
        job_id: FromPath[uuid.UUID],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> IncidentOut:
        """Take a job off the incident (404 when it is not linked)."""
        row = await _one(db_session, incident_id, lock=True)
        _still_open(row)
        link = await db_session.get(QualityIncidentJob, (row.id, job_id))
        if link is None:
            raise NotFound(
                f"job {job_id} is not linked to {row.number}",
                code="quality.not_linked",
                params={"number": row.number},
            )
        number = await db_session.scalar(select(Job.number).where(Job.id == job_id))
        await db_session.delete(link)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.unlink_job",
            "quality_incident",
            row.id,
            {"number": row.number, "job": number, "job_id": str(job_id)},
        )
        await db_session.commit()
        return await _whole(db_session, row)

    @post("/{incident_id:uuid}/actions", guards=[requires_quality])
    async def add_action(
        self,
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[ActionCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> IncidentOut:
        """Record an action taken: the day (not in the future), who and what."""
        row = await _one(db_session, incident_id, lock=True)
        _still_open(row)
        if data.taken_on > (utcnow() + timedelta(days=FUTURE_DAYS)).date():
            raise Invalid(
                "taken_on is in the future",
                field="taken_on",
                code="time.in_future",
                params={"field": "taken_on"},
            )
        action = QualityIncidentAction(
            incident_id=row.id,
            taken_on=data.taken_on,
            who=data.who,
            what=data.what,
            recorded_by=principal.user_id,
            recorded_at=utcnow(),
        )
        db_session.add(action)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "quality.action",
            "quality_incident",
            row.id,
            {"number": row.number, "data": data.model_dump(mode="json")},
        )
        await db_session.commit()
        return await _whole(db_session, row)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in values.items()}
