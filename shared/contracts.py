"""Contracts with their promises, warranty certificates (质量保修书) and maintenance agreements (长期维护协议).

The service plan leaves its numbers to the contract ("XX小时", "XX年"): a customer signs one contract
after another over the years, each with its warranty years and its promises. A promise may be given for
a severity, an equipment category and a job kind, or leave any of them open; the SLA of a call uses the
most specific promise of the contract in force on the call's date (:func:`choose_promise`), and falls
back to the per-customer policy when that contract has none that matches.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self, TypeVar

from pydantic import Field, StringConstraints, model_validator

from shared.enums import EquipmentCategory, JobKind, Severity
from shared.models import LongText, Minutes, Model, OutModel, ShortText
from shared.sla import PROMISES_BY_KIND, REPAIR_PROMISES

__all__ = [
    "PROMISE_KINDS",
    "REQUIRED_ON_UPDATE",
    "ContractCreate",
    "ContractOut",
    "ContractUpdate",
    "MaintenanceAgreementCreate",
    "MaintenanceAgreementOut",
    "MaintenanceAgreementUpdate",
    "PromiseCreate",
    "PromiseKey",
    "PromiseOut",
    "WarrantyCertificateCreate",
    "WarrantyCertificateOut",
    "WarrantyCertificateUpdate",
    "choose_promise",
    "contract_warranty_years",
    "in_force",
    "specificity",
]

Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Scope = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Years = Annotated[int, Field(ge=0, le=30)]
#: money is decimal, never float: up to 9,999,999,999.99 yuan
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]
#: job kinds that carry the clocks a promise sets (installation and training keep an appointment instead)
PROMISE_KINDS = frozenset(k for k, p in PROMISES_BY_KIND.items() if p == REPAIR_PROMISES)


def _period(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError("ends_on must not be before starts_on")


class ContractCreate(Model):
    """A customer's contract (合同): its number, its period and the free-warranty years it gives."""

    customer_id: uuid.UUID
    number: Number
    starts_on: date
    #: empty: in force until another contract is signed
    ends_on: date | None = None
    warranty_years: Years = 2
    #: the service promise as the contract words it (服务承诺)
    promise_text: LongText = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _period(self.starts_on, self.ends_on)
        return self


class ContractUpdate(Model):
    """What the office may correct on a contract; a field left out stays as it is."""

    number: Number | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    warranty_years: Years | None = None
    promise_text: LongText | None = None


class PromiseCreate(Model):
    """A promise of a contract: the four clocks (minutes) for the calls it covers. A severity, category
    or job kind left empty covers all of them."""

    severity: Severity | None = None
    category: EquipmentCategory | None = None
    job_kind: JobKind | None = None
    respond_minutes: Minutes
    onsite_minutes: Minutes
    fix_minutes: Minutes
    backup_minutes: Minutes

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if not self.respond_minutes <= self.onsite_minutes <= self.fix_minutes:
            raise ValueError("limits must be ordered: respond_minutes <= onsite_minutes <= fix_minutes")
        if self.job_kind is not None and self.job_kind not in PROMISE_KINDS:
            kinds = ", ".join(sorted(PROMISE_KINDS))
            raise ValueError(f"job_kind {self.job_kind.value} keeps an appointment, not clocks; use {kinds}")
        return self


class PromiseOut(OutModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    severity: Severity | None
    category: EquipmentCategory | None
    job_kind: JobKind | None
    respond_minutes: int
    onsite_minutes: int
    fix_minutes: int
    backup_minutes: int


class WarrantyCertificateCreate(Model):
    """质量保修书: what it covers (项目内容及范围), for how long (保修期), and the supplier's duty (保修责任)."""

    number: Number
    issued_on: date
    scope: Scope
    starts_on: date
    ends_on: date
    responsibility: LongText = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _period(self.starts_on, self.ends_on)
        return self


class WarrantyCertificateUpdate(Model):
    """A correction of a certificate: the fields sent are checked as on creation (number, scope and the
    period may not be emptied; the period, as it ends up, must be in order); the rest stays."""

    number: Number | None = None
    issued_on: date | None = None
    scope: Scope | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    responsibility: LongText | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _period(self.starts_on, self.ends_on)
        return self


class WarrantyCertificateOut(OutModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    number: str
    issued_on: date
    scope: str
    starts_on: date
    ends_on: date
    responsibility: str
    created_at: datetime


#: a repair discount in percent: 0 to 100, to the hundredth (8.5 = 8.5 % off)
DiscountPct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]


class MaintenanceAgreementCreate(Model):
    """长期维护协议 after the warranty: scope (服务范围), content, method and rules of the service, the fee
    and how it is charged (服务费用收取方法), and its period."""

    number: Number
    scope: Scope
    content: LongText = ""
    method: LongText = ""
    rules: LongText = ""
    fee: Money
    fee_terms: ShortText = ""
    starts_on: date
    ends_on: date
    #: 优惠收费: percent off a paid repair's quote while the agreement runs (shared.paid)
    repair_discount_pct: DiscountPct = Decimal("0")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _period(self.starts_on, self.ends_on)
        return self


class MaintenanceAgreementUpdate(Model):
    """A correction of an agreement, checked as on creation; the fee stays decimal yuan."""

    number: Number | None = None
    scope: Scope | None = None
    content: LongText | None = None
    method: LongText | None = None
    rules: LongText | None = None
    fee: Money | None = None
    fee_terms: ShortText | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    repair_discount_pct: DiscountPct | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _period(self.starts_on, self.ends_on)
        return self


#: fields an update may not set to null (they are required on creation)
REQUIRED_ON_UPDATE = {
    "certificate": ("number", "issued_on", "scope", "starts_on", "ends_on", "responsibility"),
    "agreement": (
        "number",
        "scope",
        "content",
        "method",
        "rules",
        "fee",
        "fee_terms",
        "starts_on",
        "ends_on",
        "repair_discount_pct",
    ),
}


class MaintenanceAgreementOut(OutModel):
    id: uuid.UUID
    contract_id: uuid.UUID
    number: str
    scope: str
    content: str
    method: str
    rules: str
    fee: Decimal
    fee_terms: str
    starts_on: date
    ends_on: date
    repair_discount_pct: Decimal = Decimal("0")
    created_at: datetime


class ContractOut(OutModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    starts_on: date
    ends_on: date | None
    warranty_years: int
    promise_text: str
    promises: list[PromiseOut] = Field(default_factory=list)
    certificates: list[WarrantyCertificateOut] = Field(default_factory=list)
    agreements: list[MaintenanceAgreementOut] = Field(default_factory=list)


def in_force(starts_on: date, ends_on: date | None, day: date) -> bool:
    """Whether a contract of this period is in force on ``day`` (both ends included)."""
    return starts_on <= day and (ends_on is None or day <= ends_on)


def contract_warranty_years(
    contracts: Iterable[tuple[date, date | None, int]], delivered_on: date | None
) -> int | None:
    """The free-warranty years (质保期为XX年) of the contract in force on the unit's delivery day, from
    ``(starts_on, ends_on, warranty_years)`` of one customer's contracts (periods never overlap, so at
    most one is in force); None when none covers the day or the day is not known."""
    if delivered_on is None:
        return None
    for starts_on, ends_on, years in contracts:
        if in_force(starts_on, ends_on, delivered_on):
            return years
    return None


@dataclass(frozen=True, slots=True)
class PromiseKey:
    """What a promise covers (None: any) or, for a call, what it is."""

    severity: str | None
    category: str | None
    job_kind: str | None


P = TypeVar("P")


def specificity(key: PromiseKey) -> tuple[int, bool, bool, bool]:
    """How specific a promise is: first how many of its three keys are named, then, between equally
    specific promises, a named severity before a named category before a named job kind."""
    named = (key.severity is not None, key.category is not None, key.job_kind is not None)
    return (sum(named), *named)


def _covers(promise: PromiseKey, call: PromiseKey) -> bool:
    return all(
        mine is None or mine == theirs
        for mine, theirs in (
            (promise.severity, call.severity),
            (promise.category, call.category),
            (promise.job_kind, call.job_kind),
        )
    )


def choose_promise(promises: Iterable[tuple[PromiseKey, P]], call: PromiseKey) -> P | None:
    """The most specific promise that covers ``call`` (a call with no equipment has no category, so only
    promises open on category cover it), or None. Keys are unique within a contract, so the choice does
    not depend on the order the promises come in."""
    best: tuple[tuple[int, bool, bool, bool], P] | None = None
    for key, value in promises:
        if _covers(key, call) and (best is None or specificity(key) > best[0]):
            best = (specificity(key), value)
    return best[1] if best else None
