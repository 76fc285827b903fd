"""What a push batch needs to know, read in a handful of queries before any mutation is applied.

Handlers decide from these maps and keep them up to date as they add rows, so a batch of a hundred
taps costs a few round trips instead of several per tap, and two mutations in one batch see each
other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import table_of
from server.db.models import (
    ChecklistResult,
    ChecklistTemplate,
    Equipment,
    Job,
    JobAssignment,
    JobEvent,
    JobPart,
    JobSignature,
    Part,
    Photo,
)
from server.replication.rows import Row, loaded
from sync.protocol import Mutation, MutationName


def _uuids(mutations: Iterable[Mutation], names: set[MutationName], key: str) -> set[uuid.UUID]:
    out = set()
    for m in mutations:
        if m.name in names:
            try:
                out.add(uuid.UUID(str(m.args.get(key))))
            except ValueError:
                continue  # rejected when its arguments are parsed
    return out


@dataclass
class BatchContext:
    held_before: set[uuid.UUID] = field(default_factory=set)
    event_jobs: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    usages: dict[uuid.UUID, JobPart] = field(default_factory=dict)
    parts: set[uuid.UUID] = field(default_factory=set)
    photos: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(default_factory=dict)
    #: the answered jobs' checklist answers, as rows a handler changes (server/replication/rows.py)
    answers: dict[tuple[uuid.UUID, str], Row] = field(default_factory=dict)
    answer_ids: set[uuid.UUID] = field(default_factory=set)
    categories: dict[uuid.UUID, str] = field(default_factory=dict)
    templates: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    templates_by_id: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)
    #: every signature already received for the jobs a ``job.sign`` of the batch concerns, oldest first
    signatures: dict[uuid.UUID, list[JobSignature]] = field(default_factory=dict)
    #: equipment id -> last day of its free warranty, for the jobs whose billing a batch edits
    warranty_ends: dict[uuid.UUID, date | None] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, session: AsyncSession, mutations: list[Mutation], jobs: dict[uuid.UUID, Job], user_id: uuid.UUID
    ) -> BatchContext:
        ctx = cls()
        others = [j for j in jobs.values() if j.assigned_engineer_id != user_id]
        if others:
            ctx.held_before = set(
                (
                    await session.scalars(
                        select(JobAssignment.job_id).where(
                            JobAssignment.engineer_id == user_id,
                            JobAssignment.job_id.in_([j.id for j in others]),
                        )
                    )
                ).all()
            )
        event_ids = _uuids(mutations, {MutationName.JOB_EVENT, MutationName.JOB_SIGN}, "event_id")
        if event_ids:
            rows = await session.execute(
                select(JobEvent.id, JobEvent.job_id).where(JobEvent.id.in_(event_ids))
            )
            ctx.event_jobs = {row[0]: row[1] for row in rows.all()}
        usage_ids = _uuids(mutations, {MutationName.PART_USE, MutationName.PART_VOID}, "usage_id")
        if usage_ids:
            found = await session.scalars(select(JobPart).where(JobPart.id.in_(usage_ids)))
            ctx.usages = {u.id: u for u in found}
        part_ids = _uuids(mutations, {MutationName.PART_USE}, "part_id")
        if part_ids:
            ctx.parts = set((await session.scalars(select(Part.id).where(Part.id.in_(part_ids)))).all())
        photo_ids = _uuids(mutations, {MutationName.PHOTO_ADD}, "photo_id")
        if photo_ids:
            rows = await session.execute(
                select(Photo.id, Photo.job_id, Photo.sha256).where(Photo.id.in_(photo_ids))
            )
            ctx.photos = {pid: (job_id, sha) for pid, job_id, sha in rows}
        signing = {j for m in mutations if m.name is MutationName.JOB_SIGN and (j := m.job_id()) in jobs}
        if signing:
            found_signatures = await session.scalars(
                select(JobSignature)
                .where(JobSignature.job_id.in_(signing))
                .order_by(JobSignature.received_at, JobSignature.id)
            )
            for signature in found_signatures:
                ctx.signatures.setdefault(signature.job_id, []).append(signature)
        answering = [m for m in mutations if m.name is MutationName.CHECKLIST_ANSWER]
        if answering:
            job_ids = {j for m in answering if (j := m.job_id()) in jobs}
            await ctx._load_answers(session, answering, jobs)
            equipment_ids = {jobs[j].equipment_id for j in job_ids if jobs[j].equipment_id}
            if equipment_ids:
                rows = await session.execute(
                    select(Equipment.id, Equipment.category).where(Equipment.id.in_(equipment_ids))
                )
                ctx.categories = {row[0]: row[1] for row in rows.all()}
            await ctx._load_templates(session, [jobs[j] for j in job_ids])
        await ctx._load_warranty(session, mutations, jobs)
        return ctx

    async def _load_answers(
        self, session: AsyncSession, answering: list[Mutation], jobs: dict[uuid.UUID, Job]
    ) -> None:
        """In one query: the answers the batch's mutations answer again (not every answer of their jobs),
        as rows a handler changes, and which of the new answers' ids are taken (by any row)."""
        pairs = {
            (job_id, code)
            for m in answering
            if (job_id := m.job_id()) in jobs and isinstance(code := m.args.get("item_code"), str)
        }
        result_ids = _uuids(answering, {MutationName.CHECKLIST_ANSWER}, "result_id")
        if not pairs and not result_ids:
            return
        results = table_of(ChecklistResult).c
        # Jobs times items, filtered to the pairs below: SQLite scans the whole table for a row-value IN
        # ``(job_id, item_code) IN (VALUES ...)``, and searches the (job_id, item_code) index for this.
        found = await session.execute(
            select(table_of(ChecklistResult)).where(
                or_(
                    and_(
                        results.job_id.in_(list({job_id for job_id, _ in pairs})),
                        results.item_code.in_(list({code for _, code in pairs})),
                    ),
                    results.id.in_(list(result_ids)),
                )
            )
        )
        for answer in found.mappings():
            self.answer_ids.add(answer["id"])
            if (answer["job_id"], answer["item_code"]) in pairs:
                self.answers[(answer["job_id"], answer["item_code"])] = loaded(answer)

    async def _load_templates(self, session: AsyncSession, answered: list[Job]) -> None:
        """The checklists the answered jobs are checked against (``template_items``): each one's own,
        and those of its equipment category and kind; not every template with its items."""
        ids = {job.checklist_template_id for job in answered if job.checklist_template_id is not None}
        categories = {
            self.categories[job.equipment_id] for job in answered if job.equipment_id in self.categories
        }
        kinds = {job.kind for job in answered}
        if not ids and not categories:
            return
        template = table_of(ChecklistTemplate).c
        rows = await session.execute(
            select(template.id, template.category, template.job_kind, template["items"]).where(
                or_(
                    template.id.in_(ids),
                    and_(template.category.in_(categories), template.job_kind.in_(kinds)),
                )
            )
        )
        for template_id, category, kind, items in rows.all():
            self.templates[(category, kind)] = list(items)
            self.templates_by_id[template_id] = list(items)

    async def _load_warranty(
        self, session: AsyncSession, mutations: list[Mutation], jobs: dict[uuid.UUID, Job]
    ) -> None:
        """The warranty ends the server judges a device's billing against (shared/warranty.py)."""
        billing = {
            j
            for m in mutations
            if m.name is MutationName.JOB_EDIT
            and isinstance(fields := m.args.get("fields"), dict)
            and ("billable" in fields or "billable_reason" in fields)
            and (j := m.job_id()) in jobs
        }
        equipment_ids = {jobs[j].equipment_id for j in billing if jobs[j].equipment_id}
        if equipment_ids:
            rows = await session.execute(
                select(Equipment.id, Equipment.warranty_end).where(Equipment.id.in_(equipment_ids))
            )
            self.warranty_ends = {row[0]: row[1] for row in rows.all()}

    def template_items(self, job: Job) -> list[dict[str, Any]] | None:
        """The job's own checklist when it names one (a scheduled inspection), else its category+kind one."""
        if job.checklist_template_id is not None and job.checklist_template_id in self.templates_by_id:
            return self.templates_by_id[job.checklist_template_id]
        if job.equipment_id is None or job.equipment_id not in self.categories:
            return None
        return self.templates.get((self.categories[job.equipment_id], job.kind))
