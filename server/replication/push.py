"""Applying a device's pushed mutations: one transaction per batch, idempotent by mutation id.

This is the loop: lock the batch's jobs, answer a resend from its stored outcome, run every new
mutation through its handler (``handlers/<mutation>.py``, picked by name from ``HANDLERS``) and store
the outcome. What the handlers share lives in ``context.py``, what is read before them in
``prepare.py``. The stored outcome answers any resend.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import current_seq
from server.db.base import table_of, utcnow
from server.db.limits import check_row_lengths
from server.db.models import Device
from server.db.models import Mutation as MutationRow
from server.deps import Principal
from server.replication.context import PushContext, Rejected
from server.replication.handlers import HANDLERS
from server.replication.prepare import lock_jobs, preload
from sync.protocol import (
    Mutation,
    MutationResult,
    Outcome,
    PushRequest,
    PushResponse,
    describe_validation_error,
)

# Built once (see server/changes.py): Core statements on the tables, no ORM objects to track.
_mutations = table_of(MutationRow).c
_STORED = select(_mutations.id, _mutations.user_id, _mutations.outcome, _mutations.detail).where(
    _mutations.id.in_(bindparam("ids", expanding=True))
)
_INSERT_MUTATIONS = insert(table_of(MutationRow))
_SYNCED = (
    update(table_of(Device))
    .where(table_of(Device).c.id == bindparam("device_id"))
    .values(last_sync_at=bindparam("now"))
)
_MUTATION_COLUMNS = tuple(c.key for c in table_of(MutationRow).columns)
#: how fresh a device's sync stamp (shown to dispatchers) is kept: a push or pull writes it when older
SYNC_STAMP_RESOLUTION = timedelta(seconds=30)


def sync_stamp_stale(principal: Principal, now: datetime) -> bool:
    """Whether this request should write the device's sync stamp: never written, or older than
    ``SYNC_STAMP_RESOLUTION`` when the token check read it (the push and the pull both ask here)."""
    seen = principal.last_sync_at
    return seen is None or now - seen >= SYNC_STAMP_RESOLUTION


class PushService:
    def __init__(self, session: AsyncSession, principal: Principal, now: datetime | None = None) -> None:
        self.session = session
        self.principal = principal
        self.now = now or utcnow()

    async def push(self, request: PushRequest) -> PushResponse:
        """Apply the batch in one transaction.

        The fast path applies every mutation without savepoints: handlers check everything before
        they change anything, and all reads come from one preload per batch, so a rejected mutation
        leaves nothing behind. Should the database still refuse something at the end, the batch runs
        again, one savepoint per mutation, so the culprit alone is rejected. Each attempt has its own
        ``PushContext``: a rolled-back attempt's ledger caches rows that no longer exist.
        """
        try:
            return await self._push(request, careful=False)
        except IntegrityError:
            await self.session.rollback()
            return await self._push(request, careful=True)

    async def _push(self, request: PushRequest, *, careful: bool) -> PushResponse:
        offset_ms = int((self.now - request.device_time).total_seconds() * 1000)
        ids = [m.id for m in request.mutations]
        # Lock first: a duplicate delivery racing this one then waits and finds the stored outcomes.
        jobs = await lock_jobs(self.session, request.mutations)
        ctx = PushContext(self.session, self.principal, self.now, request.device_time, jobs)
        stored: dict[uuid.UUID, Any] = {
            row.id: row for row in (await self.session.execute(_STORED, {"ids": ids})).all()
        }
        await preload(ctx, [m for m in request.mutations if m.id not in stored])
        results: list[MutationResult] = []
        rows: list[MutationRow] = []
        for mutation in request.mutations:
            previous = stored.get(mutation.id)
            if previous is not None:
                results.append(self._stored_result(previous))
                continue
            result = await _apply_one(ctx, mutation, careful=careful)
            row = MutationRow(
                id=mutation.id,
                device_id=self.principal.device_id,
                user_id=self.principal.user_id,
                client_seq=mutation.client_seq,
                name=mutation.name.value,
                args=_storable(mutation.args),
                hlc=mutation.hlc,
                outcome=result.outcome.value,
                detail={
                    "reason": result.reason,
                    "message": result.message,
                    "conflict_ids": [str(c) for c in result.conflict_ids],
                    "clock_offset_ms": offset_ms,
                },
                received_at=self.now,
            )
            rows.append(row)
            stored[mutation.id] = row
            results.append(result)
            ctx.audit(mutation, result, row.args)
        await ctx.finish()
        if rows:  # the batch's log of mutations: one Core executemany, after the handlers' rows
            values = [{name: getattr(row, name) for name in _MUTATION_COLUMNS} for row in rows]
            check_row_lengths(MutationRow, values)
            await self.session.execute(_INSERT_MUTATIONS, values)
        if sync_stamp_stale(self.principal, self.now):
            await self.session.execute(_SYNCED, {"device_id": self.principal.device_id, "now": self.now})
        seq = await current_seq(self.session)
        await self.session.commit()
        return PushResponse(results=results, clock_offset_ms=offset_ms, server_seq=seq)

    def _stored_result(self, row: Any) -> MutationResult:
        """The outcome kept for a resent mutation (a stored row, or one earlier in this batch)."""
        if row.user_id != self.principal.user_id:
            return MutationResult(
                id=row.id,
                outcome=Outcome.REJECTED,
                reason="duplicate_id",
                message="this mutation id was already used; make a new id",
            )
        detail = row.detail or {}
        return MutationResult(
            id=row.id,
            outcome=Outcome(row.outcome),
            reason=detail.get("reason", ""),
            message=detail.get("message", ""),
            conflict_ids=[uuid.UUID(c) for c in detail.get("conflict_ids", [])],
        )


async def _apply_one(ctx: PushContext, mutation: Mutation, *, careful: bool) -> MutationResult:
    """One mutation through its handler; a refusal takes back whatever the handler recorded."""
    if _has_nul(mutation.args):
        return MutationResult(
            id=mutation.id,
            outcome=Outcome.REJECTED,
            reason="invalid_args",
            message="text contains a NUL character",
        )
    try:
        args = mutation.parsed()
    except ValidationError as exc:
        return MutationResult(
            id=mutation.id,
            outcome=Outcome.REJECTED,
            reason="invalid_args",
            message=describe_validation_error(exc),
        )
    handler = HANDLERS.get(mutation.name)
    if handler is None:  # pragma: no cover - every name has a handler (tests/sync/test_push_table.py)
        return MutationResult(
            id=mutation.id,
            outcome=Outcome.REJECTED,
            reason="unknown_mutation",
            message=f"unknown mutation {mutation.name}",
        )
    conflicts_before = len(ctx.new_conflicts)
    touched_before = len(ctx.touched)
    writes_before = ctx.writes.mark()
    try:
        if careful:
            async with ctx.session.begin_nested():
                applied = await handler(ctx, mutation, args)
                await ctx.writes.write(ctx.session)
                await ctx.session.flush()
        else:
            with ctx.session.no_autoflush:
                applied = await handler(ctx, mutation, args)
    except (Rejected, IntegrityError) as exc:
        if isinstance(exc, IntegrityError) and not careful:
            raise  # a flush on the fast path (parts) failed: the whole batch runs again, carefully
        if not careful:  # nothing was flushed: take back the conflict records it added
            for conflict in ctx.new_conflicts[conflicts_before:]:
                ctx.session.expunge(conflict)
        del ctx.new_conflicts[conflicts_before:]
        ctx.writes.forget(writes_before)
        ctx.untouch(touched_before)
        if isinstance(exc, IntegrityError):
            exc = Rejected("invalid_reference", "this change refers to something the server does not have")
        return MutationResult(
            id=mutation.id, outcome=Outcome.REJECTED, reason=exc.reason, message=exc.message
        )
    return MutationResult(
        id=mutation.id,
        outcome=applied.outcome,
        reason=applied.reason,
        message=applied.message,
        conflict_ids=[c.id for c in applied.conflicts],
    )


def _has_nul(value: Any) -> bool:
    """Whether any text inside ``value`` holds a NUL, which no database text column can store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\\0")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _storable(args: dict[str, Any]) -> dict[str, Any]:
    """Mutation arguments as kept in the log: a photo's bytes live in the photos table, not twice,
    and a NUL (refused anyway) is written as a visible ``\\0`` so the record of the refusal fits."""
    if _has_nul(args):
        args = _without_nul(args)
    if "data_b64" not in args:
        return args
    data = str(args["data_b64"])
    return {**args, "data_b64": f"<{len(data)} base64 chars>"}
