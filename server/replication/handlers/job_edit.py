"""``job.edit``: the service form's descriptive fields, merged field by field.

In the order it decides: a form QA approved keeps its frozen fields (``sync.rules.frozen_fields``);
a billing that contradicts the three-guarantee rule is taken out (``_judge_billing``); then per field,
an office-owned field is refused (``backup_lent`` switched off too while a backup unit is still out on
the job: its loan record owns the flag), a field the office decided keeps the office's value, and any other
lands by last writer wins (``sync.merge.decide_lww``). ``sync.rules.edit_verdict`` words the outcome.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from server.db.models import Job, JobLoan
from server.replication.context import Applied, PushContext, plain, utc
from shared.enums import JobKind
from shared.warranty import contradiction
from sync.merge import LWW_JOB_FIELDS, SERVER_OWNED_JOB_FIELDS, decide_lww, office_decided
from sync.protocol import JobEditArgs, Mutation
from sync.rules import Verdict, edit_refused_on, edit_verdict, frozen_fields, qa_approved

_OPEN_LOAN = (
    select(JobLoan.id).where(JobLoan.job_id == bindparam("job_id"), JobLoan.returned_at.is_(None)).limit(1)
)


async def apply(ctx: PushContext, mutation: Mutation, args: JobEditArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    sent = args.fields.model_dump(exclude_unset=True, mode="json")
    if qa_approved(job.status):
        # QA approved the form: its fault, billing and backup fields are final (a device's later value
        # is kept in a conflict for the office); the engineer's notes are not on trial.
        for name in frozen_fields(job.status, sent):
            value = sent.pop(name)
            ctx.frozen(mutation, job, applied, name, value, plain(getattr(job, name)), args.base_version)
        if not sent:
            ctx.refused_on(job)
            return applied
    versions = job.field_versions or {}
    changed: list[str] = []
    owned: list[str] = []
    kept: list[str] = []  # the office decided these (billing override): its value stands
    judged = _judge_billing(ctx, mutation, job, args, sent, applied)
    on_loan = sent.get("backup_lent") is False and await _unit_out_on(ctx, job)
    for name, value in sent.items():
        if name in SERVER_OWNED_JOB_FIELDS or (name == "backup_lent" and on_loan):
            owned.append(name)
            conflict = ctx.conflict(
                mutation,
                job,
                name,
                value,
                plain(getattr(job, name)),
                resolution="rejected",
                reason="server_owned",
                base_version=args.base_version,
            )
            applied.conflicts.append(conflict)
            continue
        assert name in LWW_JOB_FIELDS
        current = getattr(job, name)
        if office_decided(name, job):
            if value != plain(current):
                kept.append(name)
                conflict = ctx.conflict(
                    mutation,
                    job,
                    name,
                    value,
                    plain(current),
                    resolution="office_kept",
                    reason="office_override",
                    base_version=args.base_version,
                )
                applied.conflicts.append(conflict)
            continue
        last = versions.get(name) or {"v": 0, "by": ""}
        decision = decide_lww(
            value, current, int(last["v"]), args.base_version, same_writer=last["by"] == ctx.writer
        )
        if decision.conflict:
            conflict = ctx.conflict(
                mutation,
                job,
                name,
                value,
                current,
                resolution="device_wins",
                reason="both_changed",
                base_version=args.base_version,
            )
            applied.conflicts.append(conflict)
        if decision.apply:
            setattr(job, name, value)
            changed.append(name)
    if changed:
        ctx.touch(job, changed)
    elif edit_refused_on(changed=changed, judged=judged, outcome=applied.outcome):
        ctx.refused_on(job)
    verdict = edit_verdict(
        Verdict(applied.outcome, applied.reason, applied.message),
        changed=changed,
        owned=owned,
        kept=kept,
        conflicts=len(applied.conflicts),
        judged=judged,
    )
    applied.outcome, applied.message = verdict.outcome, verdict.message
    applied.reason = verdict.reason
    return applied


async def _unit_out_on(ctx: PushContext, job: Job) -> bool:
    """Whether a backup unit is still out on ``job``: its loan record then owns ``backup_lent`` (a device
    switching the flag off is refused as ``server_owned`` until the unit is returned; docs/merge-rules.md)."""
    return (await ctx.session.scalar(_OPEN_LOAN, {"job_id": job.id})) is not None


def _judge_billing(
    ctx: PushContext, mutation: Mutation, job: Job, args: JobEditArgs, sent: dict[str, Any], applied: Applied
) -> bool:
    """The three-guarantee rule, as the field app applies it (shared/warranty.py), on a device's billing.

    A billing that contradicts the rule (free with reason man-made, "in warranty" after the warranty
    ended, ...) is taken out of the edit: the job keeps its billing, and a conflict (``warranty_rule``,
    ``rejected``) holds what the device sent against what the rule proposes, for the office to review
    (accept, or decide billing with ``POST /api/jobs/{id}/billing``). Once the office has decided
    billing its decision stands anyway (``office_override``), so this judges nothing then.
    """
    if not ({"billable", "billable_reason"} & sent.keys()) or office_decided("billable", job):
        return False
    billable = sent.get("billable", job.billable)
    reason = sent.get("billable_reason", job.billable_reason)
    end = ctx.batch.warranty_ends.get(job.equipment_id) if job.equipment_id else None
    proposal = contradiction(JobKind(job.kind), billable, reason, end, utc(job.call_received_at).date())
    if proposal is None:
        return False
    sent.pop("billable", None)
    sent.pop("billable_reason", None)
    applied.conflicts.append(
        ctx.conflict(
            mutation,
            job,
            "billable",
            {"billable": billable, "billable_reason": reason},
            {
                "billable": proposal.billable,
                "billable_reason": proposal.reason.value if proposal.reason else None,
            },
            resolution="rejected",
            reason="warranty_rule",
            base_version=args.base_version,
        )
    )
    return True
