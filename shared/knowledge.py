"""Knowledge in the field (维护经验汇编、培训教材、用户手册): the case library, manuals and training
materials per equipment model, and the phase of a training session.

A **case** (维修案例) is drafted by QA from a closed job (the job's equipment model, symptom, cause, fix and
the parts it used), edited, and published; only published cases reach the tablets, and only those of the
equipment models in the engineer's jobs (:data:`MAX_CASES_PER_MODEL` newest per model). A **manual** (用户
手册) or **training material** (培训教材) is a PDF or an image per equipment model, stored in the database
like job photos; its metadata syncs to the tablet, its bytes are fetched on demand.

The search rules (:func:`split_query`, :func:`rank_by_overlap`, ...) are in ``shared.knowledge_search``
(re-exported here), a module without pydantic models that the tablet imports at start.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.knowledge_search import (
    MIN_TRIGRAM,
    case_search_text,
    fts_phrase,
    grams,
    rank_by_overlap,
    split_query,
)
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
