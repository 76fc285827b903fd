"""Warranty end of a piece of equipment, kept in step with its delivery date and contract years.

The end is ``delivered_on + years`` (the item's contract years, else its customer's), unless the office
set another date. A stored end that differs from what the rules gave before a change was set by the
office, and a change of delivery date or years leaves it alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import Change, log_changes
from server.db.models import Customer, Equipment, Site
from server.deps import Principal
from server.errors import Invalid
from shared.models import EquipmentUpdate
from shared.warranty import warranty_end


async def contract_years(session: AsyncSession, site_id: Any) -> int | None:
    """The warranty years of the contract of the customer who owns ``site_id``."""
    site = await session.get(Site, site_id)
    customer = await session.get(Customer, site.customer_id) if site else None
    return customer.warranty_years if customer else None


def effective_years(item: Equipment, customer_years: int | None) -> int | None:
    return item.warranty_years if item.warranty_years is not None else customer_years


async def on_create(session: AsyncSession, item: Equipment, by: Principal) -> None:
    """Fill the warranty end of new equipment (unless given) and audit the registration."""
    years = effective_years(item, await contract_years(session, item.site_id))
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
    customer_years = await contract_years(session, item.site_id)
    before = _snapshot(item)
    followed_rules = item.warranty_end == warranty_end(
        item.delivered_on, effective_years(item, customer_years)
    )
    if data.model is not None:
        item.model = data.model
    if "delivered_on" in sent:
        item.delivered_on = data.delivered_on
    if "warranty_years" in sent:
        item.warranty_years = data.warranty_years
    computed = warranty_end(item.delivered_on, effective_years(item, customer_years))
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
