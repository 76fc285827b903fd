"""``job.event``: a tap on the job's timeline (acknowledge, depart, arrive, start, resolve).

The tap is an append-only event with the device's time; the shared step ``PushContext.add_event``
keeps the first time, flags an implausible one and moves the status forward (``sync.merge``).
"""

from __future__ import annotations

from server.replication.context import Applied, PushContext, Rejected
from shared.enums import JobEventType
from sync.protocol import JobEventArgs, Mutation


async def apply(ctx: PushContext, mutation: Mutation, args: JobEventArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    if args.type is JobEventType.SIGNED_OFF:
        # A sign-off is the customer's signature and satisfaction (job.sign), never a bare tap.
        raise Rejected(
            "unsigned", "a sign-off needs the customer's signature and satisfaction: send job.sign"
        )
    ctx.add_event(mutation, job, applied, args.event_id, args.type, args.at)
    return applied
