"""``/api/reports/returns``: per local month of a year, how many returns, exchanges and refusals were
decided and the money of the three guarantees: refunds, supplier claims (claimed when opened, settled
when closed), and the approved self-repair and direct-loss compensations. With CSV and XLSX files made by
the reports' export helpers (every text cell neutralised there)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import JobCompensation, ReturnRequest, SupplierClaim
from server.deps import DbSession, requires_to
from server.errors import NotFound
from server.reports.exports import Cell, Table, to_csv, to_xlsx
from shared.clock import utcnow
from shared.i18n import LANGS, translate
from shared.returns import CompensationKind, CompensationStatus, ReturnDecision, ReturnsMonth, ReturnsReport
from shared.roles import Capability

requires_reports = requires_to(Capability.READ_REPORTS)
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]
Year = Annotated[
    int | None, QueryParameter(description="the year (local calendar); default this year", ge=2000, le=2100)
]


def _month(moment: datetime, tz: tzinfo) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(tz).strftime("%Y-%m")


async def returns_report(session: AsyncSession, year: int, tz: tzinfo) -> ReturnsReport:
    """The year's months (all twelve, empty ones as zeros)."""
    zero = Decimal("0.00")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: zero))
    prefix = f"{year:04d}-"
    for r in (
        await session.scalars(select(ReturnRequest).where(ReturnRequest.decided_at.is_not(None)))
    ).all():
        assert r.decided_at is not None
        month = _month(r.decided_at, tz)
        if month.startswith(prefix) and r.decision:
            counts[month][r.decision] += 1
            if r.decision == ReturnDecision.RETURN.value and r.refund_amount is not None:
                money[month]["refunded"] += Decimal(r.refund_amount)
    for claim in (await session.scalars(select(SupplierClaim))).all():
        month = _month(claim.opened_at, tz)
        if month.startswith(prefix):
            money[month]["claimed"] += Decimal(claim.amount_claimed)
        if claim.closed_at is not None and claim.amount_settled is not None:
            closed = _month(claim.closed_at, tz)
            if closed.startswith(prefix):
                money[closed]["settled"] += Decimal(claim.amount_settled)
    approved = select(JobCompensation).where(JobCompensation.status == CompensationStatus.APPROVED.value)
    for p in (await session.scalars(approved)).all():
        assert p.decided_at is not None
        month = _month(p.decided_at, tz)
        if month.startswith(prefix):
            money[month][p.kind] += Decimal(p.amount)
    months = []
    for m in range(1, 13):
        key = f"{year:04d}-{m:02d}"
        c, v = counts[key], money[key]
        months.append(
            ReturnsMonth(
                month=key,
                returns=c[ReturnDecision.RETURN.value],
                exchanges=c[ReturnDecision.EXCHANGE.value],
                refused=c[ReturnDecision.REFUSE.value],
                refunded=v["refunded"],
                claimed=v["claimed"],
                settled=v["settled"],
                self_repair=v[CompensationKind.SELF_REPAIR.value],
                direct_loss=v[CompensationKind.DIRECT_LOSS.value],
            )
        )
    return ReturnsReport(year=year, timezone=str(tz), months=months)


#: the report's columns, as catalogue keys ``report.returns.col.<name>``
COLUMNS = (
    "month",
    "returns",
    "exchanges",
    "refused",
    "refunded",
    "claimed",
    "settled",
    "self_repair",
    "direct_loss",
)


def returns_table(report: ReturnsReport, lang: str) -> Table:
    """The report as one table; money as decimal numbers (a spreadsheet computes with them; never float)."""
    rows: list[list[Cell]] = []
    for m in report.months:
        rows.append(
            [
                m.month,
                m.returns,
                m.exchanges,
                m.refused,
                *(Decimal(getattr(m, name)) for name in COLUMNS[4:]),
            ]
        )
    return Table(
        title=translate(lang, "report.returns.title", year=report.year),
        headers=[translate(lang, f"report.returns.col.{name}") for name in COLUMNS],
        rows=rows,
    )


class ReturnsReportController(Controller):
    path = "/api/reports/returns"
    tags = ["reports"]  # noqa: RUF012
    guards = [requires_reports]  # noqa: RUF012

    @get("/")
    async def report(self, db_session: DbSession, state: State, year: Year = None) -> ReturnsReport:
        """Per local month: returns, exchanges and refusals decided; refunds, supplier claims claimed and
        settled, approved self-repair and direct-loss compensation (amounts in yuan, decimal)."""
        tz = ZoneInfo(state.settings.timezone)
        return await returns_report(db_session, year or utcnow().astimezone(tz).year, tz)

    @get("/export/{name:str}", media_type="application/octet-stream")
    async def export(
        self,
        name: FromPath[str],
        db_session: DbSession,
        state: State,
        year: Year = None,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """The report as ``returns.csv`` (UTF-8 with BOM) or ``returns.xlsx``."""
        stem, _, fmt = name.rpartition(".")
        if stem != "returns" or fmt not in ("csv", "xlsx"):
            raise NotFound(
                f"no export '{name}': use returns.csv or returns.xlsx",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": ["returns.csv", "returns.xlsx"]},
            )
        lang = lang if lang in LANGS else "zh-CN"
        tz = ZoneInfo(state.settings.timezone)
        report = await returns_report(db_session, year or utcnow().astimezone(tz).year, tz)
        table = returns_table(report, lang)
        if fmt == "csv":
            content, media_type = to_csv(table), "text/csv; charset=utf-8"
        else:
            lines = [(translate(lang, "report.returns.year"), str(report.year)), ("TZ", report.timezone)]
            content = await anyio.to_thread.run_sync(to_xlsx, table, lines)
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="levee-returns-{report.year}.{fmt}"'},
        )
