"""``/api/sync`` for devices and ``/api/conflicts`` for the office's review queue."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import table_of
from server.db.engine import read_only
from server.db.models import Device
from server.db.models import Mutation as MutationRow
from server.deps import CurrentUser, DbSession, Principal, requires_engineer, requires_office, requires_to
from server.errors import Invalid
from server.paging import MAX_LIMIT, fetch_page
from server.replication.conflicts import ConflictService
from server.replication.pull import PullService
from server.replication.push import SYNC_STAMP_RESOLUTION, PushService, sync_stamp_stale
from server.stock.ledger import VAN_STOCK
from shared.clock import utcnow
from shared.enums import Role
from shared.models import ConflictOut, ConflictOverride, ConflictReview, Page, RejectedMutationOut
from shared.roles import Capability
from sync.protocol import (
    PROTOCOL_VERSION,
    ProtocolMismatch,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    WaitResponse,
)

requires_reviewer = requires_to(Capability.REVIEW_CONFLICTS)
#: the warehouse reviews van stock conflicts only (parts used beyond the van's books)
requires_conflict_reader = requires_to(Capability.READ_CONFLICTS)


def _check_protocol(version: int) -> None:
    """A version sent as text (``"2"``) passes the envelope's own check; it is refused here alike."""
    if version != PROTOCOL_VERSION:
        raise Invalid(
            str(ProtocolMismatch(version)),
            field="protocol",
            code="sync.protocol_mismatch",
            params={"sent": version, "speaks": PROTOCOL_VERSION},
        )


_devices = table_of(Device).c
_MARK_SYNCED = (  # built once: every pull that reaches the end runs it
    update(table_of(Device))
    .where(
        _devices.id == bindparam("device_id"),
        or_(_devices.last_sync_at.is_(None), _devices.last_sync_at < bindparam("stale_before")),
    )
    .values(last_sync_at=bindparam("now"))
)


async def mark_synced(session: AsyncSession, principal: Principal) -> None:
    """Note that this device is up to date (shown to dispatchers), at most every 30 seconds."""
    now = utcnow()
    if not sync_stamp_stale(principal, now):
        return  # fresh when this request's token was checked: no statement (the UPDATE re-checks otherwise)
    await session.commit()  # the pull's reading transaction ends; the stamp is written in one of its own
    await session.execute(
        _MARK_SYNCED,
        {"device_id": principal.device_id, "stale_before": now - SYNC_STAMP_RESOLUTION, "now": now},
    )
    await session.commit()


def encode_page(page: PullResponse) -> bytes:
    """The page as JSON, encoded straight from the plain documents the server read.

    A first download is tens of megabytes; going through pydantic's dump and Litestar's encoder
    would copy every document twice more.
    """
    return msgspec.json.encode(
        {
            "protocol": page.protocol,
            "epoch": page.epoch,
            "changes": [
                {"entity": c.entity, "id": str(c.id), "op": c.op.value, "data": c.data} for c in page.changes
            ],
            "cursor": page.cursor,
            "has_more": page.has_more,
            "resync_required": page.resync_required,
            "reason": page.reason,
            "resync_code": page.resync_code.value if page.resync_code else None,
        }
    )


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]  # noqa: RUF012

    @post("/push", guards=[requires_engineer], status_code=200)
    async def push(
        self, data: JSONBody[PushRequest], db_session: DbSession, principal: CurrentUser
    ) -> PushResponse:
        """Apply an ordered batch of mutations in one transaction; a resent mutation gets its stored outcome."""
        _check_protocol(data.protocol)
        return await PushService(db_session, principal).push(data)

    @post(
        "/pull",
        guards=[requires_engineer],
        status_code=200,
        responses={200: ResponseSpec(data_container=PullResponse, description="one page of changes")},
    )
    async def pull(
        self, data: JSONBody[PullRequest], db_session: DbSession, principal: CurrentUser, state: State
    ) -> Response[bytes]:
        """Changes in the caller's scope after ``cursor`` (or the first download when it is null)."""
        _check_protocol(data.protocol)
        # On SQLite a pull reads its snapshot beside the writer instead of queueing for the write lock
        await read_only(db_session)
        page = await PullService(db_session, principal, state.epoch).pull(data)
        if not page.has_more and not page.resync_required:
            await mark_synced(db_session, principal)
        return Response(content=encode_page(page), media_type=MediaType.JSON)

    @get("/wait", guards=[requires_engineer])
    async def wait(
        self,
        principal: CurrentUser,
        state: State,
        after: Annotated[int, QueryParameter(ge=0, description="the seq of the device's cursor")] = 0,
        timeout: Annotated[float, QueryParameter(ge=0, le=60)] = 25,  # noqa: ASYNC109
    ) -> WaitResponse:
        """Long-poll: returns as soon as something newer than ``after`` concerns this device."""
        return WaitResponse(seq=await state.notifier.wait(principal.user_id, after, timeout))

    @get("/rejections", guards=[requires_office])
    async def rejections(
        self,
        db_session: DbSession,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[RejectedMutationOut]:
        """Mutations the server refused (the dead-letter list): why, from whom, with what."""
        query = (
            select(MutationRow)
            .where(MutationRow.outcome == "rejected")
            .order_by(MutationRow.received_at.desc())
        )
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[RejectedMutationOut](
            items=[RejectedMutationOut.model_validate(r) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


class ConflictController(Controller):
    path = "/api/conflicts"
    tags = ["sync"]  # noqa: RUF012
    guards = [requires_conflict_reader]  # noqa: RUF012

    @get("/")
    async def list_conflicts(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        status: FromQuery[str | None] = "open",
        job_id: FromQuery[uuid.UUID | None] = None,
        engineer_id: FromQuery[uuid.UUID | None] = None,
        entity: Annotated[str | None, QueryParameter(description="e.g. van_stock", max_length=30)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Page[ConflictOut]:
        """The review queue, newest first; ``status=`` (empty) lists every status. The warehouse sees
        van stock conflicts only."""
        if principal.role is Role.WAREHOUSE:
            entity = VAN_STOCK
        rows, total = await ConflictService(db_session).list_conflicts(
            status=status or None,
            job_id=job_id,
            engineer_id=engineer_id,
            entity=entity or None,
            limit=limit,
            offset=offset,
        )
        return Page[ConflictOut](
            items=[ConflictOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/{conflict_id:uuid}/accept", status_code=200)
    async def accept(
        self,
        conflict_id: FromPath[uuid.UUID],
        data: JSONBody[ConflictReview],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ConflictOut:
        """Agree with the automatic resolution."""
        return ConflictOut.model_validate(
            await ConflictService(db_session).accept(conflict_id, principal, data.note)
        )

    @post("/{conflict_id:uuid}/override", status_code=200)
    async def override(
        self,
        conflict_id: FromPath[uuid.UUID],
        data: JSONBody[ConflictOverride],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ConflictOut:
        """Set the contested value; it reaches the engineer's device like any office change."""
        conflict = await ConflictService(db_session).override(conflict_id, data.value, principal, data.note)
        return ConflictOut.model_validate(conflict)
