"""The contact register's rules: what a contact may link, an inquiry that becomes a job, the answer or
outcome written later, and a customer's care (key customer, person responsible)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.contacts.register import CONTACT_TO_COMPLAINT, add_contact
from server.customers.complaints import ComplaintService
from server.db.models import Complaint, Contact, Customer, Job, User
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from server.jobs.service import JobService
from shared.clock import utcnow
from shared.contacts import ContactCreate, ContactKind, ContactUpdate, CustomerCare, InquiryToJob
from shared.customers import ComplaintCreate
from shared.models import JobCreate
from shared.roles import ROLES, Capability

#: a contact's time may be a few minutes ahead of the server's clock (the office PC's clock)
FUTURE_TOLERANCE = timedelta(minutes=5)
#: the kinds of contact that may become a job (a repair call already has one; a complaint has its record)
TO_JOB = frozenset({ContactKind.INQUIRY, ContactKind.CORRESPONDENCE, ContactKind.OTHER})


class ContactService:
    def __init__(self, session: AsyncSession, tz: tzinfo, complaint_hours: Callable[[str], int]) -> None:
        self.session = session
        self.tz = tz
        self.complaint_hours = complaint_hours

    async def get(self, contact_id: uuid.UUID) -> Contact:
        contact = await self.session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(
                f"no contact with id {contact_id}", code="contact.not_found", params={"id": contact_id}
            )
        return contact

    async def register(self, data: ContactCreate, by: Principal, now: datetime | None = None) -> Contact:
        now = now or utcnow()
        received = data.received_at or now
        if received > now + FUTURE_TOLERANCE:
            raise Invalid(
                "received_at is in the future",
                field="received_at",
                code="time.in_future",
                params={"field": "received_at"},
            )
        customer = None
        if data.customer_id is not None:
            customer = await self.session.get(Customer, data.customer_id)
            if customer is None:
                raise Invalid(
                    f"no customer with id {data.customer_id}",
                    field="customer_id",
                    code="customer.not_found",
                    params={"id": data.customer_id},
                )
        if data.job_id is not None:
            job = await self.session.get(Job, data.job_id)
            if job is None or (customer is not None and job.customer_id != customer.id):
                raise Invalid(
                    f"job {data.job_id} is not a job of this customer",
                    field="job_id",
                    code="contact.job_not_of_customer",
                    params={"job": data.job_id},
                )
            if customer is None:
                customer = await self.session.get(Customer, job.customer_id)
        complaint_id = data.complaint_id
        if complaint_id is not None:
            complaint = await self.session.get(Complaint, complaint_id)
            if complaint is None or customer is None or complaint.customer_id != customer.id:
                raise Invalid(
                    f"complaint {complaint_id} is not a complaint of this customer",
                    field="complaint_id",
                    code="contact.complaint_not_of_customer",
                    params={"complaint": complaint_id},
                )
        elif data.kind is ContactKind.COMPLAINT:
            assert customer is not None  # the model requires a customer for a complaint
            complaint = await ComplaintService(self.session, self.tz, self.complaint_hours).open(
                ComplaintCreate(
                    customer_id=customer.id,
                    job_id=data.job_id,
                    received_at=received,
                    channel=CONTACT_TO_COMPLAINT[data.channel],
                    complainant=data.contact_name,
                    phone=data.phone,
                    content=data.summary,
                    severity=data.severity,
                ),
                by,
                now,
            )
            complaint_id = complaint.id
        contact = await add_contact(
            self.session,
            by,
            kind=data.kind,
            channel=data.channel,
            received_at=received,
            summary=data.summary,
            tz=self.tz,
            customer_id=customer.id if customer else None,
            contact_name=data.contact_name,
            phone=data.phone,
            answer=data.answer,
            outcome=data.outcome,
            job_id=data.job_id,
            complaint_id=complaint_id,
        )
        await self.session.commit()
        return contact

    async def update(self, contact_id: uuid.UUID, data: ContactUpdate, by: Principal) -> Contact:
        contact = await self.get(contact_id)
        changes: dict[str, list[str]] = {}
        for name in ("answer", "outcome"):
            value = getattr(data, name)
            if value is not None and value != getattr(contact, name):
                changes[name] = [getattr(contact, name), value]
                setattr(contact, name, value)
        if changes:
            contact.updated_at = utcnow()
            await audit.record_by(
                self.session, by, "contact.update", "contact", contact.id, {"changes": changes}
            )
            await self.session.commit()
        return contact

    async def to_job(self, contact_id: uuid.UUID, data: InquiryToJob, by: Principal) -> Job:
        """Open a job from an inquiry (or a letter): the job's call is the contact's, the link is kept."""
        contact = await self.get(contact_id)
        if ContactKind(contact.kind) not in TO_JOB:
            raise Conflict(
                f"contact {contact.number} is a {contact.kind}: only an inquiry, letter or other contact "
                "becomes a job",
                code="contact.not_convertible",
                params={"number": contact.number, "kind": contact.kind},
            )
        if contact.job_id is not None:
            raise Conflict(
                f"contact {contact.number} already has a job",
                code="contact.has_job",
                params={"number": contact.number},
            )
        if contact.customer_id is None:
            raise Conflict(
                f"contact {contact.number} names no customer; a job is for a customer",
                code="contact.no_customer",
                params={"number": contact.number},
            )
        job = await JobService(self.session, self.tz).open(
            JobCreate(
                kind=data.kind,
                severity=data.severity,
                customer_id=contact.customer_id,
                site_id=data.site_id,
                equipment_id=data.equipment_id,
                symptom=data.symptom or contact.summary[:4000],
                caller_name=contact.contact_name,
                caller_phone=contact.phone,
                call_received_at=min(contact.received_at, utcnow()),
                assigned_engineer_id=data.assigned_engineer_id,
                channel=contact.channel,
            ),
            by,
        )
        contact.job_id = job.id
        if not contact.outcome:
            contact.outcome = job.number
        contact.updated_at = utcnow()
        await audit.record_by(
            self.session,
            by,
            "contact.to_job",
            "contact",
            contact.id,
            {"number": contact.number, "job_id": job.id, "job_number": job.number},
        )
        await self.session.commit()
        return job


async def set_care(
    session: AsyncSession, customer_id: uuid.UUID, data: CustomerCare, by: Principal
) -> Customer:
    """Mark a key customer (重点客户) and name the person responsible (指定专人负责)."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(
            f"no customer with id {customer_id}", code="customer.not_found", params={"id": customer_id}
        )
    if data.responsible_id is not None:
        user = await session.get(User, data.responsible_id)
        if user is None or not user.active or user.role not in ROLES[Capability.WORK_IN_THE_OFFICE]:
            raise Invalid(
                f"no active office user with id {data.responsible_id}",
                field="responsible_id",
                code="customer.no_responsible",
                params={"id": data.responsible_id},
            )
    before = {"key_customer": customer.key_customer, "responsible_id": customer.responsible_id}
    customer.key_customer = data.key_customer
    customer.responsible_id = data.responsible_id
    customer.updated_at = utcnow()
    await audit.record_by(
        session,
        by,
        "customer.care",
        "customer",
        customer.id,
        {
            "before": before,
            "key_customer": data.key_customer,
            "responsible_id": data.responsible_id,
            "note": data.note,
        },
    )
    await session.commit()
    return customer
