"""Demo paid repairs (有偿维修、优惠收费): a quote for every resolved billable repair, accepted with the
customer's signature, charged by the office and paid in full, in part or not yet.

The quote is made as the tablet makes it: labour hours at the labour rate, the parts used on the job at
their list price, the travel, and the discount of the customer's maintenance agreement on the day (one
demo customer's agreement gives 10 %: 专项维修优惠收费). One job also has a later quote that arrived after
the customer had accepted, kept for review, so the console has one to flag. Everything comes from
``random.Random(rng_seed)`` and ``now``, like the rest of the demo.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Contract,
    Job,
    JobPart,
    JobQuote,
    MaintenanceAgreement,
    Part,
    RepairCharge,
    RepairPayment,
    User,
)
from server.paid.service import discount_on, figures
from shared.enums import JobKind, Role
from shared.ids import uuid7
from shared.paid import LABOUR_RATE, PayMethod, QuoteStatus, ReviewReason, cents, line_amount

SIGNATURE = "M 20 80 L 60 20 L 100 80 L 140 30 L 180 90"
TRAVEL = (Decimal("80.00"), Decimal("120.00"), Decimal("200.00"), Decimal("350.00"))


def _line(
    kind: str, description: str, quantity: Decimal, price: Decimal, part_id: str | None = None
) -> dict[str, str | None]:
    return {
        "kind": kind,
        "description": description,
        "part_id": part_id,
        "quantity": str(quantity),
        "unit_price": str(price),
        "amount": str(line_amount(quantity, price)),
    }


#: the repair discounts (优惠收费) of the maintenance agreements the demo signs with the customers that
#: have the most paid repairs
DISCOUNTS = (Decimal("10.00"), Decimal("8.50"))


async def _agreements(session: AsyncSession, jobs: list[Job]) -> None:
    """A maintenance agreement (长期维护协议) with a repair discount on the current contract of the two
    customers with the most paid repairs, running from before their first one."""
    counts: dict[uuid.UUID, list[Job]] = {}
    for job in jobs:
        counts.setdefault(job.customer_id, []).append(job)
    ranked = sorted(counts.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))[: len(DISCOUNTS)]
    for (customer_id, theirs), pct in zip(ranked, DISCOUNTS, strict=False):
        if await discount_on(session, customer_id, theirs[0].call_received_at.date()) > 0:
            continue
        contract = await session.scalar(
            select(Contract).where(Contract.customer_id == customer_id).order_by(Contract.starts_on.desc())
        )
        if contract is None:
            continue
        starts = min(j.call_received_at for j in theirs).date() - timedelta(days=1)
        session.add(
            MaintenanceAgreement(
                contract_id=contract.id,
                number=f"WHXY-YH-{contract.number}",
                scope="保修期满后的全部防汛设备",
                content="定期巡检回访；专项维修",
                method="主动跟踪巡检，7x24小时报修响应",
                rules="专项维修按价目表报价，给予优惠收费",
                fee=Decimal("24000.00"),
                fee_terms=f"按年度收取，专项维修优惠 {pct}%",
                starts_on=starts,
                ends_on=starts + timedelta(days=3 * 365),
                repair_discount_pct=pct,
            )
        )
    await session.flush()


async def seed_paid(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """Quotes, charges and payments for the demo's billable repairs; the caller commits."""
    rng = random.Random(rng_seed + 17)
    desk = await session.scalar(
        select(User).where(User.role == Role.DISPATCHER.value).order_by(User.username)
    )
    jobs = list(
        (
            await session.scalars(
                select(Job)
                .where(Job.billable.is_(True), Job.kind == JobKind.REPAIR.value, Job.resolved_at.isnot(None))
                .order_by(Job.resolved_at, Job.number)
            )
        ).all()
    )
    await _agreements(session, jobs)
    used: dict[uuid.UUID, list[tuple[int, Part]]] = {}
    if jobs:
        rows = await session.execute(
            select(JobPart.job_id, JobPart.quantity, Part)
            .join(Part, Part.id == JobPart.part_id)
            .where(JobPart.job_id.in_([j.id for j in jobs]), JobPart.voided_at.is_(None))
        )
        for job_id, quantity, part in rows.all():
            used.setdefault(job_id, []).append((quantity, part))
    quotes: list[JobQuote] = []
    charges: list[RepairCharge] = []
    payments: list[RepairPayment] = []
    for i, job in enumerate(jobs):
        assert job.resolved_at is not None
        at = job.resolved_at - timedelta(minutes=rng.randint(5, 40))
        lines = [_line("labour", "", Decimal(rng.randint(2, 12)) / 2, LABOUR_RATE)]
        for quantity, part in used.get(job.id, []):
            price = cents(Decimal(str(part.unit_price)))
            lines.append(_line("part", f"{part.code} {part.name}", Decimal(quantity), price, str(part.id)))
        lines.append(_line("travel", "", Decimal(1), rng.choice(TRAVEL)))
        pct = await discount_on(session, job.customer_id, at.date())
        money = figures(lines, pct, Decimal(0))
        money["device_total"] = money["total"]
        quote = JobQuote(
            id=uuid7(),
            job_id=job.id,
            lines=lines,
            figures=money,
            discount_pct=Decimal(money["discount_pct"]),
            subtotal=Decimal(money["subtotal"]),
            discount=Decimal(money["discount"]),
            total=Decimal(money["total"]),
            device_total=Decimal(money["total"]),
            status=QuoteStatus.ACCEPTED.value,
            review_reason="",
            quoted_at=at,
            accepted_at=at + timedelta(minutes=3),
            signature=SIGNATURE,
            made_by=job.assigned_engineer_id,
            received_at=at + timedelta(minutes=rng.randint(5, 120)),
        )
        quotes.append(quote)
        if i == len(jobs) - 1:  # the newest: a second quote after acceptance, for the office to review
            later = dict(money, total=str(cents(Decimal(money["total"]) + Decimal("180.00"))))
            later["device_total"] = later["total"]
            quotes.append(
                JobQuote(
                    id=uuid7(),
                    job_id=job.id,
                    lines=[*lines, _line("labour", "返工", Decimal(1), LABOUR_RATE)],
                    figures=later,
                    discount_pct=quote.discount_pct,
                    subtotal=quote.subtotal,
                    discount=quote.discount,
                    total=Decimal(later["total"]),
                    device_total=Decimal(later["total"]),
                    status=QuoteStatus.REVIEW.value,
                    review_reason=ReviewReason.AFTER_ACCEPTANCE.value,
                    quoted_at=at + timedelta(minutes=30),
                    accepted_at=at + timedelta(minutes=33),
                    signature=SIGNATURE,
                    made_by=job.assigned_engineer_id,
                    received_at=at + timedelta(hours=2),
                )
            )
            continue
        if desk is None or rng.random() < 0.15:  # not charged yet
            continue
        issued = min(now, job.resolved_at + timedelta(days=rng.randint(1, 5)))
        charge = RepairCharge(
            id=uuid7(),
            number=f"SF-{job.number}",
            quote_id=quote.id,
            amount=quote.total,
            issued_at=issued,
            issued_by=desk.id,
            note="",
        )
        charges.append(charge)
        roll = rng.random()
        if roll < 0.6:  # paid in full
            parts = [quote.total]
        elif roll < 0.8:  # a deposit, the rest still owed
            parts = [cents(quote.total * Decimal("0.5"))]
        else:
            parts = []
        for amount in parts:
            paid_on = min(now, issued + timedelta(days=rng.randint(3, 30))).date()
            payments.append(
                RepairPayment(
                    charge_id=charge.id,
                    amount=amount,
                    method=rng.choice(
                        [PayMethod.BANK_TRANSFER, PayMethod.BANK_TRANSFER, PayMethod.CASH]
                    ).value,
                    paid_on=paid_on,
                    note="",
                    recorded_by=desk.id,
                )
            )
    for batch in (quotes, charges, payments):
        session.add_all(batch)
        await session.flush()
    return {"job_quotes": len(quotes), "repair_charges": len(charges), "repair_payments": len(payments)}
