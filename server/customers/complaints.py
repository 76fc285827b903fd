"""Complaints (投诉): received, handled, root cause found, closed; numbered TS-<year>-<nnnn>."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import take_numbers
from server.contacts.register import register_complaint
from server.db.models import Complaint, Customer, Job, User
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from shared.clock import utcnow
from shared.customers import ComplaintClose, ComplaintCreate, ComplaintHandle, ComplaintStatus
from shared.enums import ContactChannel
from shared.roles import ROLES, Capability

#: a complaint's time may be a few minutes ahead of the server's clock (the office PC's clock)
FUTURE_TOLERANCE = timedelta(minutes=5)


def counter_name(year: int) -> str:
    """Complaint numbers restart every year: one counter row per year."""
    return f"complaint_{year}"


class ComplaintService:
    def __init__(self, session: AsyncSession, tz: tzinfo, hours: Callable[[str], int] | None = None) -> None:
        self.session = session
        self.tz = tz
        #: severity -> hours a complaint may take (Settings.complaint_hours); None: no deadline
        self.hours = hours

    async def _audit(self, complaint: Complaint, action: str, by: Principal, **detail: Any) -> None:
        await audit.record(
            self.session,
            action=action,
            entity="complaint",
            entity_id=complaint.id,
            user_id=by.user_id,
            device_id=by.device_id,
            detail={"number": complaint.number, **detail},
        )

    async def get(self, complaint_id: uuid.UUID) -> Complaint:
        complaint = await self.session.get(Complaint, complaint_id)
        if complaint is None:
            raise NotFound(
                f"no complaint with id {complaint_id}",
                code="complaint.not_found",
                params={"id": complaint_id},
            )
        return complaint

    async def create(
        self,
        data: ComplaintCreate,
        by: Principal,
        now: datetime | None = None,
        channel: ContactChannel | None = None,
    ) -> Complaint:
        """Record a complaint and register it in the contact register, in one transaction."""
        complaint = await self.open(data, by, now)
        await register_complaint(self.session, complaint, by, channel, self.tz)
        await self.session.commit()
        return complaint

    async def open(self, data: ComplaintCreate, by: Principal, now: datetime | None = None) -> Complaint:
        """Record a complaint in the caller's transaction (no commit), with its deadline."""
        now = now or utcnow()
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
            if job is None or job.customer_id != customer.id:
                raise Invalid(
                    f"job {data.job_id} is not a job of {customer.name}",
                    field="job_id",
                    code="complaint.job_not_of_customer",
                    params={"job": data.job_id, "customer": customer.name},
                )
        received = data.received_at or now
        if received > now + FUTURE_TOLERANCE:
            raise Invalid(
                "received_at is in the future",
                field="received_at",
                code="time.in_future",
                params={"field": "received_at"},
            )
        year = received.astimezone(self.tz).year
        n = await take_numbers(self.session, counter_name(year))
        complaint = Complaint(
            id=uuid.uuid4(),
            number=f"TS-{year}-{n:04d}",
            customer_id=customer.id,
            job_id=data.job_id,
            received_at=received,
            channel=data.channel.value,
            complainant=data.complainant,
            phone=data.phone,
            content=data.content,
            status=ComplaintStatus.RECEIVED.value,
            created_by=by.user_id,
            created_at=now,
            updated_at=now,
            severity=data.severity.value,
            due_at=received + timedelta(hours=self.hours(data.severity.value)) if self.hours else None,
        )
        self.session.add(complaint)
        await self.session.flush()
        await self._audit(
            complaint, "complaint.create", by, data=data.model_dump(mode="json"), due_at=complaint.due_at
        )
        return complaint

    async def handle(self, complaint_id: uuid.UUID, data: ComplaintHandle, by: Principal) -> Complaint:
        """received -> handling, or a new handler / handling note while it is handled."""
        complaint = await self.get(complaint_id)
        if complaint.status == ComplaintStatus.CLOSED.value:
            raise Conflict(
                f"complaint {complaint.number} is closed",
                code="complaint.closed",
                params={"number": complaint.number},
            )
        handler_id = data.handler_id or by.user_id
        handler = await self.session.get(User, handler_id)
        if handler is None or handler.role not in ROLES[Capability.WORK_IN_THE_OFFICE] or not handler.active:
            raise Invalid(
                f"no active office user with id {handler_id}",
                field="handler_id",
                code="complaint.no_handler",
                params={"id": handler_id},
            )
        before = {
            "status": complaint.status,
            "handler_id": complaint.handler_id,
            "handling": complaint.handling,
        }
        complaint.status = ComplaintStatus.HANDLING.value
        complaint.handler_id = handler.id
        complaint.handling = data.handling
        complaint.updated_at = utcnow()
        await self._audit(
            complaint, "complaint.handle", by, before=before, handler_id=handler.id, handling=data.handling
        )
        await self.session.commit()
        return complaint

    async def close(self, complaint_id: uuid.UUID, data: ComplaintClose, by: Principal) -> Complaint:
        """handling -> closed, with the root cause."""
        complaint = await self.get(complaint_id)
        if complaint.status == ComplaintStatus.CLOSED.value:
            raise Conflict(
                f"complaint {complaint.number} is already closed",
                code="complaint.closed",
                params={"number": complaint.number},
            )
        if complaint.status != ComplaintStatus.HANDLING.value:
            raise Conflict(
                f"complaint {complaint.number} is {complaint.status}; handle it before closing it",
                code="complaint.not_handled",
                params={"number": complaint.number, "complaint_status": complaint.status},
            )
        now = utcnow()
        complaint.status = ComplaintStatus.CLOSED.value
        complaint.root_cause = data.root_cause
        if data.handling:
            complaint.handling = data.handling
        complaint.closed_at = now
        complaint.updated_at = now
        await self._audit(
            complaint, "complaint.close", by, root_cause=data.root_cause, handling=complaint.handling
        )
        await self.session.commit()
        return complaint
