"""The whole service form of one job: what QA reviews and what the printed form shows."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from server.db.models import (
    ChecklistResult,
    ChecklistTemplate,
    Customer,
    Equipment,
    Job,
    JobEvent,
    JobPart,
    JobQuote,
    Part,
    Photo,
    Site,
    User,
)
from server.errors import NotFound
from server.jobs.decision import decision_out
from shared.enums import ChecklistItemKind
from shared.models import CustomerOut, EquipmentOut, JobDetail, JobOut, SiteOut, UserOut
from shared.service_form import (
    FormAnswer,
    FormEvent,
    FormPart,
    FormPhoto,
    FormQuote,
    FormQuoteLine,
    ServiceForm,
)


async def job_detail(session: AsyncSession, job: Job) -> JobDetail:
    """The job with its customer, site, equipment and engineer (as ``GET /api/jobs/{id}`` gives it)."""
    customer = await session.get(Customer, job.customer_id)
    site = await session.get(Site, job.site_id)
    equipment = await session.get(Equipment, job.equipment_id) if job.equipment_id else None
    engineer = await session.get(User, job.assigned_engineer_id) if job.assigned_engineer_id else None
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


async def _checklist(session: AsyncSession, job: Job, category: str | None) -> tuple[str, list[FormAnswer]]:
    """The template's items in order with their answers; answers to items no longer on it come last."""
    template = None
    if job.checklist_template_id is not None:  # a scheduled inspection's own checklist
        template = await session.get(ChecklistTemplate, job.checklist_template_id)
    if template is None and category is not None:
        template = await session.scalar(
            select(ChecklistTemplate).where(
                ChecklistTemplate.category == category, ChecklistTemplate.job_kind == job.kind
            )
        )
    answers = {
        r.item_code: r
        for r in await session.scalars(select(ChecklistResult).where(ChecklistResult.job_id == job.id))
    }
    out: list[FormAnswer] = []
    for item in template.items if template else []:
        answer = answers.pop(item["code"], None)
        out.append(
            FormAnswer(
                item_code=item["code"],
                label_zh=item.get("label_zh", item["code"]),
                label_en=item.get("label_en", item["code"]),
                kind=item.get("kind", ChecklistItemKind.CHECK.value),
                unit=item.get("unit", ""),
                min_value=item.get("min_value"),
                max_value=item.get("max_value"),
                required=item.get("required", True),
                result=answer.result if answer else None,
                value=answer.value if answer else None,
                out_of_range=answer.out_of_range if answer else False,
                note=answer.note if answer else "",
                answered_at=answer.answered_at if answer else None,
            )
        )
    for code, answer in sorted(answers.items()):
        out.append(
            FormAnswer(
                item_code=code,
                label_zh=code,
                label_en=code,
                kind=ChecklistItemKind.MEASURE if answer.value is not None else ChecklistItemKind.CHECK,
                required=False,
                result=answer.result,
                value=answer.value,
                out_of_range=answer.out_of_range,
                note=answer.note,
                answered_at=answer.answered_at,
            )
        )
    return (template.name if template else ""), out


async def checklist_items(session: AsyncSession, job: Job) -> list[FormAnswer]:
    """The job's checklist as its form shows it (template items with their answers)."""
    equipment = await session.get(Equipment, job.equipment_id) if job.equipment_id else None
    return (await _checklist(session, job, equipment.category if equipment else None))[1]


async def service_form(session: AsyncSession, job_id: uuid.UUID) -> ServiceForm:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
    detail = await job_detail(session, job)
    template_name, checklist = await _checklist(
        session, job, detail.equipment.category.value if detail.equipment else None
    )
    events = await session.scalars(
        select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.device_time, JobEvent.id)
    )
    parts = await session.execute(
        select(JobPart, Part)
        .join(Part, Part.id == JobPart.part_id)
        .where(JobPart.job_id == job.id)
        .order_by(JobPart.used_at, JobPart.id)
    )
    photos = await session.scalars(select(Photo).where(Photo.job_id == job.id).order_by(Photo.taken_at))
    qa_by = await session.get(User, job.qa_by) if job.qa_by else None
    return ServiceForm(
        job=detail,
        template_name=template_name,
        events=[
            FormEvent(
                id=e.id,
                type=e.type,
                device_time=e.device_time,
                received_at=e.received_at,
                flagged=e.flagged,
                flag_reason=e.flag_reason,
            )
            for e in events
        ],
        checklist=checklist,
        parts=[
            FormPart(
                id=use.id,
                part_id=part.id,
                code=part.code,
                name=part.name,
                unit=part.unit,
                quantity=use.quantity,
                old_part_returned=use.old_part_returned,
                used_at=use.used_at,
                voided_at=use.voided_at,
            )
            for use, part in parts.all()
        ],
        photos=[
            FormPhoto(
                id=p.id,
                filename=p.filename,
                content_type=p.content_type,
                size=p.size,
                caption=p.caption,
                taken_at=p.taken_at,
            )
            for p in photos
        ],
        qa_by_name=qa_by.display_name if qa_by else None,
        manager_decision=await decision_out(session, job.id),
        quote=await _quote(session, job.id),
    )


async def _quote(session: AsyncSession, job_id: uuid.UUID) -> FormQuote | None:
    """The accepted quote of the job, else its newest one."""
    quotes = (
        await session.scalars(
            select(JobQuote).where(JobQuote.job_id == job_id).order_by(JobQuote.quoted_at.desc(), JobQuote.id)
        )
    ).all()
    chosen = next((q for q in quotes if q.status == "accepted"), quotes[0] if quotes else None)
    if chosen is None:
        return None
    money = chosen.figures
    return FormQuote(
        status=chosen.status,
        lines=[FormQuoteLine.model_validate(line) for line in chosen.lines],
        discount_pct=money["discount_pct"],
        subtotal=money["subtotal"],
        discount=money["discount"],
        total=money["total"],
        accepted_at=chosen.accepted_at,
    )


async def photo_bytes(session: AsyncSession, form: ServiceForm, limit: int) -> dict[uuid.UUID, bytes]:
    """The first ``limit`` photos' bytes (for the printed form)."""
    ids = [p.id for p in form.photos[:limit]]
    if not ids:
        return {}
    rows = await session.scalars(select(Photo).where(Photo.id.in_(ids)).options(undefer(Photo.data)))
    return {p.id: p.data for p in rows}
