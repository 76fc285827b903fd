"""``/api/paid``: paid repairs (有偿维修) for the office: the quotes the tablets made, the charge of an
accepted quote, its payments, and the reports (paid repairs by month, customer and cause; the
three-guarantee summary, free vs paid, by cause and by model) with their CSV/XLSX exports.

Everyone in the office reads the quotes; the service desk (``Capability.CHARGE_REPAIRS``) issues charges
and records payments; the reports need ``Capability.READ_REPORTS``. Money is decimal, summed in Python
(SQLite's SUM of a NUMERIC is a float).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Customer, Equipment, Job, JobQuote, RepairCharge, RepairPayment
from server.deps import CurrentUser, DbSession, requires_office, requires_to
from server.errors import Conflict, Invalid, NotFound
from server.reports.exports import Table, to_csv, to_xlsx
from shared.clock import utcnow
from shared.enums import JobKind
from shared.i18n import translate
from shared.paid import (
    ChargeCreate,
    ChargeOut,
    PaidBy,
    PaidRow,
    PaymentCreate,
    PaymentOut,
    PayMethod,
    QuoteLineOut,
    QuoteOut,
    QuoteStatus,
    SummaryBy,
    ThreeGuaranteeRow,
    charge_status,
)
from shared.roles import Capability

requires_charging = requires_to(Capability.CHARGE_REPAIRS)
requires_reports = requires_to(Capability.READ_REPORTS)
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _quotes_query() -> Select[Any]:
    return (
        select(JobQuote, Job.number, Job.customer_id, Customer.name, Job.billable_reason)
        .join(Job, Job.id == JobQuote.job_id)
        .join(Customer, Customer.id == Job.customer_id)
        .order_by(JobQuote.quoted_at.desc(), JobQuote.id)
    )


async def _paid_by_charge(session: AsyncSession, charge_ids: list[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    paid: dict[uuid.UUID, Decimal] = defaultdict(lambda: Decimal("0.00"))
    if charge_ids:
        rows = await session.execute(
            select(RepairPayment.charge_id, RepairPayment.amount).where(
                RepairPayment.charge_id.in_(charge_ids)
            )
        )
        for charge_id, amount in rows.all():
            paid[charge_id] += _money(amount)
    return paid


def _charge_out(charge: RepairCharge, paid: Decimal) -> ChargeOut:
    amount = _money(charge.amount)
    return ChargeOut(
        id=charge.id,
        number=charge.number,
        quote_id=charge.quote_id,
        amount=amount,
        paid=paid,
        status=charge_status(amount, paid),
        issued_at=_utc(charge.issued_at),
        note=charge.note,
    )


async def _quotes_out(session: AsyncSession, rows: list[Any]) -> list[QuoteOut]:
    ids = [row[0].id for row in rows]
    charges: dict[uuid.UUID, RepairCharge] = {}
    if ids:
        charges = {
            c.quote_id: c
            for c in (await session.scalars(select(RepairCharge).where(RepairCharge.quote_id.in_(ids)))).all()
        }
    paid = await _paid_by_charge(session, [c.id for c in charges.values()])
    out = []
    for quote, number, customer_id, customer_name, reason in rows:
        charge = charges.get(quote.id)
        out.append(
            QuoteOut(
                id=quote.id,
                job_id=quote.job_id,
                job_number=number,
                customer_id=customer_id,
                customer_name=customer_name,
                billable_reason=reason,
                lines=[QuoteLineOut.model_validate(line) for line in quote.lines],
                discount_pct=_money(quote.figures["discount_pct"]),
                subtotal=_money(quote.figures["subtotal"]),
                discount=_money(quote.figures["discount"]),
                total=_money(quote.figures["total"]),
                device_total=_money(quote.figures["device_total"]),
                status=QuoteStatus(quote.status),
                review_reason=quote.review_reason,
                quoted_at=_utc(quote.quoted_at),
                accepted_at=_utc(quote.accepted_at) if quote.accepted_at else None,
                signed=bool(quote.signature),
                charge=_charge_out(charge, paid[charge.id]) if charge else None,
            )
        )
    return out


async def _one_quote(session: AsyncSession, quote_id: uuid.UUID) -> QuoteOut:
    rows = (await session.execute(_quotes_query().where(JobQuote.id == quote_id))).all()
    if not rows:
        raise NotFound(f"no quote with id {quote_id}", code="quote.not_found", params={"id": quote_id})
    return (await _quotes_out(session, list(rows)))[0]


class PaidRepairsController(Controller):
    path = "/api/paid"
    tags = ["paid repairs"]  # noqa: RUF012

    @get("/quotes", guards=[requires_office])
    async def list_quotes(
        self,
        db_session: DbSession,
        status: Annotated[
            QuoteStatus | None, QueryParameter(description="only quotes in this status")
        ] = None,
        customer_id: Annotated[uuid.UUID | None, QueryParameter(description="one customer's quotes")] = None,
        job_id: Annotated[uuid.UUID | None, QueryParameter(description="one job's quotes")] = None,
    ) -> list[QuoteOut]:
        """Quotes for paid repairs made on the tablets, newest first, with their charge and what is paid.

        A quote in ``review`` arrived after the customer accepted another, or its figures differ from the
        price list or the contract's discount (``review_reason``): it is never charged by itself."""
        query = _quotes_query().limit(500)
        if status is not None:
            query = query.where(JobQuote.status == status.value)
        if customer_id is not None:
            query = query.where(Job.customer_id == customer_id)
        if job_id is not None:
            query = query.where(JobQuote.job_id == job_id)
        return await _quotes_out(db_session, list((await db_session.execute(query)).all()))

    @get("/quotes/{quote_id:uuid}", guards=[requires_office])
    async def get_quote(self, quote_id: FromPath[uuid.UUID], db_session: DbSession) -> QuoteOut:
        """One quote with its lines (labour, parts at list price, travel), discount, total and charge."""
        return await _one_quote(db_session, quote_id)

    @post("/quotes/{quote_id:uuid}/charge", guards=[requires_charging])
    async def issue_charge(
        self,
        quote_id: FromPath[uuid.UUID],
        data: JSONBody[ChargeCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ChargeOut:
        """Issue the charge (收费单) of a quote the customer accepted; its amount is the quote's total.

        409 ``charge.not_accepted`` for a quote that is not accepted, ``charge.exists`` for a second one."""
        quote = await db_session.get(JobQuote, quote_id, with_for_update=True)
        if quote is None:
            raise NotFound(f"no quote with id {quote_id}", code="quote.not_found", params={"id": quote_id})
        if quote.status != QuoteStatus.ACCEPTED.value:
            raise Conflict(
                "only a quote the customer accepted is charged",
                code="charge.not_accepted",
                params={"status": quote.status},
            )
        taken = await db_session.scalar(select(RepairCharge.number).where(RepairCharge.quote_id == quote.id))
        if taken is not None:
            raise Conflict(
                f"this quote is already charged ({taken})", code="charge.exists", params={"number": taken}
            )
        job_number = await db_session.scalar(select(Job.number).where(Job.id == quote.job_id))
        count = await db_session.scalar(
            select(func.count(RepairCharge.id)).join(JobQuote).where(JobQuote.job_id == quote.job_id)
        )
        number = f"SF-{job_number}" + (f"-{int(count or 0) + 1}" if count else "")
        charge = RepairCharge(
            number=number,
            quote_id=quote.id,
            amount=_money(quote.figures["total"]),
            issued_at=utcnow(),
            issued_by=principal.user_id,
            note=data.note,
        )
        db_session.add(charge)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "charge.issue",
            "repair_charge",
            charge.id,
            {"quote_id": str(quote.id), "number": number, "amount": str(charge.amount), "note": data.note},
        )
        out = _charge_out(charge, Decimal("0.00"))
        await db_session.commit()
        return out

    @get("/charges/{charge_id:uuid}/payments", guards=[requires_office])
    async def list_payments(self, charge_id: FromPath[uuid.UUID], db_session: DbSession) -> list[PaymentOut]:
        """The payments recorded against a charge, oldest first."""
        rows = (
            await db_session.scalars(
                select(RepairPayment)
                .where(RepairPayment.charge_id == charge_id)
                .order_by(RepairPayment.paid_on, RepairPayment.created_at)
            )
        ).all()
        return [_payment_out(p) for p in rows]

    @post("/charges/{charge_id:uuid}/payments", guards=[requires_charging])
    async def record_payment(
        self,
        charge_id: FromPath[uuid.UUID],
        data: JSONBody[PaymentCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> PaymentOut:
        """Record a payment (amount, method, the day paid) against a charge. More than is still owed is a
        409 ``payment.overpaid``; a day in the future a 422 ``payment.in_future``."""
        charge = await db_session.get(RepairCharge, charge_id, with_for_update=True)
        if charge is None:
            raise NotFound(
                f"no charge with id {charge_id}", code="charge.not_found", params={"id": charge_id}
            )
        if data.paid_on > (utcnow() + timedelta(days=1)).date():
            raise Invalid(
                "the payment day is in the future",
                field="paid_on",
                code="payment.in_future",
                params={"paid_on": data.paid_on.isoformat()},
            )
        paid = (await _paid_by_charge(db_session, [charge.id]))[charge.id]
        owed = _money(charge.amount) - paid
        if data.amount > owed:
            raise Conflict(
                f"only {owed} is still owed on charge {charge.number}",
                code="payment.overpaid",
                params={"owed": str(owed), "number": charge.number},
            )
        payment = RepairPayment(
            charge_id=charge.id,
            amount=data.amount,
            method=data.method.value,
            paid_on=data.paid_on,
            note=data.note,
            recorded_by=principal.user_id,
        )
        db_session.add(payment)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "payment.record",
            "repair_charge",
            charge.id,
            {"payment_id": str(payment.id), **data.model_dump(mode="json")},
        )
        out = _payment_out(payment)
        await db_session.commit()
        return out

    @get("/reports/paid-repairs", guards=[requires_reports])
    async def paid_report(
        self,
        db_session: DbSession,
        by: Annotated[PaidBy, QueryParameter(description="month, customer or cause")] = PaidBy.MONTH,
        lang: Lang = "zh-CN",
    ) -> list[PaidRow]:
        """Paid repairs by month (of the quote), customer or cause (the three-guarantee reason): accepted
        quotes, what they total, what was charged and what was paid (decimal yuan)."""
        return await paid_rows(db_session, by, lang)

    @get("/reports/three-guarantee", guards=[requires_reports])
    async def three_guarantee(
        self,
        db_session: DbSession,
        by: Annotated[SummaryBy, QueryParameter(description="cause or model")] = SummaryBy.CAUSE,
        lang: Lang = "zh-CN",
    ) -> list[ThreeGuaranteeRow]:
        """The three-guarantee (三包) summary the plan asks for: repairs done free vs paid (and not yet
        decided), by cause (the billing reason) or by equipment model."""
        return await summary_rows(db_session, by, lang)

    @get("/exports/{name:str}", guards=[requires_reports], media_type="application/octet-stream")
    async def export(
        self,
        name: FromPath[str],
        db_session: DbSession,
        state: State,
        by: Annotated[str | None, QueryParameter(description="the report's grouping")] = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """``paid-repairs`` or ``three-guarantee`` as ``.csv`` (UTF-8 with BOM) or ``.xlsx``, e.g.
        ``/api/paid/exports/paid-repairs.xlsx?by=customer``; every text cell is neutralised."""
        report, _, fmt = name.rpartition(".")
        choices = [f"{r}.{f}" for r in ("paid-repairs", "three-guarantee") for f in ("csv", "xlsx")]
        if name not in choices:
            raise NotFound(
                f"no export '{name}': use one of {', '.join(choices)}",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": choices},
            )

        def t(key: str) -> str:
            return translate(lang, key)

        if report == "paid-repairs":
            paid_by = PaidBy(by) if by in set(PaidBy) else PaidBy.MONTH
            rows = await paid_rows(db_session, paid_by, lang)
            table = Table(
                t("paid.report.title"),
                [
                    t(f"paid.report.by.{paid_by.value}"),
                    t("paid.report.col.quotes"),
                    t("paid.report.col.quoted"),
                    t("paid.report.col.charged"),
                    t("paid.report.col.paid"),
                ],
            )
            table.rows = [[r.label, r.quotes, r.quoted, r.charged, r.paid] for r in rows]
        else:
            summary_by = SummaryBy(by) if by in set(SummaryBy) else SummaryBy.CAUSE
            srows = await summary_rows(db_session, summary_by, lang)
            table = Table(
                t("paid.summary.title"),
                [
                    t(f"paid.summary.by.{summary_by.value}"),
                    t("paid.summary.col.free"),
                    t("paid.summary.col.paid"),
                    t("paid.summary.col.undecided"),
                ],
            )
            table.rows = [[r.label, r.free, r.paid, r.undecided] for r in srows]
        stamp = utcnow().astimezone(ZoneInfo(state.settings.timezone)).strftime("%Y%m%d-%H%M")
        filename = f"levee-{report}-{stamp}.{fmt}"
        if fmt == "csv":
            content, media_type = to_csv(table), "text/csv; charset=utf-8"
        else:
            content = to_xlsx(table, [])
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _payment_out(payment: RepairPayment) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        charge_id=payment.charge_id,
        amount=_money(payment.amount),
        method=PayMethod(payment.method),
        paid_on=payment.paid_on,
        note=payment.note,
        recorded_at=_utc(payment.created_at),
    )


async def paid_rows(session: AsyncSession, by: PaidBy, lang: str) -> list[PaidRow]:
    """Accepted quotes grouped by ``by``, with what was charged and paid; money summed as Decimal."""
    rows = (
        await session.execute(
            select(
                JobQuote.id,
                JobQuote.quoted_at,
                JobQuote.figures,
                Job.customer_id,
                Customer.name,
                Job.billable_reason,
            )
            .join(Job, Job.id == JobQuote.job_id)
            .join(Customer, Customer.id == Job.customer_id)
            .where(JobQuote.status == QuoteStatus.ACCEPTED.value)
        )
    ).all()
    charges = {
        c.quote_id: c
        for c in (
            await session.scalars(select(RepairCharge).where(RepairCharge.quote_id.in_([r[0] for r in rows])))
        ).all()
    }
    paid = await _paid_by_charge(session, [c.id for c in charges.values()])
    groups: dict[str, dict[str, Any]] = {}
    for quote_id, quoted_at, money, customer_id, customer_name, reason in rows:
        if by is PaidBy.MONTH:
            key = label = _utc(quoted_at).strftime("%Y-%m")
        elif by is PaidBy.CUSTOMER:
            key, label = str(customer_id), customer_name
        else:
            key = reason or "none"
            label = translate(lang, f"enum.billable_reason.{key}")
        group = groups.setdefault(
            key,
            {
                "label": label,
                "quotes": 0,
                "quoted": Decimal("0.00"),
                "charged": Decimal("0.00"),
                "paid": Decimal("0.00"),
            },
        )
        group["quotes"] += 1
        group["quoted"] += _money(money["total"])
        charge = charges.get(quote_id)
        if charge is not None:
            group["charged"] += _money(charge.amount)
            group["paid"] += paid[charge.id]
    order = sorted(groups) if by is PaidBy.MONTH else sorted(groups, key=lambda k: -groups[k]["quoted"])
    return [PaidRow(key=k, **groups[k]) for k in order]


async def summary_rows(session: AsyncSession, by: SummaryBy, lang: str) -> list[ThreeGuaranteeRow]:
    """Repairs done free, paid and undecided, by cause (billing reason) or equipment model."""
    column = Job.billable_reason if by is SummaryBy.CAUSE else Equipment.model
    query = (
        select(column, Job.billable, func.count(Job.id))
        .where(Job.kind == JobKind.REPAIR.value)
        .group_by(column, Job.billable)
    )
    if by is SummaryBy.MODEL:
        query = query.outerjoin(Equipment, Equipment.id == Job.equipment_id)
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"free": 0, "paid": 0, "undecided": 0})
    for key, billable, count in (await session.execute(query)).all():
        name = "paid" if billable is True else "free" if billable is False else "undecided"
        groups[key or "none"][name] += int(count)
    out = []
    for key, counts in sorted(
        groups.items(), key=lambda kv: -(kv[1]["free"] + kv[1]["paid"] + kv[1]["undecided"])
    ):
        if by is SummaryBy.CAUSE:
            label = translate(lang, f"enum.billable_reason.{key}")
        else:
            label = key if key != "none" else translate(lang, "paid.summary.no_model")
        out.append(ThreeGuaranteeRow(key=key, label=label, **counts))
    return out
