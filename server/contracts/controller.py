"""``/api/contracts``: a customer's contracts over time, their promises, warranty certificates
(质量保修书) and long-term maintenance agreements (长期维护协议).

The office reads them; the manager (and the administrator) records them. Periods of one customer's
contracts never overlap, so one contract at most is in force on a call's date; promise keys are unique
within a contract, so the choice of a call's promise is never a tie (shared/contracts.py).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.customers.equipment import following_rules, refollow
from server.db.models import Contract, ContractPromise, Customer, MaintenanceAgreement, WarrantyCertificate
from server.deps import CurrentUser, DbSession, Principal, requires_office, requires_to
from server.errors import Conflict, Invalid, NotFound
from shared.contracts import (
    REQUIRED_ON_UPDATE,
    ContractCreate,
    ContractOut,
    ContractUpdate,
    MaintenanceAgreementCreate,
    MaintenanceAgreementOut,
    MaintenanceAgreementUpdate,
    PromiseCreate,
    PromiseOut,
    WarrantyCertificateCreate,
    WarrantyCertificateOut,
    WarrantyCertificateUpdate,
)
from shared.roles import Capability

requires_contracts = requires_to(Capability.MANAGE_CONTRACTS)


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


async def _check_period(session: AsyncSession, contract: Contract) -> None:
    others = await session.scalars(
        select(Contract).where(Contract.customer_id == contract.customer_id, Contract.id != contract.id)
    )
    for other in others:
        if _overlaps(contract.starts_on, contract.ends_on, other.starts_on, other.ends_on):
            raise Conflict(
                f"the period overlaps contract {other.number} "
                f"({other.starts_on.isoformat()} .. {other.ends_on.isoformat() if other.ends_on else ''}): "
                "one contract at a time is in force",
                field="starts_on",
                code="contract.overlaps",
                params={"number": other.number},
            )


async def _end_open_contract(session: AsyncSession, new: Contract) -> Contract | None:
    """End the customer's open-ended contract that started before ``new`` the day before ``new`` starts."""
    open_ended = await session.scalar(
        select(Contract).where(
            Contract.customer_id == new.customer_id,
            Contract.ends_on.is_(None),
            Contract.starts_on < new.starts_on,
        )
    )
    if open_ended is not None:
        open_ended.ends_on = new.starts_on - timedelta(days=1)
    return open_ended


async def _unique_number(
    session: AsyncSession, model: Any, number: str, own: uuid.UUID | None = None
) -> None:
    found = await session.scalar(select(model.id).where(model.number == number))
    if found is not None and found != own:
        raise Conflict(
            f"number '{number}' is already used",
            field="number",
            code="contract.number_taken",
            params={"number": number},
        )


async def contract_out(session: AsyncSession, contract: Contract) -> ContractOut:
    """A contract with its promises, certificates and agreements."""

    async def rows(model: Any, *order: Any) -> list[Any]:
        query = select(model).where(model.contract_id == contract.id).order_by(*order)
        return list(await session.scalars(query))

    return ContractOut.model_validate(contract).model_copy(
        update={
            "promises": [
                PromiseOut.model_validate(p)
                for p in await rows(ContractPromise, ContractPromise.created_at, ContractPromise.id)
            ],
            "certificates": [
                WarrantyCertificateOut.model_validate(c)
                for c in await rows(
                    WarrantyCertificate, WarrantyCertificate.issued_on, WarrantyCertificate.id
                )
            ],
            "agreements": [
                MaintenanceAgreementOut.model_validate(a)
                for a in await rows(
                    MaintenanceAgreement, MaintenanceAgreement.starts_on, MaintenanceAgreement.id
                )
            ],
        }
    )


class ContractController(Controller):
    path = "/api/contracts"
    tags = ["contracts"]  # noqa: RUF012

    async def _get(self, session: AsyncSession, contract_id: uuid.UUID) -> Contract:
        contract = await session.get(Contract, contract_id)
        if contract is None:
            raise NotFound(
                f"no contract with id {contract_id}", code="contract.not_found", params={"id": contract_id}
            )
        return contract

    @get("/", guards=[requires_office])
    async def list_contracts(
        self, db_session: DbSession, customer_id: FromQuery[uuid.UUID | None] = None
    ) -> list[ContractOut]:
        """Contracts (of one customer when ``customer_id`` is given), newest period first."""
        query = select(Contract).order_by(Contract.starts_on.desc(), Contract.id)
        if customer_id is not None:
            query = query.where(Contract.customer_id == customer_id)
        return [await contract_out(db_session, c) for c in await db_session.scalars(query)]

    @get("/{contract_id:uuid}", guards=[requires_office])
    async def get_contract(self, contract_id: FromPath[uuid.UUID], db_session: DbSession) -> ContractOut:
        """One contract with its promises, warranty certificates and maintenance agreements. Every office
        role."""
        return await contract_out(db_session, await self._get(db_session, contract_id))

    @post("/", guards=[requires_contracts])
    async def create_contract(
        self, data: JSONBody[ContractCreate], db_session: DbSession, principal: CurrentUser
    ) -> ContractOut:
        """Record a contract. The customer's open-ended contract that started before it ends the day
        before it starts (an open end means "until another contract is signed"); otherwise its period
        must not overlap another contract of the customer (409)."""
        if await db_session.get(Customer, data.customer_id) is None:
            raise NotFound(
                f"no customer with id {data.customer_id}",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        await _unique_number(db_session, Contract, data.number)
        followed = await following_rules(db_session, data.customer_id)
        contract = Contract(**data.model_dump())
        ended = await _end_open_contract(db_session, contract)
        await _check_period(db_session, contract)
        db_session.add(contract)
        await db_session.flush()
        await refollow(db_session, followed, principal, f"contract:{contract.number}")
        if ended is not None:
            detail = {
                "number": ended.number,
                "changes": {"ends_on": [None, ended.ends_on]},
                "by": contract.number,
            }
            await audit.record_by(db_session, principal, "contract.update", "contract", ended.id, detail)
        await audit.record_by(
            db_session, principal, "contract.create", "contract", contract.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return await contract_out(db_session, contract)

    @patch("/{contract_id:uuid}", guards=[requires_contracts])
    async def update_contract(
        self,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[ContractUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> ContractOut:
        """Correct a contract; ``ends_on: null`` leaves it open-ended. Jobs already opened keep their
        deadlines."""
        contract = await self._get(db_session, contract_id)
        sent = data.model_fields_set
        for required in ("number", "starts_on", "warranty_years", "promise_text"):
            if required in sent and getattr(data, required) is None:
                raise Invalid(
                    f"{required} cannot be empty",
                    field=required,
                    code="field.empty",
                    params={"field": required},
                )
        before = {k: getattr(contract, k) for k in sent}
        if data.number is not None:
            await _unique_number(db_session, Contract, data.number, contract.id)
        moves_warranty = bool(sent & {"starts_on", "ends_on", "warranty_years"})
        followed = await following_rules(db_session, contract.customer_id) if moves_warranty else []
        for key in sent:
            setattr(contract, key, getattr(data, key))
        if contract.ends_on is not None and contract.ends_on < contract.starts_on:
            raise Invalid(
                "ends_on must not be before starts_on",
                field="ends_on",
                code="contract.ends_before_start",
                params={"start": contract.starts_on.isoformat()},
            )
        await _check_period(db_session, contract)
        await refollow(db_session, followed, principal, f"contract:{contract.number}")
        changes = {k: [before[k], getattr(contract, k)] for k in sent if before[k] != getattr(contract, k)}
        if changes:
            detail = {"number": contract.number, "changes": changes}
            await audit.record_by(db_session, principal, "contract.update", "contract", contract.id, detail)
        await db_session.commit()
        return await contract_out(db_session, contract)

    @post("/{contract_id:uuid}/promises", guards=[requires_contracts])
    async def add_promise(
        self,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[PromiseCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> PromiseOut:
        """Add a promise for a severity x equipment category x job kind (any left empty covers all);
        one promise per key and contract (409)."""
        contract = await self._get(db_session, contract_id)
        key = {
            "severity": data.severity.value if data.severity else None,
            "category": data.category.value if data.category else None,
            "job_kind": data.job_kind.value if data.job_kind else None,
        }
        for existing in await db_session.scalars(
            select(ContractPromise).where(ContractPromise.contract_id == contract.id)
        ):
            if all(getattr(existing, k) == v for k, v in key.items()):
                raise Conflict(
                    "this contract already has a promise for this severity, category and kind",
                    code="contract.promise_exists",
                    params={"number": contract.number},
                )
        promise = ContractPromise(contract_id=contract.id, **data.model_dump(mode="json"))
        db_session.add(promise)
        await db_session.flush()
        detail = {"contract": contract.number, **data.model_dump(mode="json")}
        await audit.record_by(db_session, principal, "contract.promise.add", "contract", contract.id, detail)
        await db_session.commit()
        return PromiseOut.model_validate(promise)

    @delete("/{contract_id:uuid}/promises/{promise_id:uuid}", guards=[requires_contracts], status_code=204)
    async def remove_promise(
        self,
        contract_id: FromPath[uuid.UUID],
        promise_id: FromPath[uuid.UUID],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> None:
        """Remove a promise; jobs already opened keep the deadlines it gave them."""
        contract = await self._get(db_session, contract_id)
        promise = await db_session.get(ContractPromise, promise_id)
        if promise is None or promise.contract_id != contract.id:
            raise NotFound(
                f"no promise with id {promise_id} in contract {contract.number}",
                code="contract.promise_not_found",
                params={"id": promise_id, "number": contract.number},
            )
        detail = {"contract": contract.number, **PromiseOut.model_validate(promise).model_dump(mode="json")}
        await db_session.delete(promise)
        await audit.record_by(
            db_session, principal, "contract.promise.remove", "contract", contract.id, detail
        )
        await db_session.commit()

    @post("/{contract_id:uuid}/certificates", guards=[requires_contracts])
    async def add_certificate(
        self,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[WarrantyCertificateCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> WarrantyCertificateOut:
        """Record a warranty certificate (质量保修书) signed under the contract."""
        contract = await self._get(db_session, contract_id)
        row = await _add_document(db_session, principal, contract, WarrantyCertificate, data, "certificate")
        return WarrantyCertificateOut.model_validate(row)

    @post("/{contract_id:uuid}/agreements", guards=[requires_contracts])
    async def add_agreement(
        self,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[MaintenanceAgreementCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> MaintenanceAgreementOut:
        """Record a long-term maintenance agreement (长期维护协议) with its fee (decimal yuan)."""
        contract = await self._get(db_session, contract_id)
        row = await _add_document(db_session, principal, contract, MaintenanceAgreement, data, "agreement")
        return MaintenanceAgreementOut.model_validate(row)

    @patch("/{contract_id:uuid}/certificates/{certificate_id:uuid}", guards=[requires_contracts])
    async def update_certificate(
        self,
        contract_id: FromPath[uuid.UUID],
        certificate_id: FromPath[uuid.UUID],
        data: JSONBody[WarrantyCertificateUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> WarrantyCertificateOut:
        """Correct a warranty certificate with the rules it was recorded with: number unique (409), scope
        and period required, the period in order (400/422); a field left out stays as it is."""
        contract = await self._get(db_session, contract_id)
        row = await _document(db_session, contract, WarrantyCertificate, certificate_id, "certificate")
        await _update_document(db_session, principal, contract, row, data, "certificate")
        return WarrantyCertificateOut.model_validate(row)

    @patch("/{contract_id:uuid}/agreements/{agreement_id:uuid}", guards=[requires_contracts])
    async def update_agreement(
        self,
        contract_id: FromPath[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[MaintenanceAgreementUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> MaintenanceAgreementOut:
        """Correct a maintenance agreement with the rules it was recorded with (the fee decimal yuan,
        sent as a string like ``"36800.10"``); a field left out stays as it is."""
        contract = await self._get(db_session, contract_id)
        row = await _document(db_session, contract, MaintenanceAgreement, agreement_id, "agreement")
        await _update_document(db_session, principal, contract, row, data, "agreement")
        return MaintenanceAgreementOut.model_validate(row)


async def _document(
    session: AsyncSession,
    contract: Contract,
    model: type[WarrantyCertificate] | type[MaintenanceAgreement],
    row_id: uuid.UUID,
    kind: str,
) -> WarrantyCertificate | MaintenanceAgreement:
    row: WarrantyCertificate | MaintenanceAgreement | None = await session.get(model, row_id)
    if row is not None and row.contract_id == contract.id:
        return row
    if kind == "certificate":
        raise NotFound(
            f"no certificate with id {row_id} in contract {contract.number}",
            code="contract.certificate_not_found",
            params={"id": row_id, "number": contract.number},
        )
    raise NotFound(
        f"no agreement with id {row_id} in contract {contract.number}",
        code="contract.agreement_not_found",
        params={"id": row_id, "number": contract.number},
    )


async def _update_document(
    session: AsyncSession,
    principal: Principal,
    contract: Contract,
    row: WarrantyCertificate | MaintenanceAgreement,
    data: WarrantyCertificateUpdate | MaintenanceAgreementUpdate,
    kind: str,
) -> None:
    """Apply the fields sent, checked as on creation; audited with before and after; committed."""
    sent = data.model_fields_set
    for required in REQUIRED_ON_UPDATE[kind]:
        if required in sent and getattr(data, required) is None:
            raise Invalid(
                f"{required} cannot be empty", field=required, code="field.empty", params={"field": required}
            )
    if data.number is not None:
        await _unique_number(session, type(row), data.number, row.id)
    before = {k: getattr(row, k) for k in sent}
    for key in sent:
        setattr(row, key, getattr(data, key))
    if row.ends_on < row.starts_on:
        raise Invalid(
            "ends_on must not be before starts_on",
            field="ends_on",
            code="contract.ends_before_start",
            params={"start": row.starts_on.isoformat()},
        )
    changes = {
        k: [str(before[k]) if before[k] is not None else None, str(getattr(row, k))]
        for k in sent
        if before[k] != getattr(row, k)
    }
    if changes:
        detail = {"contract": contract.number, "number": row.number, "changes": changes}
        await audit.record_by(session, principal, f"contract.{kind}.update", "contract", contract.id, detail)
    await session.commit()
    await session.refresh(row)


async def _add_document(
    session: AsyncSession,
    principal: Principal,
    contract: Contract,
    model: type[WarrantyCertificate] | type[MaintenanceAgreement],
    data: WarrantyCertificateCreate | MaintenanceAgreementCreate,
    kind: str,
) -> WarrantyCertificate | MaintenanceAgreement:
    """A certificate or agreement signed under ``contract``: its number unique, stored, audited, committed."""
    await _unique_number(session, model, data.number)
    row = model(contract_id=contract.id, **data.model_dump())
    session.add(row)
    await session.flush()
    detail = {"contract": contract.number, **data.model_dump(mode="json")}
    await audit.record_by(session, principal, f"contract.{kind}.add", "contract", contract.id, detail)
    await session.commit()
    return row
