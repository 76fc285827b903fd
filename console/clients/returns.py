"""The returns-and-claims API as the returns screen calls it, over the server's own schemas
(:mod:`shared.returns`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.api import ConsoleApi
from shared.models import PartOut
from shared.returns import (
    AppraisalCreate,
    AppraisalOut,
    ClaimCreate,
    ClaimOut,
    ClaimSettle,
    CompensationCreate,
    CompensationDecide,
    CompensationOut,
    MissedOnsiteJob,
    ReturnComplete,
    ReturnCreate,
    ReturnDecide,
    ReturnOut,
)


@dataclass(frozen=True)
class Desk:
    """What the screen starts from: requests, claims, compensations, the jobs that missed their on-site
    promise, supplier-fault appraisals of old parts from jobs, and the parts catalogue."""

    returns: list[ReturnOut]
    claims: list[ClaimOut]
    compensations: list[CompensationOut]
    missed: list[MissedOnsiteJob]
    parts: list[PartOut]


class ReturnsClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def desk(self) -> Desk:
        returns, claims, paid, missed, parts = await asyncio.gather(
            self.api.get("/api/returns"),
            self.api.get("/api/supplier-claims"),
            self.api.get("/api/compensations"),
            self.api.get("/api/compensations/missed-onsite"),
            self.api.get("/api/parts"),
        )
        return Desk(
            returns=[ReturnOut.model_validate(x) for x in returns],
            claims=[ClaimOut.model_validate(x) for x in claims],
            compensations=[CompensationOut.model_validate(x) for x in paid],
            missed=[MissedOnsiteJob.model_validate(x) for x in missed],
            parts=[PartOut.model_validate(x) for x in parts],
        )

    async def _post(self, path: str, body: Any) -> Any:
        return await self.api.post(path, body.model_dump(mode="json") if body is not None else None)

    async def request(self, body: ReturnCreate) -> ReturnOut:
        return ReturnOut.model_validate(await self._post("/api/returns", body))

    async def appraise(self, body: AppraisalCreate) -> AppraisalOut:
        return AppraisalOut.model_validate(await self._post("/api/appraisals", body))

    async def decide(self, return_id: str, body: ReturnDecide) -> ReturnOut:
        return ReturnOut.model_validate(await self._post(f"/api/returns/{return_id}/decision", body))

    async def complete(self, return_id: str, body: ReturnComplete) -> ReturnOut:
        return ReturnOut.model_validate(await self._post(f"/api/returns/{return_id}/complete", body))

    async def open_claim(self, body: ClaimCreate) -> ClaimOut:
        return ClaimOut.model_validate(await self._post("/api/supplier-claims", body))

    async def submit_claim(self, claim_id: str) -> ClaimOut:
        return ClaimOut.model_validate(await self._post(f"/api/supplier-claims/{claim_id}/submit", None))

    async def settle_claim(self, claim_id: str, body: ClaimSettle) -> ClaimOut:
        return ClaimOut.model_validate(await self._post(f"/api/supplier-claims/{claim_id}/settle", body))

    async def compensate(self, body: CompensationCreate) -> CompensationOut:
        return CompensationOut.model_validate(await self._post("/api/compensations", body))

    async def decide_compensation(self, compensation_id: str, body: CompensationDecide) -> CompensationOut:
        return CompensationOut.model_validate(
            await self._post(f"/api/compensations/{compensation_id}/decision", body)
        )
