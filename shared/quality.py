"""Quality incidents (批量或重大质量问题): one defect seen on the same equipment model across customers.

The plan (第三节 二、(二) 1. 售后经理 (4)): "负责处理批量或重大质量问题造成的突发事件", and (第三节 四、3. (9))
"重大质量问题,反馈公司有关部门予以解决". An incident groups the jobs of one defect (same model, same
fault) whatever their customer, with an owner, the actions taken and a status that moves forward only:
open → investigating → contained → closed, and closing needs the root cause.

Jobs carry their fault as free text (symptom, cause); :func:`fault_category` files that text under a
closed vocabulary so that the server can suggest the jobs of the same model and fault category.
Words, the pure rules and the API's schemas; the server (``server/quality``) and the console read them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from shared.enums import EquipmentCategory, JobStatus, Severity
from shared.models import Model, OutModel


class IncidentStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    CLOSED = "closed"


#: the order an incident moves in; it moves forward only (a step may be skipped, never undone)
STATUS_ORDER: tuple[IncidentStatus, ...] = tuple(IncidentStatus)


class FaultCategory(StrEnum):
    """What kind of fault a job's symptom and cause describe (the closed words of the suggestion)."""

    SEAL_LEAK = "seal_leak"  # 密封、渗漏、油室或接头进水
    BEARING_VIBRATION = "bearing_vibration"  # 轴承、振动、噪声
    ELECTRICAL = "electrical"  # 绝缘、跳闸、接触器、电压、驱动电源
    STARTING = "starting"  # 电瓶、火花塞、启动
    CONTROL = "control"  # 浮球、液位、自动、遥控
    CLOGGING = "clogging"  # 滤清器、堵塞、油路
    HYDRAULIC = "hydraulic"  # 液压
    WEAR = "wear"  # 磨损、老化、断裂、破损
    OTHER = "other"


#: category -> the words that file a text under it, tried in this order (the first category that matches)
FAULT_WORDS: tuple[tuple[FaultCategory, tuple[str, ...]], ...] = (
    (FaultCategory.HYDRAULIC, ("液压",)),
    (FaultCategory.SEAL_LEAK, ("密封", "渗", "漏", "油室进水", "接头进水")),
    (FaultCategory.BEARING_VIBRATION, ("轴承", "振动", "噪声", "偏心")),
    (
        FaultCategory.ELECTRICAL,
        ("绝缘", "跳闸", "接触器", "缺相", "电压", "调压", "驱动电源", "晶闸管", "绕组", "短路"),
    ),
    (FaultCategory.STARTING, ("电瓶", "火花塞", "启动", "拉不着火")),
    (FaultCategory.CONTROL, ("浮球", "液位", "遥控", "自动")),
    (FaultCategory.CLOGGING, ("滤", "堵", "油路", "化油器")),
    (FaultCategory.WEAR, ("磨损", "老化", "断裂", "破损", "开裂")),
)


def fault_category(symptom: str, cause: str = "") -> FaultCategory:
    """The category of a fault: the cause's words first (what was found), else the symptom's."""
    for text in (cause, symptom):
        for category, words in FAULT_WORDS:
            if any(word in text for word in words):
                return category
    return FaultCategory.OTHER


def can_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    """Forward only: a later state, never the same or an earlier one."""
    return STATUS_ORDER.index(target) > STATUS_ORDER.index(current)


def next_statuses(current: IncidentStatus) -> tuple[IncidentStatus, ...]:
    return STATUS_ORDER[STATUS_ORDER.index(current) + 1 :]


#: the look-back of the candidate jobs by default, and at most
CANDIDATE_DAYS = 90
MAX_CANDIDATE_DAYS = 730

# --- the API's schemas (server/quality/controller.py; the console's QualityClient) ---

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Needed = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Who = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class IncidentCreate(Model):
    """A quality incident opened by QA or the manager, from scratch or from a job (its ``job_ids``)."""

    title: Title
    equipment_model: Title = Field(description="the equipment model, as the equipment records spell it")
    category: EquipmentCategory | None = None
    fault: Needed = Field(description="the fault or symptom in words")
    fault_category: FaultCategory
    severity: Severity = Severity.MAJOR
    owner_id: uuid.UUID = Field(description="the user answerable for it (QA or manager)")
    job_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class IncidentChange(Model):
    """Change the words, the severity or the owner (fields left out stay)."""

    title: Title | None = None
    equipment_model: Title | None = None
    category: EquipmentCategory | None = None
    fault: Needed | None = None
    fault_category: FaultCategory | None = None
    severity: Severity | None = None
    owner_id: uuid.UUID | None = None
    root_cause: Text | None = None


class IncidentMove(Model):
    """Move the incident forward; ``closed`` needs the root cause (given here or recorded before)."""

    status: IncidentStatus
    root_cause: Text | None = None
    note: Text = ""


class IncidentLink(Model):
    """The job to link, by its id or its number (one of them)."""

    job_id: uuid.UUID | None = None
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = (
        None
    )

    @model_validator(mode="after")
    def _one_of_them(self) -> Self:
        if (self.job_id is None) == (self.number is None):
            raise ValueError("give the job's id or its number, one of them")
        return self


class OwnerOut(OutModel):
    """Someone who may own an incident (QA, the manager, an admin)."""

    id: uuid.UUID
    display_name: str
    role: str


class ActionCreate(Model):
    """One action taken: on which day, who (a person or a party, in words) and what."""

    taken_on: date
    who: Who
    what: Needed


class ActionOut(OutModel):
    id: uuid.UUID
    taken_on: date
    who: str
    what: str
    recorded_by: uuid.UUID
    recorded_at: datetime


class IncidentJob(OutModel):
    """A job linked to an incident (or suggested for it), with what the office needs to judge it."""

    job_id: uuid.UUID
    number: str
    customer_name: str
    site_name: str = ""
    equipment_model: str = ""
    serial_no: str = ""
    symptom: str
    cause: str
    fault_category: FaultCategory
    status: JobStatus
    call_received_at: datetime
    linked_at: datetime | None = None


class IncidentOut(OutModel):
    id: uuid.UUID
    number: str
    title: str
    equipment_model: str
    category: EquipmentCategory | None
    fault: str
    fault_category: FaultCategory
    severity: Severity
    owner_id: uuid.UUID
    owner_name: str = ""
    status: IncidentStatus
    root_cause: str
    opened_by: uuid.UUID
    opened_at: datetime
    closed_at: datetime | None
    customers: int = Field(0, description="how many customers its jobs belong to")
    jobs: list[IncidentJob] = Field(default_factory=list)
    actions: list[ActionOut] = Field(default_factory=list)


class IncidentDraft(OutModel):
    """An incident as a job suggests it: its model, fault and category, the job linked."""

    title: str
    equipment_model: str
    category: EquipmentCategory | None
    fault: str
    fault_category: FaultCategory
    severity: Severity
    job_ids: list[uuid.UUID]


class IncidentRow(OutModel):
    """A line of the monthly quality report's incident section."""

    month: str = Field(description="YYYY-MM the incident was opened, in the server's time zone")
    number: str
    title: str
    equipment_model: str
    fault: str
    severity: Severity
    status: IncidentStatus
    owner_name: str
    jobs: int
    customers: int
    root_cause: str
    opened_at: datetime
    closed_at: datetime | None
