"""The office's review of conflicts: accept the automatic resolution, or override it."""

from __future__ import annotations

import math
import uuid
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import Change, log_changes
from server.db.models import ChecklistResult, Conflict, Job, JobSignature
from server.deps import Principal
from server.errors import Conflict as ConflictError
from server.errors import Forbidden, Invalid, NotFound
from server.jobs.service import bump, job_changes
from server.paging import fetch_page
from server.stock.ledger import VAN_STOCK
from shared.clock import utcnow
from shared.enums import Role
from sync.merge import LWW_JOB_FIELDS, OFFICE_DECIDED
from sync.protocol import JobEditFields

OPEN = "open"
#: the customer's acceptance (opinion, satisfaction, comment, signature), written by ``job.sign``
ACCEPTANCE = "acceptance"


class ConflictService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _open(self, conflict_id: uuid.UUID) -> Conflict:
        conflict = await self.session.get(Conflict, conflict_id, with_for_update=True)
        if conflict is None:
            raise NotFound(
                f"no conflict with id {conflict_id}", code="conflict.not_found", params={"id": conflict_id}
            )
        if conflict.status != OPEN:
            raise ConflictError(
                f"this conflict was already {conflict.status}",
                code="conflict.closed",
                params={"conflict_status": conflict.status},
            )
        return conflict

    @staticmethod
    def _check_reviewer(conflict: Conflict, by: Principal) -> None:
        """The warehouse reviews van stock conflicts only; the rest are the office's."""
        if by.role is Role.WAREHOUSE and conflict.entity != VAN_STOCK:
            raise Forbidden(
                "the warehouse reviews van stock conflicts only", code="conflict.warehouse_van_only"
            )

    async def _close(
        self, conflict: Conflict, status: str, by: Principal, note: str, value: Any = None
    ) -> list[Change]:
        conflict.status = status
        conflict.reviewed_by = by.user_id
        conflict.reviewed_at = utcnow()
        conflict.review_note = note
        await audit.record(
            self.session,
            action=f"conflict.{status}",
            entity="job" if conflict.job_id else conflict.entity,
            entity_id=conflict.job_id or conflict.entity_id,
            user_id=by.user_id,
            device_id=by.device_id,
            detail={"conflict_id": str(conflict.id), "field": conflict.field, "note": note, "value": value},
        )
        return [Change("conflict", conflict.id, "put", conflict.user_id)] if conflict.user_id else []

    async def accept(self, conflict_id: uuid.UUID, by: Principal, note: str) -> Conflict:
        conflict = await self._open(conflict_id)
        self._check_reviewer(conflict, by)
        await log_changes(self.session, await self._close(conflict, "accepted", by, note))
        await self.session.commit()
        return conflict

    async def override(self, conflict_id: uuid.UUID, value: Any, by: Principal, note: str) -> Conflict:
        """Set the contested field to ``value`` as an office change; the device gets it at its next pull."""
        conflict = await self._open(conflict_id)
        self._check_reviewer(conflict, by)
        if conflict.job_id is None:
            raise ConflictError("only conflicts on a job can be overridden", code="conflict.not_on_job")
        job = await self.session.get(Job, conflict.job_id, with_for_update=True)
        if job is None:  # pragma: no cover - foreign key
            raise NotFound("the job of this conflict is gone", code="conflict.job_gone")
        if conflict.entity == "job" and conflict.field in OFFICE_DECIDED:
            raise ConflictError(
                "billing is decided with the billing decision of the job (POST /api/jobs/{id}/billing), "
                "which needs a manager, QA or administrator and a reason; accept this conflict here",
                code="conflict.billing_elsewhere",
            )
        if conflict.entity == "job" and conflict.field in LWW_JOB_FIELDS:
            self._still_standing(conflict, getattr(job, conflict.field))
            try:
                checked = JobEditFields.model_validate({conflict.field: value})
            except ValidationError as exc:
                raise Invalid(
                    f"not a valid value for {conflict.field}: {exc.errors()[0]['msg']}",
                    field="value",
                    code="conflict.bad_value",
                    params={"fields": conflict.field, "problem": exc.errors()[0]["msg"]},
                ) from None
            new_value = checked.model_dump(mode="json")[conflict.field]
            setattr(job, conflict.field, new_value)
            bump(job, [conflict.field])
        elif conflict.entity == "checklist_result":
            row = await self.session.get(ChecklistResult, conflict.entity_id)
            if row is None:  # pragma: no cover
                raise NotFound("the checklist answer of this conflict is gone", code="conflict.answer_gone")
            self._still_standing(conflict, {"result": row.result, "value": row.value, "note": row.note})
            answer = _answer(value)
            row.result, row.value, row.note = answer["result"], answer["value"], answer["note"]
            row.version += 1
            row.written_by = "office"
            bump(job, ["checklist"])
        elif conflict.entity == "job" and conflict.field == ACCEPTANCE:
            standing = conflict.device_value if isinstance(conflict.device_value, dict) else {}
            self._still_standing(conflict, job.signature, standing.get("signature"))
            chosen = await self._signature(job, value)
            job.acceptance_opinion, job.satisfaction = chosen.opinion, chosen.satisfaction
            job.acceptance_comment, job.signature = chosen.comment, chosen.signature
            bump(job, [ACCEPTANCE])
        else:
            raise ConflictError(
                f"a '{conflict.field}' conflict cannot be overridden here; accept it, or change the job itself",
                code="conflict.not_overridable",
                params={"fields": conflict.field},
            )
        changes = await self._close(conflict, "overridden", by, note, value) + job_changes(job)
        await log_changes(self.session, changes)
        await self.session.commit()
        return conflict

    @staticmethod
    def _still_standing(conflict: Conflict, current: Any, won: Any = None) -> None:
        """Refuse to override a conflict whose winning value was itself replaced since (409, with the
        value that stands now): the override would silently undo that newer edit. Accept the old
        conflict instead, and change the job itself if the newer value is wrong."""
        if conflict.resolution != "device_wins":
            return
        won = conflict.device_value if won is None else won
        if current != won:
            raise ConflictError(
                f"'{conflict.field}' was changed again after this conflict; overriding it would replace "
                "that newer value: accept this conflict and review the job as it is now",
                current=current,
                code="conflict.changed_again",
                params={"fields": conflict.field},
            )

    async def _signature(self, job: Job, value: Any) -> JobSignature:
        """The signature the office chose for a ``signed_twice`` conflict: ``{"signature_id": ...}`` or the id."""
        raw = value.get("signature_id") if isinstance(value, dict) else value
        try:
            signature_id = uuid.UUID(str(raw))
        except ValueError:
            raise Invalid(
                "choose a signature: send the signature_id of one of the conflict's values",
                field="value",
                code="conflict.choose_signature",
            ) from None
        chosen = await self.session.get(JobSignature, signature_id)
        if chosen is None or chosen.job_id != job.id:
            raise Invalid(
                f"job {job.number} has no signature {signature_id}",
                field="value",
                code="conflict.no_such_signature",
                params={"number": job.number, "id": signature_id},
            )
        return chosen

    async def list_conflicts(
        self,
        *,
        status: str | None,
        job_id: uuid.UUID | None,
        engineer_id: uuid.UUID | None,
        limit: int,
        offset: int,
        entity: str | None = None,
    ) -> tuple[list[Conflict], int]:
        query = select(Conflict).order_by(Conflict.created_at.desc(), Conflict.id)
        if entity:
            query = query.where(Conflict.entity == entity)
        if status:
            query = query.where(Conflict.status == status)
        if job_id:
            query = query.where(Conflict.job_id == job_id)
        if engineer_id:
            query = query.where(Conflict.user_id == engineer_id)
        return await fetch_page(self.session, query, limit, offset)


def _answer(value: Any) -> dict[str, Any]:
    adapter = TypeAdapter(dict[str, Any])
    try:
        data = adapter.validate_python(value)
    except ValidationError:
        raise Invalid(
            "a checklist override needs {result, value, note}", field="value", code="conflict.answer_shape"
        ) from None
    result = data.get("result")
    if result not in (None, "ok", "fault", "na"):
        raise Invalid("result must be ok, fault or na", field="value", code="conflict.answer_result")
    number = data.get("value")
    if number is not None and (not isinstance(number, int | float) or not math.isfinite(number)):
        raise Invalid("value must be a finite number", field="value", code="conflict.answer_number")
    return {"result": result, "value": number, "note": str(data.get("note", ""))[:4000]}
