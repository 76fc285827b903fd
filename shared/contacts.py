"""The contact register (来电来函登记) and the customer's care (重点客户, 指定专人负责), as the API
exchanges them.

Every contact with a customer is registered, whatever it is and however it came: a call for service
(it links the job it opened), a technical inquiry (咨询) with the answer given, a complaint (it links the
complaint record), a letter or e-mail, or anything else, with its channel (phone, the hotline, a letter,
e-mail, the web, on site), who took it, a summary and the outcome. An inquiry that needs an engineer
becomes a job, and the register keeps the link.

Complaints get a deadline: ``received_at`` plus the hours configured for their severity
(``LEVEE_COMPLAINT_HOURS_GENERAL`` / ``LEVEE_COMPLAINT_HOURS_MAJOR``); the escalation scanner tells who
the rules name when one is about to be late and when it is late.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from shared.enums import ContactChannel, JobKind, Severity
from shared.models import LongText, Model, OutModel, Phone, ShortText


class ContactKind(StrEnum):
    #: a call for service: a repair (or installation, training...) call that opened a job
    REPAIR = "repair"
    #: a technical inquiry (技术咨询), answered on the spot or later
    INQUIRY = "inquiry"
    #: a complaint (投诉): the register links its complaint record
    COMPLAINT = "complaint"
    #: a letter or e-mail (来函) that is none of the above
    CORRESPONDENCE = "correspondence"
    #: anything else (a thank-you, a question about an invoice)
    OTHER = "other"


class ContactCreate(Model):
    """Register a contact. A ``repair`` contact names the job it is about (calls that open a job through
    ``POST /api/jobs`` are registered by the server itself); a ``complaint`` names its complaint record,
    or, without one, the server records the complaint from the summary."""

    kind: ContactKind
    channel: ContactChannel = ContactChannel.PHONE
    customer_id: uuid.UUID | None = Field(default=None, description="null: someone not (yet) a customer")
    contact_name: ShortText = ""
    phone: Phone = ""
    received_at: AwareDatetime | None = Field(default=None, description="now if left out; not in the future")
    summary: LongText = Field(min_length=1, description="what the contact was about")
    answer: LongText = Field(default="", description="the answer given to an inquiry")
    outcome: LongText = Field(default="", description="what came of it")
    job_id: uuid.UUID | None = Field(default=None, description="the job it is about: a job of this customer")
    complaint_id: uuid.UUID | None = Field(default=None, description="the complaint record it is about")
    severity: Severity = Field(
        default=Severity.GENERAL, description="a complaint's severity: it sets the complaint's deadline"
    )

    @model_validator(mode="after")
    def _links(self) -> Self:
        if self.kind is ContactKind.REPAIR and self.job_id is None:
            raise ValueError(
                "a repair call names the job it opened (job_id); POST /api/jobs registers new ones"
            )
        if self.kind is ContactKind.COMPLAINT and self.customer_id is None:
            raise ValueError("a complaint is a customer's: customer_id is required")
        if self.complaint_id is not None and self.kind is not ContactKind.COMPLAINT:
            raise ValueError("only a complaint contact links a complaint record")
        return self


class ContactUpdate(Model):
    """The answer or outcome written later (an inquiry answered after asking the factory)."""

    answer: LongText | None = None
    outcome: LongText | None = None


class InquiryToJob(Model):
    """Open a job from an inquiry: where, on what, how bad; the inquiry's summary is the symptom."""

    kind: JobKind = JobKind.REPAIR
    severity: Severity = Severity.GENERAL
    site_id: uuid.UUID
    equipment_id: uuid.UUID | None = None
    symptom: LongText = Field(default="", description="the inquiry's summary if left empty")
    assigned_engineer_id: uuid.UUID | None = None


class ContactOut(OutModel):
    id: uuid.UUID
    number: str
    kind: ContactKind
    channel: ContactChannel
    customer_id: uuid.UUID | None
    contact_name: str
    phone: str
    received_at: datetime
    taken_by: uuid.UUID | None
    summary: str
    answer: str
    outcome: str
    job_id: uuid.UUID | None
    complaint_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ContactRow(ContactOut):
    customer_name: str = ""
    taken_by_name: str = ""
    job_number: str | None = None
    complaint_number: str | None = None


class CustomerCare(Model):
    """A customer's care: a key customer (重点客户) or not, and the person responsible (指定专人负责)."""

    key_customer: bool
    responsible_id: uuid.UUID | None = Field(
        default=None, description="an active office user responsible for this customer; null: nobody"
    )
    note: ShortText = Field(default="", description="why (kept in the audit trail)")
