"""The knowledge API as the console's library screen calls it, over the server's own schemas
(:mod:`shared.knowledge`): the cases, the closed jobs a case may be drafted from, the manuals per model."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.api import ConsoleApi
from shared.knowledge import (
    CaseOut,
    CaseStatus,
    CaseUpdate,
    ManualKind,
    ManualOut,
    TrainingMaterials,
    TrainingMaterialsOut,
)


@dataclass(frozen=True)
class Library:
    """What the library screen starts from."""

    cases: list[CaseOut]
    manuals: list[ManualOut]
    models: list[str]
    #: closed jobs (newest first) with no case yet: what QA may draft from
    closed: list[dict[str, Any]]


class KnowledgeClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def library(self, q: str = "", status: str = "", *, closed_jobs: bool = False) -> Library:
        params: dict[str, Any] = {k: v for k, v in (("q", q.strip()), ("status", status)) if v}
        cases, manuals, models = await asyncio.gather(
            self.api.get("/api/knowledge/cases", **params),
            self.api.get("/api/knowledge/manuals"),
            self.api.get("/api/knowledge/models"),
        )
        closed: list[dict[str, Any]] = []
        if closed_jobs:
            page = await self.api.get("/api/jobs", status="closed", limit=50)
            filed = {str(c.get("job_id")) for c in await self.api.get("/api/knowledge/cases")}
            closed = [j for j in page["items"] if str(j["id"]) not in filed and j.get("equipment_id")]
        return Library(
            cases=[CaseOut.model_validate(c) for c in cases],
            manuals=[ManualOut.model_validate(m) for m in manuals],
            models=[str(m) for m in models],
            closed=closed,
        )

    async def draft(self, job_id: str) -> CaseOut:
        return CaseOut.model_validate(await self.api.post("/api/knowledge/cases", {"job_id": job_id}))

    async def edit(self, case_id: str, update: CaseUpdate) -> CaseOut:
        body = update.model_dump(mode="json", exclude_unset=True)
        return CaseOut.model_validate(await self.api.patch(f"/api/knowledge/cases/{case_id}", body))

    async def publish(self, case_id: str, status: CaseStatus) -> CaseOut:
        step = "publish" if status is CaseStatus.PUBLISHED else "unpublish"
        return CaseOut.model_validate(await self.api.post(f"/api/knowledge/cases/{case_id}/{step}"))

    async def delete(self, case_id: str) -> None:
        await self.api.request("DELETE", f"/api/knowledge/cases/{case_id}")

    async def upload(
        self, model: str, title: str, kind: ManualKind, filename: str, data: bytes, content_type: str
    ) -> ManualOut:
        r = await self.api.request(
            "POST",
            "/api/knowledge/manuals",
            content=data,
            headers={"Content-Type": content_type},
            params={"model": model, "title": title, "kind": kind.value, "filename": filename},
        )
        return ManualOut.model_validate(r.json())

    async def delete_manual(self, manual_id: str) -> None:
        await self.api.request("DELETE", f"/api/knowledge/manuals/{manual_id}")

    async def manual_file(self, manual_id: str) -> tuple[bytes, str]:
        return await self.api.download(f"/api/knowledge/manuals/{manual_id}/file")

    async def training(self, job_id: str) -> tuple[TrainingMaterialsOut, list[ManualOut]]:
        """A training session's phase and materials, and every manual it may use."""
        got, manuals = await asyncio.gather(
            self.api.get(f"/api/knowledge/trainings/{job_id}"), self.api.get("/api/knowledge/manuals")
        )
        return TrainingMaterialsOut.model_validate(got), [ManualOut.model_validate(m) for m in manuals]

    async def set_training(self, job_id: str, body: TrainingMaterials) -> TrainingMaterialsOut:
        return TrainingMaterialsOut.model_validate(
            await self.api.put(f"/api/knowledge/trainings/{job_id}", body.model_dump(mode="json"))
        )
