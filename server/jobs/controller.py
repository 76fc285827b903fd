"""``/api/jobs``: the service desk's calls and the engineers' work."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, undefer

from server.contacts.register import register_job
from server.db.models import Customer, Equipment, Job, JobAssignment, JobSignature, Photo, Site, User
from server.deps import CurrentUser, DbSession, requires_any_user, requires_dispatch, requires_qa, requires_to
from server.errors import Invalid, NotFound
from server.jobs.form import photo_bytes, service_form
from server.jobs.form_pdf import MAX_PHOTOS, render_form_pdf
from server.jobs.service import JobService
from server.paging import MAX_LIMIT, fetch_page, has_text
from shared.clock import utcnow
from shared.enums import OPEN_STATUSES, JobKind, JobStatus, Severity
from shared.models import (
    AssignmentOut,
    CustomerOut,
    EquipmentOut,
    JobAssign,
    JobCreate,
    JobDetail,
    JobHold,
    JobOfficeUpdate,
    JobOut,
    JobSignatureOut,
    Page,
    QaDecision,
    QaReturn,
    SiteOut,
    UserOut,
)
from shared.roles import Capability
from shared.service_form import ServiceForm


def matches_text(q: str) -> Any:
    """Jobs where ``q`` is in what a dispatcher or QA reviewer would type to find one: its number,
    symptom or caller, its customer's or site's name, its equipment's model or serial number
    (:func:`server.paging.has_text`: any case, and ``%`` and ``_`` are the characters typed)."""
    return or_(
        has_text(q, Job.number, Job.symptom, Job.caller_name),
        Job.customer_id.in_(select(Customer.id).where(has_text(q, Customer.name))),
        Job.site_id.in_(select(Site.id).where(has_text(q, Site.name))),
        Job.equipment_id.in_(select(Equipment.id).where(has_text(q, Equipment.model, Equipment.serial_no))),
    )


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]  # noqa: RUF012

    @post("/", guards=[requires_dispatch])
    async def create_job(
        self, data: JSONBody[JobCreate], db_session: DbSession, principal: CurrentUser, state: State
    ) -> JobOut:
        """Record a call; the SLA deadlines come from the most specific promise of the customer's contract
        in force on the call's date, else the customer's SLA policy, else the default policy."""
        tz = ZoneInfo(state.settings.timezone)
        job = await JobService(db_session, tz).open(data, principal)
        await register_job(db_session, job, principal, data.channel, tz)  # the register's repair call
        await db_session.commit()
        return JobOut.model_validate(job)

    @get("/", guards=[requires_any_user])
    async def list_jobs(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        status: Annotated[list[JobStatus] | None, QueryParameter(description="repeat for several")] = None,
        kind: FromQuery[JobKind | None] = None,
        severity: FromQuery[Severity | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        site_id: FromQuery[uuid.UUID | None] = None,
        equipment_id: FromQuery[uuid.UUID | None] = None,
        engineer_id: FromQuery[uuid.UUID | None] = None,
        open_only: FromQuery[bool] = False,
        received_from: FromQuery[datetime | None] = None,
        received_to: FromQuery[datetime | None] = None,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=100,
                description="text in the job's number, symptom or caller, its customer's or site's name, "
                "or its equipment's model or serial number (any case; % and _ are plain characters)",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[JobOut]:
        """Jobs, newest call first. An engineer only ever sees the jobs assigned to them."""
        for name, stamp in (("received_from", received_from), ("received_to", received_to)):
            if stamp is not None and stamp.tzinfo is None:
                raise Invalid(
                    f"{name} needs a time zone, e.g. 2026-06-01T00:00:00+08:00",
                    field=name,
                    code="time.needs_zone",
                    params={"field": name},
                )
        query = select(Job).order_by(Job.call_received_at.desc(), Job.id)
        if principal.is_engineer:
            query = query.where(Job.assigned_engineer_id == principal.user_id)
        elif engineer_id is not None:
            query = query.where(Job.assigned_engineer_id == engineer_id)
        if status:
            query = query.where(Job.status.in_([s.value for s in status]))
        if open_only:
            query = query.where(Job.status.in_([s.value for s in OPEN_STATUSES]))
        filters: tuple[tuple[Any, object], ...] = (
            (Job.kind, kind.value if kind else None),
            (Job.severity, severity.value if severity else None),
            (Job.customer_id, customer_id),
            (Job.site_id, site_id),
            (Job.equipment_id, equipment_id),
        )
        for column, value in filters:
            if value is not None:
                query = query.where(column == value)
        if received_from is not None:
            query = query.where(Job.call_received_at >= received_from)
        if received_to is not None:
            query = query.where(Job.call_received_at < received_to)
        if q:
            query = query.where(matches_text(q))
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[JobOut](
            items=[JobOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/{job_id:uuid}", guards=[requires_any_user])
    async def get_job(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> JobDetail:
        """A job with its customer, site, equipment and engineer."""
        job = await JobService(db_session).get(job_id, principal)
        customer = await db_session.get(Customer, job.customer_id)
        site = await db_session.get(Site, job.site_id)
        equipment = await db_session.get(Equipment, job.equipment_id) if job.equipment_id else None
        engineer = await db_session.get(User, job.assigned_engineer_id) if job.assigned_engineer_id else None
        return JobDetail.model_validate(
            {
                **JobOut.model_validate(job).model_dump(),
                "signature": job.signature,
                "customer": CustomerOut.model_validate(customer),
                "site": SiteOut.model_validate(site),
                "equipment": EquipmentOut.model_validate(equipment) if equipment else None,
                "engineer": UserOut.model_validate(engineer) if engineer else None,
            }
        )

    @get("/{job_id:uuid}/signatures", guards=[requires_any_user])
    async def list_signatures(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> list[JobSignatureOut]:
        """Every customer signature the job received, oldest first; ``standing`` marks the one that stands.

        A second signing never destroys the first: both are here, and in the ``signed_twice`` conflict."""
        job = await JobService(db_session).get(job_id, principal)
        rows = (
            await db_session.scalars(
                select(JobSignature)
                .where(JobSignature.job_id == job.id)
                .order_by(JobSignature.received_at, JobSignature.id)
            )
        ).all()
        standing = next((r.id for r in reversed(rows) if r.signature == job.signature), None)
        return [
            JobSignatureOut.model_validate(r).model_copy(update={"standing": r.id == standing}) for r in rows
        ]

    @patch("/{job_id:uuid}", guards=[requires_dispatch])
    async def update_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[JobOfficeUpdate],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> JobOut:
        service = JobService(db_session, ZoneInfo(state.settings.timezone))
        return JobOut.model_validate(await service.update(job_id, data, principal))

    @post("/{job_id:uuid}/assign", guards=[requires_dispatch], status_code=200)
    async def assign_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[JobAssign],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> JobOut:
        """Assign or reassign; the job leaves the previous engineer's device at their next sync."""
        job = await JobService(db_session).assign(job_id, data.engineer_id, principal, data.reason)
        return JobOut.model_validate(job)

    @get("/{job_id:uuid}/assignments", guards=[requires_any_user])
    async def job_assignments(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> list[AssignmentOut]:
        """The job's assignment history, oldest first: each engineer who had it, from when until when,
        who assigned it and why (指派记录). An engineer sees it for their own jobs only."""
        job = await JobService(db_session).get(job_id, principal)
        engineer, office = aliased(User), aliased(User)
        rows = await db_session.execute(
            select(JobAssignment, engineer.display_name, office.display_name)
            .join(engineer, engineer.id == JobAssignment.engineer_id)
            .outerjoin(office, office.id == JobAssignment.assigned_by)
            .where(JobAssignment.job_id == job.id)
            .order_by(JobAssignment.assigned_at, JobAssignment.id)
        )
        return [
            AssignmentOut(
                engineer_id=row.engineer_id,
                engineer_name=engineer_name,
                assigned_by=row.assigned_by,
                assigned_by_name=office_name or "",
                assigned_at=row.assigned_at,
                unassigned_at=row.unassigned_at,
                reason=row.reason,
                qualification_gaps=row.qualification_gaps or [],
            )
            for row, engineer_name, office_name in rows
        ]

    @post("/{job_id:uuid}/hold", guards=[requires_dispatch], status_code=200)
    async def hold_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[JobHold],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> JobOut:
        return JobOut.model_validate(
            await JobService(db_session).set_office_status(job_id, JobStatus.ON_HOLD, data.reason, principal)
        )

    @post("/{job_id:uuid}/resume", guards=[requires_dispatch], status_code=200)
    async def resume_job(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> JobOut:
        return JobOut.model_validate(await JobService(db_session).resume(job_id, principal))

    @post("/{job_id:uuid}/approve", guards=[requires_qa], status_code=200)
    async def approve_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[QaDecision],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> JobOut:
        """QA approves a resolved job's service form; only approved jobs count as closed. Repairs,
        installations and training sessions get their return visit planned (``LEVEE_RETURN_VISIT_DAYS``
        after the sign-off)."""
        settings = state.settings
        job = await JobService(db_session).approve(
            job_id,
            principal,
            data.note,
            return_visit_days=settings.return_visit_days,
            tz=ZoneInfo(settings.timezone),
        )
        return JobOut.model_validate(job)

    @post("/{job_id:uuid}/return", guards=[requires_qa], status_code=200)
    async def return_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[QaReturn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> JobOut:
        """QA returns the form to the engineer with a reason; it reaches their device at the next sync."""
        return JobOut.model_validate(
            await JobService(db_session).return_to_engineer(job_id, principal, data.reason)
        )

    @post("/{job_id:uuid}/cancel", guards=[requires_dispatch], status_code=200)
    async def cancel_job(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[JobHold],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> JobOut:
        return JobOut.model_validate(
            await JobService(db_session).set_office_status(
                job_id, JobStatus.CANCELLED, data.reason, principal
            )
        )


class PhotoController(Controller):
    path = "/api/photos"
    tags = ["jobs"]  # noqa: RUF012

    @get("/{photo_id:uuid}", guards=[requires_any_user], media_type="application/octet-stream")
    async def get_photo(
        self, photo_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> Response[bytes]:
        """A job's photo; an engineer only gets photos of their own jobs. A photo of a job the caller
        may not see answers exactly as a photo that does not exist, so its existence does not leak."""
        missing = NotFound(f"no photo with id {photo_id}", code="photo.not_found", params={"id": photo_id})
        job_id = await db_session.scalar(select(Photo.job_id).where(Photo.id == photo_id))
        if job_id is None:
            raise missing
        try:
            await JobService(db_session).get(job_id, principal)
        except NotFound:
            raise missing from None
        photo = await db_session.get(Photo, photo_id, options=[undefer(Photo.data)])
        if photo is None:  # deleted in between
            raise missing
        return Response(
            photo.data,
            media_type=photo.content_type,
            headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )


Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


class ServiceFormController(Controller):
    path = "/api/jobs"
    tags = ["console"]  # noqa: RUF012
    guards = [requires_to(Capability.REVIEW_CONFLICTS)]  # noqa: RUF012

    @get("/{job_id:uuid}/form")
    async def form(self, job_id: FromPath[uuid.UUID], db_session: DbSession) -> ServiceForm:
        """The whole service form: job, timeline with clock flags, checklist, parts, photos (metadata)."""
        return await service_form(db_session, job_id)

    @get("/{job_id:uuid}/form.pdf", media_type="application/pdf")
    async def form_pdf(
        self, job_id: FromPath[uuid.UUID], db_session: DbSession, state: State, lang: Lang = "zh-CN"
    ) -> Response[bytes]:
        """The printable service form (A4, Chinese by default) with the customer's signature."""
        form = await service_form(db_session, job_id)
        photos = await photo_bytes(db_session, form, MAX_PHOTOS)
        render = partial(
            render_form_pdf,
            form,
            lang=lang,
            tz=ZoneInfo(state.settings.timezone),
            printed_at=utcnow(),
            photos=photos,
        )
        pdf = await anyio.to_thread.run_sync(render)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{form.job.number}.pdf"'},
        )
