"""``/api/people``: the engineers' staff files (人员档案: certificates, qualifications, training), the
certificates expiring soon, the qualification check of an assignment and the monthly appraisal.

The office reads staff files and the expiry list; the manager and the administrator (``MANAGE_STAFF``)
change them, every change audited; the dispatcher checks an assignment before confirming it; whoever
reads the reports reads and exports the appraisal.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Job, StaffCertificate, StaffQualification, StaffTraining
from server.deps import CurrentUser, DbSession, requires_dispatch, requires_office, requires_to
from server.errors import Invalid, NotFound
from server.people.appraisal import appraisal_table, appraisals
from server.people.qualification import gaps_for
from server.people.staff import certificate_out, engineer, expiring, staff_file, staff_list
from server.reports.exports import to_csv, to_xlsx
from shared.clock import utcnow
from shared.enums import EquipmentCategory
from shared.people import (
    APPRAISAL_EXPORT_FORMATS,
    EXPIRY_WARNING_DAYS,
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
    valid_month,
)
from shared.roles import Capability

requires_staff = requires_to(Capability.MANAGE_STAFF)
requires_reports = requires_to(Capability.READ_REPORTS)
Month = Annotated[str, QueryParameter(description="YYYY-MM, in the server's time zone")]
Lang = Annotated[str, QueryParameter(description="zh-CN (default) or en", pattern="^(zh-CN|en)$")]


def _tz(state: State) -> ZoneInfo:
    return ZoneInfo(state.settings.timezone)


def _today(state: State) -> date:
    return utcnow().astimezone(_tz(state)).date()


def _month(month: str) -> str:
    if not valid_month(month):
        raise Invalid(
            f"month must be YYYY-MM, e.g. 2026-05, not {month!r}",
            field="month",
            code="month.invalid",
            params={"month": month},
        )
    return month


async def _certificate(session: AsyncSession, certificate_id: uuid.UUID) -> StaffCertificate:
    row = await session.get(StaffCertificate, certificate_id)
    if row is None:
        raise NotFound(
            f"no certificate with id {certificate_id}",
            code="people.no_certificate",
            params={"id": certificate_id},
        )
    return row


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


class PeopleController(Controller):
    path = "/api/people"
    tags = ["people"]  # noqa: RUF012

    # --- reading -----------------------------------------------------------------------------------

    @get("/staff", guards=[requires_office], summary="The engineers' staff list")
    async def list_staff(self, db_session: DbSession, state: State) -> list[StaffRow]:
        """Every engineer by name: certificates held, how many expire within 30 days or have expired, the
        equipment categories they are qualified for and their training hours."""
        return await staff_list(db_session, _today(state))

    @get("/staff/{engineer_id:uuid}", guards=[requires_office], summary="An engineer's staff file")
    async def get_staff_file(
        self, engineer_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> StaffFile:
        """Certificates (each with its state: valid, expiring within 30 days, expired), the qualified
        equipment categories with the certificate behind each, and the training record, newest first."""
        return await staff_file(db_session, await engineer(db_session, engineer_id), _today(state))

    @get("/expiring", guards=[requires_office], summary="Certificates expired or expiring soon")
    async def list_expiring(
        self,
        db_session: DbSession,
        state: State,
        days: Annotated[int, QueryParameter(ge=0, le=366)] = EXPIRY_WARNING_DAYS,
    ) -> list[ExpiringCertificate]:
        """Certificates of active engineers that have expired or expire within ``days`` (30 unless
        told), soonest first: the console's expiry notice."""
        return await expiring(db_session, _today(state), days)

    @get(
        "/staff/{engineer_id:uuid}/check",
        guards=[requires_dispatch],
        summary="Whether an engineer is qualified for a job's equipment",
    )
    async def check(
        self,
        engineer_id: FromPath[uuid.UUID],
        job_id: FromQuery[uuid.UUID],
        db_session: DbSession,
        state: State,
    ) -> QualificationCheck:
        """What assigning the job to the engineer would lack (持证上岗): no qualification for the
        equipment's category, or one whose certificate has expired. Empty ``gaps``: qualified (or the
        job has no equipment). The assignment itself is not refused; its gaps are audited."""
        await engineer(db_session, engineer_id)
        job = await db_session.get(Job, job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id}", code="job.not_found", params={"id": job_id})
        category, gaps = await gaps_for(db_session, job.equipment_id, engineer_id, _today(state))
        return QualificationCheck(
            job_id=job.id,
            engineer_id=engineer_id,
            category=EquipmentCategory(category) if category in set(EquipmentCategory) else None,
            gaps=gaps,
        )

    # --- certificates ------------------------------------------------------------------------------

    @post("/staff/{engineer_id:uuid}/certificates", guards=[requires_staff], summary="Add a certificate")
    async def add_certificate(
        self,
        engineer_id: FromPath[uuid.UUID],
        data: JSONBody[CertificateIn],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> CertificateOut:
        """A certificate in the engineer's file: name, number, level, issued and expiry days."""
        user = await engineer(db_session, engineer_id)
        row = StaffCertificate(engineer_id=user.id, **data.model_dump())
        db_session.add(row)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "staff.certificate_add",
            "user",
            user.id,
            {"certificate_id": str(row.id), **data.model_dump(mode="json")},
        )
        await db_session.commit()
        return certificate_out(row, _today(state))

    @put("/certificates/{certificate_id:uuid}", guards=[requires_staff], summary="Change a certificate")
    async def change_certificate(
        self,
        certificate_id: FromPath[uuid.UUID],
        data: JSONBody[CertificateIn],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> CertificateOut:
        """Every field at once (e.g. a renewed certificate's new expiry day)."""
        row = await _certificate(db_session, certificate_id)
        before = _jsonable({k: getattr(row, k) for k in CertificateIn.model_fields})
        for key, value in data.model_dump().items():
            setattr(row, key, value)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "staff.certificate_change",
            "user",
            row.engineer_id,
            {"certificate_id": str(row.id), "before": before, **data.model_dump(mode="json")},
        )
        await db_session.commit()
        return certificate_out(row, _today(state))

    @delete(
        "/certificates/{certificate_id:uuid}",
        guards=[requires_staff],
        summary="Remove a certificate",
        status_code=204,
    )
    async def remove_certificate(
        self, certificate_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """A qualification it backed stays, without a certificate (and so without an expiry)."""
        row = await _certificate(db_session, certificate_id)
        detail = {
            "certificate_id": str(row.id),
            **_jsonable({k: getattr(row, k) for k in CertificateIn.model_fields}),
        }
        await db_session.delete(row)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "staff.certificate_remove", "user", row.engineer_id, detail
        )
        await db_session.commit()

    # --- qualifications ----------------------------------------------------------------------------

    @put(
        "/staff/{engineer_id:uuid}/qualifications",
        guards=[requires_staff],
        summary="Set the equipment categories an engineer is qualified for",
    )
    async def set_qualifications(
        self,
        engineer_id: FromPath[uuid.UUID],
        data: JSONBody[QualificationsSet],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> list[QualificationOut]:
        """The whole set, replacing the earlier one: each category at most once, each backed by one of
        the engineer's own certificates or by none."""
        user = await engineer(db_session, engineer_id)
        categories = [q.category for q in data.qualifications]
        if len(set(categories)) != len(categories):
            raise Invalid(
                "each equipment category may appear once",
                field="qualifications",
                code="people.category_twice",
                params={},
            )
        mine = set(
            await db_session.scalars(
                select(StaffCertificate.id).where(StaffCertificate.engineer_id == user.id)
            )
        )
        for q in data.qualifications:
            if q.certificate_id is not None and q.certificate_id not in mine:
                raise Invalid(
                    f"certificate {q.certificate_id} is not one of this engineer's",
                    field="certificate_id",
                    code="people.not_their_certificate",
                    params={"id": q.certificate_id},
                )
        before = [
            {"category": c, "certificate_id": str(i) if i else None}
            for c, i in await db_session.execute(
                select(StaffQualification.category, StaffQualification.certificate_id).where(
                    StaffQualification.engineer_id == user.id
                )
            )
        ]
        await db_session.execute(
            sql_delete(StaffQualification).where(StaffQualification.engineer_id == user.id)
        )
        for q in data.qualifications:
            db_session.add(
                StaffQualification(
                    engineer_id=user.id, category=q.category.value, certificate_id=q.certificate_id
                )
            )
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "staff.qualifications_set",
            "user",
            user.id,
            {"before": before, **data.model_dump(mode="json")},
        )
        await db_session.commit()
        return (await staff_file(db_session, user, _today(state))).qualifications

    # --- training ----------------------------------------------------------------------------------

    @post("/staff/{engineer_id:uuid}/training", guards=[requires_staff], summary="Add a training record")
    async def add_training(
        self,
        engineer_id: FromPath[uuid.UUID],
        data: JSONBody[TrainingIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> TrainingOut:
        """A course the engineer took: day, course, hours, result (passed, failed, attended)."""
        user = await engineer(db_session, engineer_id)
        row = StaffTraining(engineer_id=user.id, **{**data.model_dump(), "result": data.result.value})
        db_session.add(row)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "staff.training_add",
            "user",
            user.id,
            {"training_id": str(row.id), **data.model_dump(mode="json")},
        )
        await db_session.commit()
        return TrainingOut.model_validate(row)

    @delete(
        "/training/{training_id:uuid}",
        guards=[requires_staff],
        summary="Remove a training record",
        status_code=204,
    )
    async def remove_training(
        self, training_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """A record entered by mistake."""
        row = await db_session.get(StaffTraining, training_id)
        if row is None:
            raise NotFound(
                f"no training record with id {training_id}",
                code="people.no_training",
                params={"id": training_id},
            )
        detail = {"training_id": str(row.id), "course": row.course, "taken_on": row.taken_on.isoformat()}
        await db_session.delete(row)
        await db_session.flush()
        await audit.record_by(db_session, principal, "staff.training_remove", "user", row.engineer_id, detail)
        await db_session.commit()

    # --- appraisal ---------------------------------------------------------------------------------

    @get("/appraisal", guards=[requires_reports], summary="The monthly appraisal per engineer")
    async def appraisal(
        self,
        db_session: DbSession,
        state: State,
        month: Month,
        engineer_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[Appraisal]:
        """Per engineer (or one) for the jobs called in during ``month``: median response, on-site and fix
        minutes, SLA compliance per promise and promises broken, first-time-fix rate, satisfaction at
        sign-off, return visits and their satisfaction, complaints. Each figure is the reports' own."""
        if engineer_id is not None:
            await engineer(db_session, engineer_id)
        return await appraisals(db_session, _month(month), _tz(state), utcnow(), engineer_id)

    @get(
        "/appraisal/export/{name:str}",
        guards=[requires_reports],
        media_type="application/octet-stream",
        summary="The monthly appraisal as CSV or XLSX",
    )
    async def appraisal_export(
        self, name: FromPath[str], db_session: DbSession, state: State, month: Month, lang: Lang = "zh-CN"
    ) -> Response[bytes]:
        """``appraisal.csv`` (UTF-8 with BOM) or ``appraisal.xlsx``: one row per engineer, every text cell
        neutralised like the other exports."""
        stem, _, fmt = name.rpartition(".")
        if stem != "appraisal" or fmt not in APPRAISAL_EXPORT_FORMATS:
            raise NotFound(
                f"no export '{name}': use appraisal.csv or appraisal.xlsx",
                field="name",
                code="export.unknown",
                params={"name": name, "choices": ["appraisal.csv", "appraisal.xlsx"]},
            )
        tz, now = _tz(state), utcnow()
        rows = await appraisals(db_session, _month(month), tz, now)
        table, lines = appraisal_table(rows, month, lang, tz, now)
        filename = f"levee-appraisal-{month.replace('-', '')}.{fmt}"
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
