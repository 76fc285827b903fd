"""Parts planning (issue 16 part 6) and the manager's approval of parts issues and returns (part 5, 审查控制).

* Reorder levels per (store, part): a store is *short* while its balance plus what is on its way to it
  (shipments in transit to the van) is below the level; the stock plan orders each shortage up to its
  target.
* Shipments: parts sent by courier to an engineer (at a site or their base). They move through the
  ledger like any transfer: out of the sending store into the one transit store (在途) when sent, and out
  of it into the engineer's van when the engineer confirms receipt on the tablet (push mutation
  ``shipment.receive``, offline) or the office records it. No parallel ledger: the report shows the
  transit store's balance like any other store's.
* Approval: with ``LEVEE_PARTS_APPROVAL`` on, an issue (new-parts store to a van, or a shipment) or a
  return (van to the new-parts store) that matches a rule waits as a pending request; nothing moves
  until a manager approves it (then it is done as asked, under the ledger's rules at that moment) or
  rejects it. A manager's own issue or return does not wait.

Every write is audited in the request's transaction and committed once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server import audit
from server.changes import Change, log_changes
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
from server.deps import Principal
from server.errors import DomainError, NotFound
from server.reports.exports import Table
from server.stock.ledger import Ledger, StockError
from server.stock.service import refusal, van_name
from shared.clock import utcnow
from shared.enums import Role
from shared.i18n import translate
from shared.ids import uuid7
from shared.local_time import full
from shared.stock import (
    ApprovalRuleIn,
    ApprovalRuleOut,
    ApprovalSettingsOut,
    ReorderLevelIn,
    ReorderLevelOut,
    RequestKind,
    RequestStatus,
    ShipmentIn,
    ShipmentOut,
    ShipmentStatus,
    ShortageOut,
    StockRequestOut,
    StoreKind,
    TransferIn,
)

TRANSIT_STORE = "在途（快递发运）"
#: the change-log entity a tablet pulls the shipments to its engineer as (audience: the engineer)
SHIPMENT = "shipment"


async def log_shipment(session: AsyncSession, shipment: Shipment) -> None:
    """Tell the engineer's tablet that a shipment to them was sent or received."""
    await log_changes(session, [Change(SHIPMENT, shipment.id, "put", shipment.engineer_id)])


async def transit_store(session: AsyncSession) -> Store:
    """The one transit store, made on first use (the caller commits). Two first shipments at once both
    find none; the unique index ``one_transit_store`` lets one insert through and the other reads it."""
    store = await session.scalar(select(Store).where(Store.kind == StoreKind.TRANSIT.value))
    if store is not None:
        return store
    bind = session.bind
    insert = pg_insert if bind is not None and bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    await session.execute(
        insert(Store)
        .values(
            id=uuid7(),
            kind=StoreKind.TRANSIT.value,
            name=TRANSIT_STORE,
            active=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind"], index_where=Store.kind == StoreKind.TRANSIT.value)
    )
    return (await session.scalars(select(Store).where(Store.kind == StoreKind.TRANSIT.value))).one()


def request_kind(source: Store, target: Store) -> RequestKind | None:
    """An issue (new-parts store to a van) or a return (a van to the new-parts store); else None."""
    if source.kind == StoreKind.NEW.value and target.kind == StoreKind.VAN.value:
        return RequestKind.ISSUE
    if source.kind == StoreKind.VAN.value and target.kind == StoreKind.NEW.value:
        return RequestKind.RETURN
    return None


async def needs_approval(
    session: AsyncSession,
    enabled: bool,
    principal: Principal,
    kind: RequestKind | None,
    part_id: uuid.UUID,
    quantity: int,
) -> bool:
    """Whether this issue or return must wait for a manager: the setting is on, the caller is no manager,
    and a rule for this kind names this part (or every part) from this quantity up."""
    if not enabled or kind is None or principal.role is Role.MANAGER:
        return False
    rule = await session.scalar(
        select(ApprovalRule.id).where(
            ApprovalRule.kind == kind.value,
            or_(ApprovalRule.part_id.is_(None), ApprovalRule.part_id == part_id),
            ApprovalRule.min_quantity <= quantity,
        )
    )
    return rule is not None


async def receive_shipment(
    session: AsyncSession,
    shipment: Shipment,
    *,
    by: uuid.UUID | None,
    device_id: uuid.UUID | None,
    at: datetime,
) -> Ledger:
    """Move a shipment's units from the transit store into its engineer's van (the caller audits and
    commits). Raises :class:`StockError` when it is not in transit (pending, rejected, received)."""
    if shipment.status != ShipmentStatus.IN_TRANSIT.value:
        raise StockError(
            "shipment_not_in_transit",
            f"this shipment is {shipment.status}, not in transit",
            409,
            state=shipment.status,
        )
    engineer = await session.get(User, shipment.engineer_id)
    assert engineer is not None
    ledger = Ledger(session, user_id=by, device_id=device_id)
    van = await ledger.van_of(engineer.id, van_name(engineer.display_name))
    transit = await transit_store(session)
    await ledger.transfer(
        transit.id, van.id, shipment.part_id, shipment.quantity, note=_note(shipment), shipping=True
    )
    shipment.status = ShipmentStatus.RECEIVED.value
    shipment.received_at = at
    shipment.received_by = by
    await ledger.log_van_changes()
    await log_shipment(session, shipment)
    return ledger


def _note(shipment: Shipment) -> str:
    words = " ".join(w for w in (shipment.courier, shipment.tracking_no) if w)
    return f"发运 {words}".strip()[:200]


class PlanningService:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def _audit(self, action: str, entity: str, entity_id: uuid.UUID, **detail: Any) -> None:
        await audit.record(
            self.session,
            action=action,
            entity=entity,
            entity_id=entity_id,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
            detail=detail,
        )

    # --- reorder levels, shortages, the plan ------------------------------------------------------

    async def reorder_levels(self, store_id: uuid.UUID | None = None) -> list[ReorderLevelOut]:
        query = (
            select(ReorderLevel, Store.name, Part.code, Part.name)
            .join(Store, Store.id == ReorderLevel.store_id)
            .join(Part, Part.id == ReorderLevel.part_id)
            .order_by(Store.kind, Store.name, Part.code)
        )
        if store_id is not None:
            query = query.where(ReorderLevel.store_id == store_id)
        return [
            ReorderLevelOut(
                id=r.id,
                store_id=r.store_id,
                store_name=store_name,
                part_id=r.part_id,
                part_code=code,
                part_name=name,
                level=r.level,
                target=r.target,
                updated_at=r.updated_at,
            )
            for r, store_name, code, name in (await self.session.execute(query)).all()
        ]

    async def set_reorder_level(self, data: ReorderLevelIn) -> ReorderLevelOut:
        """Set (or change) the level of one part in one store; the target defaults to the level."""
        store = await self.session.get(Store, data.store_id)
        if store is None:
            raise NotFound(
                f"no store with id {data.store_id}",
                field="store_id",
                code="store.not_found",
                params={"id": data.store_id},
            )
        if store.kind not in (StoreKind.NEW.value, StoreKind.VAN.value):
            raise DomainError(
                "reorder levels are for the new-parts store and vans",
                field="store_id",
                code="reorder.wrong_store",
                params={"store": store.name},
            )
        if await self.session.get(Part, data.part_id) is None:
            raise NotFound(
                f"no part with id {data.part_id}",
                field="part_id",
                code="part.not_found",
                params={"id": data.part_id},
            )
        target = data.level if data.target is None else data.target
        if target < data.level:
            raise DomainError(
                f"the target ({target}) cannot be below the reorder level ({data.level})",
                field="target",
                code="reorder.target_below_level",
                params={"target": target, "level": data.level},
            )
        row = await self.session.scalar(
            select(ReorderLevel).where(
                ReorderLevel.store_id == data.store_id, ReorderLevel.part_id == data.part_id
            )
        )
        before = None if row is None else {"level": row.level, "target": row.target}
        if row is None:
            row = ReorderLevel(id=uuid7(), store_id=data.store_id, part_id=data.part_id)
            self.session.add(row)
        row.level, row.target, row.updated_by = data.level, target, self.principal.user_id
        row.updated_at = utcnow()
        await self.session.flush()
        await self._audit(
            "stock.reorder_level",
            "store",
            data.store_id,
            part_id=str(data.part_id),
            before=before,
            after={"level": data.level, "target": target},
        )
        await self.session.commit()
        [out] = [r for r in await self.reorder_levels(data.store_id) if r.id == row.id]
        return out

    async def delete_reorder_level(self, level_id: uuid.UUID) -> None:
        row = await self.session.get(ReorderLevel, level_id)
        if row is None:
            raise NotFound(
                f"no reorder_level with id {level_id}",
                field="id",
                code="reorder_level.not_found",
                params={"id": level_id},
            )
        await self._audit(
            "stock.reorder_level_delete",
            "store",
            row.store_id,
            part_id=str(row.part_id),
            before={"level": row.level, "target": row.target},
        )
        await self.session.delete(row)
        await self.session.commit()

    async def shortages(self) -> list[ShortageOut]:
        """Every (store, part) whose balance plus units in transit to it is below its reorder level, with
        the stock plan's quantity to reach the target; most short first."""
        in_transit = (
            select(
                Shipment.engineer_id.label("engineer_id"),
                Shipment.part_id.label("part_id"),
                func.sum(Shipment.quantity).label("quantity"),
            )
            .where(Shipment.status == ShipmentStatus.IN_TRANSIT.value)
            .group_by(Shipment.engineer_id, Shipment.part_id)
            .subquery()
        )
        query = (
            select(
                ReorderLevel,
                Store,
                Part,
                func.coalesce(StockBalance.quantity, 0),
                func.coalesce(in_transit.c.quantity, 0),
            )
            .join(Store, Store.id == ReorderLevel.store_id)
            .join(Part, Part.id == ReorderLevel.part_id)
            .outerjoin(
                StockBalance,
                (StockBalance.store_id == ReorderLevel.store_id)
                & (StockBalance.part_id == ReorderLevel.part_id),
            )
            .outerjoin(
                in_transit,
                (in_transit.c.engineer_id == Store.engineer_id)
                & (in_transit.c.part_id == ReorderLevel.part_id),
            )
            .where(Store.active.is_(True))
        )
        out = []
        for level, store, part, on_hand, coming in (await self.session.execute(query)).all():
            have = int(on_hand) + int(coming)
            if have >= level.level:
                continue
            out.append(
                ShortageOut(
                    store_id=store.id,
                    store_name=store.name,
                    store_kind=StoreKind(store.kind),
                    engineer_id=store.engineer_id,
                    part_id=part.id,
                    part_code=part.code,
                    part_name=part.name,
                    unit=part.unit,
                    on_hand=int(on_hand),
                    in_transit=int(coming),
                    level=level.level,
                    target=level.target,
                    to_order=max(0, level.target - have),
                )
            )
        out.sort(key=lambda s: (-(s.level - s.on_hand - s.in_transit), s.store_name, s.part_code))
        return out

    # --- shipments ---------------------------------------------------------------------------------

    def _shipment_query(self) -> Any:
        source = aliased(Store)
        query = (
            select(Shipment, source.name, User.display_name, Part.code, Part.name, Part.unit)
            .join(source, source.id == Shipment.from_store_id)
            .join(User, User.id == Shipment.engineer_id)
            .join(Part, Part.id == Shipment.part_id)
        )
        if self.principal.is_engineer:
            query = query.where(Shipment.engineer_id == self.principal.user_id)
        return query

    async def shipments(
        self, status: ShipmentStatus | None = None, engineer_id: uuid.UUID | None = None
    ) -> list[ShipmentOut]:
        """Shipments, newest first (an engineer sees their own)."""
        query = self._shipment_query().order_by(Shipment.created_at.desc(), Shipment.id.desc()).limit(500)
        if status is not None:
            query = query.where(Shipment.status == status.value)
        if engineer_id is not None:
            query = query.where(Shipment.engineer_id == engineer_id)
        return [_shipment_out(*row) for row in (await self.session.execute(query)).all()]

    async def shipment(self, shipment_id: uuid.UUID) -> ShipmentOut:
        row = (await self.session.execute(self._shipment_query().where(Shipment.id == shipment_id))).first()
        if row is None:
            raise NotFound(
                f"no shipment with id {shipment_id}",
                field="id",
                code="shipment.not_found",
                params={"id": shipment_id},
            )
        return _shipment_out(*row)

    async def create_shipment(self, data: ShipmentIn, approval: bool) -> ShipmentOut:
        """Send parts to an engineer: out of the store into transit at once, or pending a manager's
        approval when a rule says so."""
        source = await self.session.get(Store, data.from_store_id)
        if source is None:
            raise NotFound(
                f"no store with id {data.from_store_id}",
                field="from_store_id",
                code="store.not_found",
                params={"id": data.from_store_id},
            )
        if source.kind != StoreKind.NEW.value:
            raise DomainError(
                "shipments leave from the new-parts store",
                field="from_store_id",
                code="shipment.wrong_store",
                params={"store": source.name},
            )
        engineer = await self.session.get(User, data.engineer_id)
        if engineer is None or engineer.role != Role.ENGINEER.value or not engineer.active:
            raise DomainError(
                "shipments go to an active engineer",
                field="engineer_id",
                code="shipment.not_an_engineer",
                params={"id": data.engineer_id},
            )
        if await self.session.get(Part, data.part_id) is None:
            raise NotFound(
                f"no part with id {data.part_id}",
                field="part_id",
                code="part.not_found",
                params={"id": data.part_id},
            )
        shipment = Shipment(
            id=uuid7(),
            from_store_id=source.id,
            engineer_id=engineer.id,
            part_id=data.part_id,
            quantity=data.quantity,
            site=data.site,
            courier=data.courier,
            tracking_no=data.tracking_no,
            note=data.note,
            status=ShipmentStatus.PENDING.value,
            created_by=self.principal.user_id,
        )
        self.session.add(shipment)
        await self.session.flush()
        detail = data.model_dump(mode="json")
        if await needs_approval(
            self.session, approval, self.principal, RequestKind.ISSUE, data.part_id, data.quantity
        ):
            request = self._request(
                RequestKind.ISSUE, source.id, None, data.part_id, data.quantity, data.note
            )
            request.shipment_id = shipment.id
            await self.session.flush()
            await self._audit(
                "stock.shipment_request", "shipment", shipment.id, request_id=str(request.id), **detail
            )
        else:
            ledger = await self._send(shipment)
            await self._audit(
                "stock.shipment_send",
                "shipment",
                shipment.id,
                movements=[str(m.id) for m in ledger.movements],
                **detail,
            )
        await self.session.commit()
        return await self.shipment(shipment.id)

    async def _send(self, shipment: Shipment) -> Ledger:
        ledger = Ledger(self.session, user_id=self.principal.user_id)
        transit = await transit_store(self.session)
        try:
            await ledger.transfer(
                shipment.from_store_id,
                transit.id,
                shipment.part_id,
                shipment.quantity,
                note=_note(shipment),
                shipping=True,
            )
        except StockError as exc:
            await self.session.rollback()
            raise refusal(exc) from None
        shipment.status = ShipmentStatus.IN_TRANSIT.value
        shipment.sent_at = ledger.now
        await self.session.flush()
        await log_shipment(self.session, shipment)
        return ledger

    async def receive(self, shipment_id: uuid.UUID, at: datetime | None) -> ShipmentOut:
        """The office (or the engineer, through the API) records that the parts arrived."""
        shipment = await self.session.get(Shipment, shipment_id)
        if shipment is None or (
            self.principal.is_engineer and shipment.engineer_id != self.principal.user_id
        ):
            raise NotFound(
                f"no shipment with id {shipment_id}",
                field="id",
                code="shipment.not_found",
                params={"id": shipment_id},
            )
        if at is not None and at.tzinfo is None:
            raise DomainError(
                "received_at needs a time zone, e.g. 2026-06-01T10:00:00+08:00",
                field="received_at",
                code="time.needs_zone",
                params={"field": "received_at"},
            )
        try:
            ledger = await receive_shipment(
                self.session,
                shipment,
                by=self.principal.user_id,
                device_id=self.principal.device_id,
                at=at or utcnow(),
            )
        except StockError as exc:
            await self.session.rollback()
            raise refusal(exc) from None
        await self._audit(
            "stock.shipment_receive",
            "shipment",
            shipment.id,
            received_at=shipment.received_at,
            movements=[str(m.id) for m in ledger.movements],
        )
        await self.session.commit()
        return await self.shipment(shipment.id)

    # --- approval (审查控制) -----------------------------------------------------------------------

    async def approval_settings(self, enabled: bool) -> ApprovalSettingsOut:
        rows = (
            await self.session.execute(
                select(ApprovalRule, Part.code, Part.name)
                .outerjoin(Part, Part.id == ApprovalRule.part_id)
                .order_by(ApprovalRule.kind, Part.code, ApprovalRule.id)
            )
        ).all()
        return ApprovalSettingsOut(
            enabled=enabled,
            rules=[
                ApprovalRuleOut(
                    id=r.id,
                    kind=RequestKind(r.kind),
                    part_id=r.part_id,
                    part_code=code,
                    part_name=name,
                    min_quantity=r.min_quantity,
                )
                for r, code, name in rows
            ],
        )

    async def add_rule(self, data: ApprovalRuleIn, enabled: bool) -> ApprovalSettingsOut:
        if data.part_id is not None and await self.session.get(Part, data.part_id) is None:
            raise NotFound(
                f"no part with id {data.part_id}",
                field="part_id",
                code="part.not_found",
                params={"id": data.part_id},
            )
        row = await self.session.scalar(
            select(ApprovalRule).where(
                ApprovalRule.kind == data.kind.value,
                ApprovalRule.part_id.is_(None)
                if data.part_id is None
                else ApprovalRule.part_id == data.part_id,
            )
        )
        before = None if row is None else {"min_quantity": row.min_quantity}
        if row is None:
            row = ApprovalRule(id=uuid7(), kind=data.kind.value, part_id=data.part_id)
            self.session.add(row)
        row.min_quantity = data.min_quantity
        await self.session.flush()
        await self._audit(
            "stock.approval_rule", "approval_rule", row.id, before=before, **data.model_dump(mode="json")
        )
        await self.session.commit()
        return await self.approval_settings(enabled)

    async def delete_rule(self, rule_id: uuid.UUID) -> None:
        row = await self.session.get(ApprovalRule, rule_id)
        if row is None:
            raise NotFound(
                f"no approval_rule with id {rule_id}",
                field="id",
                code="approval_rule.not_found",
                params={"id": rule_id},
            )
        await self._audit(
            "stock.approval_rule_delete",
            "approval_rule",
            row.id,
            kind=row.kind,
            part_id=str(row.part_id) if row.part_id else None,
            min_quantity=row.min_quantity,
        )
        await self.session.execute(delete(ApprovalRule).where(ApprovalRule.id == rule_id))
        await self.session.commit()

    def _request(
        self,
        kind: RequestKind,
        from_id: uuid.UUID,
        to_id: uuid.UUID | None,
        part_id: uuid.UUID,
        quantity: int,
        note: str,
    ) -> StockRequest:
        request = StockRequest(
            id=uuid7(),
            kind=kind.value,
            from_store_id=from_id,
            to_store_id=to_id,
            part_id=part_id,
            quantity=quantity,
            note=note,
            status=RequestStatus.PENDING.value,
            requested_by=self.principal.user_id,
            decision_note="",
        )
        self.session.add(request)
        return request

    async def hold_transfer(self, data: TransferIn, approval: bool) -> StockRequestOut | None:
        """A transfer that must wait for a manager becomes a pending request (audited, committed);
        None when it may be done now."""
        if not approval:
            return None
        source = await self.session.get(Store, data.from_store_id)
        target = await self.session.get(Store, data.to_store_id)
        if source is None or target is None:
            return None  # the ledger words the refusal
        kind = request_kind(source, target)
        if not await needs_approval(
            self.session, approval, self.principal, kind, data.part_id, data.quantity
        ):
            return None
        assert kind is not None
        if await self.session.get(Part, data.part_id) is None:
            raise NotFound(
                f"no part with id {data.part_id}",
                field="part_id",
                code="part.not_found",
                params={"id": data.part_id},
            )
        request = self._request(kind, source.id, target.id, data.part_id, data.quantity, data.note)
        await self.session.flush()
        await self._audit(
            "stock.request", "stock_request", request.id, **data.model_dump(mode="json"), kind=kind.value
        )
        await self.session.commit()
        return await self.request(request.id)

    def _request_query(self) -> Any:
        source, target, asker, decider = aliased(Store), aliased(Store), aliased(User), aliased(User)
        return (
            select(
                StockRequest,
                source.name,
                target.name,
                Part.code,
                Part.name,
                asker.display_name,
                decider.display_name,
            )
            .join(source, source.id == StockRequest.from_store_id)
            .outerjoin(target, target.id == StockRequest.to_store_id)
            .join(Part, Part.id == StockRequest.part_id)
            .outerjoin(asker, asker.id == StockRequest.requested_by)
            .outerjoin(decider, decider.id == StockRequest.decided_by)
        )

    async def requests(self, status: RequestStatus | None) -> list[StockRequestOut]:
        query = (
            self._request_query().order_by(StockRequest.created_at.desc(), StockRequest.id.desc()).limit(500)
        )
        if status is not None:
            query = query.where(StockRequest.status == status.value)
        return [_request_out(*row) for row in (await self.session.execute(query)).all()]

    async def request(self, request_id: uuid.UUID) -> StockRequestOut:
        row = (await self.session.execute(self._request_query().where(StockRequest.id == request_id))).first()
        if row is None:
            raise NotFound(
                f"no stock_request with id {request_id}",
                field="id",
                code="stock_request.not_found",
                params={"id": request_id},
            )
        return _request_out(*row)

    async def _pending(self, request_id: uuid.UUID) -> StockRequest:
        request = await self.session.get(StockRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(
                f"no stock_request with id {request_id}",
                field="id",
                code="stock_request.not_found",
                params={"id": request_id},
            )
        if request.status != RequestStatus.PENDING.value:
            raise DomainError(
                f"this request is already {request.status}",
                status_code=409,
                code="stock_request.decided",
                params={"status": request.status},
            )
        return request

    async def approve(self, request_id: uuid.UUID, note: str) -> StockRequestOut:
        """Do what the request asked, now, under the ledger's rules (a source that no longer holds the
        units refuses with 409 and the request stays pending)."""
        request = await self._pending(request_id)
        movements: list[str] = []
        if request.shipment_id is not None:
            shipment = await self.session.get(Shipment, request.shipment_id)
            assert shipment is not None
            ledger = await self._send(shipment)
        else:
            assert request.to_store_id is not None
            ledger = Ledger(self.session, user_id=self.principal.user_id)
            try:
                await ledger.transfer(
                    request.from_store_id,
                    request.to_store_id,
                    request.part_id,
                    request.quantity,
                    note=request.note,
                )
            except StockError as exc:
                await self.session.rollback()
                raise refusal(exc) from None
        await ledger.log_van_changes()
        movements = [str(m.id) for m in ledger.movements]
        self._decide(request, RequestStatus.APPROVED, note)
        await self._audit(
            "stock.request_approve", "stock_request", request.id, note=note, movements=movements
        )
        await self.session.commit()
        return await self.request(request.id)

    async def reject(self, request_id: uuid.UUID, note: str) -> StockRequestOut:
        request = await self._pending(request_id)
        if request.shipment_id is not None:
            shipment = await self.session.get(Shipment, request.shipment_id)
            assert shipment is not None
            shipment.status = ShipmentStatus.REJECTED.value
        self._decide(request, RequestStatus.REJECTED, note)
        await self._audit("stock.request_reject", "stock_request", request.id, note=note)
        await self.session.commit()
        return await self.request(request.id)

    def _decide(self, request: StockRequest, status: RequestStatus, note: str) -> None:
        request.status = status.value
        request.decided_by = self.principal.user_id
        request.decided_at = utcnow()
        request.decision_note = note


def _shipment_out(
    s: Shipment, store_name: str, engineer_name: str, code: str, name: str, unit: str
) -> ShipmentOut:
    return ShipmentOut(
        id=s.id,
        status=ShipmentStatus(s.status),
        from_store_id=s.from_store_id,
        from_store_name=store_name,
        engineer_id=s.engineer_id,
        engineer_name=engineer_name,
        part_id=s.part_id,
        part_code=code,
        part_name=name,
        unit=unit,
        quantity=s.quantity,
        site=s.site,
        courier=s.courier,
        tracking_no=s.tracking_no,
        note=s.note,
        created_at=s.created_at,
        sent_at=s.sent_at,
        received_at=s.received_at,
    )


def _request_out(
    r: StockRequest,
    source: str,
    target: str | None,
    code: str,
    name: str,
    asker: str | None,
    decider: str | None,
) -> StockRequestOut:
    return StockRequestOut(
        id=r.id,
        kind=RequestKind(r.kind),
        status=RequestStatus(r.status),
        from_store_id=r.from_store_id,
        from_store_name=source,
        to_store_id=r.to_store_id,
        to_store_name=target,
        part_id=r.part_id,
        part_code=code,
        part_name=name,
        quantity=r.quantity,
        note=r.note,
        shipment_id=r.shipment_id,
        requested_by_name=asker,
        created_at=r.created_at,
        decided_by_name=decider,
        decided_at=r.decided_at,
        decision_note=r.decision_note,
    )


def plan_table(
    shortages: list[ShortageOut], lang: str, tz: Any, made_at: datetime
) -> tuple[Table, list[tuple[str, str]]]:
    """The stock plan as the table of its CSV/XLSX file: one line per shortage, what to order."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    table = Table(
        t("stock_plan.title"),
        [
            t("parts_report.col.store"),
            t("parts_report.col.part_code"),
            t("parts_report.col.part_name"),
            t("parts_report.col.unit"),
            t("stock_plan.col.on_hand"),
            t("stock_plan.col.in_transit"),
            t("stock_plan.col.level"),
            t("stock_plan.col.target"),
            t("stock_plan.col.to_order"),
        ],
    )
    for s in shortages:
        table.rows.append(
            [
                s.store_name,
                s.part_code,
                s.part_name,
                s.unit,
                s.on_hand,
                s.in_transit,
                s.level,
                s.target,
                s.to_order,
            ]
        )
    return table, [(t("satisfaction_report.made_at"), full(made_at, tz))]
