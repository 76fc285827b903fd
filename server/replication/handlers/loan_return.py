"""``loan.return``: the lent unit came back from the customer, recorded on the tablet (offline).

The loan row stays (append-only history); its return time and condition are filled once. A second
return of the same loan changes nothing: the first return to arrive stands.
"""

from __future__ import annotations

from server.changes import log_changes
from server.db.models import BackupUnit, JobLoan
from server.loans.service import MESSAGES, give_back, refusal_to_return, unit_change
from server.replication.context import Applied, PushContext, Rejected
from sync.protocol import LoanReturnArgs, Mutation


async def apply(ctx: PushContext, mutation: Mutation, args: LoanReturnArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    loan = await ctx.session.get(JobLoan, args.loan_id)
    reason = refusal_to_return(loan, job, args.returned_at)
    if reason:
        raise Rejected(reason, MESSAGES[reason])
    assert loan is not None
    if loan.returned_at is not None:
        return applied
    unit = await ctx.session.get(BackupUnit, loan.unit_id, with_for_update=True)
    give_back(
        loan,
        unit,
        returned_at=args.returned_at,
        condition=args.condition,
        note=args.note,
        by=ctx.principal.user_id,
        by_engineer=True,
        now=ctx.now,
    )
    ctx.touch(job, ["loans"])
    await ctx.session.flush()
    if unit is not None:
        await log_changes(ctx.session, [unit_change(unit)])
    return applied
