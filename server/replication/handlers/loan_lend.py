"""``loan.lend``: a backup unit lent to the customer on this job, recorded on the tablet (offline).

The server is the judge (``sync.rules.lend_refusal``): the unit row is locked, so of two devices lending
the same unit the first to arrive holds it and the second is refused (``unit_out``), with nothing left
behind. The device's lending time is kept. The loan is flushed at once so a return later in the same
batch finds it.
"""

from __future__ import annotations

from server.changes import log_changes
from server.db.models import JobLoan
from server.loans.service import MESSAGES, lend, lock_unit, refusal_to_lend, unit_change
from server.replication.context import Applied, PushContext, Rejected
from sync.protocol import LoanLendArgs, Mutation


async def apply(ctx: PushContext, mutation: Mutation, args: LoanLendArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    existing = await ctx.session.get(JobLoan, args.loan_id)
    if existing is not None:
        if existing.job_id != job.id:
            raise Rejected("duplicate_id", MESSAGES["duplicate_id"])
        return applied  # the same loan again (re-recorded after a fresh download): nothing changes
    unit = await lock_unit(ctx.session, args.unit_id)
    reason = await refusal_to_lend(ctx.session, unit, args.lent_at, args.loan_id)
    if reason:
        raise Rejected(reason, MESSAGES[reason])
    assert unit is not None
    lend(
        ctx.session,
        job,
        unit,
        loan_id=args.loan_id,
        lent_at=args.lent_at,
        note=args.note,
        by=ctx.principal.user_id,
        now=ctx.now,
    )
    ctx.touch(job, ["loans", "backup_lent"])
    await ctx.session.flush()
    await log_changes(ctx.session, [unit_change(unit)])
    return applied
