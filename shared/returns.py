"""Returns, exchanges and compensation (包退、包换、包赔) and what follows a missed promise.

The plan (第二节 一、3): "在产品质保期内出现质量问题的,我司承诺包退、包换、包赔"; its 三包技术员 appraises the
old parts handed back (对三包旧件的检测、鉴定和处理); a fault of a bought-in component goes to its maker
(对于外调产品或配套件的质量问题 ... 由外协厂家解决); when we are not on site in time the customer may see to
it themselves at our risk and cost (由用户着手处理,其风险和费用由我方负责), and we pay their direct loss
(赔偿用户方的直接损失).

Words, the pure transition rules and the API's schemas; the server (``server/returns``) judges with these
rules, the console reads the same ones to show only the buttons that can succeed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.acceptance import MAX_SIGNATURE_CHARS
from shared.models import Model, OutModel


class ReturnKind(StrEnum):
    """What the customer asks for."""

    RETURN = "return"  # 包退: take it back, refund
    EXCHANGE = "exchange"  # 包换: a new one for the faulty one


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPRAISED = "appraised"
    DECIDED = "decided"
    COMPLETED = "completed"


class ReturnDecision(StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUSE = "refuse"


class DefectType(StrEnum):
    """The appraisal's verdict on an old part (三包旧件鉴定)."""

    MATERIAL = "material"  # 材料缺陷
    MANUFACTURING = "manufacturing"  # 制造/装配缺陷
    DESIGN = "design"  # 设计缺陷
    WEAR = "wear"  # 正常磨损
    MISUSE = "misuse"  # 使用不当/人为损坏
    NO_FAULT = "no_fault"  # 未发现故障


#: verdicts that make the return a quality problem covered by the three guarantees
QUALITY_DEFECTS = frozenset({DefectType.MATERIAL, DefectType.MANUFACTURING, DefectType.DESIGN})


class ClaimStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    SETTLED = "settled"
    REJECTED = "rejected"


class CompensationKind(StrEnum):
    SELF_REPAIR = "self_repair"  # 用户着手处理,风险和费用由我方负责 (after a missed on-site promise)
    DIRECT_LOSS = "direct_loss"  # 赔偿用户方的直接损失


class CompensationStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


# --- the transition rules (pure; the server and the console both read them) ---

#: return request: state -> the states it may move to
RETURN_STEPS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPRAISED}),
    ReturnStatus.APPRAISED: frozenset({ReturnStatus.DECIDED}),
    ReturnStatus.DECIDED: frozenset({ReturnStatus.COMPLETED}),
    ReturnStatus.COMPLETED: frozenset(),
}

CLAIM_STEPS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.OPEN: frozenset({ClaimStatus.SUBMITTED}),
    ClaimStatus.SUBMITTED: frozenset({ClaimStatus.SETTLED, ClaimStatus.REJECTED}),
    ClaimStatus.SETTLED: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}

COMPENSATION_STEPS: dict[CompensationStatus, frozenset[CompensationStatus]] = {
    CompensationStatus.PROPOSED: frozenset({CompensationStatus.APPROVED, CompensationStatus.REJECTED}),
    CompensationStatus.APPROVED: frozenset(),
    CompensationStatus.REJECTED: frozenset(),
}


def can_move(steps: dict[StrEnum, frozenset[StrEnum]], current: str, target: StrEnum) -> bool:
    """Whether a record in ``current`` may move to ``target`` (an unknown state moves nowhere)."""
    return any(str(state) == current and target in nexts for state, nexts in steps.items())


def missed_onsite(onsite_due_at: datetime | None, arrived_at: datetime | None, now: datetime) -> bool:
    """The job missed its on-site promise: arrived after the deadline, or not arrived and it has passed.
    A job without an on-site deadline (no promise) never missed it."""
    if onsite_due_at is None:
        return False
    if arrived_at is not None:
        return arrived_at > onsite_due_at
    return now > onsite_due_at


#: how far back the console looks for jobs that missed their on-site promise
MISSED_ONSITE_DAYS = 120


def claim_settled_within(claimed: Decimal, settled: Decimal) -> bool:
    """A supplier settles at most what was claimed."""
    return Decimal(0) <= settled <= claimed


# --- the API's schemas (server/returns/controller.py; the console's ReturnsClient) ---

Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]
MoneyOrZero = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Needed = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Signature = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SIGNATURE_CHARS)]


class ReturnCreate(Model):
    """The customer asks to return or exchange a product (a catalogue part) under the three guarantees."""

    customer_id: uuid.UUID
    job_id: uuid.UUID | None = Field(default=None, description="the service job it came from, if any")
    part_id: uuid.UUID
    quantity: int = Field(default=1, ge=1, le=10_000)
    kind: ReturnKind
    reason: Needed = Field(description="the customer's complaint in their words")


class AppraisalCreate(Model):
    """The 三包技术员's verdict on a returned old part: a return request's, or one handed in from a job."""

    return_id: uuid.UUID | None = None
    job_part_id: uuid.UUID | None = Field(default=None, description="an old part handed in from a job")
    defect_type: DefectType
    supplier_fault: bool = Field(description="traced to a bought-in component (外协件)")
    supplier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    note: Note = ""


class ReturnDecide(Model):
    """The manager's decision; return and exchange move stock through the parts ledger."""

    decision: ReturnDecision
    note: Note = ""
    refund_amount: MoneyOrZero | None = Field(default=None, description="a return's refund")
    returned_store_id: uuid.UUID | None = Field(
        default=None, description="the 旧件库 the returned units go to (default: the one open)"
    )
    new_store_id: uuid.UUID | None = Field(
        default=None,
        description="an exchange: the 新件库 the replacement is issued from (default: the one open)",
    )


class ReturnComplete(Model):
    """Handed over: the customer signs the decision (SVG path data, as the job's acceptance)."""

    signer_name: Name
    signature: Signature
    signed_at: datetime


class ClaimCreate(Model):
    appraisal_id: uuid.UUID
    amount_claimed: Money
    note: Note = ""


class ClaimSettle(Model):
    outcome: ClaimStatus = Field(description="settled or rejected")
    amount_settled: MoneyOrZero = Decimal(0)
    note: Note = ""


class CompensationCreate(Model):
    job_id: uuid.UUID
    kind: CompensationKind
    amount: Money
    evidence: Needed = Field(description="what was done or lost, and the proof (invoice, photos)")


class CompensationDecide(Model):
    approve: bool
    note: Note = ""


class AppraisalOut(OutModel):
    id: uuid.UUID
    return_id: uuid.UUID | None
    job_part_id: uuid.UUID | None
    part_id: uuid.UUID
    part_name: str = ""
    quantity: int
    defect_type: DefectType
    supplier_fault: bool
    supplier: str
    note: str
    appraised_by: uuid.UUID
    appraised_at: datetime
    claim_id: uuid.UUID | None = None


class ReturnOut(OutModel):
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    customer_name: str = ""
    job_id: uuid.UUID | None
    job_number: str | None = None
    part_id: uuid.UUID
    part_name: str = ""
    quantity: int
    kind: ReturnKind
    reason: str
    status: ReturnStatus
    requested_by: uuid.UUID
    requested_at: datetime
    appraisal: AppraisalOut | None = None
    decision: ReturnDecision | None
    decision_note: str
    refund_amount: Decimal | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    movement_ids: list[uuid.UUID] = Field(default_factory=list)
    signer_name: str
    signature: str
    signed_at: datetime | None
    completed_by: uuid.UUID | None
    completed_at: datetime | None


class ClaimOut(OutModel):
    id: uuid.UUID
    number: str
    appraisal_id: uuid.UUID
    supplier: str
    part_id: uuid.UUID
    part_name: str = ""
    quantity: int
    amount_claimed: Decimal
    amount_settled: Decimal | None
    status: ClaimStatus
    note: str
    opened_by: uuid.UUID
    opened_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None


class CompensationOut(OutModel):
    id: uuid.UUID
    job_id: uuid.UUID
    job_number: str = ""
    kind: CompensationKind
    amount: Decimal
    evidence: str
    status: CompensationStatus
    recorded_by: uuid.UUID
    recorded_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str


class ReturnsMonth(OutModel):
    """One month of the returns-and-claims report (local months, the company's time zone)."""

    month: str
    returns: int
    exchanges: int
    refused: int
    refunded: Decimal
    claimed: Decimal
    settled: Decimal
    self_repair: Decimal
    direct_loss: Decimal


class ReturnsReport(OutModel):
    year: int
    timezone: str
    months: list[ReturnsMonth]


class MissedOnsiteJob(OutModel):
    """A job that missed its on-site promise: its customer may have seen to it at our cost."""

    job_id: uuid.UUID
    number: str
    customer_name: str
    onsite_due_at: datetime
    arrived_at: datetime | None
