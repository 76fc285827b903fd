"""``/api/returns``, ``/api/appraisals``, ``/api/supplier-claims``, ``/api/compensations``: the three
guarantees (包退、包换、包赔) and what follows a missed promise, for the office.

* A return or exchange request moves requested → appraised → decided → completed (``shared.returns``
  ``RETURN_STEPS``). The service desk records it (``CARE_FOR_CUSTOMERS``), the 三包技术员 (QA) appraises
  the returned part, the manager decides; a return or exchange decision books the returned units into
  the 旧件库 and an exchange issues the replacement from the 新件库, through the parts ledger
  (``server.stock.ledger.Ledger``, no second ledger). The desk completes it with the customer's
  signature (SVG path data, checked as the job's acceptance signature is).
* An appraisal can also judge an old part handed in from a job (``job_part_id``). A supplier-fault
  verdict opens a supplier claim: open → submitted → settled or rejected, amounts in Decimal.
* A compensation on a job: the customer's self-repair (only when the job missed its on-site promise;
  the server checks) or their direct loss, recorded by the desk and approved or rejected by the manager.

Every step is role-guarded and audited; a step from the wrong state is a coded 409.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import take_numbers
from server.db.models import (
    Customer,
    Job,
    JobCompensation,
    JobPart,
    OldPartAppraisal,
    Part,
    ReturnRequest,
    StockMovement,
    Store,
    SupplierClaim,
)
from server.deps import CurrentUser, DbSession, requires_office, requires_to
from server.errors import Conflict, Invalid, NotFound
from server.photos import NotAnImage, check_signature
from server.stock.ledger import Ledger, StockError
from server.stock.service import refusal
from shared.clock import utcnow
from shared.returns import (
    CLAIM_STEPS,
    COMPENSATION_STEPS,
    MISSED_ONSITE_DAYS,
    RETURN_STEPS,
    AppraisalCreate,
    AppraisalOut,
    ClaimCreate,
    ClaimOut,
    ClaimSettle,
    ClaimStatus,
    CompensationCreate,
    CompensationDecide,
    CompensationKind,
    CompensationOut,
    CompensationStatus,
    MissedOnsiteJob,
    ReturnComplete,
    ReturnCreate,
    ReturnDecide,
    ReturnDecision,
    ReturnOut,
    ReturnStatus,
    can_move,
    claim_settled_within,
    missed_onsite,
)
from shared.roles import Capability
from shared.stock import StoreKind

requires_desk = requires_to(Capability.CARE_FOR_CUSTOMERS)
requires_appraiser = requires_to(Capability.APPROVE_QUALITY)
requires_manager = requires_to(Capability.DECIDE_AS_MANAGER)
FUTURE_TOLERANCE = timedelta(minutes=5)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _illegal(what: str, current: str, target: str, number: str) -> Conflict:
    """A step from the wrong state: a 409 naming the record, where it stands and where it was sent."""
    message = f"{what} {number} is {current}: it cannot become {target}"
    if what == "return":
        return Conflict(
            message,
            code="return.illegal_step",
            params={"number": number, "return_status": current, "return_target": target},
        )
    if what == "claim":
        return Conflict(
            message,
            code="claim.illegal_step",
            params={"number": number, "claim_status": current, "claim_target": target},
        )
    return Conflict(
        message,
        code="compensation.illegal_step",
        params={"number": number, "compensation_status": current, "compensation_target": target},
    )


async def _number(session: AsyncSession, counter: str, prefix: str) -> str:
    n = await take_numbers(session, counter)
    return f"{prefix}{utcnow().year}-{n:04d}"


async def _part_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Part.id, Part.code, Part.name).where(Part.id.in_(ids)))
    return {r[0]: f"{r[1]} {r[2]}" for r in rows.all()}


async def _claim_ids(session: AsyncSession, appraisal_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not appraisal_ids:
        return {}
    rows = await session.execute(
        select(SupplierClaim.appraisal_id, SupplierClaim.id).where(
            SupplierClaim.appraisal_id.in_(appraisal_ids)
        )
    )
    return {r[0]: r[1] for r in rows.all()}


def _appraisal_out(
    row: OldPartAppraisal, names: dict[uuid.UUID, str], claims: dict[uuid.UUID, uuid.UUID]
) -> AppraisalOut:
    out = AppraisalOut.model_validate(row)
    out.appraised_at = _utc(row.appraised_at) or row.appraised_at
    out.part_name = names.get(row.part_id, "")
    out.claim_id = claims.get(row.id)
    return out


async def _returns_out(session: AsyncSession, rows: list[ReturnRequest]) -> list[ReturnOut]:
    ids = [r.id for r in rows]
    appraisals = (
        {
            a.return_id: a
            for a in (
                await session.scalars(select(OldPartAppraisal).where(OldPartAppraisal.return_id.in_(ids)))
            ).all()
        }
        if ids
        else {}
    )
    names = await _part_names(session, {r.part_id for r in rows})
    claims = await _claim_ids(session, [a.id for a in appraisals.values()])
    customers = (
        dict(
            (
                await session.execute(
                    select(Customer.id, Customer.name).where(Customer.id.in_({r.customer_id for r in rows}))
                )
            )
            .tuples()
            .all()
        )
        if rows
        else {}
    )
    job_ids = {r.job_id for r in rows if r.job_id}
    numbers = (
        dict((await session.execute(select(Job.id, Job.number).where(Job.id.in_(job_ids)))).tuples().all())
        if job_ids
        else {}
    )
    out = []
    for r in rows:
        item = ReturnOut.model_validate(r)
        for name in ("requested_at", "decided_at", "signed_at", "completed_at"):
            setattr(item, name, _utc(getattr(r, name)))
        item.customer_name = customers.get(r.customer_id, "")
        item.job_number = numbers.get(r.job_id) if r.job_id else None
        item.part_name = names.get(r.part_id, "")
        appraisal = appraisals.get(r.id)
        item.appraisal = _appraisal_out(appraisal, names, claims) if appraisal else None
        out.append(item)
    return out


async def _one_return(session: AsyncSession, return_id: uuid.UUID, *, lock: bool = False) -> ReturnRequest:
    query = select(ReturnRequest).where(ReturnRequest.id == return_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(
            f"no return request with id {return_id}", code="return.not_found", params={"id": return_id}
        )
    return row


async def _only_store(
    session: AsyncSession, kind: StoreKind, chosen: uuid.UUID | None, field: str
) -> uuid.UUID:
    """The store named, or the one open store of ``kind`` (422 when there is none or several)."""
    if chosen is not None:
        return chosen
    ids = (
        await session.scalars(select(Store.id).where(Store.kind == kind.value, Store.active.is_(True)))
    ).all()
    if len(ids) != 1:
        raise Invalid(
            f"choose the {kind.value} store ({len(ids)} are open)",
            field=field,
            code="return.choose_store",
            params={"store_kind": kind.value, "open": len(ids)},
        )
    return ids[0]


class ReturnController(Controller):
    path = "/api/returns"
    tags = ["returns"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_returns(
        self,
        db_session: DbSession,
        status: Annotated[
            ReturnStatus | None, QueryParameter(description="only requests in this state")
        ] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[ReturnOut]:
        """Return and exchange requests (包退/包换), newest first, with their appraisal and decision."""
        query = select(ReturnRequest).order_by(ReturnRequest.requested_at.desc(), ReturnRequest.id)
        if status is not None:
            query = query.where(ReturnRequest.status == status.value)
        if customer_id is not None:
            query = query.where(ReturnRequest.customer_id == customer_id)
        return await _returns_out(db_session, list((await db_session.scalars(query.limit(1000))).all()))

    @get("/{return_id:uuid}", guards=[requires_office])
    async def get_return(self, return_id: FromPath[uuid.UUID], db_session: DbSession) -> ReturnOut:
        """One request with its appraisal, decision, ledger movements and the customer's signature."""
        return (await _returns_out(db_session, [await _one_return(db_session, return_id)]))[0]

    @post("/", guards=[requires_desk])
    async def create_return(
        self, data: JSONBody[ReturnCreate], db_session: DbSession, principal: CurrentUser
    ) -> ReturnOut:
        """The customer asks to return or exchange a part under the three guarantees (state ``requested``)."""
        if await db_session.get(Customer, data.customer_id) is None:
            raise Invalid(
                "no such customer",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        if await db_session.get(Part, data.part_id) is None:
            raise Invalid(
                "no such part", field="part_id", code="return.unknown_part", params={"id": data.part_id}
            )
        if data.job_id is not None:
            job = await db_session.get(Job, data.job_id)
            if job is None:
                raise Invalid("no such job", field="job_id", code="job.not_found", params={"id": data.job_id})
            if job.customer_id != data.customer_id:
                raise Invalid(
                    f"job {job.number} is another customer's",
                    field="job_id",
                    code="return.job_of_other_customer",
                    params={"number": job.number},
                )
        now = utcnow()
        row = ReturnRequest(
            number=await _number(db_session, "returns", "TH"),
            customer_id=data.customer_id,
            job_id=data.job_id,
            part_id=data.part_id,
            quantity=data.quantity,
            kind=data.kind.value,
            reason=data.reason,
            status=ReturnStatus.REQUESTED.value,
            requested_by=principal.user_id,
            requested_at=now,
            movement_ids=[],
        )
        db_session.add(row)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "return.request",
            "return",
            row.id,
            {"number": row.number, "data": data.model_dump(mode="json")},
        )
        await db_session.commit()
        return (await _returns_out(db_session, [row]))[0]

    @post("/{return_id:uuid}/decision", guards=[requires_manager], status_code=200)
    async def decide_return(
        self,
        return_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnDecide],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ReturnOut:
        """The manager decides an appraised request: ``return`` books the units into the 旧件库 (and
        records the refund), ``exchange`` also issues the replacement from the 新件库 (409 when the books
        hold too few), ``refuse`` moves nothing. A request not appraised yet, or decided, is a 409."""
        row = await _one_return(db_session, return_id, lock=True)
        if not can_move(RETURN_STEPS, row.status, ReturnStatus.DECIDED):  # type: ignore[arg-type]
            raise _illegal("return", row.status, ReturnStatus.DECIDED.value, row.number)
        if data.decision is ReturnDecision.RETURN and data.refund_amount is None:
            raise Invalid(
                "a return needs its refund amount",
                field="refund_amount",
                code="return.refund_required",
                params={},
            )
        movements: list[StockMovement] = []
        if data.decision is not ReturnDecision.REFUSE:
            returned = await _only_store(
                db_session, StoreKind.RETURNED, data.returned_store_id, "returned_store_id"
            )
            new = (
                await _only_store(db_session, StoreKind.NEW, data.new_store_id, "new_store_id")
                if data.decision is ReturnDecision.EXCHANGE
                else None
            )
            ledger = Ledger(db_session, user_id=principal.user_id)
            try:
                movements += await ledger.take_back(returned, row.part_id, row.quantity, reference=row.number)
                if new is not None:
                    movements += await ledger.issue_exchange(new, row.part_id, row.quantity, note=row.number)
            except StockError as exc:
                await db_session.rollback()
                raise refusal(exc) from exc
        now = utcnow()
        row.status = ReturnStatus.DECIDED.value
        row.decision = data.decision.value
        row.decision_note = data.note
        row.refund_amount = data.refund_amount if data.decision is ReturnDecision.RETURN else None
        row.decided_by, row.decided_at = principal.user_id, now
        row.movement_ids = [str(m.id) for m in movements]
        await db_session.flush()
        detail = {"number": row.number, "data": data.model_dump(mode="json"), "movements": row.movement_ids}
        await audit.record_by(db_session, principal, "return.decide", "return", row.id, detail)
        await db_session.commit()
        return (await _returns_out(db_session, [row]))[0]

    @post("/{return_id:uuid}/complete", guards=[requires_desk], status_code=200)
    async def complete_return(
        self,
        return_id: FromPath[uuid.UUID],
        data: JSONBody[ReturnComplete],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ReturnOut:
        """Handed over: the customer signs the decision (SVG path data, bounded like the job's acceptance
        signature). Only a decided request completes (409 otherwise)."""
        row = await _one_return(db_session, return_id, lock=True)
        if not can_move(RETURN_STEPS, row.status, ReturnStatus.COMPLETED):  # type: ignore[arg-type]
            raise _illegal("return", row.status, ReturnStatus.COMPLETED.value, row.number)
        try:
            check_signature(data.signature)
        except NotAnImage as exc:
            raise Invalid(str(exc), field="signature", code="return.bad_signature", params={}) from exc
        signed_at = _utc(data.signed_at)
        assert signed_at is not None
        if signed_at > utcnow() + FUTURE_TOLERANCE:
            raise Invalid(
                "signed_at is in the future",
                field="signed_at",
                code="time.in_future",
                params={"field": "signed_at"},
            )
        row.status = ReturnStatus.COMPLETED.value
        row.signer_name, row.signature, row.signed_at = data.signer_name, data.signature, signed_at
        row.completed_by, row.completed_at = principal.user_id, utcnow()
        await db_session.flush()
        detail = {"number": row.number, "signer_name": data.signer_name, "signed_at": signed_at.isoformat()}
        await audit.record_by(db_session, principal, "return.complete", "return", row.id, detail)
        await db_session.commit()
        return (await _returns_out(db_session, [row]))[0]


class AppraisalController(Controller):
    path = "/api/appraisals"
    tags = ["returns"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_appraisals(
        self,
        db_session: DbSession,
        supplier_fault: Annotated[
            bool | None, QueryParameter(description="only supplier-fault verdicts")
        ] = None,
    ) -> list[AppraisalOut]:
        """Old-part appraisals (三包旧件鉴定), newest first, with the claim each opened."""
        query = select(OldPartAppraisal).order_by(OldPartAppraisal.appraised_at.desc())
        if supplier_fault is not None:
            query = query.where(OldPartAppraisal.supplier_fault.is_(supplier_fault))
        rows = list((await db_session.scalars(query.limit(1000))).all())
        names = await _part_names(db_session, {r.part_id for r in rows})
        claims = await _claim_ids(db_session, [r.id for r in rows])
        return [_appraisal_out(r, names, claims) for r in rows]

    @post("/", guards=[requires_appraiser])
    async def appraise(
        self, data: JSONBody[AppraisalCreate], db_session: DbSession, principal: CurrentUser
    ) -> AppraisalOut:
        """The verdict on a returned old part: a return request's (it becomes ``appraised``) or one handed
        in from a job (``job_part_id``, an old part the engineer marked returned). Once per part (409)."""
        if (data.return_id is None) == (data.job_part_id is None):
            raise Invalid(
                "name either a return request or a job's old part",
                field="return_id",
                code="appraisal.one_subject",
                params={},
            )
        if data.supplier_fault and not data.supplier:
            raise Invalid(
                "a supplier fault names the supplier",
                field="supplier",
                code="appraisal.supplier_required",
                params={},
            )
        request: ReturnRequest | None = None
        if data.return_id is not None:
            request = await _one_return(db_session, data.return_id, lock=True)
            if not can_move(RETURN_STEPS, request.status, ReturnStatus.APPRAISED):  # type: ignore[arg-type]
                raise _illegal("return", request.status, ReturnStatus.APPRAISED.value, request.number)
            part_id, quantity, subject = request.part_id, request.quantity, request.number
        else:
            usage = await db_session.get(JobPart, data.job_part_id)
            if usage is None or not usage.old_part_returned or usage.voided_at is not None:
                raise Invalid(
                    "no returned old part with this id",
                    field="job_part_id",
                    code="appraisal.no_old_part",
                    params={"id": data.job_part_id},
                )
            taken = await db_session.scalar(
                select(OldPartAppraisal.id).where(OldPartAppraisal.job_part_id == usage.id)
            )
            if taken is not None:
                raise Conflict(
                    "this old part is already appraised",
                    code="appraisal.already_done",
                    params={},
                )
            part_id, quantity, subject = usage.part_id, usage.quantity, str(usage.id)
        now = utcnow()
        row = OldPartAppraisal(
            return_id=data.return_id,
            job_part_id=data.job_part_id,
            part_id=part_id,
            quantity=quantity,
            defect_type=data.defect_type.value,
            supplier_fault=data.supplier_fault,
            supplier=data.supplier,
            note=data.note,
            appraised_by=principal.user_id,
            appraised_at=now,
        )
        db_session.add(row)
        if request is not None:
            request.status = ReturnStatus.APPRAISED.value
        await db_session.flush()
        detail = {"subject": subject, "data": data.model_dump(mode="json")}
        await audit.record_by(db_session, principal, "appraisal.create", "appraisal", row.id, detail)
        await db_session.commit()
        names = await _part_names(db_session, {row.part_id})
        return _appraisal_out(row, names, {})


async def _claims_out(session: AsyncSession, rows: list[SupplierClaim]) -> list[ClaimOut]:
    appraisals = (
        {
            a.id: a
            for a in (
                await session.scalars(
                    select(OldPartAppraisal).where(OldPartAppraisal.id.in_([r.appraisal_id for r in rows]))
                )
            ).all()
        }
        if rows
        else {}
    )
    names = await _part_names(session, {a.part_id for a in appraisals.values()})
    out = []
    for r in rows:
        a = appraisals[r.appraisal_id]
        out.append(
            ClaimOut(
                id=r.id,
                number=r.number,
                appraisal_id=r.appraisal_id,
                supplier=r.supplier,
                part_id=a.part_id,
                part_name=names.get(a.part_id, ""),
                quantity=a.quantity,
                amount_claimed=Decimal(r.amount_claimed),
                amount_settled=None if r.amount_settled is None else Decimal(r.amount_settled),
                status=ClaimStatus(r.status),
                note=r.note,
                opened_by=r.opened_by,
                opened_at=_utc(r.opened_at) or r.opened_at,
                submitted_at=_utc(r.submitted_at),
                closed_at=_utc(r.closed_at),
            )
        )
    return out


async def _one_claim(session: AsyncSession, claim_id: uuid.UUID) -> SupplierClaim:
    row = await session.scalar(select(SupplierClaim).where(SupplierClaim.id == claim_id).with_for_update())
    if row is None:
        raise NotFound(
            f"no supplier claim with id {claim_id}", code="claim.not_found", params={"id": claim_id}
        )
    return row


class SupplierClaimController(Controller):
    path = "/api/supplier-claims"
    tags = ["returns"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_claims(
        self,
        db_session: DbSession,
        status: Annotated[ClaimStatus | None, QueryParameter(description="only claims in this state")] = None,
    ) -> list[ClaimOut]:
        """Claims against suppliers (外协厂家), newest first."""
        query = select(SupplierClaim).order_by(SupplierClaim.opened_at.desc())
        if status is not None:
            query = query.where(SupplierClaim.status == status.value)
        return await _claims_out(db_session, list((await db_session.scalars(query.limit(1000))).all()))

    @post("/", guards=[requires_appraiser])
    async def open_claim(
        self, data: JSONBody[ClaimCreate], db_session: DbSession, principal: CurrentUser
    ) -> ClaimOut:
        """Open a claim from a supplier-fault appraisal (422 for another verdict, 409 when one is open)."""
        appraisal = await db_session.get(OldPartAppraisal, data.appraisal_id)
        if appraisal is None:
            raise Invalid(
                "no such appraisal",
                field="appraisal_id",
                code="appraisal.not_found",
                params={"id": data.appraisal_id},
            )
        if not appraisal.supplier_fault:
            raise Invalid(
                "the appraisal found no supplier fault",
                field="appraisal_id",
                code="claim.not_supplier_fault",
                params={},
            )
        if await db_session.scalar(
            select(SupplierClaim.id).where(SupplierClaim.appraisal_id == appraisal.id)
        ):
            raise Conflict(
                "this appraisal already has a claim",
                code="claim.exists",
                params={"supplier": appraisal.supplier},
            )
        now = utcnow()
        row = SupplierClaim(
            number=await _number(db_session, "supplier_claims", "SP"),
            appraisal_id=appraisal.id,
            supplier=appraisal.supplier,
            amount_claimed=data.amount_claimed,
            status=ClaimStatus.OPEN.value,
            note=data.note,
            opened_by=principal.user_id,
            opened_at=now,
        )
        db_session.add(row)
        await db_session.flush()
        detail = {"number": row.number, "data": data.model_dump(mode="json")}
        await audit.record_by(db_session, principal, "claim.open", "supplier_claim", row.id, detail)
        await db_session.commit()
        return (await _claims_out(db_session, [row]))[0]

    @post("/{claim_id:uuid}/submit", guards=[requires_appraiser], status_code=200)
    async def submit_claim(
        self, claim_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> ClaimOut:
        """The claim is sent to the supplier (only an open one: 409)."""
        row = await _one_claim(db_session, claim_id)
        if not can_move(CLAIM_STEPS, row.status, ClaimStatus.SUBMITTED):  # type: ignore[arg-type]
            raise _illegal("claim", row.status, ClaimStatus.SUBMITTED.value, row.number)
        row.status, row.submitted_at = ClaimStatus.SUBMITTED.value, utcnow()
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "claim.submit", "supplier_claim", row.id, {"number": row.number}
        )
        await db_session.commit()
        return (await _claims_out(db_session, [row]))[0]

    @post("/{claim_id:uuid}/settle", guards=[requires_appraiser], status_code=200)
    async def settle_claim(
        self,
        claim_id: FromPath[uuid.UUID],
        data: JSONBody[ClaimSettle],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ClaimOut:
        """The supplier's answer to a submitted claim: ``settled`` with the amount paid (at most what was
        claimed) or ``rejected``."""
        row = await _one_claim(db_session, claim_id)
        if data.outcome not in (ClaimStatus.SETTLED, ClaimStatus.REJECTED):
            raise Invalid(
                "the outcome is settled or rejected", field="outcome", code="claim.bad_outcome", params={}
            )
        if not can_move(CLAIM_STEPS, row.status, data.outcome):  # type: ignore[arg-type]
            raise _illegal("claim", row.status, data.outcome.value, row.number)
        settled = data.amount_settled if data.outcome is ClaimStatus.SETTLED else Decimal(0)
        if not claim_settled_within(Decimal(row.amount_claimed), settled):
            raise Invalid(
                "a supplier settles at most what was claimed",
                field="amount_settled",
                code="claim.settled_over_claimed",
                params={"claimed": str(row.amount_claimed)},
            )
        row.status, row.amount_settled, row.closed_at = data.outcome.value, settled, utcnow()
        if data.note:
            row.note = (row.note + "\n" + data.note).strip()
        await db_session.flush()
        detail = {"number": row.number, "data": data.model_dump(mode="json")}
        await audit.record_by(db_session, principal, "claim.settle", "supplier_claim", row.id, detail)
        await db_session.commit()
        return (await _claims_out(db_session, [row]))[0]


async def _compensations_out(session: AsyncSession, rows: list[JobCompensation]) -> list[CompensationOut]:
    job_ids = {r.job_id for r in rows}
    numbers = (
        dict((await session.execute(select(Job.id, Job.number).where(Job.id.in_(job_ids)))).tuples().all())
        if job_ids
        else {}
    )
    out = []
    for r in rows:
        item = CompensationOut.model_validate(r)
        item.amount = Decimal(r.amount)
        item.recorded_at = _utc(r.recorded_at) or r.recorded_at
        item.decided_at = _utc(r.decided_at)
        item.job_number = numbers.get(r.job_id, "")
        out.append(item)
    return out


class CompensationController(Controller):
    path = "/api/compensations"
    tags = ["returns"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_compensations(
        self,
        db_session: DbSession,
        job_id: FromQuery[uuid.UUID | None] = None,
        status: Annotated[
            CompensationStatus | None, QueryParameter(description="only records in this state")
        ] = None,
    ) -> list[CompensationOut]:
        """Self-repair costs and direct losses we owe customers, newest first."""
        query = select(JobCompensation).order_by(JobCompensation.recorded_at.desc())
        if job_id is not None:
            query = query.where(JobCompensation.job_id == job_id)
        if status is not None:
            query = query.where(JobCompensation.status == status.value)
        return await _compensations_out(db_session, list((await db_session.scalars(query.limit(1000))).all()))

    @get("/missed-onsite", guards=[requires_office])
    async def missed_onsite_jobs(self, db_session: DbSession) -> list[MissedOnsiteJob]:
        """Jobs of the last months that missed their on-site promise (arrived late, or not yet and past
        the deadline): the ones a self-repair at our cost may be recorded on, newest deadline first."""
        now = utcnow()
        rows = await db_session.execute(
            select(Job.id, Job.number, Customer.name, Job.onsite_due_at, Job.arrived_at)
            .join(Customer, Customer.id == Job.customer_id)
            .where(
                Job.onsite_due_at.is_not(None), Job.onsite_due_at >= now - timedelta(days=MISSED_ONSITE_DAYS)
            )
            .order_by(Job.onsite_due_at.desc())
            .limit(2000)
        )
        out = []
        for job_id, number, customer, due, arrived in rows.all():
            due, arrived = _utc(due), _utc(arrived)
            assert due is not None
            if missed_onsite(due, arrived, now):
                out.append(
                    MissedOnsiteJob(
                        job_id=job_id,
                        number=number,
                        customer_name=customer,
                        onsite_due_at=due,
                        arrived_at=arrived,
                    )
                )
        return out[:200]

    @post("/", guards=[requires_desk])
    async def record_compensation(
        self, data: JSONBody[CompensationCreate], db_session: DbSession, principal: CurrentUser
    ) -> CompensationOut:
        """Record what we owe on a job, with the evidence: ``self_repair`` only when the job missed its
        on-site promise (409 ``compensation.onsite_kept`` otherwise), or ``direct_loss``."""
        job = await db_session.get(Job, data.job_id)
        if job is None:
            raise Invalid("no such job", field="job_id", code="job.not_found", params={"id": data.job_id})
        now = utcnow()
        if data.kind is CompensationKind.SELF_REPAIR and not missed_onsite(
            _utc(job.onsite_due_at), _utc(job.arrived_at), now
        ):
            raise Conflict(
                f"job {job.number} did not miss its on-site promise: no self-repair at our cost",
                code="compensation.onsite_kept",
                params={"number": job.number},
            )
        row = JobCompensation(
            job_id=job.id,
            kind=data.kind.value,
            amount=data.amount,
            evidence=data.evidence,
            status=CompensationStatus.PROPOSED.value,
            recorded_by=principal.user_id,
            recorded_at=now,
            decision_note="",
        )
        db_session.add(row)
        await db_session.flush()
        detail = {"number": job.number, "data": data.model_dump(mode="json")}
        await audit.record_by(db_session, principal, "compensation.record", "compensation", row.id, detail)
        await db_session.commit()
        return (await _compensations_out(db_session, [row]))[0]

    @post("/{compensation_id:uuid}/decision", guards=[requires_manager], status_code=200)
    async def decide_compensation(
        self,
        compensation_id: FromPath[uuid.UUID],
        data: JSONBody[CompensationDecide],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> CompensationOut:
        """The manager approves or rejects a proposed compensation (decided once: 409 after)."""
        row = await db_session.scalar(
            select(JobCompensation).where(JobCompensation.id == compensation_id).with_for_update()
        )
        if row is None:
            raise NotFound(
                f"no compensation with id {compensation_id}",
                code="compensation.not_found",
                params={"id": compensation_id},
            )
        target = CompensationStatus.APPROVED if data.approve else CompensationStatus.REJECTED
        if not can_move(COMPENSATION_STEPS, row.status, target):  # type: ignore[arg-type]
            raise _illegal("compensation", row.status, target.value, str(row.id)[:8])
        row.status, row.decided_by, row.decided_at = target.value, principal.user_id, utcnow()
        row.decision_note = data.note
        await db_session.flush()
        detail: dict[str, Any] = {"status": target.value, "note": data.note, "amount": str(row.amount)}
        await audit.record_by(db_session, principal, "compensation.decide", "compensation", row.id, detail)
        await db_session.commit()
        return (await _compensations_out(db_session, [row]))[0]
