"""The backup-equipment API as the loans screen calls it, over the server's own schemas
(:mod:`shared.loans`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from console.api import ConsoleApi
from shared.loans import LoanCreate, LoanOut, LoanReturn, UnitCreate, UnitOut
from shared.models import JobOut

#: how many open jobs the lend form's picker shows at once (the search narrows them)
PICKER_JOBS = 12


@dataclass(frozen=True)
class Pool:
    """What the screen starts from: the units, every loan (newest first) and the flagged ones."""

    units: list[UnitOut]
    loans: list[LoanOut]
    out_after_close: list[LoanOut]


class LoansClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def pool(self) -> Pool:
        units, loans, flagged = await asyncio.gather(
            self.api.get("/api/backup-units"),
            self.api.get("/api/loans"),
            self.api.get("/api/loans", out_after_close="true"),
        )
        return Pool(
            units=[UnitOut.model_validate(u) for u in units],
            loans=[LoanOut.model_validate(x) for x in loans],
            out_after_close=[LoanOut.model_validate(x) for x in flagged],
        )

    async def add_unit(self, unit: UnitCreate) -> UnitOut:
        return UnitOut.model_validate(await self.api.post("/api/backup-units", unit.model_dump(mode="json")))

    async def give_back(self, loan_id: str, back: LoanReturn) -> LoanOut:
        return LoanOut.model_validate(
            await self.api.post(f"/api/loans/{loan_id}/return", back.model_dump(mode="json"))
        )

    async def open_jobs(self, text: str = "") -> list[JobOut]:
        """Open jobs to lend on (newest call first), narrowed by number, caller or symptom."""
        page = await self.api.get("/api/jobs", open_only="true", q=text.strip() or None, limit=PICKER_JOBS)
        return [JobOut.model_validate(j) for j in page["items"]]

    async def lend(self, loan: LoanCreate) -> LoanOut:
        return LoanOut.model_validate(await self.api.post("/api/loans", loan.model_dump(mode="json")))

    async def export(
        self, fmt: str, lang: str, unit_id: str = "", customer_id: str = ""
    ) -> tuple[bytes, str]:
        """The loan history shown (one unit's, one customer's, or all) as a CSV or XLSX file."""
        return await self.api.download(
            f"/api/loans/export.{fmt}",
            lang=lang,
            unit_id=unit_id or None,
            customer_id=customer_id or None,
        )
