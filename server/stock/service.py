"""The office's side of the parts ledger: stores, balances, lots, movements, receipts, transfers, old
parts handed in and stock counts.

Every write runs one :class:`~server.stock.ledger.Ledger` operation in the request's transaction, writes
an audit entry, tells the engineer's tablet about a van balance it changed, and commits. When the ledger
refuses (:class:`StockError`) the transaction is rolled back first, so nothing of the operation stays,
and the refusal becomes problem details with the ledger's status and reason.

One module (~600 lines): one service class whose methods are the stock API's operations, each a thin
wrapper (guard, ledger call, audit, notice) over the ledger; the schemas are in ``shared/stock.py``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server import audit
from server.db.models import (
    Job,
    JobPart,
    Part,
    StockBalance,
    StockCount,
    StockCountLine,
    StockLot,
    StockMovement,
    Store,
    User,
)
from server.deps import Principal
from server.errors import DomainError, NotFound
from server.paging import MAX_OFFSET
from server.stock.ledger import CountLine, Ledger, StockError
from shared.enums import Role
from shared.ids import uuid7
from shared.stock import (
    BalanceOut,
    CountIn,
    CountLineOut,
    CountOut,
    LotOut,
    MovementKind,
    MovementOut,
    OperationOut,
    PendingReturnOut,
    ReceiptIn,
    ReturnIn,
    StoreCreate,
    StoreKind,
    StoreOut,
    StoreUpdate,
    TransferIn,
)


def refusal(exc: StockError, **extra: Any) -> DomainError:
    """The ledger's refusal as problem details: its status, its words, its stable reason code (also as
    ``code`` ``stock.<reason>`` with the ledger's params, for the apps' catalogues)."""
    return DomainError(
        exc.message,
        status_code=exc.status,
        reason=exc.reason,
        code=f"stock.{exc.reason}",
        params=exc.params,
        **extra,
    )


def van_name(display_name: str) -> str:
    return f"{display_name}的车载库"


async def ensure_van(session: AsyncSession, engineer: User) -> Store:
    """The engineer's van store, made when missing (the caller commits)."""
    return await Ledger(session).van_of(engineer.id, van_name(engineer.display_name))


class StockService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    # --- reading ---------------------------------------------------------------------------------

    async def ensure_vans(self) -> int:
        """Every active engineer gets a van; returns how many were made (committed)."""
        missing = (
            await self.session.scalars(
                select(User).where(
                    User.role == Role.ENGINEER.value,
                    User.active.is_(True),
                    ~exists().where(Store.engineer_id == User.id),
                )
            )
        ).all()
        for engineer in missing:
            await ensure_van(self.session, engineer)
        if missing:
            await self.session.commit()
        return len(missing)

    async def stores(self) -> list[StoreOut]:
        """The stores the caller may see: all of them for the office (vans made first), the own van for
        an engineer."""
        if self.principal.is_engineer:
            me = await self.session.get(User, self.principal.user_id)
            if me is not None and await self._own_van_id() is None:
                await ensure_van(self.session, me)
                await self.session.commit()
        else:
            await self.ensure_vans()
        query = (
            select(Store, User.display_name)
            .outerjoin(User, User.id == Store.engineer_id)
            .order_by(Store.kind, Store.active.desc(), Store.name, Store.id)
        )
        if self.principal.is_engineer:
            query = query.where(Store.engineer_id == self.principal.user_id)
        return [_store_out(store, name) for store, name in (await self.session.execute(query)).all()]

    async def _own_van_id(self) -> uuid.UUID | None:
        van: uuid.UUID | None = await self.session.scalar(
            select(Store.id).where(Store.engineer_id == self.principal.user_id)
        )
        return van

    async def visible_store(self, store_id: uuid.UUID) -> Store:
        """A store the caller may read; 404 also for another engineer's van (nothing leaks)."""
        store = await self.session.get(Store, store_id)
        if store is None or (self.principal.is_engineer and store.engineer_id != self.principal.user_id):
            raise NotFound(
                f"no store with id {store_id}",
                field="store_id",
                code="store.not_found",
                params={"id": store_id},
            )
        return store

    async def create_store(self, data: StoreCreate) -> StoreOut:
        if data.kind is StoreKind.VAN:
            raise DomainError(
                "vans are made for each engineer automatically; create a new or returned store",
                code="store.van_automatic",
            )
        store = Store(id=uuid7(), kind=data.kind.value, name=data.name, active=True)
        self.session.add(store)
        await self.session.flush()
        await self._audit("stock.store_create", store.id, kind=store.kind, name=store.name)
        await self.session.commit()
        return _store_out(store, None)

    async def update_store(self, store_id: uuid.UUID, data: StoreUpdate) -> StoreOut:
        """Rename a store, or close (and reopen) one; a closed store takes no movements. A store that
        still holds parts cannot be closed."""
        store = await self.session.get(Store, store_id)
        if store is None:
            raise NotFound(f"no store with id {store_id}", code="store.not_found", params={"id": store_id})
        before = {"name": store.name, "active": store.active}
        if data.active is False and store.active:
            held = await self.session.scalar(
                select(func.count()).where(StockBalance.store_id == store.id, StockBalance.quantity != 0)
            )
            if held:
                raise DomainError(
                    f"{store.name} still holds {held} part(s); move or count them out before closing it",
                    status_code=409,
                    reason="store_not_empty",
                    code="store.not_empty",
                    params={"store": store.name, "held": held},
                )
        if data.name is not None:
            store.name = data.name
        if data.active is not None:
            store.active = data.active
        await self._audit(
            "stock.store_update", store.id, before=before, after={"name": store.name, "active": store.active}
        )
        await self.session.commit()
        name = await self.session.scalar(select(User.display_name).where(User.id == store.engineer_id))
        return _store_out(store, name)

    async def balances(self, store_id: uuid.UUID | None, part_id: uuid.UUID | None) -> list[BalanceOut]:
        query = _balance_query()
        if self.principal.is_engineer:
            query = query.where(Store.engineer_id == self.principal.user_id)
        if store_id is not None:
            await self.visible_store(store_id)
            query = query.where(StockBalance.store_id == store_id)
        if part_id is not None:
            query = query.where(StockBalance.part_id == part_id)
        return [_balance_out(*row) for row in (await self.session.execute(query)).all()]

    async def lots(self, store_id: uuid.UUID, part_id: uuid.UUID | None) -> list[LotOut]:
        """Lots with units left, in the order they will be used: oldest receipt first."""
        await self.visible_store(store_id)
        query = (
            select(StockLot, Part.code, Part.name)
            .join(Part, Part.id == StockLot.part_id)
            .where(StockLot.store_id == store_id, StockLot.remaining > 0)
            .order_by(Part.code, StockLot.received_at, StockLot.seq)
        )
        if part_id is not None:
            query = query.where(StockLot.part_id == part_id)
        return [
            LotOut(
                id=lot.id,
                store_id=lot.store_id,
                part_id=lot.part_id,
                part_code=code,
                part_name=name,
                received_at=lot.received_at,
                seq=lot.seq,
                quantity=lot.quantity,
                remaining=lot.remaining,
                unit_cost=lot.unit_cost,
                reference=lot.reference,
            )
            for lot, code, name in (await self.session.execute(query)).all()
        ]

    async def movements(
        self,
        *,
        store_id: uuid.UUID | None,
        part_id: uuid.UUID | None,
        job_id: uuid.UUID | None,
        at_from: datetime | None,
        at_to: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[list[MovementOut], int]:
        """Ledger lines, newest first."""
        for name, stamp in (("from", at_from), ("to", at_to)):
            if stamp is not None and stamp.tzinfo is None:
                raise DomainError(
                    f"{name} needs a time zone, e.g. 2026-06-01T00:00:00+08:00",
                    field=name,
                    code="time.needs_zone",
                    params={"field": name},
                )
        conditions: list[Any] = []
        if self.principal.is_engineer:
            van = await self._own_van_id()
            if store_id is not None and store_id != van:
                raise NotFound(
                    f"no store with id {store_id}",
                    field="store_id",
                    code="store.not_found",
                    params={"id": store_id},
                )
            conditions.append(StockMovement.store_id == van)
        elif store_id is not None:
            await self.visible_store(store_id)
        if store_id is not None:
            conditions.append(StockMovement.store_id == store_id)
        if part_id is not None:
            conditions.append(StockMovement.part_id == part_id)
        if job_id is not None:
            conditions.append(StockMovement.job_id == job_id)
        if at_from is not None:
            conditions.append(StockMovement.at >= at_from)
        if at_to is not None:
            conditions.append(StockMovement.at < at_to)
        total = await self.session.scalar(select(func.count()).select_from(StockMovement).where(*conditions))
        query = _movement_query().where(*conditions).order_by(StockMovement.seq.desc())
        rows = (await self.session.execute(query.limit(limit).offset(min(offset, MAX_OFFSET)))).all()
        return [_movement_out(*row) for row in rows], int(total or 0)

    async def pending_returns(self, limit: int, offset: int) -> tuple[list[PendingReturnOut], int]:
        """Old parts the engineers said they took out and that are not in the returned store yet."""
        done = exists().where(
            StockMovement.usage_id == JobPart.id, StockMovement.kind == MovementKind.RETURN_OLD.value
        )
        conditions = (JobPart.old_part_returned.is_(True), JobPart.voided_at.is_(None), ~done)
        total = await self.session.scalar(select(func.count()).select_from(JobPart).where(*conditions))
        query = (
            select(
                JobPart,
                Job.number,
                Job.assigned_engineer_id,
                User.display_name,
                Part.code,
                Part.name,
                Part.unit,
            )
            .join(Job, Job.id == JobPart.job_id)
            .join(Part, Part.id == JobPart.part_id)
            .outerjoin(User, User.id == Job.assigned_engineer_id)
            .where(*conditions)
            .order_by(JobPart.used_at, JobPart.id)
            .limit(limit)
            .offset(min(offset, MAX_OFFSET))
        )
        items = [
            PendingReturnOut(
                job_part_id=usage.id,
                job_id=usage.job_id,
                job_number=number,
                engineer_id=engineer_id,
                engineer_name=engineer_name,
                part_id=usage.part_id,
                part_code=code,
                part_name=name,
                unit=unit,
                quantity=usage.quantity,
                used_at=usage.used_at,
            )
            for usage, number, engineer_id, engineer_name, code, name, unit in (
                await self.session.execute(query)
            ).all()
        ]
        return items, int(total or 0)

    async def count(self, count_id: uuid.UUID) -> CountOut:
        count = await self.session.get(StockCount, count_id)
        if count is None:
            raise NotFound(
                f"no stock count with id {count_id}", code="count.not_found", params={"id": count_id}
            )
        store = await self.visible_store(count.store_id)
        rows = (
            await self.session.execute(
                select(StockCountLine, Part.code, Part.name, Part.unit)
                .join(Part, Part.id == StockCountLine.part_id)
                .where(StockCountLine.count_id == count.id)
                .order_by(Part.code)
            )
        ).all()
        adjustments = await self.session.scalar(
            select(func.count()).select_from(StockMovement).where(StockMovement.count_id == count.id)
        )
        by_name = await self.session.scalar(select(User.display_name).where(User.id == count.counted_by))
        return CountOut(
            id=count.id,
            store_id=store.id,
            store_name=store.name,
            counted_at=count.counted_at,
            counted_by=count.counted_by,
            counted_by_name=by_name,
            note=count.note,
            lines=[
                CountLineOut(
                    part_id=line.part_id,
                    part_code=code,
                    part_name=name,
                    unit=unit,
                    book_quantity=line.book_quantity,
                    counted_quantity=line.counted_quantity,
                    difference=line.difference,
                    reason=line.reason,
                )
                for line, code, name, unit in rows
            ],
            adjustments=int(adjustments or 0),
        )

    # --- writing ---------------------------------------------------------------------------------

    def _ledger(self) -> Ledger:
        return Ledger(self.session, user_id=self.principal.user_id)

    async def _audit(self, action: str, store_id: uuid.UUID, **detail: Any) -> None:
        await audit.record(
            self.session,
            action=action,
            entity="store",
            entity_id=store_id,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
            detail=detail,
        )

    async def _finish(self, ledger: Ledger, action: str, store_id: uuid.UUID, **detail: Any) -> OperationOut:
        """Audit, tell the tablets about their vans, commit; answer with the lines and balances."""
        await ledger.log_van_changes()
        moved = ledger.movements
        await self._audit(
            action,
            store_id,
            batch_id=str(moved[0].batch_id) if moved else None,
            movements=[str(m.id) for m in moved],
            **detail,
        )
        await self.session.flush()
        ids = [m.id for m in moved]
        pairs = {(m.store_id, m.part_id) for m in moved}
        await self.session.commit()
        rows = (
            (
                await self.session.execute(
                    _movement_query().where(StockMovement.id.in_(ids)).order_by(StockMovement.seq)
                )
            ).all()
            if ids
            else []
        )
        balances: list[BalanceOut] = []
        for s_id, p_id in sorted(pairs):
            balances += [
                _balance_out(*row)
                for row in (
                    await self.session.execute(
                        _balance_query().where(StockBalance.store_id == s_id, StockBalance.part_id == p_id)
                    )
                ).all()
            ]
        return OperationOut(movements=[_movement_out(*row) for row in rows], balances=balances)

    async def _refuse(self, exc: StockError, **extra: Any) -> DomainError:
        await self.session.rollback()
        return refusal(exc, **extra)

    async def receive(self, data: ReceiptIn) -> OperationOut:
        ledger = self._ledger()
        try:
            await ledger.receive(
                data.store_id, data.part_id, data.quantity, unit_cost=data.unit_cost, reference=data.reference
            )
        except StockError as exc:
            raise await self._refuse(exc) from None
        return await self._finish(
            ledger,
            "stock.receive",
            data.store_id,
            part_id=str(data.part_id),
            quantity=data.quantity,
            unit_cost=data.unit_cost,
            reference=data.reference,
        )

    async def transfer(self, data: TransferIn, approval: bool = False) -> OperationOut:
        """A transfer, done now; or, when it is an issue or return that a rule says waits for a manager
        (审查控制, ``approval`` is ``LEVEE_PARTS_APPROVAL``), a pending request and nothing moved."""
        from server.stock.planning import PlanningService  # planning builds on this module

        pending = await PlanningService(self.session, self.principal).hold_transfer(data, approval)
        if pending is not None:
            return OperationOut(movements=[], balances=[], pending=pending)
        ledger = self._ledger()
        try:
            await ledger.transfer(
                data.from_store_id, data.to_store_id, data.part_id, data.quantity, note=data.note
            )
        except StockError as exc:
            await self.session.rollback()
            extra: dict[str, Any] = {}
            if exc.reason == "insufficient_stock":
                extra = {
                    "held": max(0, await Ledger(self.session).balance(data.from_store_id, data.part_id)),
                    "requested": data.quantity,
                }
            raise refusal(exc, **extra) from None
        return await self._finish(
            ledger,
            "stock.transfer",
            data.from_store_id,
            to_store_id=str(data.to_store_id),
            part_id=str(data.part_id),
            quantity=data.quantity,
            note=data.note,
        )

    async def return_old(self, data: ReturnIn) -> OperationOut:
        usage = await self.session.get(JobPart, data.job_part_id)
        if usage is None:
            raise NotFound(
                f"no part usage with id {data.job_part_id}",
                field="job_part_id",
                code="part_usage.not_found",
                params={"id": data.job_part_id},
            )
        store_id = data.store_id
        if store_id is None:
            returned = (
                await self.session.scalars(
                    select(Store.id).where(Store.kind == StoreKind.RETURNED.value, Store.active.is_(True))
                )
            ).all()
            if len(returned) != 1:
                raise DomainError(
                    "choose the returned-parts store (store_id): there is "
                    + ("none open" if not returned else f"more than one ({len(returned)})"),
                    field="store_id",
                    code="store.returned_ambiguous",
                    params={"open": len(returned)},
                )
            store_id = returned[0]
        ledger = self._ledger()
        try:
            await ledger.return_old(store_id, usage, note=data.note)
        except StockError as exc:
            raise await self._refuse(exc) from None
        return await self._finish(
            ledger,
            "stock.return_old",
            store_id,
            job_part_id=str(usage.id),
            job_id=str(usage.job_id),
            part_id=str(usage.part_id),
            quantity=usage.quantity,
            note=data.note,
        )

    async def post_count(self, data: CountIn) -> CountOut:
        """Post a count: book figures read under the balance locks, each difference one adjustment."""
        store = await self.session.get(Store, data.store_id)
        if store is None:
            raise NotFound(
                f"no store with id {data.store_id}",
                field="store_id",
                code="store.not_found",
                params={"id": data.store_id},
            )
        count = StockCount(id=uuid7(), store_id=store.id, counted_by=self.principal.user_id, note=data.note)
        self.session.add(count)
        await self.session.flush()
        ledger = self._ledger()
        reasons = {line.part_id: line.reason for line in data.lines}
        try:
            results = await ledger.count(
                store.id,
                [CountLine(line.part_id, line.counted_quantity, line.reason) for line in data.lines],
                count.id,
            )
        except StockError as exc:
            raise await self._refuse(exc) from None
        for result in results:
            self.session.add(
                StockCountLine(
                    id=uuid7(),
                    count_id=count.id,
                    part_id=result.part_id,
                    book_quantity=result.book,
                    counted_quantity=result.counted,
                    difference=result.difference,
                    reason=reasons[result.part_id] if result.difference else "",
                )
            )
        await ledger.log_van_changes()
        await self._audit(
            "stock.count",
            store.id,
            count_id=str(count.id),
            note=data.note,
            lines=[
                {"part_id": str(r.part_id), "book": r.book, "counted": r.counted, "difference": r.difference}
                for r in results
            ],
            movements=[str(m.id) for m in ledger.movements],
        )
        await self.session.commit()
        return await self.count(count.id)


def _store_out(store: Store, engineer_name: str | None) -> StoreOut:
    return StoreOut(
        id=store.id,
        kind=StoreKind(store.kind),
        name=store.name,
        engineer_id=store.engineer_id,
        engineer_name=engineer_name,
        active=store.active,
    )


def _balance_query() -> Select[Any]:
    return (
        select(StockBalance, Store, Part)
        .join(Store, Store.id == StockBalance.store_id)
        .join(Part, Part.id == StockBalance.part_id)
        .order_by(Store.kind, Store.name, Part.code)
    )


def _balance_out(balance: StockBalance, store: Store, part: Part) -> BalanceOut:
    return BalanceOut(
        store_id=store.id,
        store_name=store.name,
        store_kind=StoreKind(store.kind),
        engineer_id=store.engineer_id,
        part_id=part.id,
        part_code=part.code,
        part_name=part.name,
        unit=part.unit,
        quantity=balance.quantity,
        updated_at=balance.updated_at,
    )


_Other = aliased(Store)


def _movement_query() -> Select[Any]:
    return (
        select(
            StockMovement,
            Store.name,
            Part.code,
            Part.name,
            Part.unit,
            _Other.name,
            Job.number,
            User.display_name,
        )
        .join(Store, Store.id == StockMovement.store_id)
        .join(Part, Part.id == StockMovement.part_id)
        .outerjoin(_Other, _Other.id == StockMovement.other_store_id)
        .outerjoin(Job, Job.id == StockMovement.job_id)
        .outerjoin(User, User.id == StockMovement.user_id)
    )


def _movement_out(
    m: StockMovement,
    store_name: str,
    code: str,
    name: str,
    unit: str,
    other_name: str | None,
    job_number: str | None,
    user_name: str | None,
) -> MovementOut:
    return MovementOut(
        id=m.id,
        seq=m.seq,
        at=m.at,
        recorded_at=m.recorded_at,
        kind=MovementKind(m.kind),
        store_id=m.store_id,
        store_name=store_name,
        part_id=m.part_id,
        part_code=code,
        part_name=name,
        unit=unit,
        lot_id=m.lot_id,
        quantity=m.quantity,
        unit_cost=m.unit_cost,
        batch_id=m.batch_id,
        other_store_id=m.other_store_id,
        job_id=m.job_id,
        job_number=job_number,
        other_store_name=other_name,
        usage_id=m.usage_id,
        count_id=m.count_id,
        reason=m.reason,
        user_id=m.user_id,
        user_name=user_name,
    )
