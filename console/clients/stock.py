"""The parts ledger's API as the stock screen calls it: one method per action, over the schemas the
server itself uses (:mod:`shared.stock`), so a body the console sends is the body the server reads.

Writes take a schema and give one back. A body the schema refuses never leaves the console: it is the
same refusal the server would give (:class:`~console.api.ApiError` ``invalid``). The rows the pure rules
of :mod:`console.logic.stock` read (stores, balances, parts, ledger lines) stay JSON objects as the
server sent them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from console.api import ApiError, ConsoleApi, JsonObject
from shared.models import Page
from shared.stock import (
    CountIn,
    CountOut,
    DecisionIn,
    OperationOut,
    PendingReturnOut,
    ReceiptIn,
    ReorderLevelIn,
    ReorderLevelOut,
    ReturnIn,
    ShipmentIn,
    ShipmentOut,
    ShortageOut,
    StockRequestOut,
    TransferIn,
)

M = TypeVar("M", bound=BaseModel)


def checked(schema: type[M], **fields: Any) -> M:
    """``schema(**fields)``, or the ``invalid`` refusal the server would have answered."""
    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        raise ApiError("invalid", str(exc), 400) from exc


@dataclass(frozen=True)
class Books:
    """What every section starts from: the stores, what each holds, and the parts catalogue."""

    stores: list[JsonObject]
    balances: list[JsonObject]
    parts: list[JsonObject]


class StockClient:
    """The signed-in user's calls of ``/api/stock`` and the parts report."""

    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def books(self) -> Books:
        stores, balances, parts = await asyncio.gather(
            self.api.get("/api/stock/stores"), self.api.get("/api/stock/balances"), self.api.get("/api/parts")
        )
        return Books(stores=stores, balances=balances, parts=parts)

    async def _write(self, path: str, body: BaseModel) -> Any:
        return await self.api.post(path, body.model_dump(mode="json"))

    async def transfer(self, transfer: TransferIn) -> OperationOut:
        return OperationOut.model_validate(await self._write("/api/stock/transfers", transfer))

    async def receive(self, receipt: ReceiptIn) -> OperationOut:
        return OperationOut.model_validate(await self._write("/api/stock/receipts", receipt))

    async def count(self, count: CountIn) -> CountOut:
        return CountOut.model_validate(await self._write("/api/stock/counts", count))

    async def hand_in(self, returned: ReturnIn) -> OperationOut:
        return OperationOut.model_validate(await self._write("/api/stock/returns", returned))

    async def movements(self, store_id: str, limit: int) -> Page[JsonObject]:
        page = await self.api.get("/api/stock/movements", store_id=store_id, limit=limit)
        return Page[JsonObject].model_validate(page)

    async def pending_returns(self, limit: int = 200) -> Page[PendingReturnOut]:
        page = await self.api.get("/api/stock/returns/pending", limit=limit)
        return Page[PendingReturnOut].model_validate(page)

    async def open_conflicts(self, limit: int = 200) -> Page[JsonObject]:
        """The van stock's open conflicts (shortfalls the tablets reported)."""
        page = await self.api.get("/api/conflicts", entity="van_stock", status="open", limit=limit)
        return Page[JsonObject].model_validate(page)

    async def parts_report(self, period: str, date: str) -> JsonObject:
        report: JsonObject = await self.api.get("/api/reports/parts", period=period, date=date)
        return report

    async def export_parts_report(self, fmt: str, period: str, date: str, lang: str) -> tuple[bytes, str]:
        return await self.api.download(
            f"/api/reports/parts/export/parts.{fmt}", period=period, date=date, lang=lang
        )

    # --- parts planning (issue 16 part 6) and 审查控制 ----------------------------------------------

    async def shortages(self) -> list[ShortageOut]:
        return [ShortageOut.model_validate(x) for x in await self.api.get("/api/stock/shortages")]

    async def set_reorder_level(self, level: ReorderLevelIn) -> ReorderLevelOut:
        return ReorderLevelOut.model_validate(
            await self.api.put("/api/stock/reorder-levels", level.model_dump(mode="json"))
        )

    async def export_plan(self, fmt: str, lang: str) -> tuple[bytes, str]:
        return await self.api.download(f"/api/stock/plan/export/plan.{fmt}", lang=lang)

    async def shipments(self) -> list[ShipmentOut]:
        return [ShipmentOut.model_validate(x) for x in await self.api.get("/api/stock/shipments")]

    async def ship(self, shipment: ShipmentIn) -> ShipmentOut:
        return ShipmentOut.model_validate(await self._write("/api/stock/shipments", shipment))

    async def requests(self) -> list[StockRequestOut]:
        return [
            StockRequestOut.model_validate(x)
            for x in await self.api.get("/api/stock/requests", status="pending")
        ]

    async def decide(self, request_id: str, approve: bool, decision: DecisionIn) -> StockRequestOut:
        verb = "approve" if approve else "reject"
        return StockRequestOut.model_validate(
            await self._write(f"/api/stock/requests/{request_id}/{verb}", decision)
        )
