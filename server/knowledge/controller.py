"""``/api/knowledge``: the case library (维护经验汇编), manuals and training materials per equipment model
(用户手册、培训教材), and a training session's phase and materials.

QA (``CURATE_KNOWLEDGE``) drafts a case from a closed job, edits it and publishes it; the office reads.
A manual is a PDF or an image stored in the database like a job photo (server/photos.py), checked like a
delivery document's scan: 413 too large, 415 not an accepted type, 422 not readable; nothing is stored
then. An engineer reads a manual's file only for a model in their jobs (404 otherwise, as for a photo).
Every change is audited; what a tablet should see is logged for it (server/knowledge/scope.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from server import audit
from server.changes import Change, log_changes, take_numbers
from server.db.models import Equipment, Job, JobPart, KnowledgeCase, KnowledgeManual, Part, TrainingMaterial
from server.deps import CurrentUser, DbSession, requires_any_user, requires_office, requires_to
from server.errors import Conflict, DomainError, Invalid, NotFound
from server.knowledge.scope import engineer_may_read_model
from server.photos import unreadable_document
from shared.clock import utcnow
from shared.enums import JobKind, JobStatus
from shared.knowledge import (
    CASE_ENTITY,
    MANUAL_ENTITY,
    MANUAL_TYPES,
    MAX_MANUAL_BYTES,
    CaseDraft,
    CaseOut,
    CaseStatus,
    CaseUpdate,
    ManualKind,
    ManualOut,
    TrainingMaterials,
    TrainingMaterialsOut,
    TrainingPhase,
)
from shared.roles import Capability

requires_curator = requires_to(Capability.CURATE_KNOWLEDGE)
requires_planner = requires_to(Capability.DISPATCH)
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)
CASE_COUNTER = "knowledge_case"


async def _case(session: AsyncSession, case_id: uuid.UUID) -> KnowledgeCase:
    case = await session.get(KnowledgeCase, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}", code="knowledge.case_not_found", params={"id": case_id})
    return case


async def _manual(session: AsyncSession, manual_id: uuid.UUID) -> KnowledgeManual:
    manual = await session.get(KnowledgeManual, manual_id)
    if manual is None:
        raise NotFound(
            f"no manual with id {manual_id}", code="knowledge.manual_not_found", params={"id": manual_id}
        )
    return manual


async def _case_out(session: AsyncSession, case: KnowledgeCase) -> CaseOut:
    out = CaseOut.model_validate(case)
    if case.job_id is not None:
        out.job_number = await session.scalar(select(Job.number).where(Job.id == case.job_id)) or ""
    return out


async def _parts_of(session: AsyncSession, job_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        select(Part.code, Part.name, func.sum(JobPart.quantity))
        .join(JobPart, JobPart.part_id == Part.id)
        .where(JobPart.job_id == job_id, JobPart.voided_at.is_(None))
        .group_by(Part.code, Part.name)
        .order_by(Part.code)
    )
    return [f"{code} {name} ×{qty}" for code, name, qty in rows]


def check_manual_file(data: bytes, content_type: str) -> None:
    """Refuse a file that is not an accepted, readable image or PDF within the size limit."""
    if not data:
        raise DomainError("the file is empty", status_code=422, code="knowledge.file_empty", params={})
    if len(data) > MAX_MANUAL_BYTES:
        raise DomainError(
            f"the file is {len(data)} bytes; at most {MAX_MANUAL_BYTES // (1024 * 1024)} MB is accepted",
            status_code=413,
            code="knowledge.file_too_large",
            params={"size": len(data), "mb": MAX_MANUAL_BYTES // (1024 * 1024)},
        )
    if content_type not in MANUAL_TYPES:
        raise DomainError(
            f"a manual must be one of {', '.join(MANUAL_TYPES)}, not {content_type or 'an unnamed type'}",
            status_code=415,
            code="knowledge.file_type",
            params={"type": content_type, "types": ", ".join(MANUAL_TYPES)},
        )
    if why := unreadable_document(data, content_type):
        raise DomainError(
            f"the file is not a readable {content_type}: {why}",
            status_code=422,
            code="knowledge.file_unreadable",
            params={"type": content_type},
        )


def _text_param(value: str, name: str) -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise Invalid(
            f"{name} must be 1 to 200 characters",
            field=name,
            code="knowledge.bad_text",
            params={"field": name},
        )
    return value


class KnowledgeController(Controller):
    path = "/api/knowledge"
    tags = ["knowledge"]  # noqa: RUF012

    # --- cases ---------------------------------------------------------------------------------

    @get("/cases", guards=[requires_office], summary="The case library")
    async def list_cases(
        self,
        db_session: DbSession,
        status: FromQuery[CaseStatus | None] = None,
        model: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=100, description="words in the case's text")
        ] = None,
    ) -> list[CaseOut]:
        """Cases, newest first, filtered by status, equipment model and words of their text."""
        query = select(KnowledgeCase).order_by(KnowledgeCase.created_at.desc(), KnowledgeCase.id.desc())
        if status is not None:
            query = query.where(KnowledgeCase.status == status.value)
        if model:
            query = query.where(KnowledgeCase.model == model)
        for word in (q or "").split()[:8]:
            query = query.where(
                or_(
                    KnowledgeCase.title.contains(word, autoescape=True),
                    KnowledgeCase.symptom.contains(word, autoescape=True),
                    KnowledgeCase.cause.contains(word, autoescape=True),
                    KnowledgeCase.fix.contains(word, autoescape=True),
                    KnowledgeCase.number == word,
                )
            )
        cases = (await db_session.scalars(query.limit(500))).all()
        rows = await db_session.execute(
            select(Job.id, Job.number).where(Job.id.in_([c.job_id for c in cases if c.job_id]))
        )
        numbers: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows.all()}
        out = []
        for case in cases:
            item = CaseOut.model_validate(case)
            item.job_number = numbers.get(case.job_id, "") if case.job_id else ""
            out.append(item)
        return out

    @get("/models", guards=[requires_office], summary="The equipment models in service")
    async def models(self, db_session: DbSession) -> list[str]:
        """Every equipment model of the customers' units, for choosing where a manual belongs."""
        return list(
            (await db_session.scalars(select(Equipment.model).distinct().order_by(Equipment.model))).all()
        )

    @post("/cases", guards=[requires_curator], summary="Draft a case from a closed job")
    async def draft_case(
        self, data: JSONBody[CaseDraft], db_session: DbSession, principal: CurrentUser
    ) -> CaseOut:
        """A draft with the closed job's equipment model, symptom, cause, fix and parts used; one case per job."""
        job = await db_session.get(Job, data.job_id)
        if job is None:
            raise NotFound(f"no job with id {data.job_id}", code="job.not_found", params={"id": data.job_id})
        if job.status != JobStatus.CLOSED.value:
            raise Conflict(
                f"job {job.number} is {job.status}; a case is drafted from a closed job",
                code="knowledge.job_not_closed",
                params={"number": job.number, "status": job.status},
            )
        equipment = await db_session.get(Equipment, job.equipment_id) if job.equipment_id else None
        if equipment is None:
            raise Invalid(
                f"job {job.number} has no equipment, so no model to file a case under",
                field="job_id",
                code="knowledge.job_without_equipment",
                params={"number": job.number},
            )
        existing = await db_session.scalar(select(KnowledgeCase).where(KnowledgeCase.job_id == job.id))
        if existing is not None:
            raise Conflict(
                f"job {job.number} already has case {existing.number}",
                code="knowledge.job_has_case",
                params={"number": job.number, "case": existing.number},
            )
        n = await take_numbers(db_session, CASE_COUNTER)
        case = KnowledgeCase(
            number=f"KC-{n:05d}",
            status=CaseStatus.DRAFT.value,
            title=data.title or job.symptom[:200],
            category=equipment.category,
            model=equipment.model,
            symptom=job.symptom,
            cause=job.cause,
            fix=job.fix,
            parts=await _parts_of(db_session, job.id),
            job_id=job.id,
            created_by=principal.user_id,
        )
        db_session.add(case)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "knowledge.case_draft",
            "knowledge_case",
            case.id,
            {"number": case.number, "job": job.number, "model": case.model},
        )
        await db_session.commit()
        return await _case_out(db_session, case)

    @get("/cases/{case_id:uuid}", guards=[requires_office], summary="One case")
    async def get_case(self, case_id: FromPath[uuid.UUID], db_session: DbSession) -> CaseOut:
        return await _case_out(db_session, await _case(db_session, case_id))

    @patch("/cases/{case_id:uuid}", guards=[requires_curator], summary="Edit a case")
    async def edit_case(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CaseUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> CaseOut:
        """QA's wording of the case; a published case reaches the tablets again at their next sync."""
        case = await _case(db_session, case_id)
        changes: dict[str, list[Any]] = {}
        for key, value in data.model_dump(exclude_unset=True).items():
            if value is None:
                raise Invalid(f"{key} cannot be empty", field=key, code="field.empty", params={"field": key})
            if getattr(case, key) != value:
                changes[key] = [getattr(case, key), value]
                setattr(case, key, value)
        if changes:
            case.updated_at = utcnow()
            await db_session.flush()
            if case.status == CaseStatus.PUBLISHED.value:
                await log_changes(db_session, [Change(CASE_ENTITY, case.id, "put", None)])
            await audit.record_by(
                db_session,
                principal,
                "knowledge.case_edit",
                "knowledge_case",
                case.id,
                {"number": case.number, "changes": changes},
            )
            await db_session.commit()
        return await _case_out(db_session, case)

    @post(
        "/cases/{case_id:uuid}/publish", guards=[requires_curator], summary="Publish a case", status_code=200
    )
    async def publish_case(
        self, case_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> CaseOut:
        """Into the library and onto the tablets of the engineers working on its model; it needs a cause and a fix."""
        case = await _case(db_session, case_id)
        if case.status == CaseStatus.PUBLISHED.value:
            raise Conflict(
                f"case {case.number} is already published",
                code="knowledge.case_published",
                params={"number": case.number},
            )
        missing = [name for name in ("symptom", "cause", "fix") if not getattr(case, name).strip()]
        if missing:
            raise Invalid(
                f"case {case.number} needs its {', '.join(missing)} before it is published",
                field=missing[0],
                code="knowledge.case_incomplete",
                params={"number": case.number, "missing": ", ".join(missing)},
            )
        case.status, case.published_at, case.published_by = (
            CaseStatus.PUBLISHED.value,
            utcnow(),
            principal.user_id,
        )
        await db_session.flush()
        await log_changes(db_session, [Change(CASE_ENTITY, case.id, "put", None)])
        await audit.record_by(
            db_session,
            principal,
            "knowledge.case_publish",
            "knowledge_case",
            case.id,
            {"number": case.number},
        )
        await db_session.commit()
        return await _case_out(db_session, case)

    @post(
        "/cases/{case_id:uuid}/unpublish",
        guards=[requires_curator],
        summary="Withdraw a case",
        status_code=200,
    )
    async def unpublish_case(
        self, case_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> CaseOut:
        """Back to a draft; it leaves the tablets at their next sync."""
        case = await _case(db_session, case_id)
        if case.status != CaseStatus.PUBLISHED.value:
            raise Conflict(
                f"case {case.number} is not published",
                code="knowledge.case_not_published",
                params={"number": case.number},
            )
        case.status, case.published_at, case.published_by = CaseStatus.DRAFT.value, None, None
        await db_session.flush()
        await log_changes(db_session, [Change(CASE_ENTITY, case.id, "remove", None)])
        await audit.record_by(
            db_session,
            principal,
            "knowledge.case_unpublish",
            "knowledge_case",
            case.id,
            {"number": case.number},
        )
        await db_session.commit()
        return await _case_out(db_session, case)

    @delete("/cases/{case_id:uuid}", guards=[requires_curator], summary="Delete a draft case")
    async def delete_case(
        self, case_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """Only a draft is deleted; a published case is withdrawn first."""
        case = await _case(db_session, case_id)
        if case.status == CaseStatus.PUBLISHED.value:
            raise Conflict(
                f"case {case.number} is published; withdraw it first",
                code="knowledge.case_published",
                params={"number": case.number},
            )
        await audit.record_by(
            db_session, principal, "knowledge.case_delete", "knowledge_case", case.id, {"number": case.number}
        )
        await db_session.delete(case)
        await db_session.commit()

    # --- manuals -------------------------------------------------------------------------------

    @get("/manuals", guards=[requires_office], summary="Manuals and training materials")
    async def list_manuals(
        self, db_session: DbSession, model: Annotated[str | None, QueryParameter(max_length=200)] = None
    ) -> list[ManualOut]:
        query = select(KnowledgeManual).order_by(
            KnowledgeManual.model, KnowledgeManual.kind, KnowledgeManual.title
        )
        if model:
            query = query.where(KnowledgeManual.model == model)
        return [ManualOut.model_validate(m) for m in (await db_session.scalars(query)).all()]

    @post(
        "/manuals",
        guards=[requires_curator],
        summary="Upload a manual or training material",
        request_max_body_size=MAX_MANUAL_BYTES + 1,
    )
    async def upload_manual(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        principal: CurrentUser,
        model: Annotated[
            str, QueryParameter(max_length=200, description="the equipment model it belongs to")
        ],
        title: Annotated[str, QueryParameter(max_length=200)],
        kind: FromQuery[ManualKind] = ManualKind.MANUAL,
        filename: Annotated[str, QueryParameter(max_length=300)] = "manual",
    ) -> ManualOut:
        """The request body is the file itself, its ``Content-Type`` one of image/jpeg, image/png,
        image/webp or application/pdf, at most 20 MB. An image must decode within the photo bounds, a PDF
        must parse (415/413/422 otherwise)."""
        model, title = _text_param(model, "model"), _text_param(title, "title")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        data = await request.body()
        await asyncio.to_thread(check_manual_file, data, content_type)
        name = _SAFE_NAME.sub("_", filename).strip()[:200] or "manual"
        manual = KnowledgeManual(
            model=model,
            title=title,
            kind=kind.value,
            filename=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_at=utcnow(),
            uploaded_by=principal.user_id,
        )
        db_session.add(manual)
        await db_session.flush()
        await log_changes(db_session, [Change(MANUAL_ENTITY, manual.id, "put", None)])
        await audit.record_by(
            db_session,
            principal,
            "knowledge.manual_upload",
            "knowledge_manual",
            manual.id,
            {"model": model, "title": title, "kind": kind.value, "size": len(data), "sha256": manual.sha256},
        )
        await db_session.commit()
        return ManualOut.model_validate(manual)

    @get(
        "/manuals/{manual_id:uuid}/file",
        guards=[requires_any_user],
        summary="A manual's file",
        media_type="application/octet-stream",
    )
    async def manual_file(
        self, manual_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> Response[bytes]:
        """The file as uploaded. An engineer reads the manuals of the models in their jobs only (404 for others)."""
        manual = await db_session.scalar(
            select(KnowledgeManual)
            .options(undefer(KnowledgeManual.data))
            .where(KnowledgeManual.id == manual_id)
        )
        if manual is None or (
            principal.is_engineer
            and not await engineer_may_read_model(db_session, principal.user_id, manual.model)
        ):
            raise NotFound(
                f"no manual with id {manual_id}", code="knowledge.manual_not_found", params={"id": manual_id}
            )
        from urllib.parse import quote

        return Response(
            manual.data,
            media_type=manual.content_type,
            headers={
                "Cache-Control": "private, max-age=300",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(manual.filename, safe='')}",
            },
        )

    @delete("/manuals/{manual_id:uuid}", guards=[requires_curator], summary="Delete a manual")
    async def delete_manual(
        self, manual_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        manual = await _manual(db_session, manual_id)
        await log_changes(db_session, [Change(MANUAL_ENTITY, manual.id, "remove", None)])
        await audit.record_by(
            db_session,
            principal,
            "knowledge.manual_delete",
            "knowledge_manual",
            manual.id,
            {"model": manual.model, "title": manual.title, "sha256": manual.sha256},
        )
        await db_session.delete(manual)
        await db_session.commit()

    # --- training sessions ---------------------------------------------------------------------

    async def _training(self, session: AsyncSession, job_id: uuid.UUID) -> Job:
        job = await session.get(Job, job_id)
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

    async def _materials_out(self, session: AsyncSession, job_id: uuid.UUID) -> TrainingMaterialsOut:
        row = await session.get(TrainingMaterial, job_id)
        ids = [uuid.UUID(str(i)) for i in (row.manual_ids if row else [])]
        manuals = {
            m.id: m
            for m in (await session.scalars(select(KnowledgeManual).where(KnowledgeManual.id.in_(ids)))).all()
        }
        return TrainingMaterialsOut(
            job_id=job_id,
            phase=TrainingPhase(row.phase) if row and row.phase else None,
            materials=[ManualOut.model_validate(manuals[i]) for i in ids if i in manuals],
        )

    @get(
        "/trainings/{job_id:uuid}",
        guards=[requires_office],
        summary="A training session's phase and materials",
    )
    async def get_training(self, job_id: FromPath[uuid.UUID], db_session: DbSession) -> TrainingMaterialsOut:
        await self._training(db_session, job_id)
        return await self._materials_out(db_session, job_id)

    @put(
        "/trainings/{job_id:uuid}",
        guards=[requires_planner],
        summary="Set a training session's phase and materials",
    )
    async def set_training(
        self,
        job_id: FromPath[uuid.UUID],
        data: JSONBody[TrainingMaterials],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> TrainingMaterialsOut:
        """The phase (安装期 installation, 调试期 commissioning, 运行后 operation) and the manuals and training
        materials the session uses (each must exist)."""
        job = await self._training(db_session, job_id)
        ids = list(dict.fromkeys(data.manual_ids))
        found = set(
            (await db_session.scalars(select(KnowledgeManual.id).where(KnowledgeManual.id.in_(ids)))).all()
        )
        unknown = [str(i) for i in ids if i not in found]
        if unknown:
            raise Invalid(
                f"no manual with id {unknown[0]}",
                field="manual_ids",
                code="knowledge.manual_not_found",
                params={"id": unknown[0]},
            )
        row = await db_session.get(TrainingMaterial, job.id)
        before = {"phase": row.phase, "manual_ids": row.manual_ids} if row else {}
        if row is None:
            row = TrainingMaterial(job_id=job.id)
            db_session.add(row)
        row.phase = data.phase.value if data.phase else None
        row.manual_ids = [str(i) for i in ids]
        row.updated_at, row.updated_by = utcnow(), principal.user_id
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "knowledge.training_set",
            "job",
            job.id,
            {"number": job.number, "before": before, "phase": row.phase, "manual_ids": row.manual_ids},
        )
        await db_session.commit()
        return await self._materials_out(db_session, job.id)
