"""Demo parts planning, after the demo stock (``server/stock/seed.py``): reorder levels in the new-parts
store and the vans, some of them short so the console's shortage alert and stock plan have lines; one
shipment in transit to the first engineer (the tablet's 签收 button), one received last week; an approval
rule (issues of 5 units or more) with one van issue and one shipment waiting for a manager. Everything
from ``random.Random(rng_seed)`` and ``now``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ApprovalRule,
    Part,
    ReorderLevel,
    Shipment,
    StockBalance,
    StockRequest,
    Store,
    User,
)
from server.stock.ledger import Ledger
from server.stock.planning import transit_store
from shared.enums import Role
from shared.ids import uuid7
from shared.stock import RequestKind, RequestStatus, ShipmentStatus, StoreKind


async def seed_planning(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """Levels, shipments, a rule and pending requests; the caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 16)
    new_store = await session.scalar(
        select(Store).where(Store.kind == StoreKind.NEW.value).order_by(Store.name)
    )
    if new_store is None:
        return {}
    vans = list(  # in the engineers' username order: the first engineer (eng01) gets the shipment in transit
        (
            await session.scalars(
                select(Store)
                .join(User, User.id == Store.engineer_id)
                .where(Store.kind == StoreKind.VAN.value)
                .order_by(User.username)
            )
        ).all()
    )
    engineers = {
        u.id: u for u in (await session.scalars(select(User).where(User.role == Role.ENGINEER.value))).all()
    }
    warehouse = await session.scalar(select(User.id).where(User.role == Role.WAREHOUSE.value).limit(1))
    parts = list((await session.scalars(select(Part).order_by(Part.code))).all())
    held = {(b.store_id, b.part_id): b.quantity for b in (await session.scalars(select(StockBalance))).all()}
    levels: list[ReorderLevel] = []
    for i, part in enumerate(parts):
        have = held.get((new_store.id, part.id), 0)
        level = have + rng.randint(1, 5) if i % 4 == 0 else max(1, have // 3)  # every fourth part is short
        levels.append(
            ReorderLevel(
                id=uuid7(),
                store_id=new_store.id,
                part_id=part.id,
                level=level,
                target=level * 2,
                updated_by=warehouse,
            )
        )
    for van in vans:
        for (store_id, part_id), quantity in held.items():
            if store_id == van.id and quantity > 0:
                levels.append(
                    ReorderLevel(
                        id=uuid7(),
                        store_id=van.id,
                        part_id=part_id,
                        level=quantity + (1 if rng.random() < 0.2 else -1),  # about one in five short
                        target=quantity + 2,
                        updated_by=warehouse,
                    )
                )
    for row in levels:
        row.level = max(0, row.level)
        row.target = max(row.target, row.level)
    session.add_all(levels)

    transit = await transit_store(session)
    shipped = 0
    stocked = [p for p in parts if held.get((new_store.id, p.id), 0) >= 4]
    plan = [(0, ShipmentStatus.IN_TRANSIT, 1), (1, ShipmentStatus.RECEIVED, 8)]
    for n, (van_index, status, days) in enumerate(plan):
        if van_index >= len(vans) or len(stocked) <= n:
            continue
        van, part = vans[van_index], stocked[n]
        engineer = engineers.get(van.engineer_id) if van.engineer_id else None
        if engineer is None:
            continue
        sent_at = now - timedelta(days=days, hours=rng.randint(1, 6))
        shipment = Shipment(
            id=uuid7(),
            from_store_id=new_store.id,
            engineer_id=engineer.id,
            part_id=part.id,
            quantity=2,
            site="樟树市洋湖泵站" if n == 0 else "丰城市剑南泵站",
            courier="顺丰速运",
            tracking_no=f"SF{rng.randint(10**11, 10**12 - 1)}",
            note="抢修急用" if n == 0 else "",
            status=ShipmentStatus.IN_TRANSIT.value,
            created_by=warehouse,
            sent_at=sent_at,
        )
        session.add(shipment)
        await Ledger(session, user_id=warehouse, now=sent_at).transfer(
            new_store.id, transit.id, part.id, 2, note="发运 顺丰速运", shipping=True
        )
        if status is ShipmentStatus.RECEIVED:
            got = sent_at + timedelta(days=1, hours=3)
            await Ledger(session, user_id=engineer.id, now=got).transfer(
                transit.id, van.id, part.id, 2, note="发运 顺丰速运", shipping=True
            )
            shipment.status, shipment.received_at, shipment.received_by = status.value, got, engineer.id
        shipped += 1

    session.add(ApprovalRule(id=uuid7(), kind=RequestKind.ISSUE.value, part_id=None, min_quantity=5))
    requests = 0
    if vans and stocked:
        part = stocked[-1]
        session.add(
            StockRequest(
                id=uuid7(),
                kind=RequestKind.ISSUE.value,
                from_store_id=new_store.id,
                to_store_id=vans[-1].id,
                part_id=part.id,
                quantity=5,
                note="台风季备货",
                status=RequestStatus.PENDING.value,
                requested_by=warehouse,
                decision_note="",
                created_at=now - timedelta(hours=3),
            )
        )
        requests += 1
    await session.flush()
    return {"reorder_levels": len(levels), "stock_shipments": shipped, "stock_requests": requests}
