"""``/api/contacts`` (the contact register, 来电来函登记) and ``/api/customers/{id}/care`` (重点客户,
指定专人负责).

Who may do what: anyone who answers customers (dispatcher, manager, QA, admin) registers contacts, reads
the register and writes an answer or outcome later; opening a job from an inquiry is the service desk's
(dispatcher, manager, admin); naming a key customer and the person responsible for it is a management
decision (manager, admin). Engineers and warehouse staff have no part in these.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, Router, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from server.contacts.rows import contact_rows
from server.contacts.service import ContactService, set_care
from server.db.models import Contact
from server.deps import CurrentUser, DbSession, requires_dispatch, requires_to
from server.paging import MAX_LIMIT, fetch_page, has_text
from shared.contacts import (
    ContactCreate,
    ContactKind,
    ContactOut,
    ContactRow,
    ContactUpdate,
    CustomerCare,
    InquiryToJob,
)
from shared.enums import ContactChannel
from shared.models import CustomerOut, JobOut, Page
from shared.roles import Capability

requires_customer_care = requires_to(Capability.CARE_FOR_CUSTOMERS)
requires_management = requires_to(Capability.MANAGE_CONTRACTS)
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]


def _service(db_session: DbSession, state: State) -> ContactService:
    return ContactService(db_session, ZoneInfo(state.settings.timezone), state.settings.complaint_hours)


class ContactController(Controller):
    path = "/contacts"
    tags = ["contacts"]  # noqa: RUF012

    @post("/", guards=[requires_customer_care])
    async def register_contact(
        self, data: JSONBody[ContactCreate], db_session: DbSession, principal: CurrentUser, state: State
    ) -> ContactOut:
        """Register a contact (number LD-<year>-<nnnnn>): a repair call names its job, a complaint names
        its complaint record or, without one, records it from the summary (with its deadline); an inquiry
        carries its answer. Calls that open a job through POST /api/jobs and complaints recorded through
        POST /api/complaints are registered by the server itself."""
        return ContactOut.model_validate(await _service(db_session, state).register(data, principal))

    @get("/", guards=[requires_customer_care])
    async def list_contacts(
        self,
        db_session: DbSession,
        kind: FromQuery[ContactKind | None] = None,
        channel: FromQuery[ContactChannel | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        job_id: FromQuery[uuid.UUID | None] = None,
        received_from: FromQuery[datetime | None] = None,
        received_to: FromQuery[datetime | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="in the summary or name")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ContactRow]:
        """The register, newest first, filtered by kind, channel, customer, job, dates and text."""
        query = select(Contact).order_by(Contact.received_at.desc(), Contact.id)
        if kind is not None:
            query = query.where(Contact.kind == kind.value)
        if channel is not None:
            query = query.where(Contact.channel == channel.value)
        if customer_id is not None:
            query = query.where(Contact.customer_id == customer_id)
        if job_id is not None:
            query = query.where(Contact.job_id == job_id)
        if received_from is not None:
            query = query.where(Contact.received_at >= received_from)
        if received_to is not None:
            query = query.where(Contact.received_at < received_to)
        if q:
            query = query.where(
                has_text(q, Contact.summary, Contact.contact_name, Contact.number, Contact.answer)
            )
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[ContactRow](
            items=await contact_rows(db_session, rows), total=total, limit=limit, offset=offset
        )

    @get("/{contact_id:uuid}", guards=[requires_customer_care])
    async def get_contact(
        self, contact_id: FromPath[uuid.UUID], db_session: DbSession, state: State
    ) -> ContactRow:
        return (await contact_rows(db_session, [await _service(db_session, state).get(contact_id)]))[0]

    @patch("/{contact_id:uuid}", guards=[requires_customer_care])
    async def update_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[ContactUpdate],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> ContactOut:
        """Write the answer or the outcome later (an inquiry answered after asking the factory)."""
        return ContactOut.model_validate(
            await _service(db_session, state).update(contact_id, data, principal)
        )

    @post("/{contact_id:uuid}/job", guards=[requires_dispatch])
    async def inquiry_to_job(
        self,
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[InquiryToJob],
        db_session: DbSession,
        principal: CurrentUser,
        state: State,
    ) -> JobOut:
        """Open a job from an inquiry (or a letter, or another contact): the contact's customer, caller and
        time; its SLA deadlines as any call's. The contact keeps the link (job_id)."""
        return JobOut.model_validate(await _service(db_session, state).to_job(contact_id, data, principal))


class CustomerCareController(Controller):
    path = "/customers"
    tags = ["contacts"]  # noqa: RUF012

    @put("/{customer_id:uuid}/care", guards=[requires_management])
    async def set_customer_care(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[CustomerCare],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> CustomerOut:
        """Mark a key customer (重点客户) or not, and name the office user responsible for it (指定专人负责;
        null: nobody). The board and the job show both."""
        return CustomerOut.model_validate(await set_care(db_session, customer_id, data, principal))


contact_routes = Router(path="/api", route_handlers=[ContactController, CustomerCareController])
