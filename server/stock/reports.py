"""The daily and monthly parts report, computed from the ledger in the database.

For one period (a local day, week or month in the company's time zone, as ``[from_at, to_at)`` in UTC) and for
every store and part that held stock or moved: the opening balance (every movement before the period),
what came in and went out by kind, and the closing balance (opening plus the period's movements, which
is the balance the books held at the period's end). ``consumed`` is net of usages voided in the period.

Values are at lot cost: each ledger line carries the unit cost of the lot it moved, so the sum of
quantity x cost is the value of the units the books hold. Units used beyond the books (a van's
shortfall) have no lot and carry no cost; the receipt that later covers them is counted at its cost, so
until a count the value of a store that was short is its lots' cost, not less.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Job, Part, StockMovement, Store, User
from server.errors import DomainError
from server.reports.exports import Table
from shared.i18n import translate
from shared.local_time import full
from shared.stock import MovementKind, StoreKind

Period = Literal["day", "week", "month"]
#: the tables of the report, in the order of the workbook's sheets
PARTS_TABLES = ("stores", "engineers", "jobs")
_COLUMNS = {
    MovementKind.RECEIVE.value: "received",
    MovementKind.TRANSFER_IN.value: "transferred_in",
    MovementKind.TRANSFER_OUT.value: "transferred_out",
    MovementKind.CONSUME.value: "consumed",
    MovementKind.UNCONSUME.value: "consumed",
    MovementKind.RETURN_OLD.value: "returned",
    MovementKind.ADJUST.value: "adjusted",
    MovementKind.EXCHANGE_OUT.value: "consumed",
}
#: columns shown as units leaving the store (positive numbers)
_OUTGOING = ("transferred_out", "consumed")


class PeriodSpan(BaseModel):
    period: Period
    label: str  # 2026-06-01 or 2026-06
    first_day: date
    from_at: datetime
    to_at: datetime
    timezone: str


class StockReportRow(BaseModel):
    store_id: uuid.UUID
    store_name: str
    store_kind: StoreKind
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    opening: int = 0
    received: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    consumed: int = 0
    returned: int = 0
    adjusted: int = 0
    closing: int = 0
    opening_value: float = 0
    received_value: float = 0
    consumed_value: float = 0
    closing_value: float = 0


class ConsumptionRow(BaseModel):
    engineer_id: uuid.UUID | None
    engineer_name: str | None
    job_id: uuid.UUID | None = None
    job_number: str | None = None
    part_id: uuid.UUID
    part_code: str
    part_name: str
    unit: str
    quantity: int
    value: float
    shortfall: int = 0


class PartsReport(PeriodSpan):
    rows: list[StockReportRow]
    by_engineer: list[ConsumptionRow]
    by_job: list[ConsumptionRow]


def parse_period(period: str, day: str | None, tz: tzinfo, now: datetime) -> PeriodSpan:
    """The UTC span of a local day, week (Monday to Sunday, the week holding ``day``) or month; ``day``
    is YYYY-MM-DD (or YYYY-MM for a month)."""
    if period not in ("day", "week", "month"):
        raise DomainError(
            "period must be day, week or month",
            field="period",
            code="period.invalid",
            params={"period": period},
        )
    if day is None or day == "":
        first = now.astimezone(tz).date()
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        try:
            first = date.fromisoformat(day)
        except ValueError:
            raise DomainError(
                f"{day} is not a date", field="date", code="date.invalid", params={"date": day}
            ) from None
    elif period == "month" and re.fullmatch(r"\d{4}-\d{2}", day):
        try:
            first = date.fromisoformat(day + "-01")
        except ValueError:
            raise DomainError(
                f"{day} is not a month", field="date", code="month.invalid", params={"month": day}
            ) from None
    else:
        raise DomainError(
            "date must be YYYY-MM-DD (or YYYY-MM for a month)",
            field="date",
            code="date.invalid",
            params={"date": day},
        )
    if period == "day":
        last = first + timedelta(days=1)
        label = first.isoformat()
    elif period == "week":
        first = first - timedelta(days=first.weekday())
        last = first + timedelta(days=7)
        label = first.isoformat()
    else:
        first = first.replace(day=1)
        if first.year >= 9999 and first.month == 12:
            raise DomainError("a time or number is out of range", field="date", code="date.out_of_range")
        last = (first + timedelta(days=32)).replace(day=1)
        label = first.isoformat()[:7]
    if first.year < 1900 or last.year > 9999:
        raise DomainError("the date is out of range", field="date", code="date.out_of_range")
    return PeriodSpan(
        period=period,
        label=label,
        first_day=first,
        from_at=datetime.combine(first, time(0), tz),
        to_at=datetime.combine(last, time(0), tz),
        timezone=str(getattr(tz, "key", tz)),
    )


def _money(value: Any) -> float:
    return round(float(value or 0), 2)


class PartsReportService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def report(self, span: PeriodSpan) -> PartsReport:
        m = StockMovement
        bucket = case((m.at < span.from_at, literal_column("'opening'")), else_=m.kind).label("bucket")
        lines = select(
            m.store_id, m.part_id, bucket, m.quantity, (m.quantity * m.unit_cost).label("value")
        ).where(m.at < span.to_at)
        sub = lines.subquery()
        sums = (
            await self.session.execute(
                select(
                    sub.c.store_id,
                    sub.c.part_id,
                    sub.c.bucket,
                    func.sum(sub.c.quantity),
                    func.sum(sub.c.value),
                ).group_by(sub.c.store_id, sub.c.part_id, sub.c.bucket)
            )
        ).all()
        stores = {s.id: s for s in (await self.session.scalars(select(Store))).all()}
        parts = {p.id: p for p in (await self.session.scalars(select(Part))).all()}
        rows: dict[tuple[uuid.UUID, uuid.UUID], StockReportRow] = {}
        for store_id, part_id, kind, quantity, value in sums:
            key = (store_id, part_id)
            row = rows.get(key)
            if row is None:
                store, part = stores[store_id], parts[part_id]
                row = rows[key] = StockReportRow(
                    store_id=store.id,
                    store_name=store.name,
                    store_kind=StoreKind(store.kind),
                    part_id=part.id,
                    part_code=part.code,
                    part_name=part.name,
                    unit=part.unit,
                )
            quantity = int(quantity or 0)
            row.closing += quantity
            row.closing_value += float(value or 0)
            if kind == "opening":
                row.opening += quantity
                row.opening_value += float(value or 0)
                continue
            column = _COLUMNS[kind]
            setattr(row, column, getattr(row, column) + (-quantity if column in _OUTGOING else quantity))
            if column == "received":
                row.received_value += float(value or 0)
            elif column == "consumed":
                row.consumed_value -= float(value or 0)
        out = []
        kinds = list(StoreKind)
        for row in sorted(
            rows.values(), key=lambda r: (kinds.index(r.store_kind), r.store_name, r.part_code)
        ):
            moved = any(
                getattr(row, c)
                for c in ("received", "transferred_in", "transferred_out", "consumed", "returned", "adjusted")
            )
            if not moved and row.opening == 0:
                continue
            for name in ("opening_value", "received_value", "consumed_value", "closing_value"):
                setattr(row, name, _money(getattr(row, name)))
            out.append(row)
        by_engineer, by_job = await self._consumption(span)
        return PartsReport(**span.model_dump(), rows=out, by_engineer=by_engineer, by_job=by_job)

    async def _consumption(self, span: PeriodSpan) -> tuple[list[ConsumptionRow], list[ConsumptionRow]]:
        """Parts used in the period (net of voided usages), per engineer (the van's) and per job."""
        m = StockMovement
        short = func.sum(case((m.lot_id.is_(None), -m.quantity), else_=0))
        base = (
            select(
                Store.engineer_id,
                User.display_name,
                m.job_id,
                Job.number,
                m.part_id,
                Part.code,
                Part.name,
                Part.unit,
                func.sum(-m.quantity),
                func.sum(-m.quantity * m.unit_cost),
                short,
            )
            .join(Store, Store.id == m.store_id)
            .join(Part, Part.id == m.part_id)
            .outerjoin(User, User.id == Store.engineer_id)
            .outerjoin(Job, Job.id == m.job_id)
            .where(
                m.kind.in_([MovementKind.CONSUME.value, MovementKind.UNCONSUME.value]),
                m.at >= span.from_at,
                m.at < span.to_at,
            )
            .group_by(
                Store.engineer_id,
                User.display_name,
                m.job_id,
                Job.number,
                m.part_id,
                Part.code,
                Part.name,
                Part.unit,
            )
        )
        per_job: list[ConsumptionRow] = []
        per_engineer: dict[tuple[Any, uuid.UUID], ConsumptionRow] = {}
        for eng_id, eng_name, job_id, number, part_id, code, name, unit, qty, value, shortfall in (
            await self.session.execute(base)
        ).all():
            qty, shortfall = int(qty or 0), int(shortfall or 0)
            if qty == 0 and shortfall == 0:
                continue
            row = ConsumptionRow(
                engineer_id=eng_id,
                engineer_name=eng_name,
                job_id=job_id,
                job_number=number,
                part_id=part_id,
                part_code=code,
                part_name=name,
                unit=unit,
                quantity=qty,
                value=_money(value),
                shortfall=shortfall,
            )
            per_job.append(row)
            total = per_engineer.get((eng_id, part_id))
            if total is None:
                per_engineer[(eng_id, part_id)] = row.model_copy(update={"job_id": None, "job_number": None})
            else:
                total.quantity += row.quantity
                total.value = _money(total.value + row.value)
                total.shortfall += row.shortfall
        per_job.sort(key=lambda r: (r.job_number or "", r.part_code))
        engineers = sorted(per_engineer.values(), key=lambda r: (r.engineer_name or "", r.part_code))
        return [r for r in engineers if r.quantity or r.shortfall], per_job


def report_tables(
    report: PartsReport, lang: str, tz: tzinfo, made_at: datetime
) -> tuple[list[Table], list[tuple[str, str]]]:
    """The report as the tables of its file (stores, engineers, jobs) and the lines saying what it covers."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    stores = Table(
        t("parts_report.title.stores"),
        [
            t("parts_report.col.store"),
            t("parts_report.col.store_kind"),
            t("parts_report.col.part_code"),
            t("parts_report.col.part_name"),
            t("parts_report.col.unit"),
            t("parts_report.col.opening"),
            t("parts_report.col.received"),
            t("parts_report.col.transferred_in"),
            t("parts_report.col.transferred_out"),
            t("parts_report.col.consumed"),
            t("parts_report.col.returned"),
            t("parts_report.col.adjusted"),
            t("parts_report.col.closing"),
            t("parts_report.col.opening_value"),
            t("parts_report.col.received_value"),
            t("parts_report.col.consumed_value"),
            t("parts_report.col.closing_value"),
        ],
        note=t("parts_report.note.value"),
    )
    for r in report.rows:
        stores.rows.append(
            [
                r.store_name,
                t(f"enum.store_kind.{r.store_kind.value}"),
                r.part_code,
                r.part_name,
                r.unit,
                r.opening,
                r.received,
                r.transferred_in,
                r.transferred_out,
                r.consumed,
                r.returned,
                r.adjusted,
                r.closing,
                r.opening_value,
                r.received_value,
                r.consumed_value,
                r.closing_value,
            ]
        )
    consumption_headers = [
        t("parts_report.col.part_code"),
        t("parts_report.col.part_name"),
        t("parts_report.col.unit"),
        t("parts_report.col.quantity"),
        t("parts_report.col.value"),
        t("parts_report.col.shortfall"),
    ]
    engineers = Table(
        t("parts_report.title.engineers"), [t("parts_report.col.engineer"), *consumption_headers]
    )
    for c in report.by_engineer:
        engineers.rows.append(
            [c.engineer_name or "—", c.part_code, c.part_name, c.unit, c.quantity, c.value, c.shortfall]
        )
    jobs = Table(
        t("parts_report.title.jobs"),
        [t("parts_report.col.job"), t("parts_report.col.engineer"), *consumption_headers],
    )
    for c in report.by_job:
        jobs.rows.append(
            [
                c.job_number or "—",
                c.engineer_name or "—",
                c.part_code,
                c.part_name,
                c.unit,
                c.quantity,
                c.value,
                c.shortfall,
            ]
        )
    lines = [
        (t("parts_report.filter.period"), t(f"parts_report.period.{report.period}", label=report.label)),
        (t("parts_report.filter.timezone"), report.timezone),
        (t("report.filter.made_at"), full(made_at, tz)),
    ]
    return [stores, engineers, jobs], lines
