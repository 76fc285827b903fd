"""Demo stock: a new-parts store, a returned-parts store and a van per engineer, filled through the ledger.

Every part arrives in two lots (about five months and about six weeks before ``now``, the second a
little dearer), each engineer's van is stocked from the new-parts store over the last month (oldest
units first, so vans hold the older, cheaper lot), and one stock count a week ago found a damaged unit.
Everything comes from ``random.Random(rng_seed)`` and ``now``, like the rest of the demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Part, StockCount, StockCountLine, Store, User
from server.stock.ledger import CountLine, Ledger
from server.stock.service import ensure_van
from shared.enums import Role
from shared.ids import uuid7
from shared.stock import StoreKind

NEW_STORE = "新件库（抚州中心仓）"
RETURNED_STORE = "旧件库（抚州中心仓）"


def _lot_size(price: float, rng: random.Random) -> int:
    if price >= 1000:
        return rng.randint(3, 6)
    if price >= 300:
        return rng.randint(8, 16)
    return rng.randint(20, 40)


async def seed_stock(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """Stores, receipts, transfers to the vans and one count; the caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 6)
    parts = list((await session.scalars(select(Part).order_by(Part.code))).all())
    engineers = list(
        (
            await session.scalars(
                select(User).where(User.role == Role.ENGINEER.value).order_by(User.username)
            )
        ).all()
    )
    new_store = Store(id=uuid7(), kind=StoreKind.NEW.value, name=NEW_STORE, active=True)
    returned = Store(id=uuid7(), kind=StoreKind.RETURNED.value, name=RETURNED_STORE, active=True)
    session.add_all([new_store, returned])
    await session.flush()
    vans = [await ensure_van(session, engineer) for engineer in engineers]
    movements = lots = 0

    for age_days, markup in ((150, 0.58), (45, 0.63)):
        for i, part in enumerate(parts):
            at = now - timedelta(days=age_days + rng.uniform(0, 6), minutes=i * 7)
            ledger = Ledger(session, now=at)
            await ledger.receive(
                new_store.id,
                part.id,
                _lot_size(part.unit_price, rng),
                unit_cost=round(part.unit_price * (markup + rng.uniform(-0.03, 0.03)), 1),
                reference=f"PO-{at:%Y%m}-{rng.randint(100, 999)}",
                at=at,
            )
            movements += len(ledger.movements)
            lots += 1

    warehouse = await session.scalar(select(User.id).where(User.role == Role.WAREHOUSE.value).limit(1))
    cheap = [p for p in parts if p.unit_price < 1000]
    for van in vans:
        for part in rng.sample(cheap, k=min(len(cheap), rng.randint(5, 8))):
            at = now - timedelta(days=rng.uniform(3, 30))
            ledger = Ledger(session, user_id=warehouse, now=at)
            held = await ledger.balance(new_store.id, part.id)
            quantity = min(held, rng.randint(1, 4))
            if quantity <= 0:
                continue
            await ledger.transfer(new_store.id, van.id, part.id, quantity, note="月度补货")
            movements += len(ledger.movements)
            lots += len(ledger.movements) // 2

    if parts:
        at = now - timedelta(days=7)
        damaged = parts[0]
        book = await Ledger(session).balance(new_store.id, damaged.id)
        if book > 0:
            ledger = Ledger(session, user_id=warehouse, now=at)
            count = StockCount(
                id=uuid7(), store_id=new_store.id, counted_at=at, counted_by=warehouse, note="月末盘点"
            )
            session.add(count)
            await session.flush()
            reason = "包装破损，密封件变形报废"
            for result in await ledger.count(
                new_store.id, [CountLine(damaged.id, book - 1, reason)], count.id
            ):
                session.add(
                    StockCountLine(
                        id=uuid7(),
                        count_id=count.id,
                        part_id=result.part_id,
                        book_quantity=result.book,
                        counted_quantity=result.counted,
                        difference=result.difference,
                        reason=reason,
                    )
                )
            movements += len(ledger.movements)
    await session.flush()
    return {"stores": 2 + len(vans), "stock_lots": lots, "stock_movements": movements}
