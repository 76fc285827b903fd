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
