"""``checklist.answer``: one checklist item answered (ok / fault / n.a., or a reading).

The answer is a row made on the device, merged field-level last writer wins (``sync.merge.decide_lww``);
a reading outside its item's limits is kept and flagged, a number on a check item refused
(``sync.rules``).
"""

from __future__ import annotations

from typing import Any

from server.db.models import ChecklistResult, Job
from server.replication.context import Applied, PushContext, Rejected
from sync.merge import decide_lww
from sync.protocol import ChecklistAnswerArgs, Mutation, Outcome
from sync.rules import answer_refusal, out_of_range


def _item(ctx: PushContext, job: Job, code: str) -> dict[str, Any] | None:
    """The template item answered; None when the job has no template to check against."""
    items = ctx.batch.template_items(job)
    if items is None:
        return None
    item = next((i for i in items if i.get("code") == code), None)
    if item is None:
        raise Rejected("unknown_item", f"checklist item '{code}' is not on this job's template")
    return dict(item)


async def apply(ctx: PushContext, mutation: Mutation, args: ChecklistAnswerArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    item = _item(ctx, job, args.item_code)
    flagged = out_of_range(item, args.value)
    if answer_refusal(item, args.value):
        raise Rejected("invalid_answer", f"'{args.item_code}' takes ok / fault / n.a., not a number")
    row = ctx.batch.answers.get((job.id, args.item_code))
    answer = {"result": args.result.value if args.result else None, "value": args.value, "note": args.note}
    if row is None:
        if args.result_id in ctx.batch.answer_ids:
            raise Rejected("duplicate_id", "this answer id is already used")
        row = ctx.writes.insert(
            ChecklistResult,
            id=args.result_id,
            job_id=job.id,
            item_code=args.item_code,
            result=answer["result"],
            value=args.value,
            note=args.note,
            out_of_range=flagged,
            answered_at=args.answered_at,
            version=1,
            written_by=ctx.writer,
        )
        ctx.batch.answers[(job.id, args.item_code)] = row
        ctx.batch.answer_ids.add(args.result_id)
    else:
        current = {"result": row.result, "value": row.value, "note": row.note}
        decision = decide_lww(
            answer, current, row.version, args.base_version, same_writer=row.written_by == ctx.writer
        )
        if decision.conflict:
            applied.conflicts.append(
                ctx.conflict(
                    mutation,
                    job,
                    f"checklist:{args.item_code}",
                    answer,
                    current,
                    resolution="device_wins",
                    reason="both_changed",
                    entity="checklist_result",
                    entity_id=row.id,
                    base_version=args.base_version,
                )
            )
            if applied.outcome is Outcome.APPLIED:
                applied.outcome = Outcome.CONFLICT
                applied.reason = "both_changed"
                applied.message = (
                    "this answer was changed elsewhere; yours was kept, the other sent for review"
                )
        if not decision.apply:
            return applied
        row.result = args.result.value if args.result else None
        row.value, row.note = args.value, args.note
        row.out_of_range, row.answered_at = flagged, args.answered_at
        row.version += 1
        row.written_by = ctx.writer
        ctx.writes.changed(ChecklistResult, row)
    ctx.touch(job, ["checklist"])
    if flagged and applied.outcome is Outcome.APPLIED:
        applied.message = "reading is outside the limits and was flagged"
    return applied
