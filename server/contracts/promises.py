"""Which promise a call is measured against: the most specific promise of the customer's contract in
force on the call's date (``shared.contracts.choose_promise``), else the customer's own SLA policy for
the severity, else the default policy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Contract, ContractPromise, SlaPolicy
from shared.contracts import PromiseKey, choose_promise, in_force
from shared.sla import SlaLimits


@dataclass(frozen=True, slots=True)
class ChosenLimits:
    """The limits a call gets and where they come from (for the audit trail)."""

    limits: SlaLimits | None
    #: "contract:<number>", "policy:customer", "policy:default" or "none"
    source: str


async def contract_in_force(session: AsyncSession, customer_id: uuid.UUID, day: date) -> Contract | None:
    """The customer's contract in force on ``day`` (periods of one customer never overlap)."""
    rows = await session.scalars(
        select(Contract).where(Contract.customer_id == customer_id, Contract.starts_on <= day)
    )
    return next((c for c in rows if in_force(c.starts_on, c.ends_on, day)), None)


async def limits_for_call(
    session: AsyncSession,
    customer_id: uuid.UUID,
    day: date,
    severity: str,
    job_kind: str,
    category: str | None,
) -> ChosenLimits:
    """The clocks a call of this severity, kind and equipment category, received on ``day`` (the
    installation's calendar), is measured against."""
    contract = await contract_in_force(session, customer_id, day)
    if contract is not None:
        promises = await session.scalars(
            select(ContractPromise).where(ContractPromise.contract_id == contract.id)
        )
        chosen = choose_promise(
            ((PromiseKey(p.severity, p.category, p.job_kind), p) for p in promises),
            PromiseKey(severity, category, job_kind),
        )
        if chosen is not None:
            limits = SlaLimits(
                chosen.respond_minutes, chosen.onsite_minutes, chosen.fix_minutes, chosen.backup_minutes
            )
            return ChosenLimits(limits, f"contract:{contract.number}")
    rows = (
        await session.scalars(
            select(SlaPolicy).where(
                SlaPolicy.severity == severity,
                (SlaPolicy.customer_id == customer_id) | SlaPolicy.customer_id.is_(None),
            )
        )
    ).all()
    own = [p for p in rows if p.customer_id == customer_id]
    if not rows:
        return ChosenLimits(None, "none")
    policy = (own or list(rows))[0]
    limits = SlaLimits(
        policy.respond_minutes, policy.onsite_minutes, policy.fix_minutes, policy.backup_minutes
    )
    return ChosenLimits(limits, "policy:customer" if own else "policy:default")
