"""Before a batch's handlers run: its jobs locked, what they decide from read once, its stock rows and
backup units locked.

Every query a batch makes before its first mutation is here, so the handlers make none per mutation
(apart from a part's ledger) and concurrent pushes queue on locks taken in one stable order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import table_of
from server.db.models import BackupUnit, Device, Job, JobLoan, StockBalance, StockMovement
from server.db.models import Mutation as MutationRow
from server.replication.batch import BatchContext
from server.replication.context import PushContext, utc
from server.stock.ledger import Ledger
from server.stock.service import van_name
from shared.ids import uuid7
from shared.stock import MovementKind
from sync.merge import SESSION_GAP
from sync.protocol import Mutation
from sync.protocol import MutationName as Name

# Built once (see server/changes.py).
_LOCK_JOBS = (
    select(Job).where(Job.id.in_(bindparam("ids", expanding=True))).order_by(Job.id).with_for_update()
)
_devices = table_of(Device).c
# A device's sign-ins: the user's devices of the same name as this one (an expired token signs in again).
_same_device = (
    _devices.user_id == bindparam("user_id"),
    _devices.name == select(_devices.name).where(_devices.id == bindparam("device_id")).scalar_subquery(),
)
_mutations = table_of(MutationRow).c
_signed_in = table_of(Device).alias("signed_in")
# Each sign-in's last push before ``before``: one entry of the (device_id, received_at) index each,
# newest first, where a max() over the sign-ins' mutations read all of them.
_last_push = (
    select(_mutations.received_at)
    .where(_mutations.device_id == _signed_in.c.id, _mutations.received_at < bindparam("before"))
    .order_by(_mutations.received_at.desc())
    .limit(1)
    .correlate(_signed_in)
    .scalar_subquery()
)
# When the first of them signed in, and their last push before ``before``: one statement.
_OFFLINE_SINCE = select(
    select(func.min(_devices.created_at)).where(*_same_device).scalar_subquery().label("first"),
    select(func.max(_last_push))
    .where(
        _signed_in.c.user_id == bindparam("user_id"),
        _signed_in.c.name
        == select(_devices.name).where(_devices.id == bindparam("device_id")).scalar_subquery(),
    )
    .scalar_subquery()
    .label("before"),
)


async def lock_jobs(session: AsyncSession, mutations: list[Mutation]) -> dict[uuid.UUID, Job]:
    """Load and lock every job the batch touches, in id order, so concurrent pushes cannot deadlock."""
    job_ids = sorted({j for m in mutations if (j := m.job_id()) is not None})
    if not job_ids:
        return {}
    locked = await session.scalars(_LOCK_JOBS, {"ids": job_ids})
    return {job.id: job for job in locked}


async def preload(ctx: PushContext, mutations: list[Mutation]) -> None:
    """Read once what the handlers need to decide, so the batch makes no queries per mutation."""
    ctx.batch = await BatchContext.load(ctx.session, mutations, ctx.jobs, ctx.principal.user_id)
    await prepare_stock(ctx, mutations)
    await lock_units(ctx.session, mutations)
    ctx.offline_since = await offline_since(ctx, mutations)


async def lock_units(session: AsyncSession, mutations: list[Mutation]) -> None:
    """For a batch that lends or returns backup units: every unit it names locked up front, in id order.

    A lend locks its unit and then logs the unit's change, which takes the change-log counter; a batch
    lending two units, locking them one by one, could hold the counter while it waits for the second
    unit, held by another push waiting for the counter: a deadlock on PostgreSQL. Locked here, after the
    jobs and before any counter, concurrent pushes queue instead. A batch without loans makes no query.
    """
    lends = [u for m in mutations if m.name is Name.LOAN_LEND if (u := _uuid(m.args.get("unit_id")))]
    returned = [u for m in mutations if m.name is Name.LOAN_RETURN if (u := _uuid(m.args.get("loan_id")))]
    if not lends and not returned:
        return
    units = set(lends)
    if returned:
        units.update(await session.scalars(select(JobLoan.unit_id).where(JobLoan.id.in_(returned))))
    if units:
        await session.execute(
            select(BackupUnit.id)
            .where(BackupUnit.id.in_(sorted(units)))
            .order_by(BackupUnit.id)
            .with_for_update()
        )


async def offline_since(ctx: PushContext, mutations: list[Mutation]) -> datetime | None:
    """When this device's offline period began: its last push before this sync session (pushes less
    than ``SESSION_GAP`` apart are one session), or else its first sign-in. A tablet that signs in
    again (an expired token) keeps its name, so the user's sign-ins under this device's name count
    as one device. Only a batch with taps asks."""
    if not any(m.name in (Name.JOB_EVENT, Name.JOB_SIGN) for m in mutations):
        return None
    principal = ctx.principal
    first, before = (
        await ctx.session.execute(
            _OFFLINE_SINCE,
            {"user_id": principal.user_id, "device_id": principal.device_id, "before": ctx.now - SESSION_GAP},
        )
    ).one()
    if first is None:  # pragma: no cover - the caller's own device row
        return None
    return max(utc(first), utc(before)) if before is not None else utc(first)


async def prepare_stock(ctx: PushContext, mutations: list[Mutation]) -> None:
    """For a batch that uses or voids parts: the engineer's van, and every balance row it may move
    locked up front in (part, store) order.

    The ledger locks a balance row when it first moves it and takes the stock counter right after,
    so two batches moving two parts in opposite orders would deadlock on PostgreSQL; locking all of
    a batch's rows first, in one stable order, makes concurrent pushes queue instead. A batch
    without parts makes no query here.
    """
    uses = [m for m in mutations if m.name is Name.PART_USE]
    voids = [m for m in mutations if m.name is Name.PART_VOID]
    if not uses and not voids:
        return
    session, principal = ctx.session, ctx.principal
    ctx.ledger = Ledger(session, principal.user_id, principal.device_id, ctx.now)
    ctx.van = van = await ctx.ledger.van_of(principal.user_id, van_name(principal.display_name))
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for m in uses:
        try:
            part_id = uuid.UUID(str(m.args.get("part_id")))
        except ValueError:
            continue  # rejected when its arguments are parsed
        if part_id in ctx.batch.parts:
            pairs.add((part_id, van.id))
    voided = [u for m in voids if (u := _uuid(m.args.get("usage_id"))) in ctx.batch.usages]
    if voided:  # a void gives the units back to the store the use took them from
        rows = await session.execute(
            select(StockMovement.part_id, StockMovement.store_id)
            .where(
                StockMovement.usage_id.in_(voided),
                StockMovement.kind == MovementKind.CONSUME.value,
            )
            .distinct()
        )
        pairs.update((part_id, store_id) for part_id, store_id in rows)
    if not pairs:
        return
    ordered = sorted(pairs)
    dialect = (await session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(StockBalance)
        .values(
            [
                {"id": uuid7(), "store_id": store, "part_id": part, "quantity": 0, "updated_at": ctx.now}
                for part, store in ordered
            ]
        )
        .on_conflict_do_nothing(index_elements=["store_id", "part_id"])
    )
    await session.execute(
        select(StockBalance.id)
        .where(
            StockBalance.part_id.in_({part for part, _ in ordered}),
            StockBalance.store_id.in_({store for _, store in ordered}),
        )
        .order_by(StockBalance.part_id, StockBalance.store_id)
        .with_for_update()
    )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
