"""Warranty end of a piece of equipment, kept in step with its delivery date and contract years.

The end is ``delivered_on + years`` unless the office set another date. The years are the item's own
(``equipment.warranty_years``); else those of the customer's contract in force on the delivery day
(质保期为XX年, ``contracts.warranty_years``); else the customer's default (``customers.warranty_years``).
A stored end that differs from what the rules gave before a change was set by the office, and a change
of delivery date, years or contract leaves it alone. When a contract is recorded or corrected, the
customer's units whose end followed the rules follow them again (:func:`refollow`), and devices get the
new end through the change log: the field app proposes billing from the stored end, the same input the
server judges with (shared/warranty.py).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import Change, log_changes
from server.db.models import Contract, Customer, Equipment, Site
from server.deps import Principal
from server.errors import Invalid
from shared.contracts import contract_warranty_years
from shared.models import EquipmentUpdate
from shared.warranty import warranty_end


async def contract_years(session: AsyncSession, site_id: Any, delivered_on: date | None = None) -> int | None:
    """The warranty years for a unit at ``site_id`` delivered on ``delivered_on``: those of the owner's
    contract in force that day, else the owner's default years."""
    site = await session.get(Site, site_id)
    customer = await session.get(Customer, site.customer_id) if site else None
    if customer is None:
        return None
    contracts = (
        await session.execute(
            select(Contract.starts_on, Contract.ends_on, Contract.warranty_years).where(
                Contract.customer_id == customer.id
            )
        )
    ).tuples()
    years = contract_warranty_years(contracts, delivered_on)
    return years if years is not None else customer.warranty_years


async def rule_end(session: AsyncSession, item: Equipment) -> date | None:
    """The warranty end the rules give ``item`` as it is now."""
    years = effective_years(item, await contract_years(session, item.site_id, item.delivered_on))
    return warranty_end(item.delivered_on, years)


async def following_rules(
    session: AsyncSession, customer_id: uuid.UUID
) -> list[tuple[Equipment, date | None]]:
    """The customer's units whose stored end is what the rules give now, with that end (call before a
    contract change, then :func:`refollow` after it)."""
    units = (
        await session.scalars(
            select(Equipment).join(Site, Site.id == Equipment.site_id).where(Site.customer_id == customer_id)
        )
    ).all()
    out = []
    for item in units:
        end = await rule_end(session, item)
        if item.warranty_end == end:
            out.append((item, end))
    return out


async def refollow(
    session: AsyncSession, followed: list[tuple[Equipment, date | None]], by: Principal, because: str
) -> int:
    """After a contract change: each unit that followed the rules gets the end they give now, logged for
    devices and audited. Returns how many changed."""
    await session.flush()
    changed = []
    for item, before in followed:
        end = await rule_end(session, item)
        if end == before:
            continue
        item.warranty_end = end
        changed.append(item)
        await audit.record(
            session,
            action="equipment.update",
            entity="equipment",
            entity_id=item.id,
            user_id=by.user_id,
            device_id=by.device_id,
            detail={"serial_no": item.serial_no, "changes": {"warranty_end": [before, end]}, "by": because},
        )
    if changed:
        await log_changes(session, [Change("equipment", i.id, "put", None) for i in changed])
    return len(changed)


def effective_years(item: Equipment, customer_years: int | None) -> int | None:
    return item.warranty_years if item.warranty_years is not None else customer_years


async def on_create(session: AsyncSession, item: Equipment, by: Principal) -> None:
    """Fill the warranty end of new equipment (unless given) and audit the registration."""
    years = effective_years(item, await contract_years(session, item.site_id, item.delivered_on))
    if item.warranty_end is None:
        item.warranty_end = warranty_end(item.delivered_on, years)
    session.add(item)
    await session.flush()
    await audit.record(
        session,
        action="equipment.create",
        entity="equipment",
        entity_id=item.id,
        user_id=by.user_id,
        device_id=by.device_id,
        detail={
            "serial_no": item.serial_no,
            "delivered_on": item.delivered_on,
            "warranty_years": item.warranty_years,
            "warranty_end": item.warranty_end,
        },
    )


def _snapshot(item: Equipment) -> dict[str, Any]:
    return {
        "model": item.model,
        "delivered_on": item.delivered_on,
        "warranty_years": item.warranty_years,
        "warranty_end": item.warranty_end,
    }


async def on_update(session: AsyncSession, item: Equipment, data: EquipmentUpdate, by: Principal) -> None:
    """Apply the office's correction; the warranty end follows unless it was or is set by hand."""
    sent = data.model_fields_set
    if "model" in sent and data.model is None:
        raise Invalid("model cannot be empty", field="model", code="field.empty", params={"field": "model"})
    before = _snapshot(item)
    followed_rules = item.warranty_end == await rule_end(session, item)
    if data.model is not None:
        item.model = data.model
    if "delivered_on" in sent:
        item.delivered_on = data.delivered_on
    if "warranty_years" in sent:
        item.warranty_years = data.warranty_years
    computed = await rule_end(session, item)
    if "warranty_end" in sent:
        # an explicit date overrules the rules; an explicit null hands the date back to them
        item.warranty_end = data.warranty_end if data.warranty_end is not None else computed
    elif followed_rules:
        item.warranty_end = computed
    end: date | None = item.warranty_end
    if item.delivered_on is not None and end is not None and end < item.delivered_on:
        raise Invalid(
            "warranty_end must not be before delivered_on",
            field="warranty_end",
            code="equipment.warranty_before_delivery",
        )
    after = _snapshot(item)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return
    await log_changes(session, [Change("equipment", item.id, "put", None)])
    await audit.record(
        session,
        action="equipment.update",
        entity="equipment",
        entity_id=item.id,
        user_id=by.user_id,
        device_id=by.device_id,
        detail={"serial_no": item.serial_no, "changes": changes},
    )
