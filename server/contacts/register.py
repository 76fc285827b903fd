"""Writing one contact into the register, in the caller's transaction: used by the register's own API
and by the places that record a contact's outcome first (a call that opens a job, a complaint), so every
contact is registered whichever door it came in by."""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import take_numbers
from server.db.models import Complaint, Contact, Job
from server.deps import Principal
from shared.clock import utcnow
from shared.contacts import ContactKind
from shared.customers import ComplaintChannel
from shared.enums import ContactChannel

#: the channel a complaint recorded with the complaint's shorter list of channels is registered under
COMPLAINT_CHANNELS: dict[ComplaintChannel, ContactChannel] = {
    ComplaintChannel.PHONE: ContactChannel.PHONE,
    ComplaintChannel.ON_SITE: ContactChannel.ON_SITE,
    ComplaintChannel.LETTER: ContactChannel.LETTER,
    ComplaintChannel.ONLINE: ContactChannel.WEB,
}
#: and the complaint a complaint contact records gets the nearest of its channels
CONTACT_TO_COMPLAINT: dict[ContactChannel, ComplaintChannel] = {
    ContactChannel.PHONE: ComplaintChannel.PHONE,
    ContactChannel.HOTLINE: ComplaintChannel.PHONE,
    ContactChannel.LETTER: ComplaintChannel.LETTER,
    ContactChannel.EMAIL: ComplaintChannel.ONLINE,
    ContactChannel.WEB: ComplaintChannel.ONLINE,
    ContactChannel.ON_SITE: ComplaintChannel.ON_SITE,
}


def counter_name(year: int) -> str:
    """Register numbers (LD-<year>-<nnnnn>) restart every year: one counter row per year."""
    return f"contact_{year}"


async def add_contact(
    session: AsyncSession,
    by: Principal | None,
    *,
    kind: ContactKind,
    channel: ContactChannel,
    received_at: datetime,
    summary: str,
    tz: tzinfo,
    customer_id: uuid.UUID | None = None,
    contact_name: str = "",
    phone: str = "",
    answer: str = "",
    outcome: str = "",
    job_id: uuid.UUID | None = None,
    complaint_id: uuid.UUID | None = None,
    automatic: bool = False,
) -> Contact:
    """Number, add and audit one contact (no commit). One registered ``automatic``-ally, with the job or
    complaint that records the same call, is audited by that record's own entry, not a second one."""
    now = utcnow()
    year = received_at.astimezone(tz).year
    n = await take_numbers(session, counter_name(year))
    contact = Contact(
        id=uuid.uuid4(),
        number=f"LD-{year}-{n:05d}",
        kind=kind.value,
        channel=channel.value,
        customer_id=customer_id,
        contact_name=contact_name,
        phone=phone,
        received_at=received_at,
        taken_by=by.user_id if by else None,
        summary=summary,
        answer=answer,
        outcome=outcome,
        job_id=job_id,
        complaint_id=complaint_id,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    await session.flush()
    detail: dict[str, Any] = {
        "number": contact.number,
        "kind": kind.value,
        "channel": channel.value,
        "customer_id": customer_id,
        "job_id": job_id,
        "complaint_id": complaint_id,
    }
    if automatic:  # the job.create or complaint.create entry of the same transaction is its audit
        return contact
    await audit.record(
        session,
        action="contact.register",
        entity="contact",
        entity_id=contact.id,
        user_id=by.user_id if by else None,
        device_id=by.device_id if by else None,
        detail=detail,
    )
    return contact


async def register_job(
    session: AsyncSession, job: Job, by: Principal | None, channel: ContactChannel, tz: tzinfo
) -> Contact:
    """The call that opened ``job`` (POST /api/jobs), registered as a repair call linked to it."""
    return await add_contact(
        session,
        by,
        kind=ContactKind.REPAIR,
        channel=channel,
        received_at=job.call_received_at,
        summary=job.symptom or job.number,
        tz=tz,
        customer_id=job.customer_id,
        contact_name=job.caller_name,
        phone=job.caller_phone,
        outcome=job.number,
        job_id=job.id,
        automatic=True,
    )


async def register_complaint(
    session: AsyncSession,
    complaint: Complaint,
    by: Principal | None,
    channel: ContactChannel | None,
    tz: tzinfo,
) -> Contact:
    """The contact that brought ``complaint`` (POST /api/complaints), linked to its record."""
    return await add_contact(
        session,
        by,
        kind=ContactKind.COMPLAINT,
        channel=channel or COMPLAINT_CHANNELS[ComplaintChannel(complaint.channel)],
        received_at=complaint.received_at,
        summary=complaint.content,
        tz=tz,
        customer_id=complaint.customer_id,
        contact_name=complaint.complainant,
        phone=complaint.phone,
        outcome=complaint.number,
        complaint_id=complaint.id,
        automatic=True,
    )
