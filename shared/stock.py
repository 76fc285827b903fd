"""Parts stores and the words of the parts ledger (账、卡、物一致: books, cards and goods agree), and the
schemas of its API: what ``/api/stock`` takes and gives, read by the server (``server/stock``) and by the
console's typed client alike."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class StoreKind(StrEnum):
    NEW = "new"  # 新件库: new original parts, received from the manufacturer
    RETURNED = "returned"  # 旧件库: old parts taken out of customers' equipment
    VAN = "van"  # an engineer's van stock
    TRANSIT = "transit"  # 在途: parts shipped by courier that their engineer has not confirmed yet


class MovementKind(StrEnum):
    """A line of the ledger; ``quantity`` is positive into the store and negative out of it."""

    RECEIVE = "receive"  # into the new-parts store from a supplier
    TRANSFER_OUT = "transfer_out"  # one side of a transfer between stores
    TRANSFER_IN = "transfer_in"  # the other side, same batch
    CONSUME = "consume"  # used on a job, out of the engineer's van
    UNCONSUME = "unconsume"  # a usage voided on the job: the units are back in the van
    RETURN_OLD = "return_old"  # the replaced old part, into the returned-parts store
    ADJUST = "adjust"  # a stock count's difference, with its reason
    EXCHANGE_OUT = "exchange_out"  # a replacement issued for an exchange under the three guarantees (包换)


#: Stores a transfer may go between (the returned store only takes old parts and counts).
TRANSFERABLE: frozenset[StoreKind] = frozenset({StoreKind.NEW, StoreKind.VAN})


# --- what the parts ledger's API takes and gives (server/stock/controller.py; the console's StockClient) ---

MAX_QUANTITY = 1_000_000
MAX_COUNT_LINES = 2000

Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, description="whole units, above zero")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StoreCreate(_In):
    """A new-parts or returned-parts store (vans are made for engineers automatically)."""

    kind: StoreKind
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StoreUpdate(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    active: bool | None = None


class ReceiptIn(_In):
    store_id: uuid.UUID
    part_id: uuid.UUID
    quantity: Quantity
    unit_cost: Annotated[float, Field(ge=0, le=10_000_000), AfterValidator(_finite)] = 0
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class TransferIn(_In):
    from_store_id: uuid.UUID
    to_store_id: uuid.UUID
    part_id: uuid.UUID
    quantity: Quantity
    note: Note = ""


class ReturnIn(_In):
    job_part_id: uuid.UUID
    store_id: uuid.UUID | None = Field(
        None, description="the returned-parts store; may be left out when there is one"
    )
    note: Note = ""


class CountLineIn(_In):
    part_id: uuid.UUID
    counted_quantity: Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
    reason: Note = ""


class CountIn(_In):
    store_id: uuid.UUID
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    lines: Annotated[list[CountLineIn], Field(min_length=1, max_length=MAX_COUNT_LINES)]


class StoreOut(BaseModel):
    id: uuid.UUID
    kind: StoreKind
    name: str
    engineer_id: uuid.UUID | None
    engineer_name: str | None
    active: bool


class BalanceOut(BaseModel):
    store_id: uuid.UUID
    store_name: str
    store_kind: StoreKind
    engineer_id: uuid.UUID | None
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    quantity: int
    updated_at: datetime


class LotOut(BaseModel):
    id: uuid.UUID
    store_id: uuid.UUID
    part_id: uuid.UUID
    part_code: str
    part_name: str
    received_at: datetime
    seq: int
    quantity: int
    remaining: int
    unit_cost: float
    reference: str


class MovementOut(BaseModel):
    id: uuid.UUID
    seq: int
    at: datetime
    recorded_at: datetime
    kind: MovementKind
    store_id: uuid.UUID
    store_name: str
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    lot_id: uuid.UUID | None
    quantity: int
    unit_cost: float
    batch_id: uuid.UUID
    other_store_id: uuid.UUID | None
    other_store_name: str | None
    job_id: uuid.UUID | None
    job_number: str | None
    usage_id: uuid.UUID | None
    count_id: uuid.UUID | None
    reason: str
    user_id: uuid.UUID | None
    user_name: str | None


class OperationOut(BaseModel):
    """What one write did: its ledger lines and the balances it left."""

    movements: list[MovementOut]
    balances: list[BalanceOut]
    pending: StockRequestOut | None = Field(
        None, description="审查控制: the transfer waits for a manager's approval; nothing has moved yet"
    )


class CountLineOut(BaseModel):
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    book_quantity: int
    counted_quantity: int
    difference: int
    reason: str


class CountOut(BaseModel):
    id: uuid.UUID
    store_id: uuid.UUID
    store_name: str
    counted_at: datetime
    counted_by: uuid.UUID | None
    counted_by_name: str | None
    note: str
    lines: list[CountLineOut]
    adjustments: int = Field(description="ledger lines the count wrote")


class PendingReturnOut(BaseModel):
    job_part_id: uuid.UUID
    job_id: uuid.UUID
    job_number: str
    engineer_id: uuid.UUID | None
    engineer_name: str | None
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    quantity: int
    used_at: datetime


# --- parts planning: reorder levels, shortages, the stock plan, shipments, approvals (issue 16 part 6) ---


class ShipmentStatus(StrEnum):
    PENDING = "pending"  # waiting for a manager's approval (nothing has moved)
    IN_TRANSIT = "in_transit"  # sent: the units are in the transit store
    RECEIVED = "received"  # the engineer confirmed on the tablet: the units are in the van
    REJECTED = "rejected"  # a manager refused to send it


class RequestKind(StrEnum):
    ISSUE = "issue"  # 领用/发料: new-parts store to a van, or a shipment to an engineer
    RETURN = "return"  # 退料: a van back to the new-parts store


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ReorderLevelIn(_In):
    store_id: uuid.UUID
    part_id: uuid.UUID
    level: Annotated[int, Field(ge=0, le=MAX_QUANTITY, description="short below this (balance + in transit)")]
    target: Annotated[
        int | None, Field(ge=0, le=MAX_QUANTITY, description="the plan orders up to this; default the level")
    ] = None


class ReorderLevelOut(BaseModel):
    id: uuid.UUID
    store_id: uuid.UUID
    store_name: str
    part_id: uuid.UUID
    part_code: str
    part_name: str
    level: int
    target: int
    updated_at: datetime


class ShortageOut(BaseModel):
    """A (store, part) below its reorder level; ``to_order`` is the stock plan's line."""

    store_id: uuid.UUID
    store_name: str
    store_kind: StoreKind
    engineer_id: uuid.UUID | None
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    on_hand: int
    in_transit: int = Field(description="units shipped to this van not confirmed yet")
    level: int
    target: int
    to_order: int = Field(description="target - (on hand + in transit)")


class ShipmentIn(_In):
    from_store_id: uuid.UUID
    engineer_id: uuid.UUID
    part_id: uuid.UUID
    quantity: Quantity
    site: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    courier: Text100 = ""
    tracking_no: Text100 = ""
    note: Note = ""


class ShipmentReceiveIn(_In):
    received_at: datetime | None = Field(
        None, description="when the parts arrived (with a zone); default now"
    )


class ShipmentOut(BaseModel):
    id: uuid.UUID
    status: ShipmentStatus
    from_store_id: uuid.UUID
    from_store_name: str
    engineer_id: uuid.UUID
    engineer_name: str
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    quantity: int
    site: str
    courier: str
    tracking_no: str
    note: str
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None


class ApprovalRuleIn(_In):
    kind: RequestKind
    part_id: uuid.UUID | None = Field(None, description="empty: every part")
    min_quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] = 1


class ApprovalRuleOut(BaseModel):
    id: uuid.UUID
    kind: RequestKind
    part_id: uuid.UUID | None
    part_code: str | None
    part_name: str | None
    min_quantity: int


class ApprovalSettingsOut(BaseModel):
    enabled: bool = Field(description="LEVEE_PARTS_APPROVAL: off means no rule applies")
    rules: list[ApprovalRuleOut]


class DecisionIn(_In):
    note: Note = ""


class StockRequestOut(BaseModel):
    id: uuid.UUID
    kind: RequestKind
    status: RequestStatus
    from_store_id: uuid.UUID
    from_store_name: str
    to_store_id: uuid.UUID | None
    to_store_name: str | None
    part_id: uuid.UUID
    part_code: str
    part_name: str
    quantity: int
    note: str
    shipment_id: uuid.UUID | None
    requested_by_name: str | None
    created_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str


OperationOut.model_rebuild()
