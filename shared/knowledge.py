"""Knowledge in the field (维护经验汇编、培训教材、用户手册): the case library, manuals and training
materials per equipment model, and the phase of a training session.

A **case** (维修案例) is drafted by QA from a closed job (the job's equipment model, symptom, cause, fix and
the parts it used), edited, and published; only published cases reach the tablets, and only those of the
equipment models in the engineer's jobs (:data:`MAX_CASES_PER_MODEL` newest per model). A **manual** (用户
手册) or **training material** (培训教材) is a PDF or an image per equipment model, stored in the database
like job photos; its metadata syncs to the tablet, its bytes are fetched on demand.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.models import LongText, Model, Name, OutModel, ShortText

__all__ = [
    "CASE_ENTITY",
    "MANUAL_ENTITY",
    "MANUAL_TYPES",
    "MAX_CASES_PER_MODEL",
    "MAX_MANUAL_BYTES",
    "MIN_TRIGRAM",
    "CaseDraft",
    "CaseOut",
    "CaseStatus",
    "CaseUpdate",
    "ManualKind",
    "ManualOut",
    "TrainingMaterials",
    "TrainingMaterialsOut",
    "TrainingPhase",
    "case_search_text",
    "fts_phrase",
    "grams",
    "rank_by_overlap",
    "split_query",
]

#: the change-log entity names a tablet receives (sync.protocol.EntityName)
CASE_ENTITY = "case"
MANUAL_ENTITY = "manual"
#: the newest published cases of one model a tablet keeps (see docs/knowledge.md for what that weighs)
MAX_CASES_PER_MODEL = 200
#: a manual or training material: a PDF of a few hundred pages or a scanned image
MAX_MANUAL_BYTES = 20 * 1024 * 1024
#: the file types a manual may be: the photo formats, and PDF
MANUAL_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
#: FTS5's trigram tokenizer matches three characters or more; shorter words are an instr() scan
MIN_TRIGRAM = 3

ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CaseStatus(StrEnum):
    DRAFT = "draft"  # 草稿: QA is still writing it; the tablets do not see it
    PUBLISHED = "published"  # 已发布: in the library, on the tablets of engineers working on the model


class ManualKind(StrEnum):
    MANUAL = "manual"  # 用户手册 / 使用说明书
    TRAINING = "training"  # 培训教材


class TrainingPhase(StrEnum):
    """When in the equipment's life a training session is held (the plan's 三个阶段的培训)."""

    INSTALLATION = "installation"  # 安装期
    COMMISSIONING = "commissioning"  # 调试期
    OPERATION = "operation"  # 运行后


class CaseDraft(Model):
    """Draft a case from a closed job: its model, symptom, cause, fix and parts are copied in."""

    job_id: uuid.UUID
    title: ShortText = ""


class CaseUpdate(Model):
    """QA's edits of a case; fields left out stay as they are."""

    title: ShortText | None = None
    model: ModelName | None = None
    symptom: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] | None
    ) = None
    cause: LongText | None = None
    fix: LongText | None = None
    parts: list[Name] | None = Field(default=None, max_length=50)


class CaseOut(OutModel):
    id: uuid.UUID
    number: str
    status: CaseStatus
    title: str
    category: str
    model: str
    symptom: str
    cause: str
    fix: str
    #: the parts the fix used, as names (code and name)
    parts: list[str]
    job_id: uuid.UUID | None
    job_number: str = ""
    created_by: uuid.UUID | None = None
    published_at: datetime | None = None
    published_by: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime


class ManualOut(OutModel):
    id: uuid.UUID
    model: str
    title: str
    kind: ManualKind
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class TrainingMaterials(Model):
    """A training session's phase and the materials it uses (manual ids of kind manual or training)."""

    phase: TrainingPhase | None = None
    manual_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class TrainingMaterialsOut(OutModel):
    job_id: uuid.UUID
    phase: TrainingPhase | None
    materials: list[ManualOut]


def case_search_text(doc: dict[str, object]) -> str:
    """What a case is found by: title, model, symptom, cause, fix and parts, lower-cased."""
    parts = doc.get("parts") or []
    words = [str(doc.get(k) or "") for k in ("title", "model", "symptom", "cause", "fix")]
    if isinstance(parts, list):
        words.extend(str(p) for p in parts if p)
    return " ".join(w for w in words if w).lower()


def split_query(query: str) -> list[str]:
    """The words of a search (split on spaces), each kept once, at most 8 of them, 50 characters each."""
    words = [w[:50] for w in query.split() if w]
    return list(dict.fromkeys(words))[:8]


def fts_phrase(word: str) -> str:
    """A word as an FTS5 phrase: quoted, its quotes doubled, so no word is read as query syntax."""
    return '"' + word.replace('"', '""') + '"'


def grams(value: str, n: int = 2) -> set[str]:
    """The runs of ``n`` characters of each word of ``value`` (a shorter word is its own run)."""
    out: set[str] = set()
    for word in value.lower().split():
        out.update({word} if len(word) <= n else {word[i : i + n] for i in range(len(word) - n + 1)})
    return out


def rank_by_overlap(query: str, items: list[tuple[str, str]]) -> list[str]:
    """The payloads of ``(text, payload)`` items sharing any two-character run with ``query``, most shared
    first (ties keep their order)."""
    wanted = grams(query)
    if not wanted:
        return []
    scored = [(len(wanted & grams(body)), i, payload) for i, (body, payload) in enumerate(items)]
    return [payload for score, _, payload in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
