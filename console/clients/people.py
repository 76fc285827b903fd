"""The people API (``/api/people``) as the 人员 screen, the notification centre and dispatch call it, over
the server's own schemas (:mod:`shared.people`): a body the schema refuses never leaves the console."""

from __future__ import annotations

from console.api import ConsoleApi
from shared.people import (
    Appraisal,
    CertificateIn,
    CertificateOut,
    ExpiringCertificate,
    QualificationCheck,
    QualificationOut,
    QualificationsSet,
    StaffFile,
    StaffRow,
    TrainingIn,
    TrainingOut,
)


class PeopleClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def staff(self) -> list[StaffRow]:
        return [StaffRow.model_validate(r) for r in await self.api.get("/api/people/staff")]

    async def file(self, engineer_id: str) -> StaffFile:
        return StaffFile.model_validate(await self.api.get(f"/api/people/staff/{engineer_id}"))

    async def expiring(self) -> list[ExpiringCertificate]:
        return [ExpiringCertificate.model_validate(r) for r in await self.api.get("/api/people/expiring")]

    async def check(self, engineer_id: str, job_id: str) -> QualificationCheck:
        return QualificationCheck.model_validate(
            await self.api.get(f"/api/people/staff/{engineer_id}/check", job_id=job_id)
        )

    async def add_certificate(self, engineer_id: str, body: CertificateIn) -> CertificateOut:
        return CertificateOut.model_validate(
            await self.api.post(f"/api/people/staff/{engineer_id}/certificates", body.model_dump(mode="json"))
        )

    async def set_qualifications(self, engineer_id: str, body: QualificationsSet) -> list[QualificationOut]:
        return [
            QualificationOut.model_validate(q)
            for q in await self.api.put(
                f"/api/people/staff/{engineer_id}/qualifications", body.model_dump(mode="json")
            )
        ]

    async def add_training(self, engineer_id: str, body: TrainingIn) -> TrainingOut:
        return TrainingOut.model_validate(
            await self.api.post(f"/api/people/staff/{engineer_id}/training", body.model_dump(mode="json"))
        )

    async def appraisal(self, month: str) -> list[Appraisal]:
        return [Appraisal.model_validate(a) for a in await self.api.get("/api/people/appraisal", month=month)]
