"""``quote.make``: a quote for a paid repair made on the tablet (offline), with the customer's acceptance
signature when the customer accepted it there.

The server is the judge: only a billable repair is quoted (``not_billable`` otherwise, the three-guarantee
rules decided it: ``shared.warranty``); the money is recomputed with the price list and the contract's
discount (``shared.paid.quote_totals``). A quote arriving after the customer accepted another, or whose
figures differ from the server's, is kept for the office's review and never replaces the accepted one
(``shared.paid.status_on_arrival``; docs/merge-rules.md). A resend of the same quote changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from server.db.models import JobQuote
from server.paid.service import MESSAGES, accepted_quote, discount_on, figures, price_lines, supersede_offers
from server.photos import NotAnImage, check_signature
from server.replication.context import Applied, PushContext, Rejected
from shared.paid import QuoteStatus, ReviewReason, quote_refusal, status_on_arrival
from sync.protocol import Mutation, QuoteMakeArgs


async def apply(ctx: PushContext, mutation: Mutation, args: QuoteMakeArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    existing = await ctx.session.get(JobQuote, args.quote_id)
    if existing is not None:
        if existing.job_id != job.id:
            raise Rejected("duplicate_id", MESSAGES["duplicate_id"])
        return applied  # the same quote again: the first arrival stands
    reason = quote_refusal(job.billable)
    if reason:
        raise Rejected(reason, MESSAGES[reason])
    if args.signature:
        try:
            check_signature(args.signature)
        except NotAnImage as exc:
            raise Rejected("invalid_args", str(exc)) from None
    try:
        lines = await price_lines(ctx.session, args.lines)
    except KeyError:
        raise Rejected("unknown_part", MESSAGES["unknown_part"]) from None
    day = args.quoted_at.date()
    pct = await discount_on(ctx.session, job.customer_id, day)
    money = figures(lines, pct, Decimal(args.total))
    differ = money["total"] != money["device_total"] or money["discount_pct"] != str(
        Decimal(args.discount_pct).quantize(Decimal("0.01"))
    )
    accepted = await accepted_quote(ctx.session, job.id, args.quote_id)
    signed = bool(args.signature)
    status = status_on_arrival(signed=signed, accepted_exists=accepted is not None, figures_differ=differ)
    review = ""
    if status is QuoteStatus.REVIEW:
        review = (
            ReviewReason.AFTER_ACCEPTANCE if accepted is not None else ReviewReason.FIGURES_DIFFER
        ).value
    elif status is QuoteStatus.ACCEPTED or status is QuoteStatus.OFFERED:
        await supersede_offers(ctx.session, job.id, args.quote_id)
    ctx.session.add(
        JobQuote(
            id=args.quote_id,
            job_id=job.id,
            lines=lines,
            figures=money,
            discount_pct=Decimal(money["discount_pct"]),
            subtotal=Decimal(money["subtotal"]),
            discount=Decimal(money["discount"]),
            total=Decimal(money["total"]),
            device_total=Decimal(money["device_total"]),
            status=status.value,
            review_reason=review,
            quoted_at=args.quoted_at,
            accepted_at=(args.accepted_at or args.quoted_at) if signed else None,
            signature=args.signature,
            made_by=ctx.principal.user_id,
            received_at=ctx.now,
        )
    )
    ctx.touch(job, ["quotes"])
    await ctx.session.flush()
    if review == ReviewReason.AFTER_ACCEPTANCE.value:
        applied.reason = "after_acceptance"
        applied.message = (
            "the customer had already accepted another quote: this one is kept for the office's review"
        )
    elif review:
        applied.reason = "figures_differ"
        applied.message = (
            "the quote's figures differ from the price list or the contract's discount: kept for review"
        )
    return applied
