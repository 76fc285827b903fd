"""The parts ledger against a model, on SQLite and PostgreSQL.

Random receipts, transfers, consumptions (beyond the books too), voids, old-part returns and counts run
through :class:`server.stock.ledger.Ledger`, each in its own transaction as the server runs them. After
every step the database must agree with a plain Python model of the same rules:

* every balance equals the sum of its movements and the model's figure;
* the lots of a store hold what the model's first-in-first-out lots hold (receipt time, units left and
  unit cost, which a transfer carries to the new store), and add up to the balance, or to zero while
  it is short;
* every ledger line carries the cost of the lot it moved (a shortfall line, with no lot, costs 0), a
  consumption costs what the model's oldest-first lots cost, and the value of a store that was never
  short (the sum of quantity x cost of its lines) is the value of its lots;
* units taken beyond the books appear only as shortfall lines of a consumption;
* a refused operation leaves nothing behind.

A second test has two tablets use the last unit in a van at the same moment.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.engine import make_engine, make_sessionmaker
from server.db.models import (
    Customer,
    Job,
    JobPart,
    Part,
    Site,
    StockBalance,
    StockCount,
    StockLot,
    StockMovement,
    Store,
    User,
)
from server.stock.ledger import CountLine, Ledger, StockError
from shared.ids import uuid7
from shared.stock import MovementKind, StoreKind
from tests.properties import examples

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# --- the model -----------------------------------------------------------------------------------


@dataclass
class ModelLot:
    received_at: datetime
    remaining: int
    unit_cost: float = 0


@dataclass
class Model:
    """The ledger's rules in plain Python: balances, FIFO lots, shortfalls covered first."""

    balance: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    lots: dict[tuple[str, int], list[ModelLot]] = field(default_factory=lambda: defaultdict(list))
    #: usage number -> (store, part, [(lot or None, n)]) for voids
    usages: dict[int, tuple[str, int, list[tuple[ModelLot | None, int]]]] = field(default_factory=dict)
    #: (store, part) pairs whose balance went below zero once (their line values and lots differ)
    been_short: set[tuple[str, int]] = field(default_factory=set)

    def _in(self, key: tuple[str, int], n: int, received_at: datetime, unit_cost: float = 0) -> None:
        cover = min(n, max(0, -self.balance[key]))
        self.balance[key] += n
        if n - cover:
            self.lots[key].append(ModelLot(received_at, n - cover, unit_cost))

    def _out(self, key: tuple[str, int], n: int) -> list[tuple[ModelLot | None, int]]:
        taken: list[tuple[ModelLot | None, int]] = []
        left = n
        if self.balance[key] > 0:
            for lot in sorted(self.lots[key], key=lambda x: x.received_at):  # stable: creation order
                if not left:
                    break
                k = min(lot.remaining, left)
                if k:
                    lot.remaining -= k
                    left -= k
                    taken.append((lot, k))
        if left:
            taken.append((None, left))
            self.been_short.add(key)
        self.balance[key] -= n
        return taken

    def receive(self, store: str, part: int, n: int, at: datetime, unit_cost: float = 0) -> None:
        self._in((store, part), n, at, unit_cost)

    def can_take(self, store: str, part: int, n: int) -> bool:
        return self.balance[(store, part)] >= n

    def transfer(self, src: str, dst: str, part: int, n: int) -> None:
        for lot, k in self._out((src, part), n):
            assert lot is not None
            self._in((dst, part), k, lot.received_at, lot.unit_cost)

    def consume(self, van: str, part: int, n: int, usage: int) -> tuple[int, float]:
        """Returns (units short, cost of the units taken: their lots' costs, a shortfall's 0)."""
        taken = self._out((van, part), n)
        self.usages[usage] = (van, part, taken)
        return sum(k for lot, k in taken if lot is None), sum(k * lot.unit_cost for lot, k in taken if lot)

    def void(self, usage: int, at: datetime) -> None:
        store, part, taken = self.usages.pop(usage)
        key = (store, part)
        for lot, k in taken:
            cover = min(k, max(0, -self.balance[key]))
            self.balance[key] += k
            rest = k - cover
            if rest and lot is not None:
                lot.remaining += rest
            elif rest:
                self.lots[key].append(ModelLot(at, rest))

    def count(self, store: str, part: int, counted: int, now: datetime) -> None:
        diff = counted - self.balance[(store, part)]
        if diff > 0:
            self._in((store, part), diff, now)
        elif diff < 0:
            self._out((store, part), -diff)

    def live_lots(self, key: tuple[str, int]) -> list[tuple[datetime, int, float]]:
        return sorted(
            (lot.received_at, lot.remaining, lot.unit_cost) for lot in self.lots[key] if lot.remaining
        )

    def value(self, key: tuple[str, int]) -> float:
        return sum(lot.remaining * lot.unit_cost for lot in self.lots[key])


# --- the world each example runs in --------------------------------------------------------------


@dataclass
class Scene:
    stores: dict[str, uuid.UUID]  # "new", "returned", "van0", "van1"
    engineers: list[uuid.UUID]
    parts: list[uuid.UUID]
    job_id: uuid.UUID
    usages: dict[int, uuid.UUID] = field(default_factory=dict)


async def make_scene(session: AsyncSession, n_parts: int = 2) -> Scene:
    tag = uuid.uuid4().hex[:10]
    engineers = [uuid7(), uuid7()]
    for i, eid in enumerate(engineers):
        session.add(
            User(
                id=eid, username=f"e{i}-{tag}", display_name=f"工程师{i}", role="engineer", password_hash="x"
            )
        )
    customer = Customer(id=uuid7(), name=f"客户-{tag}")
    site = Site(id=uuid7(), customer_id=customer.id, name="泵站")
    parts = [uuid7() for _ in range(n_parts)]
    session.add_all([customer, site])
    session.add_all(Part(id=p, code=f"P{i}-{tag}", name=f"配件{i}") for i, p in enumerate(parts))
    new, returned = uuid7(), uuid7()
    session.add_all(
        [
            Store(id=new, kind=StoreKind.NEW.value, name=f"新件库-{tag}"),
            Store(id=returned, kind=StoreKind.RETURNED.value, name=f"旧件库-{tag}"),
        ]
    )
    await session.flush()
    job = Job(
        id=uuid7(),
        number=f"J-{tag}",
        kind="repair",
        severity="general",
        status="started",
        customer_id=customer.id,
        site_id=site.id,
        call_received_at=T0,
    )
    session.add(job)
    await session.flush()
    ledger = Ledger(session)
    vans = [await ledger.van_of(e, f"车{i}") for i, e in enumerate(engineers)]
    await session.commit()
    return Scene(
        {"new": new, "returned": returned, "van0": vans[0].id, "van1": vans[1].id},
        engineers,
        parts,
        job.id,
    )


# --- operations ----------------------------------------------------------------------------------

VANS = ("van0", "van1")
quantity = st.integers(min_value=1, max_value=6)
part_no = st.integers(min_value=0, max_value=1)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), part_no, quantity, st.integers(0, 30)),
        st.tuples(
            st.just("transfer"),
            part_no,
            quantity,
            st.sampled_from([("new", v) for v in VANS] + [(v, "new") for v in VANS] + [("van0", "van1")]),
        ),
        st.tuples(st.just("consume"), part_no, quantity, st.sampled_from(VANS)),
        st.tuples(st.just("void"), st.integers(0, 50)),
        st.tuples(st.just("return_old"), st.integers(0, 50)),
        st.tuples(st.just("count"), part_no, st.integers(0, 8), st.sampled_from(["new", "returned", *VANS])),
    ),
    min_size=1,
    max_size=25,
)


async def run_ops(engine: AsyncEngine, steps: list[tuple[Any, ...]]) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        scene = await make_scene(session)
    model = Model()
    returned_usages: set[int] = set()
    next_usage = 0
    for i, step in enumerate(steps):
        now = T0 + timedelta(hours=i + 1)
        async with maker() as session:
            ledger = Ledger(session, user_id=scene.engineers[0], now=now)
            name = step[0]
            expect_refusal = False
            try:
                if name == "receive":
                    _, p, n, age = step
                    at = T0 - timedelta(days=age, seconds=i)  # receipts may be back-dated: FIFO by date
                    await ledger.receive(scene.stores["new"], scene.parts[p], n, unit_cost=10 + age, at=at)
                    model.receive("new", p, n, at, unit_cost=10 + age)
                elif name == "transfer":
                    _, p, n, (src, dst) = step
                    expect_refusal = not model.can_take(src, p, n)
                    await ledger.transfer(scene.stores[src], scene.stores[dst], scene.parts[p], n)
                    assert not expect_refusal, "a transfer of more than the store holds was accepted"
                    model.transfer(src, dst, p, n)
                elif name == "consume":
                    _, p, n, van = step
                    usage = JobPart(
                        id=uuid7(), job_id=scene.job_id, part_id=scene.parts[p], quantity=n, used_at=now
                    )
                    session.add(usage)
                    await session.flush()
                    store = await ledger.store(scene.stores[van])
                    result = await ledger.consume(
                        store, scene.parts[p], n, job_id=scene.job_id, usage_id=usage.id, at=now
                    )
                    short, cost = model.consume(van, p, n, next_usage)
                    assert result.shortfall == short
                    assert result.balance_after == model.balance[(van, p)]
                    assert sum(-m.quantity * m.unit_cost for m in result.movements) == pytest.approx(cost)
                    scene.usages[next_usage] = usage.id
                    next_usage += 1
                elif name == "void":
                    live = sorted(model.usages)
                    if not live:
                        continue
                    u = live[step[1] % len(live)]
                    usage = await session.get(JobPart, scene.usages[u])
                    assert usage is not None
                    usage.voided_at = now
                    await ledger.unconsume(usage, now)
                    model.void(u, now)
                elif name == "return_old":
                    if not scene.usages:
                        continue
                    u = sorted(scene.usages)[step[1] % len(scene.usages)]
                    usage = await session.get(JobPart, scene.usages[u])
                    assert usage is not None
                    expect_refusal = u in returned_usages or usage.voided_at is not None
                    await ledger.return_old(scene.stores["returned"], usage)
                    assert not expect_refusal, "an old part was handed in twice or for a voided usage"
                    returned_usages.add(u)
                    model.receive("returned", _part_no(scene, usage.part_id), usage.quantity, now)
                elif name == "count":
                    _, p, counted, store_name = step
                    count = StockCount(id=uuid7(), store_id=scene.stores[store_name])
                    session.add(count)
                    await session.flush()
                    [line] = await ledger.count(
                        scene.stores[store_name], [CountLine(scene.parts[p], counted, "盘点差异")], count.id
                    )
                    assert line.book == model.balance[(store_name, p)]
                    model.count(store_name, p, counted, now)
                await ledger.log_van_changes()
                await session.commit()
            except StockError:
                assert expect_refusal, f"refused unexpectedly: {step}"
                await session.rollback()
        await check(engine, scene, model)


def _part_no(scene: Scene, part_id: uuid.UUID) -> int:
    return scene.parts.index(part_id)


async def check(engine: AsyncEngine, scene: Scene, model: Model) -> None:
    names = {v: k for k, v in scene.stores.items()}
    async with make_sessionmaker(engine)() as session:
        store_ids = list(scene.stores.values())
        sums = {
            (names[s], scene.parts.index(p)): int(q)
            for s, p, q in (
                await session.execute(
                    select(StockMovement.store_id, StockMovement.part_id, func.sum(StockMovement.quantity))
                    .where(StockMovement.store_id.in_(store_ids))
                    .group_by(StockMovement.store_id, StockMovement.part_id)
                )
            ).all()
        }
        balances = {
            (names[b.store_id], scene.parts.index(b.part_id)): b.quantity
            for b in (
                await session.scalars(select(StockBalance).where(StockBalance.store_id.in_(store_ids)))
            ).all()
        }
        lots: dict[tuple[str, int], list[tuple[datetime, int, float]]] = defaultdict(list)
        all_lots = (await session.scalars(select(StockLot).where(StockLot.store_id.in_(store_ids)))).all()
        lot_cost = {lot.id: lot.unit_cost for lot in all_lots}
        for lot in all_lots:
            if lot.remaining:
                assert lot.remaining > 0
                lots[(names[lot.store_id], scene.parts.index(lot.part_id))].append(
                    (lot.received_at, lot.remaining, lot.unit_cost)
                )
        lines = (
            await session.execute(
                select(
                    StockMovement.store_id,
                    StockMovement.part_id,
                    StockMovement.lot_id,
                    StockMovement.quantity,
                    StockMovement.unit_cost,
                ).where(StockMovement.store_id.in_(store_ids))
            )
        ).all()
        unlotted = (
            await session.scalars(
                select(StockMovement.kind).where(
                    StockMovement.store_id.in_(store_ids), StockMovement.lot_id.is_(None)
                )
            )
        ).all()
    assert set(unlotted) <= {MovementKind.CONSUME.value, MovementKind.UNCONSUME.value}
    for key in set(sums) | set(balances) | {k for k, v in model.balance.items() if v}:
        expected = model.balance.get(key, 0)
        assert balances.get(key, 0) == sums.get(key, 0) == expected, (
            key,
            balances.get(key),
            sums.get(key),
            expected,
        )
        assert sum(n for _, n, _ in lots.get(key, [])) == max(0, expected), key
        assert sorted(lots.get(key, [])) == model.live_lots(key), key
    # Costs: a line moves its lot's units at the lot's cost; a shortfall line (no lot) costs nothing.
    values: dict[tuple[str, int], float] = defaultdict(float)
    for store_id, part_id, lot_id, quantity, unit_cost in lines:
        assert unit_cost == (lot_cost[lot_id] if lot_id is not None else 0), (lot_id, unit_cost)
        values[(names[store_id], scene.parts.index(part_id))] += quantity * unit_cost
    for key in set(values) | set(model.lots):
        if key not in model.been_short:  # see server/stock/reports.py on a store that was short
            assert values.get(key, 0) == pytest.approx(model.value(key)), key


@pytest.mark.property
def test_the_books_always_equal_the_sum_of_movements_and_the_fifo_model(db_url: str) -> None:
    @settings(
        max_examples=examples(30),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(steps=ops)
    def scenario(steps: list[tuple[Any, ...]]) -> None:
        async def go() -> None:
            engine = make_engine(db_url)
            try:
                await run_ops(engine, steps)
            finally:
                await engine.dispose()

        asyncio.run(go())

    scenario()


# --- the last unit, from two tablets at once -----------------------------------------------------


async def test_two_tablets_using_the_last_unit_at_once_leave_one_shortfall_not_a_silent_negative(
    engine: AsyncEngine,
) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        scene = await make_scene(session, n_parts=1)
        ledger = Ledger(session)
        await ledger.receive(scene.stores["new"], scene.parts[0], 1, unit_cost=120)
        await ledger.transfer(scene.stores["new"], scene.stores["van0"], scene.parts[0], 1)
        await session.commit()

    async def use_one(tablet: int) -> int:
        async with maker() as session:
            usage = JobPart(id=uuid7(), job_id=scene.job_id, part_id=scene.parts[0], quantity=1, used_at=T0)
            session.add(usage)
            await session.flush()
            ledger = Ledger(session, user_id=scene.engineers[0], device_id=None)
            van = await ledger.store(scene.stores["van0"])
            result = await ledger.consume(
                van, scene.parts[0], 1, job_id=scene.job_id, usage_id=usage.id, at=T0
            )
            await asyncio.sleep(0.05)  # hold the lock a moment, so the other tablet really waits
            await ledger.log_van_changes()
            await session.commit()
            return result.shortfall

    shortfalls = await asyncio.gather(use_one(1), use_one(2))
    assert sorted(shortfalls) == [0, 1]
    async with maker() as session:
        balance = await session.scalar(
            select(StockBalance.quantity).where(
                StockBalance.store_id == scene.stores["van0"], StockBalance.part_id == scene.parts[0]
            )
        )
        moved = await session.scalar(
            select(func.sum(StockMovement.quantity)).where(
                StockMovement.store_id == scene.stores["van0"], StockMovement.part_id == scene.parts[0]
            )
        )
        shortfall_lines = (
            await session.scalars(
                select(StockMovement).where(
                    StockMovement.store_id == scene.stores["van0"], StockMovement.lot_id.is_(None)
                )
            )
        ).all()
        lots_left = await session.scalar(
            select(func.sum(StockLot.remaining)).where(StockLot.store_id == scene.stores["van0"])
        )
    assert balance == moved == -1
    assert [(m.kind, m.quantity, m.reason) for m in shortfall_lines] == [("consume", -1, "shortfall")]
    assert lots_left == 0


async def test_an_office_transfer_never_takes_more_than_the_books_hold(engine: AsyncEngine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        scene = await make_scene(session, n_parts=1)
        ledger = Ledger(session)
        await ledger.receive(scene.stores["new"], scene.parts[0], 2)
        await session.commit()
    async with maker() as session:
        with pytest.raises(StockError) as refused:
            await Ledger(session).transfer(scene.stores["new"], scene.stores["van1"], scene.parts[0], 3)
        assert refused.value.reason == "insufficient_stock"
        assert "2" in refused.value.message
        await session.rollback()
    async with maker() as session:
        assert await Ledger(session).balance(scene.stores["van1"], scene.parts[0]) == 0
        assert await Ledger(session).balance(scene.stores["new"], scene.parts[0]) == 2


async def test_the_database_refuses_to_rewrite_the_ledger(engine: AsyncEngine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        scene = await make_scene(session, n_parts=1)
        await Ledger(session).receive(scene.stores["new"], scene.parts[0], 5)
        await session.commit()
    for statement in ("UPDATE stock_movements SET quantity = 50", "DELETE FROM stock_movements"):
        async with maker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()
