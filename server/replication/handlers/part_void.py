"""``part.void``: a part use taken back; the usage row stays (append-only) with its void time, and
what the use took from a store goes back to it."""

from __future__ import annotations

from server.replication.context import Applied, PushContext, Rejected
from sync.protocol import Mutation, PartVoidArgs


async def apply(ctx: PushContext, mutation: Mutation, args: PartVoidArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    usage = ctx.batch.usages.get(args.usage_id)
    if usage is None or usage.job_id != job.id:
        raise Rejected("unknown_usage", "there is no such part usage on this job")
    if usage.voided_at is None:
        usage.voided_at = args.at
        ctx.touch(job, ["parts"])
        if ctx.ledger is not None:  # what the use took goes back to its store
            await ctx.session.flush()
            await ctx.ledger.unconsume(usage, args.at)
    return applied
