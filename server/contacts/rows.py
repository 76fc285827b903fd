"""Register rows with the names the console shows (customer, who took it, job and complaint numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Complaint, Contact, Customer, Job, User
from shared.contacts import ContactOut, ContactRow


async def contact_rows(session: AsyncSession, contacts: Sequence[Contact]) -> list[ContactRow]:
    if not contacts:
        return []

    async def names(column: Any, key: Any, ids: set[Any]) -> dict[Any, str]:
        ids.discard(None)
        if not ids:
            return {}
        rows = await session.execute(select(key, column).where(key.in_(ids)))
        return dict(rows.tuples().all())

    customers = await names(Customer.name, Customer.id, {c.customer_id for c in contacts})
    users = await names(User.display_name, User.id, {c.taken_by for c in contacts})
    jobs = await names(Job.number, Job.id, {c.job_id for c in contacts})
    complaints = await names(Complaint.number, Complaint.id, {c.complaint_id for c in contacts})
    return [
        ContactRow(
            **ContactOut.model_validate(c).model_dump(),
            customer_name=customers.get(c.customer_id, "") if c.customer_id else "",
            taken_by_name=users.get(c.taken_by, "") if c.taken_by else "",
            job_number=jobs.get(c.job_id) if c.job_id else None,
            complaint_number=complaints.get(c.complaint_id) if c.complaint_id else None,
        )
        for c in contacts
    ]
