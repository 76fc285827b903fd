"""``part.use``: a part fitted on the job, taken out of the engineer's van in the same transaction.

A use beyond what the van holds by the books is kept, and reported (a ``van_stock`` conflict,
``insufficient_stock``): the part is in the machine whatever the books say.
"""

from __future__ import annotations

from typing import Any

from server.db.models import Job, JobPart
from server.replication.context import Applied, PushContext, Rejected
from sync.protocol import Mutation, PartUseArgs


async def apply(ctx: PushContext, mutation: Mutation, args: PartUseArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    existing = ctx.batch.usages.get(args.usage_id)
    if existing is not None:
        if existing.job_id != job.id:
            raise Rejected("duplicate_id", "this usage id is already used on another job")
        return applied
    if args.part_id not in ctx.batch.parts:
        raise Rejected("unknown_part", "this part is not in the catalogue")
    usage = JobPart(
        id=args.usage_id,
        job_id=job.id,
        part_id=args.part_id,
        quantity=args.quantity,
        old_part_returned=args.old_part_returned,
        used_at=args.used_at,
    )
    ctx.session.add(usage)
    ctx.batch.usages[usage.id] = usage
    ctx.touch(job, ["parts"])
    if ctx.ledger is not None and ctx.van is not None:
        await _consume(ctx, mutation, args, job, applied)
    return applied


async def _consume(
    ctx: PushContext, mutation: Mutation, args: PartUseArgs, job: Job, applied: Applied
) -> None:
    """Take the used units out of the engineer's van; a use beyond the books is kept and reported.

    Nothing can refuse the mutation after this point, so the fast path's promise (a rejected
    mutation leaves nothing behind) holds. The flush first lets the ledger read what earlier
    mutations of the batch did to the same lots and usages.
    """
    assert ctx.ledger is not None and ctx.van is not None
    await ctx.session.flush()
    used = await ctx.ledger.consume(
        ctx.van, args.part_id, args.quantity, job_id=job.id, usage_id=args.usage_id, at=args.used_at
    )
    if not used.shortfall:
        return
    device_value: dict[str, Any] = {"part_id": str(args.part_id), "used": args.quantity}
    if args.believed_on_hand is not None:
        device_value["believed"] = args.believed_on_hand
    applied.conflicts.append(
        ctx.conflict(
            mutation,
            job,
            "quantity",
            device_value,
            {"on_hand": used.balance_before},
            resolution="recorded_short",
            reason="insufficient_stock",
            entity="van_stock",
            entity_id=used.balance_id,
        )
    )
    if not applied.reason:
        applied.reason = "insufficient_stock"
        applied.message = (
            f"the van held {max(used.balance_before, 0)} of this part by the books, not {args.quantity}: "
            "the use was recorded and the warehouse was told"
        )
