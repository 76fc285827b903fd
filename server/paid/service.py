"""Paid repairs: the steps the tablet's ``quote.make`` handler and the office's API share.

The money rule is ``shared.paid.quote_totals`` (pure, the tablet runs it too). Here the server reads what
it judges a quote by: the job's billing (only a billable repair is quoted), the price list (a part's list
price, the labour rate) and the discount of the customer's maintenance agreement on the day of the quote.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import table_of
from server.db.models import Contract, Job, JobQuote, MaintenanceAgreement, Part
from shared.paid import LABOUR_RATE, LineKind, QuoteStatus, cents, line_amount, quote_totals

#: reason code -> the message people read (the device shows its own catalogue's words for the code)
MESSAGES = {
    "not_billable": "this repair is free under the three-guarantee rules (or not decided yet): no quote",
    "unknown_part": "a quoted part is not in the price list",
    "duplicate_id": "this quote id is already used on another job",
    "invalid_args": "the quote's lines cannot be read",
}


async def discount_on(session: AsyncSession, customer_id: uuid.UUID, day: date) -> Decimal:
    """The repair discount (percent) of the customer's maintenance agreement running on ``day``; 0 when
    none runs (优惠收费 is a promise of the agreement after the warranty)."""
    pct = await session.scalar(
        select(MaintenanceAgreement.repair_discount_pct)
        .join(Contract, Contract.id == MaintenanceAgreement.contract_id)
        .where(
            Contract.customer_id == customer_id,
            MaintenanceAgreement.starts_on <= day,
            MaintenanceAgreement.ends_on >= day,
        )
        .order_by(MaintenanceAgreement.starts_on.desc())
        .limit(1)
    )
    return cents(Decimal(pct)) if pct is not None else Decimal("0.00")


_jobs, _contracts, _agreements = (table_of(m) for m in (Job, Contract, MaintenanceAgreement))
_day: BindParameter[date] = bindparam("day")
# Built once (see server/changes.py): every pull asks, and building the statement cost more than running it.
_DISCOUNTS = (
    select(_jobs.c.id, _agreements.c.repair_discount_pct)
    .join_from(_jobs, _contracts, _contracts.c.customer_id == _jobs.c.customer_id)
    .join(_agreements, _agreements.c.contract_id == _contracts.c.id)
    .where(
        _jobs.c.id.in_(bindparam("ids", expanding=True)),
        _agreements.c.starts_on <= _day,
        _agreements.c.ends_on >= _day,
    )
)


async def discounts_for_jobs(session: AsyncSession, job_ids: list[uuid.UUID], day: date) -> dict[str, str]:
    """Each job's customer's repair discount on ``day`` as decimal text (the job document carries it, so
    the tablet quotes with it offline); jobs without a running agreement are left out (0)."""
    rows = await session.execute(_DISCOUNTS, {"ids": job_ids, "day": day})
    out: dict[str, str] = {}
    for job_id, pct in rows.all():
        text = str(cents(Decimal(pct)))
        if Decimal(text) > Decimal(out.get(str(job_id), "0")):
            out[str(job_id)] = text
    return out


async def price_lines(session: AsyncSession, lines: list[Any]) -> list[dict[str, str | None]]:
    """The quote's lines priced by the price list: a part at its list price, labour at the labour rate,
    travel as the engineer wrote it. Raises KeyError on a part not in the list."""
    part_ids = {line.part_id for line in lines if line.kind == LineKind.PART.value}
    if any(pid is None for pid in part_ids):
        raise KeyError("part")
    parts: dict[uuid.UUID, Part] = {}
    if part_ids:
        parts = {p.id: p for p in (await session.scalars(select(Part).where(Part.id.in_(part_ids)))).all()}
    out: list[dict[str, str | None]] = []
    for line in lines:
        quantity = Decimal(line.quantity)
        if line.kind == LineKind.PART.value:
            part = parts.get(line.part_id)
            if part is None:
                raise KeyError("part")
            # the price list keeps a float; its decimal text to the cent is the price
            price = cents(Decimal(str(part.unit_price)))
            description = line.description or f"{part.code} {part.name}"
        elif line.kind == LineKind.LABOUR.value:
            price = LABOUR_RATE
            description = line.description
        else:
            price = cents(Decimal(line.unit_price))
            description = line.description
        out.append(
            {
                "kind": line.kind,
                "description": description,
                "part_id": str(line.part_id) if line.part_id else None,
                "quantity": str(quantity),
                "unit_price": str(price),
                "amount": str(line_amount(quantity, price)),
            }
        )
    return out


def figures(lines: list[dict[str, Any]], discount_pct: Decimal, device_total: Decimal) -> dict[str, str]:
    totals = quote_totals(
        [(Decimal(x["quantity"]), Decimal(x["unit_price"])) for x in lines], cents(discount_pct)
    )
    return {
        "discount_pct": str(cents(discount_pct)),
        "subtotal": str(totals.subtotal),
        "discount": str(totals.discount),
        "total": str(totals.total),
        "device_total": str(cents(device_total)),
    }


async def accepted_quote(session: AsyncSession, job_id: uuid.UUID, but: uuid.UUID) -> JobQuote | None:
    found: JobQuote | None = await session.scalar(
        select(JobQuote).where(
            JobQuote.job_id == job_id, JobQuote.status == QuoteStatus.ACCEPTED.value, JobQuote.id != but
        )
    )
    return found


async def supersede_offers(session: AsyncSession, job_id: uuid.UUID, but: uuid.UUID) -> None:
    """Offered (unsigned) quotes of the job give way to a newer one."""
    for quote in (
        await session.scalars(
            select(JobQuote).where(
                JobQuote.job_id == job_id, JobQuote.status == QuoteStatus.OFFERED.value, JobQuote.id != but
            )
        )
    ).all():
        quote.status = QuoteStatus.SUPERSEDED.value
