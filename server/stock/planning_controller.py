"""``/api/stock``'s parts planning: reorder levels, shortages and the stock plan, shipments to engineers,
and the manager's approval of parts issues and returns (审查控制). The rules are in
``server/stock/planning.py``."""

from __future__ import annotations

import inspect
import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from server.deps import CurrentUser, DbSession, requires_to
from server.errors import NotFound
from server.reports.exports import to_csv, to_xlsx
from server.stock.planning import PlanningService, plan_table
from shared.clock import utcnow
from shared.roles import Capability
from shared.stock import (
    ApprovalRuleIn,
    ApprovalSettingsOut,
    DecisionIn,
    ReorderLevelIn,
    ReorderLevelOut,
    RequestStatus,
    ShipmentIn,
    ShipmentOut,
    ShipmentReceiveIn,
    ShipmentStatus,
    ShortageOut,
    StockRequestOut,
)

requires_stock_read = requires_to(Capability.READ_STOCK)
requires_stock_or_own_van = requires_to(Capability.READ_STOCK, Capability.WORK_IN_THE_FIELD)
requires_stock_write = requires_to(Capability.MOVE_STOCK)
requires_stock_write_or_field = requires_to(Capability.MOVE_STOCK, Capability.WORK_IN_THE_FIELD)
requires_manager = requires_to(Capability.DECIDE_AS_MANAGER)

Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


class PlanningController(Controller):
    path = "/api/stock"
    tags = ["stock"]  # noqa: RUF012

    @get("/reorder-levels", guards=[requires_stock_read])
    async def reorder_levels(
        self, db_session: DbSession, principal: CurrentUser, store_id: FromQuery[uuid.UUID | None] = None
    ) -> list[ReorderLevelOut]:
        """Reorder levels (再订货点) per store and part, with the target a stock plan refills to."""
        return await PlanningService(db_session, principal).reorder_levels(store_id)

    @put("/reorder-levels", guards=[requires_stock_write])
    async def set_reorder_level(
        self, data: JSONBody[ReorderLevelIn], db_session: DbSession, principal: CurrentUser
    ) -> ReorderLevelOut:
        """Set or change one part's reorder level and target in the new-parts store or a van."""
        return await PlanningService(db_session, principal).set_reorder_level(data)

    @delete("/reorder-levels/{level_id:uuid}", guards=[requires_stock_write], status_code=204)
    async def delete_reorder_level(
        self, level_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """Stop watching one part in one store."""
        await PlanningService(db_session, principal).delete_reorder_level(level_id)

    @get("/shortages", guards=[requires_stock_read])
    async def shortages(self, db_session: DbSession, principal: CurrentUser) -> list[ShortageOut]:
        """Shortage alerts and the stock plan: every store and part whose balance plus units in transit
        to it is below its reorder level, with ``to_order`` to reach the target; most short first."""
        return await PlanningService(db_session, principal).shortages()

    @get("/plan/export/{name:str}", guards=[requires_stock_read], media_type="application/octet-stream")
    async def export_plan(
        self,
        name: FromPath[str],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
        lang: Lang = "zh-CN",
    ) -> Response[bytes]:
        """The stock plan as ``plan.csv`` (UTF-8 with BOM) or ``plan.xlsx``: what to order per shortage."""
        report_name, _, fmt = name.rpartition(".")
        if report_name != "plan" or fmt not in ("csv", "xlsx"):
            raise NotFound(
                f"no export '{name}': use plan.csv or plan.xlsx",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": ["plan.csv", "plan.xlsx"]},
            )
        tz = ZoneInfo(state.settings.timezone)
        now = utcnow()
        table, lines = plan_table(await PlanningService(db_session, principal).shortages(), lang, tz, now)
        filename = f"levee-stock-plan-{now.astimezone(tz):%Y%m%d}.{fmt}"
        if fmt == "csv":
            content, media_type = to_csv(table), "text/csv; charset=utf-8"
        else:
            content = await anyio.to_thread.run_sync(to_xlsx, table, lines)
            media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/shipments", guards=[requires_stock_or_own_van])
    async def shipments(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        status: FromQuery[ShipmentStatus | None] = None,
        engineer_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[ShipmentOut]:
        """Shipments of parts to engineers, newest first (an engineer sees their own)."""
        return await PlanningService(db_session, principal).shipments(status, engineer_id)

    @post("/shipments", guards=[requires_stock_write])
    async def create_shipment(
        self, data: JSONBody[ShipmentIn], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ShipmentOut:
        """Send parts by courier to an engineer (at a site): the units leave the new-parts store for the
        transit store (在途) and reach the van when the engineer confirms receipt on the tablet. With
        ``LEVEE_PARTS_APPROVAL`` on and an issue rule naming the part, the shipment is ``pending`` until a
        manager approves it."""
        return await PlanningService(db_session, principal).create_shipment(
            data, state.settings.parts_approval
        )

    @post("/shipments/{shipment_id:uuid}/receive", guards=[requires_stock_write_or_field], status_code=200)
    async def receive_shipment(
        self,
        shipment_id: FromPath[uuid.UUID],
        data: JSONBody[ShipmentReceiveIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ShipmentOut:
        """Record that a shipment arrived: its units move from transit into the engineer's van. The tablet
        does this offline with the push mutation ``shipment.receive``; a shipment not in transit is 409."""
        return await PlanningService(db_session, principal).receive(shipment_id, data.received_at)

    @get("/approval", guards=[requires_stock_read])
    async def approval(
        self, db_session: DbSession, principal: CurrentUser, state: State
    ) -> ApprovalSettingsOut:
        """审查控制: whether approval is on (``LEVEE_PARTS_APPROVAL``) and which issues and returns wait."""
        return await PlanningService(db_session, principal).approval_settings(state.settings.parts_approval)

    @post("/approval/rules", guards=[requires_manager], status_code=200)
    async def add_rule(
        self, data: JSONBody[ApprovalRuleIn], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ApprovalSettingsOut:
        """Issues or returns of a part (or of every part) from a quantity up wait for a manager."""
        return await PlanningService(db_session, principal).add_rule(data, state.settings.parts_approval)

    @delete("/approval/rules/{rule_id:uuid}", guards=[requires_manager], status_code=204)
    async def delete_rule(
        self, rule_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """Drop an approval rule (requests already pending stay pending)."""
        await PlanningService(db_session, principal).delete_rule(rule_id)

    @get("/requests", guards=[requires_stock_read])
    async def requests(
        self, db_session: DbSession, principal: CurrentUser, status: FromQuery[RequestStatus | None] = None
    ) -> list[StockRequestOut]:
        """Issues and returns waiting for (or decided by) a manager, newest first."""
        return await PlanningService(db_session, principal).requests(status)

    @post("/requests/{request_id:uuid}/approve", guards=[requires_manager], status_code=200)
    async def approve(
        self,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> StockRequestOut:
        """Approve a pending issue or return: it is done now under the ledger's rules (409 when the store
        no longer holds the units; the request then stays pending)."""
        return await PlanningService(db_session, principal).approve(request_id, data.note)

    @post("/requests/{request_id:uuid}/reject", guards=[requires_manager], status_code=200)
    async def reject(
        self,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> StockRequestOut:
        """Reject a pending issue or return: nothing moves (a shipment becomes ``rejected``)."""
        return await PlanningService(db_session, principal).reject(request_id, data.note)


def _describe(controller: type[Controller]) -> None:
    """Each route's docstring as its OpenAPI description, its first sentence as the summary."""
    for handler in vars(controller).values():
        if isinstance(handler, HTTPRouteHandler) and handler.description is None and handler.fn.__doc__:
            text = inspect.cleandoc(handler.fn.__doc__)
            handler.description = text
            handler.summary = handler.summary or text.split(". ")[0].split(":")[0].rstrip(".")[:120]


_describe(PlanningController)
