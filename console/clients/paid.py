"""The paid-repairs API as the paid-repairs screen calls it, over the server's own schemas
(:mod:`shared.paid`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from console.api import ConsoleApi
from shared.paid import (
    ChargeCreate,
    ChargeOut,
    PaidRow,
    PaymentCreate,
    PaymentOut,
    QuoteOut,
    ThreeGuaranteeRow,
)


@dataclass(frozen=True)
class Books:
    """What the screen starts from: the quotes (newest first) and the two reports."""

    quotes: list[QuoteOut]
    paid: list[PaidRow]
    summary: list[ThreeGuaranteeRow]


class PaidClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def books(self, paid_by: str, summary_by: str, lang: str, reports: bool) -> Books:
        if not reports:
            quotes = await self.api.get("/api/paid/quotes")
            return Books([QuoteOut.model_validate(q) for q in quotes], [], [])
        quotes, paid, summary = await asyncio.gather(
            self.api.get("/api/paid/quotes"),
            self.api.get("/api/paid/reports/paid-repairs", by=paid_by, lang=lang),
            self.api.get("/api/paid/reports/three-guarantee", by=summary_by, lang=lang),
        )
        return Books(
            quotes=[QuoteOut.model_validate(q) for q in quotes],
            paid=[PaidRow.model_validate(r) for r in paid],
            summary=[ThreeGuaranteeRow.model_validate(r) for r in summary],
        )

    async def issue_charge(self, quote_id: str, charge: ChargeCreate) -> ChargeOut:
        return ChargeOut.model_validate(
            await self.api.post(f"/api/paid/quotes/{quote_id}/charge", charge.model_dump(mode="json"))
        )

    async def record_payment(self, charge_id: str, payment: PaymentCreate) -> PaymentOut:
        return PaymentOut.model_validate(
            await self.api.post(f"/api/paid/charges/{charge_id}/payments", payment.model_dump(mode="json"))
        )
