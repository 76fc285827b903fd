"""The quality-incidents API as the quality screen calls it, over the server's own schemas
(:mod:`shared.quality`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from console.api import ConsoleApi
from shared.quality import (
    ActionCreate,
    IncidentCreate,
    IncidentDraft,
    IncidentJob,
    IncidentLink,
    IncidentMove,
    IncidentOut,
    OwnerOut,
)


@dataclass(frozen=True)
class Register:
    """What the screen starts from: the incidents, newest first, and who may own one."""

    incidents: list[IncidentOut]
    owners: list[OwnerOut]


class QualityClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def register(self) -> Register:
        incidents, owners = await asyncio.gather(
            self.api.get("/api/quality-incidents"), self.api.get("/api/quality-incidents/owners")
        )
        return Register(
            incidents=[IncidentOut.model_validate(x) for x in incidents],
            owners=[OwnerOut.model_validate(x) for x in owners],
        )

    async def incident(self, incident_id: str) -> IncidentOut:
        return IncidentOut.model_validate(await self.api.get(f"/api/quality-incidents/{incident_id}"))

    async def candidates(self, incident_id: str, days: int) -> list[IncidentJob]:
        found = await self.api.get(f"/api/quality-incidents/{incident_id}/candidates", days=days)
        return [IncidentJob.model_validate(x) for x in found]

    async def draft(self, job_number: str) -> IncidentDraft:
        return IncidentDraft.model_validate(
            await self.api.get("/api/quality-incidents/draft", job_number=job_number)
        )

    async def open(self, body: IncidentCreate) -> IncidentOut:
        return IncidentOut.model_validate(
            await self.api.post("/api/quality-incidents", body.model_dump(mode="json"))
        )

    async def link(self, incident_id: str, body: IncidentLink) -> IncidentOut:
        return IncidentOut.model_validate(
            await self.api.post(
                f"/api/quality-incidents/{incident_id}/jobs", body.model_dump(mode="json", exclude_none=True)
            )
        )

    async def unlink(self, incident_id: str, job_id: str) -> IncidentOut:
        return IncidentOut.model_validate(
            (await self.api.request("DELETE", f"/api/quality-incidents/{incident_id}/jobs/{job_id}")).json()
        )

    async def act(self, incident_id: str, body: ActionCreate) -> IncidentOut:
        return IncidentOut.model_validate(
            await self.api.post(f"/api/quality-incidents/{incident_id}/actions", body.model_dump(mode="json"))
        )

    async def move(self, incident_id: str, body: IncidentMove) -> IncidentOut:
        return IncidentOut.model_validate(
            await self.api.post(
                f"/api/quality-incidents/{incident_id}/status",
                body.model_dump(mode="json", exclude_none=True),
            )
        )
