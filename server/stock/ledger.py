"""The parts ledger: every movement of a part in or out of a store, first in, first out.

Rules the rest of the server relies on:

* ``stock_movements`` is append-only (the database refuses UPDATE and DELETE); a mistake is corrected
  by a new movement. A store's balance of a part is the sum of its movements, always.
* ``stock_balances`` holds that sum per (store, part) and is updated *first* by every operation, with
  ``UPDATE .. RETURNING``: the row lock orders concurrent writers on the same part in the same store
  (PostgreSQL), and SQLite's single writer does the same. So two tablets using the last unit of a
  part at the same moment are applied one after the other: the first takes the unit, the second is
  recorded as a shortfall.
* Lots (``stock_lots``) say which units are left and how old they are: out-going units are taken from
  the oldest lot first, and a transfer carries each unit's receipt time to the new store. The lots of a
  store add up to its balance, or to zero while the balance is below zero.
* Only a consumption reported by a tablet may take more than the books hold: the part *was* used on
  site, and refusing the record would lose the truth. The missing units are booked as a shortfall (a
  consumption line with no lot), which makes the balance negative, and the caller records a conflict
  for the warehouse. Units coming into a store that is short cover the shortfall first. Office
  operations (transfers, counts) never take more than the books hold.

Every operation runs in the caller's transaction and raises :class:`StockError` when it cannot be
done; some checks can only be made under the balance lock (a count's book figure, a transfer racing
another), after earlier lines were written, so the caller rolls the whole transaction back on a
:class:`StockError` and nothing of the operation remains.

One module (~600 lines) because the ledger's rules are one invariant (movements, balances and lots move
together in one order); each operation is a method of :class:`Ledger` and they share its locking steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import Change, log_changes, take_numbers
from server.db.models import JobPart, Part, StockBalance, StockLot, StockMovement, Store
from shared.clock import utcnow
from shared.ids import uuid7
from shared.stock import TRANSFERABLE, MovementKind, StoreKind

STOCK_COUNTER = "stock"
VAN_STOCK = "van_stock"
SEQ_BLOCK = 32  # stock counter numbers reserved at a time (see Ledger._seq)  # the change-log entity a tablet pulls its van's balances as


class StockError(Exception):
    """An operation the books cannot take; ``reason`` is a stable code, the message is for people."""

    def __init__(self, reason: str, message: str, status: int = 409, **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.params = params  # what the catalogue text ``error.server.stock.<reason>`` names


@dataclass(frozen=True, slots=True)
class Consumption:
    """What a consumption did: ``shortfall`` units were used beyond what the books held."""

    balance_id: uuid.UUID
    balance_before: int
    balance_after: int
    shortfall: int
    movements: list[StockMovement]


@dataclass(frozen=True, slots=True)
class CountLine:
    part_id: uuid.UUID
    counted: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CountResult:
    part_id: uuid.UUID
    book: int
    counted: int
    difference: int


@dataclass
class _Taken:
    lot: StockLot | None
    quantity: int


@dataclass
class Ledger:
    """Stock operations for one transaction, by one user (and device, for a tablet's consumption)."""

    session: AsyncSession
    user_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    now: datetime = field(default_factory=utcnow)
    movements: list[StockMovement] = field(default_factory=list)
    _stores: dict[uuid.UUID, Store] = field(default_factory=dict)
    _van_balances: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # balance id -> engineer
    _seqs: list[int] = field(default_factory=list)  # numbers reserved from the stock counter, unused

    async def _seq(self) -> int:
        """The next number for a lot or movement (they order FIFO ties and the ledger).

        Numbers are reserved from the counter row a block at a time: the row stays locked by this
        transaction anyway, and one UPDATE per block instead of per line keeps a busy receipt or a
        batch of part uses to a few round trips. Numbers a rolled-back transaction or an unfinished
        block leaves unused are gaps, which nothing relies on.
        """
        if not self._seqs:
            last = await take_numbers(self.session, STOCK_COUNTER, SEQ_BLOCK)
            self._seqs = list(range(last, last - SEQ_BLOCK, -1))
        return self._seqs.pop()

    # --- stores --------------------------------------------------------------------------------

    async def store(self, store_id: uuid.UUID) -> Store:
        store = self._stores.get(store_id)
        if store is None:
            store = await self.session.get(Store, store_id)
            if store is None:
                raise StockError("unknown_store", "there is no such store", 404)
            self._stores[store_id] = store
        return store

    async def van_of(self, engineer_id: uuid.UUID, name: str = "") -> Store:
        """The engineer's van store, made on first use (safe when two requests make it at once)."""
        insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(Store)
            .values(
                id=uuid7(),
                kind=StoreKind.VAN.value,
                name=name or "van",
                engineer_id=engineer_id,
                active=True,
                created_at=self.now,
                updated_at=self.now,
            )
            .on_conflict_do_nothing(index_elements=["engineer_id"])
        )
        store = (await self.session.scalars(select(Store).where(Store.engineer_id == engineer_id))).one()
        self._stores[store.id] = store
        return store

    @property
    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else "sqlite"

    async def _part(self, part_id: uuid.UUID) -> Part:
        part = await self.session.get(Part, part_id)
        if part is None:
            raise StockError("unknown_part", "this part is not in the catalogue", 404)
        return part

    # --- balances and lots ---------------------------------------------------------------------

    async def _move_balance(self, store: Store, part_id: uuid.UUID, delta: int) -> tuple[uuid.UUID, int]:
        """Add ``delta`` to the balance row (creating it at zero first); returns (row id, balance before).

        The UPDATE takes the row lock that orders every writer on this part in this store.
        """
        row = await self._update_balance(store.id, part_id, delta)
        if row is None:
            insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
            await self.session.execute(
                insert(StockBalance)
                .values(id=uuid7(), store_id=store.id, part_id=part_id, quantity=0, updated_at=self.now)
                .on_conflict_do_nothing(index_elements=["store_id", "part_id"])
            )
            row = await self._update_balance(store.id, part_id, delta)
            assert row is not None
        balance_id, after = row
        if store.kind == StoreKind.VAN.value and store.engineer_id is not None:
            self._van_balances[balance_id] = store.engineer_id
        return balance_id, after - delta

    async def _update_balance(
        self, store_id: uuid.UUID, part_id: uuid.UUID, delta: int
    ) -> tuple[uuid.UUID, int] | None:
        result = await self.session.execute(
            update(StockBalance)
            .where(StockBalance.store_id == store_id, StockBalance.part_id == part_id)
            .values(quantity=StockBalance.quantity + delta, updated_at=self.now)
            .returning(StockBalance.id, StockBalance.quantity)
            .execution_options(synchronize_session=False)  # balance rows are never held as objects
        )
        row = result.first()
        return None if row is None else (row[0], int(row[1]))

    async def balance(self, store_id: uuid.UUID, part_id: uuid.UUID) -> int:
        value = await self.session.scalar(
            select(StockBalance.quantity).where(
                StockBalance.store_id == store_id, StockBalance.part_id == part_id
            )
        )
        return int(value or 0)

    async def _take(
        self, store_id: uuid.UUID, part_id: uuid.UUID, quantity: int, before: int
    ) -> list[_Taken]:
        """Take ``quantity`` units oldest first; what the lots cannot give is a shortfall (lot None)."""
        taken: list[_Taken] = []
        left = quantity
        if before > 0:
            lots = (
                await self.session.scalars(
                    select(StockLot)
                    .where(StockLot.store_id == store_id, StockLot.part_id == part_id, StockLot.remaining > 0)
                    .order_by(StockLot.received_at, StockLot.seq)
                )
            ).all()
            for lot in lots:
                if left == 0:
                    break
                n = min(lot.remaining, left)
                lot.remaining -= n
                left -= n
                taken.append(_Taken(lot, n))
        if left:
            taken.append(_Taken(None, left))
        return taken

    async def _lot(
        self,
        store_id: uuid.UUID,
        part_id: uuid.UUID,
        quantity: int,
        *,
        received_at: datetime,
        unit_cost: float,
        reference: str = "",
        source: StockLot | None = None,
        deficit: list[int],
    ) -> StockLot:
        """A lot of ``quantity`` incoming units; those needed to cover a shortfall are used at once."""
        cover = min(quantity, deficit[0])
        deficit[0] -= cover
        lot = StockLot(
            id=uuid7(),
            store_id=store_id,
            part_id=part_id,
            received_at=received_at,
            seq=await self._seq(),
            quantity=quantity,
            remaining=quantity - cover,
            unit_cost=unit_cost,
            reference=reference,
            source_lot_id=source.id if source is not None else None,
        )
        self.session.add(lot)
        return lot

    async def _movement(
        self,
        kind: MovementKind,
        store: Store,
        part_id: uuid.UUID,
        quantity: int,
        batch_id: uuid.UUID,
        *,
        lot: StockLot | None = None,
        at: datetime | None = None,
        other_store_id: uuid.UUID | None = None,
        job_id: uuid.UUID | None = None,
        usage_id: uuid.UUID | None = None,
        count_id: uuid.UUID | None = None,
        reason: str = "",
    ) -> StockMovement:
        movement = StockMovement(
            id=uuid7(),
            seq=await self._seq(),
            at=at or self.now,
            recorded_at=self.now,
            kind=kind.value,
            store_id=store.id,
            part_id=part_id,
            lot_id=lot.id if lot is not None else None,
            quantity=quantity,
            unit_cost=lot.unit_cost if lot is not None else 0,
            batch_id=batch_id,
            other_store_id=other_store_id,
            job_id=job_id,
            usage_id=usage_id,
            count_id=count_id,
            reason=reason,
            user_id=self.user_id,
            device_id=self.device_id,
        )
        self.session.add(movement)
        self.movements.append(movement)
        return movement

    # --- operations ----------------------------------------------------------------------------

    async def receive(
        self,
        store_id: uuid.UUID,
        part_id: uuid.UUID,
        quantity: int,
        *,
        unit_cost: float = 0,
        reference: str = "",
        at: datetime | None = None,
    ) -> list[StockMovement]:
        """Parts from the manufacturer into the new-parts store, as one lot."""
        _positive(quantity)
        store = await self._active(store_id)
        if store.kind != StoreKind.NEW.value:
            raise StockError("wrong_store", "parts are received into the new-parts store only", 400)
        await self._part(part_id)
        _, before = await self._move_balance(store, part_id, quantity)
        deficit = [max(0, -before)]
        lot = await self._lot(
            store.id,
            part_id,
            quantity,
            received_at=at or self.now,
            unit_cost=unit_cost,
            reference=reference,
            deficit=deficit,
        )
        return [await self._movement(MovementKind.RECEIVE, store, part_id, quantity, uuid7(), lot=lot, at=at)]

    async def transfer(
        self,
        from_id: uuid.UUID,
        to_id: uuid.UUID,
        part_id: uuid.UUID,
        quantity: int,
        *,
        note: str = "",
        shipping: bool = False,
    ) -> list[StockMovement]:
        """Move units between the new-parts store and vans, oldest first; never more than the books hold.

        ``shipping``: a shipment's leg into or out of the transit store (在途), which only shipments use.
        """
        _positive(quantity)
        if from_id == to_id:
            raise StockError("same_store", "a transfer needs two different stores", 400)
        source, target = await self._active(from_id), await self._active(to_id)
        allowed = TRANSFERABLE | {StoreKind.TRANSIT} if shipping else TRANSFERABLE
        if StoreKind(source.kind) not in allowed or StoreKind(target.kind) not in allowed:
            raise StockError(
                "wrong_store", "transfers go between the new-parts store and vans; old parts are counted", 400
            )
        await self._part(part_id)
        held = await self.balance(source.id, part_id)
        if held < quantity:
            raise StockError(
                "insufficient_stock",
                f"{source.name} holds {max(held, 0)} of this part, not {quantity}",
                store=source.name,
                held=max(held, 0),
                requested=quantity,
            )
        _, before = await self._move_balance(source, part_id, -quantity)
        if before < quantity:  # someone took units between the check and the lock
            raise StockError(
                "insufficient_stock",
                f"{source.name} holds {max(before, 0)} of this part, not {quantity}",
                store=source.name,
                held=max(before, 0),
                requested=quantity,
            )
        _, target_before = await self._move_balance(target, part_id, quantity)
        deficit = [max(0, -target_before)]
        batch = uuid7()
        out: list[StockMovement] = []
        for taken in await self._take(source.id, part_id, quantity, before):
            lot = taken.lot
            assert lot is not None  # the balance covered it, so the lots do
            out.append(
                await self._movement(
                    MovementKind.TRANSFER_OUT,
                    source,
                    part_id,
                    -taken.quantity,
                    batch,
                    lot=lot,
                    other_store_id=target.id,
                    reason=note,
                )
            )
            new_lot = await self._lot(
                target.id,
                part_id,
                taken.quantity,
                received_at=lot.received_at,
                unit_cost=lot.unit_cost,
                reference=lot.reference,
                source=lot,
                deficit=deficit,
            )
            out.append(
                await self._movement(
                    MovementKind.TRANSFER_IN,
                    target,
                    part_id,
                    taken.quantity,
                    batch,
                    lot=new_lot,
                    other_store_id=source.id,
                    reason=note,
                )
            )
        return out

    async def consume(
        self,
        van: Store,
        part_id: uuid.UUID,
        quantity: int,
        *,
        job_id: uuid.UUID,
        usage_id: uuid.UUID,
        at: datetime,
    ) -> Consumption:
        """A part used on a job from the engineer's van, as the tablet reported it.

        Never refused for want of stock: units beyond the books are a shortfall (see the module doc).
        """
        _positive(quantity)
        balance_id, before = await self._move_balance(van, part_id, -quantity)
        batch = uuid7()
        moved = [
            await self._movement(
                MovementKind.CONSUME,
                van,
                part_id,
                -taken.quantity,
                batch,
                lot=taken.lot,
                at=at,
                job_id=job_id,
                usage_id=usage_id,
                reason="" if taken.lot is not None else "shortfall",
            )
            for taken in await self._take(van.id, part_id, quantity, before)
        ]
        shortfall = sum(-m.quantity for m in moved if m.lot_id is None)
        return Consumption(balance_id, before, before - quantity, shortfall, moved)

    async def unconsume(self, usage: JobPart, at: datetime) -> list[StockMovement]:
        """A usage voided on the job: what it took goes back to the same store (once)."""
        rows = (
            await self.session.scalars(select(StockMovement).where(StockMovement.usage_id == usage.id))
        ).all()
        if any(r.kind == MovementKind.UNCONSUME.value for r in rows):
            return []
        consumed = [r for r in rows if r.kind == MovementKind.CONSUME.value]
        if not consumed:
            return []
        store = await self.store(consumed[0].store_id)
        total = -sum(r.quantity for r in consumed)
        _, before = await self._move_balance(store, usage.part_id, total)
        deficit = [max(0, -before)]
        batch = uuid7()
        out = []
        for row in consumed:
            n = -row.quantity
            lot = await self.session.get(StockLot, row.lot_id) if row.lot_id is not None else None
            cover = min(n, deficit[0])
            deficit[0] -= cover
            rest = n - cover
            if rest and lot is not None:
                lot.remaining += rest
            elif rest:
                lot = await self._lot(store.id, usage.part_id, rest, received_at=at, unit_cost=0, deficit=[0])
            out.append(
                await self._movement(
                    MovementKind.UNCONSUME,
                    store,
                    usage.part_id,
                    n,
                    batch,
                    lot=lot,
                    at=at,
                    job_id=usage.job_id,
                    usage_id=usage.id,
                    reason="usage voided",
                )
            )
        return out

    async def return_old(self, store_id: uuid.UUID, usage: JobPart, *, note: str = "") -> list[StockMovement]:
        """The old part a usage replaced, handed in to the returned-parts store (once per usage)."""
        store = await self._active(store_id)
        if store.kind != StoreKind.RETURNED.value:
            raise StockError("wrong_store", "old parts go to the returned-parts store", 400)
        if usage.voided_at is not None:
            raise StockError("voided_usage", "this usage was voided on the job; no old part came out", 409)
        done = await self.session.scalar(
            select(StockMovement.id).where(
                StockMovement.usage_id == usage.id, StockMovement.kind == MovementKind.RETURN_OLD.value
            )
        )
        if done is not None:
            raise StockError("already_returned", "the old part of this usage is already in the store", 409)
        _, before = await self._move_balance(store, usage.part_id, usage.quantity)
        lot = await self._lot(
            store.id,
            usage.part_id,
            usage.quantity,
            received_at=self.now,
            unit_cost=0,
            reference=f"job {usage.job_id}",
            deficit=[max(0, -before)],
        )
        return [
            await self._movement(
                MovementKind.RETURN_OLD,
                store,
                usage.part_id,
                usage.quantity,
                uuid7(),
                lot=lot,
                job_id=usage.job_id,
                usage_id=usage.id,
                reason=note,
            )
        ]

    async def take_back(
        self, store_id: uuid.UUID, part_id: uuid.UUID, quantity: int, *, reference: str, note: str = ""
    ) -> list[StockMovement]:
        """Units a customer returns under the three guarantees (包退/包换), into the returned-parts store as
        old parts at no cost (a ``return_old`` line without a usage; ``reference`` names the request)."""
        _positive(quantity)
        store = await self._active(store_id)
        if store.kind != StoreKind.RETURNED.value:
            raise StockError("wrong_store", "old parts go to the returned-parts store", 400)
        await self._part(part_id)
        _, before = await self._move_balance(store, part_id, quantity)
        lot = await self._lot(
            store.id,
            part_id,
            quantity,
            received_at=self.now,
            unit_cost=0,
            reference=reference,
            deficit=[max(0, -before)],
        )
        return [
            await self._movement(
                MovementKind.RETURN_OLD, store, part_id, quantity, uuid7(), lot=lot, reason=note or reference
            )
        ]

    async def issue_exchange(
        self, store_id: uuid.UUID, part_id: uuid.UUID, quantity: int, *, note: str
    ) -> list[StockMovement]:
        """A replacement for an exchange (包换), out of the new-parts store oldest first; an office
        operation, so never more than the books hold (409 ``insufficient_stock``)."""
        _positive(quantity)
        store = await self._active(store_id)
        if store.kind != StoreKind.NEW.value:
            raise StockError("wrong_store", "a replacement is issued from the new-parts store", 400)
        await self._part(part_id)
        _, before = await self._move_balance(store, part_id, -quantity)
        if before < quantity:
            raise StockError(
                "insufficient_stock",
                f"{store.name} holds {max(before, 0)} of this part, not {quantity}",
                store=store.name,
                held=max(before, 0),
                requested=quantity,
            )
        batch = uuid7()
        out = []
        for taken in await self._take(store.id, part_id, quantity, before):
            assert taken.lot is not None  # the balance covered it, so the lots do
            out.append(
                await self._movement(
                    MovementKind.EXCHANGE_OUT,
                    store,
                    part_id,
                    -taken.quantity,
                    batch,
                    lot=taken.lot,
                    reason=note,
                )
            )
        return out

    async def count(
        self, store_id: uuid.UUID, lines: list[CountLine], count_id: uuid.UUID
    ) -> list[CountResult]:
        """Post a stock count: each difference between the books and the goods becomes an adjustment.

        A difference needs a reason. The book figure is read under the balance lock, so a movement
        that lands while the clerk is counting is not lost: it is part of the book the count meets.
        """
        store = await self._active(store_id)
        seen: set[uuid.UUID] = set()
        for line in lines:
            if line.counted < 0:
                raise StockError("bad_count", "a counted quantity cannot be negative", 400)
            if line.part_id in seen:
                raise StockError("bad_count", "each part may appear once in a count", 400)
            seen.add(line.part_id)
            await self._part(line.part_id)
        results: list[CountResult] = []
        batch = uuid7()
        for line in sorted(lines, key=lambda x: x.part_id):
            _, book = await self._move_balance(store, line.part_id, 0)  # lock, read the book
            difference = line.counted - book
            if difference and not line.reason.strip():
                raise StockError(
                    "reason_required", "a count that differs from the books needs a reason for each part", 400
                )
            results.append(CountResult(line.part_id, book, line.counted, difference))
            if difference == 0:
                continue
            await self._move_balance(store, line.part_id, difference)
            if difference > 0:
                deficit = [max(0, -book)]
                lot = await self._lot(
                    store.id,
                    line.part_id,
                    difference,
                    received_at=self.now,
                    unit_cost=0,
                    reference="count",
                    deficit=deficit,
                )
                await self._movement(
                    MovementKind.ADJUST,
                    store,
                    line.part_id,
                    difference,
                    batch,
                    lot=lot,
                    count_id=count_id,
                    reason=line.reason.strip(),
                )
            else:
                for taken in await self._take(store.id, line.part_id, -difference, book):
                    await self._movement(
                        MovementKind.ADJUST,
                        store,
                        line.part_id,
                        -taken.quantity,
                        batch,
                        lot=taken.lot,
                        count_id=count_id,
                        reason=line.reason.strip(),
                    )
        return results

    async def _active(self, store_id: uuid.UUID) -> Store:
        store = await self.store(store_id)
        if not store.active:
            raise StockError("inactive_store", f"{store.name} is closed", 409, store=store.name)
        return store

    # --- what devices need to hear --------------------------------------------------------------

    async def log_van_changes(self) -> None:
        """Tell each engineer's tablet about the van balances this transaction changed."""
        if self._van_balances:
            await log_changes(
                self.session,
                [
                    Change(VAN_STOCK, balance_id, "put", engineer)
                    for balance_id, engineer in self._van_balances.items()
                ],
            )
            self._van_balances = {}


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise StockError("bad_quantity", "the quantity must be a whole number above zero", 400)
