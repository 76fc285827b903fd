"""``/api/stock``: stores, balances, lots and the ledger for the office; the engineer's own van; and
``/api/reports/parts`` with its CSV and XLSX files.

The warehouse, managers and admins move stock; dispatchers and QA read; an engineer reads only their
own van (anything else is a 404, as for jobs).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from server.deps import CurrentUser, DbSession, requires_to
from server.errors import NotFound
from server.paging import MAX_LIMIT
from server.reports.exports import to_csv, to_xlsx_book
from server.stock.reports import PARTS_TABLES, PartsReport, PartsReportService, parse_period, report_tables
from server.stock.service import StockService
from shared.clock import utcnow
from shared.i18n import LANGS
from shared.models import Page
from shared.roles import Capability
from shared.stock import (
    BalanceOut,
    CountIn,
    CountOut,
    LotOut,
    MovementOut,
    OperationOut,
    PendingReturnOut,
    ReceiptIn,
    ReturnIn,
    StoreCreate,
    StoreOut,
    StoreUpdate,
    TransferIn,
)

#: every store for the office; engineers read their own van only (the service checks which store)
requires_stock_read = requires_to(Capability.READ_STOCK)
requires_stock_or_own_van = requires_to(Capability.READ_STOCK, Capability.WORK_IN_THE_FIELD)
requires_stock_write = requires_to(Capability.MOVE_STOCK)
requires_store_admin = requires_to(Capability.ADMINISTER_STORES)

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


class StockController(Controller):
    path = "/api/stock"
    tags = ["stock"]  # noqa: RUF012

    @get("/stores", guards=[requires_stock_or_own_van])
    async def list_stores(self, db_session: DbSession, principal: CurrentUser) -> list[StoreOut]:
        """The new-parts and returned-parts stores and every engineer's van (made on first sight);
        an engineer sees only their own van."""
        return await StockService(db_session, principal).stores()

    @post("/stores", guards=[requires_store_admin])
    async def create_store(
        self, data: JSONBody[StoreCreate], db_session: DbSession, principal: CurrentUser
    ) -> StoreOut:
        """Open a new-parts or returned-parts store."""
        return await StockService(db_session, principal).create_store(data)

    @patch("/stores/{store_id:uuid}", guards=[requires_store_admin])
    async def update_store(
        self,
        store_id: FromPath[uuid.UUID],
        data: JSONBody[StoreUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> StoreOut:
        """Rename, close or reopen a store; one still holding parts cannot be closed (409)."""
        return await StockService(db_session, principal).update_store(store_id, data)

    @get("/balances", guards=[requires_stock_or_own_van])
    async def balances(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        store_id: FromQuery[uuid.UUID | None] = None,
        part_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[BalanceOut]:
        """What each store holds of each part by the books (negative while a van is short)."""
        return await StockService(db_session, principal).balances(store_id, part_id)

    @get("/stores/{store_id:uuid}/lots", guards=[requires_stock_or_own_van])
    async def lots(
        self,
        store_id: FromPath[uuid.UUID],
        db_session: DbSession,
        principal: CurrentUser,
        part_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[LotOut]:
        """Lots with units left, per part in the order they go out: oldest receipt first."""
        return await StockService(db_session, principal).lots(store_id, part_id)

    @get("/movements", guards=[requires_stock_or_own_van])
    async def movements(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        store_id: FromQuery[uuid.UUID | None] = None,
        part_id: FromQuery[uuid.UUID | None] = None,
        job_id: FromQuery[uuid.UUID | None] = None,
        at_from: Annotated[
            datetime | None, QueryParameter(name="from", description="at or after (with a zone)")
        ] = None,
        at_to: Annotated[
            datetime | None, QueryParameter(name="to", description="before (with a zone)")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[MovementOut]:
        """The ledger, newest line first."""
        items, total = await StockService(db_session, principal).movements(
            store_id=store_id,
            part_id=part_id,
            job_id=job_id,
            at_from=at_from,
            at_to=at_to,
            limit=limit,
            offset=offset,
        )
        return Page[MovementOut](items=items, total=total, limit=limit, offset=offset)

    @post("/receipts", guards=[requires_stock_write])
    async def receive(
        self, data: JSONBody[ReceiptIn], db_session: DbSession, principal: CurrentUser
    ) -> OperationOut:
        """Parts from the manufacturer into the new-parts store, as one lot at its unit cost."""
        return await StockService(db_session, principal).receive(data)

    @post("/transfers", guards=[requires_stock_write])
    async def transfer(
        self, data: JSONBody[TransferIn], db_session: DbSession, principal: CurrentUser, state: State
    ) -> OperationOut:
        """Between the new-parts store and vans, oldest units first. More than the source holds is a 409
        whose ``held`` says how many it holds. With ``LEVEE_PARTS_APPROVAL`` on, an issue or return that an
        approval rule names answers with ``pending`` (the request) and moves nothing until a manager
        approves it."""
        return await StockService(db_session, principal).transfer(data, state.settings.parts_approval)

    @post("/returns", guards=[requires_stock_write])
    async def return_old(
        self, data: JSONBody[ReturnIn], db_session: DbSession, principal: CurrentUser
    ) -> OperationOut:
        """The old part a usage replaced, handed in to the returned-parts store (once per usage)."""
        return await StockService(db_session, principal).return_old(data)

    @get("/returns/pending", guards=[requires_stock_read])
    async def pending_returns(
        self, db_session: DbSession, principal: CurrentUser, limit: Limit = 100, offset: Offset = 0
    ) -> Page[PendingReturnOut]:
        """Old parts taken out on jobs that are not handed in yet, oldest first."""
        items, total = await StockService(db_session, principal).pending_returns(limit, offset)
        return Page[PendingReturnOut](items=items, total=total, limit=limit, offset=offset)

    @post("/counts", guards=[requires_stock_write])
    async def post_count(
        self, data: JSONBody[CountIn], db_session: DbSession, principal: CurrentUser
    ) -> CountOut:
        """A stock count: each counted quantity against the books; every difference becomes one
        adjustment with its reason, so books and goods agree."""
        return await StockService(db_session, principal).post_count(data)

    @get("/counts/{count_id:uuid}", guards=[requires_stock_read])
    async def get_count(
        self, count_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> CountOut:
        """One posted stock count with each line's books, counted quantity, difference and reason."""
        return await StockService(db_session, principal).count(count_id)


class PartsReportController(Controller):
    path = "/api/reports/parts"
    tags = ["reports"]  # noqa: RUF012
    guards = [requires_stock_read]  # noqa: RUF012

    @get("/")
    async def report(
        self,
        db_session: DbSession,
        state: State,
        period: Annotated[str, QueryParameter(description="day, week (Monday to Sunday) or month")] = "day",
        date: Annotated[
            str | None,
            QueryParameter(description="YYYY-MM-DD (a month: any day of it, or YYYY-MM); default today"),
        ] = None,
    ) -> PartsReport:
        """Per store and part: opening, received, transferred in and out, consumed, old parts returned,
        adjusted, closing, and the value at lot cost; consumption by engineer and by job. Days and
        months are local dates in the company's time zone."""
        tz = ZoneInfo(state.settings.timezone)
        return await PartsReportService(db_session).report(parse_period(period, date, tz, utcnow()))

    @get("/export/{name:str}", media_type="application/octet-stream")
    async def export(
        self,
        name: FromPath[str],
        db_session: DbSession,
        state: State,
        period: Annotated[str, QueryParameter(description="day, week (Monday to Sunday) or month")] = "day",
        date: FromQuery[str | None] = None,
        table: Annotated[
            str, QueryParameter(description="CSV only: stores (default), engineers or jobs")
        ] = "stores",
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """The parts report as ``parts.csv`` (one table, UTF-8 with BOM) or ``parts.xlsx`` (a sheet
        per table, with the period it covers)."""
        report_name, _, fmt = name.rpartition(".")
        if report_name != "parts" or fmt not in ("csv", "xlsx"):
            raise NotFound(
                f"no export '{name}': use parts.csv or parts.xlsx",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": ["parts.csv", "parts.xlsx"]},
            )
        if table not in PARTS_TABLES:
            raise NotFound(
                f"no table '{table}': use one of {', '.join(PARTS_TABLES)}",
                field="table",
                code="export.unknown_table",
                params={"name": table, "choices": list(PARTS_TABLES)},
            )
        lang = lang if lang in LANGS else "zh-CN"
        tz = ZoneInfo(state.settings.timezone)
        report = await PartsReportService(db_session).report(parse_period(period, date, tz, utcnow()))
        tables, lines = report_tables(report, lang, tz, utcnow())
        stamp = report.label.replace("-", "")
        filename = f"levee-parts-{report.period}-{stamp}.{fmt}"
        if fmt == "csv":
            content, media_type = to_csv(tables[PARTS_TABLES.index(table)]), "text/csv; charset=utf-8"
        else:
            content = await anyio.to_thread.run_sync(to_xlsx_book, tables, lines)
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
