"""What a device receives for each entity, read with Core queries in bulk (no ORM objects per row)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ChecklistResult,
    ChecklistTemplate,
    Conflict,
    Customer,
    Equipment,
    Job,
    JobEvent,
    JobPart,
    Part,
    Photo,
    Site,
)

CHUNK = 900  # stays under SQLite's bound-parameter limit

JOB_COLUMNS = [c for c in Job.__table__.columns if c.name not in {"created_at", "field_versions"}]


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _row(mapping: Any) -> dict[str, Any]:
    return {k: _json(v) for k, v in mapping.items()}


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


async def job_documents(
    session: AsyncSession, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each job with its timeline events, checklist answers and parts used."""
    docs: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(job_ids)):
        for m in (await session.execute(select(*JOB_COLUMNS).where(Job.id.in_(chunk)))).mappings():
            doc = _row(m)
            doc.update(events=[], checklist=[], parts=[], photos=[])
            docs[m["id"]] = doc
        for m in (
            await session.execute(
                select(
                    JobEvent.id,
                    JobEvent.job_id,
                    JobEvent.type,
                    JobEvent.device_time,
                    JobEvent.received_at,
                    JobEvent.flagged,
                    JobEvent.flag_reason,
                )
                .where(JobEvent.job_id.in_(chunk))
                .order_by(JobEvent.device_time)
            )
        ).mappings():
            docs[m["job_id"]]["events"].append(_row({k: v for k, v in m.items() if k != "job_id"}))
        for m in (
            await session.execute(
                select(
                    ChecklistResult.id,
                    ChecklistResult.job_id,
                    ChecklistResult.item_code,
                    ChecklistResult.result,
                    ChecklistResult.value,
                    ChecklistResult.out_of_range,
                    ChecklistResult.note,
                    ChecklistResult.answered_at,
                    ChecklistResult.version,
                ).where(ChecklistResult.job_id.in_(chunk))
            )
        ).mappings():
            docs[m["job_id"]]["checklist"].append(_row({k: v for k, v in m.items() if k != "job_id"}))
        for m in (
            await session.execute(
                select(
                    JobPart.id,
                    JobPart.job_id,
                    JobPart.part_id,
                    JobPart.quantity,
                    JobPart.old_part_returned,
                    JobPart.used_at,
                    JobPart.voided_at,
                ).where(JobPart.job_id.in_(chunk))
            )
        ).mappings():
            docs[m["job_id"]]["parts"].append(_row({k: v for k, v in m.items() if k != "job_id"}))
        for m in (
            await session.execute(
                select(
                    Photo.id,
                    Photo.job_id,
                    Photo.filename,
                    Photo.content_type,
                    Photo.size,
                    Photo.caption,
                    Photo.taken_at,
                ).where(Photo.job_id.in_(chunk))
            )
        ).mappings():
            docs[m["job_id"]]["photos"].append(_row({k: v for k, v in m.items() if k != "job_id"}))
    return docs


REFERENCE_TABLES: dict[str, Any] = {
    "customer": Customer,
    "site": Site,
    "equipment": Equipment,
    "checklist_template": ChecklistTemplate,
    "part": Part,
}


async def reference_documents(
    session: AsyncSession, entity: str, ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """Customers, sites, equipment, checklist templates or parts, by id (all of them when ``ids`` is None)."""
    model = REFERENCE_TABLES[entity]
    columns = [c for c in model.__table__.columns if c.name not in {"created_at", "updated_at"}]
    out: dict[uuid.UUID, dict[str, Any]] = {}
    if ids is None:
        for m in (await session.execute(select(*columns))).mappings():
            out[m["id"]] = _row(m)
        return out
    for chunk in _chunks(list(ids)):
        for m in (await session.execute(select(*columns).where(model.id.in_(chunk)))).mappings():
            out[m["id"]] = _row(m)
    return out


async def conflict_documents(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    columns = [
        Conflict.id,
        Conflict.entity,
        Conflict.entity_id,
        Conflict.job_id,
        Conflict.field,
        Conflict.device_value,
        Conflict.server_value,
        Conflict.resolution,
        Conflict.reason,
        Conflict.status,
        Conflict.review_note,
        Conflict.created_at,
        Conflict.reviewed_at,
    ]
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        for m in (await session.execute(select(*columns).where(Conflict.id.in_(chunk)))).mappings():
            out[m["id"]] = _row(m)
    return out
