"""``job.sign``: the customer's acceptance (opinion, satisfaction, signature) and the sign-off tap.

Every signature received is kept as a row. On a job QA approved the acceptance is final (a conflict,
``qa_approved``); a second, different signature lands and the old one goes for review
(``sync.rules.signed_twice``).
"""

from __future__ import annotations

from typing import Any

from server.db.models import Job, JobSignature
from server.photos import NotAnImage, check_signature
from server.replication.context import Applied, PushContext, Rejected, plain
from shared.enums import JobEventType
from shared.ids import uuid7
from sync.protocol import JobSignArgs, Mutation, Outcome
from sync.rules import qa_approved, signed_twice


async def apply(ctx: PushContext, mutation: Mutation, args: JobSignArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    ctx.event_seen(job, args.event_id)  # refuse a reused event id before changing anything
    try:  # a 400-digit coordinate became inf and wrote nan into the PDF
        check_signature(args.signature)
    except NotAnImage as exc:
        raise Rejected("invalid_args", str(exc)) from None
    kept = ctx.batch.signatures.setdefault(job.id, [])
    received = JobSignature(
        id=uuid7(),
        job_id=job.id,
        mutation_id=mutation.id,
        event_id=args.event_id,
        opinion=args.opinion,
        satisfaction=args.satisfaction,
        comment=args.comment,
        signature=args.signature,
        signed_at=args.signed_at,
        received_at=ctx.now,
        user_id=ctx.principal.user_id,
        device_id=ctx.principal.device_id,
    )
    # The one that stood is kept whole (a row, and in the conflict) so the office can choose it.
    standing = next((s for s in reversed(kept) if s.signature == job.signature), None)
    stood = signature_value(standing) if standing is not None else standing_value(job)
    if qa_approved(job.status):
        # QA approved the form: the acceptance is final. The signature is still kept as evidence
        # (a row), and the office sees it beside the one that stands.
        ctx.session.add(received)
        kept.append(received)
        ctx.frozen(mutation, job, applied, "acceptance", signature_value(received), stood)
        ctx.refused_on(job)
        return applied
    if signed_twice(job.signature, args.signature):
        applied.conflicts.append(
            ctx.conflict(
                mutation,
                job,
                "acceptance",
                signature_value(received),
                stood,
                resolution="device_wins",
                reason="signed_twice",
            )
        )
        applied.outcome = Outcome.CONFLICT
        applied.reason = "signed_twice"
        applied.message = "the job was already signed; the new signature was kept and the old sent for review"
    ctx.session.add(received)
    kept.append(received)
    job.acceptance_opinion = args.opinion
    job.satisfaction = args.satisfaction
    job.acceptance_comment = args.comment
    job.signature = args.signature
    ctx.touch(job, ["acceptance"])
    ctx.add_event(mutation, job, applied, args.event_id, JobEventType.SIGNED_OFF, args.signed_at)
    return applied


def signature_value(row: JobSignature) -> dict[str, Any]:
    """A received signature as a conflict holds it: which row, what the customer said, and the drawing."""
    return {
        "signature_id": str(row.id),
        "opinion": row.opinion,
        "satisfaction": row.satisfaction,
        "comment": row.comment,
        "signature": row.signature,
        "signed_at": plain(row.signed_at),
        "device_id": plain(row.device_id),
    }


def standing_value(job: Job) -> dict[str, Any]:
    """The job's acceptance when no signature row matches it (signed before rows were kept)."""
    return {
        "signature_id": None,
        "opinion": job.acceptance_opinion,
        "satisfaction": job.satisfaction,
        "comment": job.acceptance_comment,
        "signature": job.signature,
        "signed_at": plain(job.signed_off_at),
        "device_id": None,
    }
