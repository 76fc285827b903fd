"""What of the knowledge base a tablet holds: the published cases (the newest
``MAX_CASES_PER_MODEL`` per model) and the manuals' metadata of the equipment models in the engineer's
jobs. Their bytes stay on the server until the app asks (``GET /api/knowledge/manuals/{id}/file``).

A published, edited, unpublished or deleted case (an uploaded or deleted manual) is logged for everyone
(audience None) and filtered here per engineer when pulled; a job assigned to an engineer logs the cases
and manuals of its model for that engineer, so a model new to their tablet arrives with the job.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import Change
from server.db.models import Equipment, Job, KnowledgeCase, KnowledgeManual
from shared.knowledge import CASE_ENTITY, MANUAL_ENTITY, MAX_CASES_PER_MODEL, CaseOut, CaseStatus, ManualOut

KNOWLEDGE_ENTITIES = (CASE_ENTITY, MANUAL_ENTITY)


async def models_of_engineer(session: AsyncSession, engineer_id: uuid.UUID) -> set[str]:
    """The equipment models of the jobs assigned to the engineer (the jobs their tablet holds)."""
    rows = await session.scalars(
        select(Equipment.model)
        .join(Job, Job.equipment_id == Equipment.id)
        .where(Job.assigned_engineer_id == engineer_id)
        .distinct()
    )
    return set(rows.all())


def case_document(case: KnowledgeCase) -> dict[str, Any]:
    return CaseOut.model_validate(case).model_dump(mode="json")


def manual_document(manual: KnowledgeManual) -> dict[str, Any]:
    return ManualOut.model_validate(manual).model_dump(mode="json")


# The newest MAX_CASES_PER_MODEL published cases of each model, in one statement for all of them (a
# first download asked once per model of the engineer's jobs). Built once, with the models a bound list.
_newest = (
    func.row_number()
    .over(
        partition_by=KnowledgeCase.model,
        order_by=(KnowledgeCase.published_at.desc(), KnowledgeCase.id.desc()),
    )
    .label("newest")
)
_RANKED = (
    select(KnowledgeCase.model, KnowledgeCase.id, _newest)
    .where(
        KnowledgeCase.model.in_(bindparam("models", expanding=True)),
        KnowledgeCase.status == CaseStatus.PUBLISHED.value,
    )
    .subquery()
)
_PUBLISHED_CASES = (
    select(_RANKED.c.model, _RANKED.c.id)
    .where(_RANKED.c.newest <= bindparam("cap"))
    .order_by(_RANKED.c.model, _RANKED.c.newest)
)


async def published_case_ids(session: AsyncSession, models: Iterable[str]) -> list[uuid.UUID]:
    """The newest ``MAX_CASES_PER_MODEL`` published cases of each model: models in Python's order (not
    the database's collation), each model's cases newest first."""
    wanted = sorted(set(models))
    if not wanted:
        return []
    by_model: dict[str, list[uuid.UUID]] = {}
    for model, case_id in (
        await session.execute(_PUBLISHED_CASES, {"models": wanted, "cap": MAX_CASES_PER_MODEL})
    ).all():
        by_model.setdefault(model, []).append(case_id)
    return [case_id for model in wanted for case_id in by_model.get(model, ())]


async def knowledge_documents(
    session: AsyncSession, entity: str, models: set[str], ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """The documents of ``entity`` (case or manual) this engineer's tablet holds, by id: all of its
    models' when ``ids`` is None, else those of ``ids`` still in its scope."""
    if not models:
        return {}
    if entity == CASE_ENTITY:
        wanted = await published_case_ids(session, models)
        if ids is not None:
            asked = set(ids)
            wanted = [i for i in wanted if i in asked]
        out: dict[uuid.UUID, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            cases = await session.scalars(
                select(KnowledgeCase).where(KnowledgeCase.id.in_(wanted[i : i + 500]))
            )
            out.update((c.id, case_document(c)) for c in cases)
        return out
    query = select(KnowledgeManual).where(KnowledgeManual.model.in_(sorted(models)))
    if ids is not None:
        query = query.where(KnowledgeManual.id.in_(list(ids)))
    return {m.id: manual_document(m) for m in (await session.scalars(query)).all()}


async def changes_for_assignment(
    session: AsyncSession, job_id: uuid.UUID, equipment_id: uuid.UUID | None, engineer_id: uuid.UUID
) -> list[Change]:
    """The cases and manuals of a newly assigned job's model, logged for its engineer."""
    if equipment_id is None:
        return []
    model = await session.scalar(select(Equipment.model).where(Equipment.id == equipment_id))
    if model is None:
        return []
    already = await session.scalar(
        select(Job.id)
        .join(Equipment, Job.equipment_id == Equipment.id)
        .where(Job.assigned_engineer_id == engineer_id, Equipment.model == model, Job.id != job_id)
        .limit(1)
    )
    if already is not None:  # the tablet holds this model's knowledge already
        return []
    case_ids = await published_case_ids(session, [model])
    manual_ids = (
        await session.scalars(select(KnowledgeManual.id).where(KnowledgeManual.model == model))
    ).all()
    return [Change(CASE_ENTITY, i, "put", engineer_id) for i in case_ids] + [
        Change(MANUAL_ENTITY, i, "put", engineer_id) for i in manual_ids
    ]


async def engineer_may_read_model(session: AsyncSession, engineer_id: uuid.UUID, model: str) -> bool:
    return model in await models_of_engineer(session, engineer_id)
