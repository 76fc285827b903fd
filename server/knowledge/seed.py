"""Demo knowledge: a dozen cases drafted from closed jobs across the demo's equipment models (most of them
published, a few still drafts for QA to finish), a user manual (PDF) per model of the first cases and a
training chart (image), and the demo's training sessions with their phase and materials. Nothing is
logged for devices: a tablet signing in to the demo downloads its scope, knowledge included. Everything comes
from ``random.Random(rng_seed)`` and the seeded jobs, like the rest of the demo."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.db.models import Equipment, Job, JobPart, KnowledgeCase, KnowledgeManual, Part, TrainingMaterial
from shared.enums import JobKind, JobStatus
from shared.knowledge import CaseStatus, ManualKind, TrainingPhase

CASES = 12
DRAFTS = 3
#: a closed job's lesson, put in QA's words: what the title says
TITLES = ("{symptom}的处理", "{model}：{symptom}", "现场经验：{symptom}")


def manual_pdf(title: str, pages: int = 2) -> bytes:
    """A small, valid PDF of ``pages`` pages with ``title`` on each, the same bytes every run."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for n in range(pages):
        text = f"BT /F1 18 Tf 60 760 Td ({title} - page {n + 1}) Tj ET".encode("latin-1", "replace")
        page_no, content_no = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_no} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_no} 0 R "
            f"/Resources << /Font << /F1 {2 * pages + 3} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def training_chart(label: str) -> bytes:
    """A training chart as a phone photographs one on a wall: boxes and arrows."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for i in range(4):
        x = 20 + i * 115
        draw.rectangle((x, 120, x + 90, 200), outline=(20, 60, 120), width=4)
        if i < 3:
            draw.line((x + 90, 160, x + 115, 160), fill=(20, 60, 120), width=4)
    draw.text((20, 30), label, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


async def _parts_of(session: AsyncSession, job_id: object) -> list[str]:
    rows = await session.execute(
        select(Part.code, Part.name, func.sum(JobPart.quantity))
        .join(JobPart, JobPart.part_id == Part.id)
        .where(JobPart.job_id == job_id, JobPart.voided_at.is_(None))
        .group_by(Part.code, Part.name)
        .order_by(Part.code)
    )
    return [f"{code} {name} ×{qty}" for code, name, qty in rows]


def _manual(
    model: str, title: str, kind: ManualKind, filename: str, data: bytes, at: datetime
) -> KnowledgeManual:
    content_type = "application/pdf" if filename.endswith(".pdf") else "image/png"
    return KnowledgeManual(
        model=model,
        title=title,
        kind=kind.value,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_at=at,
    )


async def seed_knowledge(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """The caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 17)
    closed = (
        await session.execute(
            select(Job, Equipment)
            .join(Equipment, Equipment.id == Job.equipment_id)
            .where(
                Job.status == JobStatus.CLOSED.value,
                Job.kind == JobKind.REPAIR.value,
                Job.cause != "",
                Job.fix != "",
            )
            .order_by(Job.number)
        )
    ).all()
    # One job per model first (so the cases span the models), then more of the same models.
    by_model: dict[str, list[tuple[Job, Equipment]]] = {}
    for job, unit in closed:
        by_model.setdefault(unit.model, []).append((job, unit))
    picked: list[tuple[Job, Equipment]] = []
    while len(picked) < CASES and any(by_model.values()):
        for model in sorted(by_model):
            if by_model[model] and len(picked) < CASES:
                picked.append(by_model[model].pop(0))
    cases: list[KnowledgeCase] = []
    for n, (job, unit) in enumerate(picked):
        number = await take_numbers(session, "knowledge_case")
        published = n >= DRAFTS
        symptom = job.symptom.strip()
        at = (job.closed_at or now) + timedelta(days=rng.randint(1, 5))
        case = KnowledgeCase(
            number=f"KC-{number:05d}",
            status=(CaseStatus.PUBLISHED if published else CaseStatus.DRAFT).value,
            title=rng.choice(TITLES).format(symptom=symptom[:40], model=unit.model)[:200],
            category=unit.category,
            model=unit.model,
            symptom=symptom,
            cause=job.cause,
            fix=job.fix,
            parts=await _parts_of(session, job.id),
            job_id=job.id,
            created_by=job.qa_by,
            published_at=min(at, now) if published else None,
            published_by=job.qa_by if published else None,
            created_at=min(at, now),
            updated_at=min(at, now),
        )
        session.add(case)
        cases.append(case)
    models = sorted({c.model for c in cases})[:3]
    manuals = [
        _manual(
            model,
            f"{model} 使用说明书",
            ManualKind.MANUAL,
            f"{model.split()[0]}-说明书.pdf",
            manual_pdf(model.split()[0]),
            now,
        )
        for model in models
    ]
    if models:
        manuals.append(
            _manual(
                models[0],
                f"{models[0]} 操作与日常保养培训图",
                ManualKind.TRAINING,
                f"{models[0].split()[0]}-培训图.png",
                training_chart(models[0].split()[0]),
                now,
            )
        )
    session.add_all(manuals)
    await session.flush()
    trainings = (
        await session.scalars(select(Job).where(Job.kind == JobKind.TRAINING.value).order_by(Job.number))
    ).all()
    phases = list(TrainingPhase)
    for i, training in enumerate(trainings):
        session.add(
            TrainingMaterial(
                job_id=training.id,
                phase=phases[i % len(phases)].value,
                manual_ids=[str(m.id) for m in manuals[:2]],
                updated_at=training.created_at,
            )
        )
    await session.flush()
    return {
        "knowledge_cases": len(cases),
        "knowledge_manuals": len(manuals),
        "training_materials": len(trainings),
    }
