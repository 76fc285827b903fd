"""SQLAlchemy tables of the server. Migrations live in ``server/migrations``.

One module (~650 lines) on purpose: it is the schema, one class per table, checked against the migrations
by a test; one file lets a reader see every foreign key and index in one place."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, IdMixin, TimestampMixin
from shared.clock import utcnow


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: an engineer's service station (their van goes with them); None for the office and the unplaced
    station_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_stations.id"), index=True, default=None
    )


class Device(IdMixin, Base):
    """A signed-in device; its bearer token is stored only as a SHA-256 hash."""

    __tablename__ = "devices"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contract_no: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    warranty_years: Mapped[int] = mapped_column(Integer, default=2)
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"), index=True, default=None)
    #: a key customer (重点客户) and the office user responsible for it (指定专人负责)
    key_customer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Site(IdMixin, TimestampMixin, Base):
    __tablename__ = "sites"
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    #: the site's region; None: the customer's region
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"), index=True, default=None)


class ServiceStation(IdMixin, TimestampMixin, Base):
    """A service station (售后服务站) or an authorised repair point (特约维修点): its area is the regions
    that name it, its people the engineers that name it."""

    __tablename__ = "service_stations"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="station")
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Region(IdMixin, TimestampMixin, Base):
    """A region customers and sites belong to, covered by at most one station."""

    __tablename__ = "regions"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    station_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_stations.id"), index=True, default=None
    )


class Equipment(IdMixin, TimestampMixin, Base):
    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("category", "serial_no", name="category_serial"),)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    model: Mapped[str] = mapped_column(String(200))
    serial_no: Mapped[str] = mapped_column(String(64))
    delivered_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: free-warranty years of this item's contract; None means the customer's contract default
    warranty_years: Mapped[int | None] = mapped_column(Integer, default=None)
    warranty_end: Mapped[date | None] = mapped_column(Date, default=None)


class SlaPolicy(IdMixin, TimestampMixin, Base):
    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("customer_id", "severity", name="customer_severity"),)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), default=None)
    severity: Mapped[str] = mapped_column(String(20))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    onsite_minutes: Mapped[int] = mapped_column(Integer)
    fix_minutes: Mapped[int] = mapped_column(Integer)
    backup_minutes: Mapped[int] = mapped_column(Integer)


class ChecklistTemplate(IdMixin, TimestampMixin, Base):
    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("category", "job_kind", name="category_kind"),)
    category: Mapped[str] = mapped_column(String(40))
    job_kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[Any]]


class Part(IdMixin, TimestampMixin, Base):
    __tablename__ = "parts"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="个")
    unit_price: Mapped[float] = mapped_column(Float, default=0)
    categories: Mapped[list[Any]] = mapped_column(default=list)


class Counter(Base):
    """Named counters taken with ``UPDATE .. RETURNING``.

    The row lock makes writers take numbers in commit order, which is what the change log needs on
    PostgreSQL (a plain sequence hands out numbers before commit and readers can skip a late commit).
    """

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_engineer_status", "assigned_engineer_id", "status"),
        Index("ix_jobs_call_received_at", "call_received_at"),
        Index("ix_jobs_equipment_call", "equipment_id", "call_received_at"),
        UniqueConstraint("schedule_id", "due_on", name="schedule_due"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    equipment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    assigned_engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    caller_phone: Mapped[str] = mapped_column(String(32), default="")
    symptom: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    #: the engineer's maintenance advice (维护建议) on an inspection, written on the tablet
    advice: Mapped[str] = mapped_column(Text, default="", server_default="")
    billable: Mapped[bool | None] = mapped_column(Boolean, default=None)
    billable_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    backup_lent: Mapped[bool] = mapped_column(Boolean, default=False)
    backup_note: Mapped[str] = mapped_column(Text, default="")
    office_reason: Mapped[str] = mapped_column(Text, default="")
    acceptance_opinion: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[int | None] = mapped_column(Integer, default=None)
    acceptance_comment: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    call_received_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    departed_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    signed_off_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    respond_due_at: Mapped[datetime | None] = mapped_column(default=None)
    onsite_due_at: Mapped[datetime | None] = mapped_column(default=None)
    fix_due_at: Mapped[datetime | None] = mapped_column(default=None)
    backup_due_at: Mapped[datetime | None] = mapped_column(default=None)
    times_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    qa_note: Mapped[str] = mapped_column(Text, default="")
    qa_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    qa_at: Mapped[datetime | None] = mapped_column(default=None)
    qa_returns: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: field name -> job version at which that field last changed (field-level merge)
    field_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the inspection schedule that planned this job and the date it is due (one job per schedule and date)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inspection_schedules.id"), index=True, default=None
    )
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: the checklist to use when it is not the one for the equipment's category and the job's kind
    checklist_template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checklist_templates.id"), default=None
    )
    #: an appointment (a training session, a planned inspection visit)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    #: training sessions: what is taught, where, and who attended (names)
    training_content: Mapped[str] = mapped_column(Text, default="", server_default="")
    training_place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    training_attendees: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    #: the office's decision on billing when it overrides the field's proposal, with its reason
    billing_override_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    billing_override_at: Mapped[datetime | None] = mapped_column(default=None)
    billing_override_note: Mapped[str] = mapped_column(Text, default="", server_default="")


class JobAssignment(IdMixin, Base):
    """Every engineer a job has been assigned to, so late edits from a previous one are recognised."""

    __tablename__ = "job_assignments"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    unassigned_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")  # why (re)assigned
    #: what the engineer lacked for the job's equipment (shared.people.QualificationGap), confirmed by the
    #: dispatcher; empty when qualified
    qualification_gaps: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")


class JobEvent(Base):
    """An append-only tap on the engineer's timeline, with the device's time and how far to trust it."""

    __tablename__ = "job_events"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    device_time: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    clock_offset_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str] = mapped_column(String(200), default="")
    hlc: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), default=None)


class ChecklistResult(Base):
    __tablename__ = "checklist_results"
    __table_args__ = (UniqueConstraint("job_id", "item_code", name="job_item"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    result: Mapped[str | None] = mapped_column(String(10), default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    out_of_range: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: device id of the last engineer write, or "office"
    written_by: Mapped[str] = mapped_column(String(40), default="office")


class JobPart(Base):
    """A part used on a job: append-only, removal is a void, quantities are never counters."""

    __tablename__ = "job_parts"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    old_part_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    used_at: Mapped[datetime]
    voided_at: Mapped[datetime | None] = mapped_column(default=None)


class JobSignature(Base):
    """Every customer signature a job ever received (evidence): append-only, one row per ``job.sign``.

    The job's ``signature`` and acceptance columns hold the one that stands; a second signing makes a
    ``signed_twice`` conflict naming both rows, and the office may choose the earlier one.
    """

    __tablename__ = "job_signatures"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    event_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    opinion: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), default=None)


class Photo(Base):
    """A photo from the field, stored in the database so every server process and backup has it."""

    __tablename__ = "photos"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    taken_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), default=None)


class ChangeLog(Base):
    """What devices pull: one row per (entity, audience), the newest change only.

    ``audience`` is the engineer who should see it, or NULL for reference data. A ``remove`` row is a
    tombstone and is kept for the retention period like any other.
    """

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_audience_seq", "audience", "seq"),
        Index("ix_change_log_entity", "entity", "entity_id", "audience"),
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID]
    op: Mapped[str] = mapped_column(String(10))
    audience: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: where this row's unbroken run of puts to its audience began: the row's own number for a remove, or
    #: for a put after a remove or after nothing; the first put's otherwise. A job put whose run began
    #: after a device's cursor is a job new to that device, sent with its customer, site and equipment.
    entered_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LogMark(Base):
    """Who wrote each range of change-log numbers: a random mark per write, never reused.

    A cursor carries the mark of the range its number falls in. A database restored from a backup
    hands out the same numbers again with other marks, so a cursor from the lost history no longer
    matches and the device is told to resync (and to send its recent work again).
    """

    __tablename__ = "change_log_marks"
    last_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    mark: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mutation(Base):
    """A device mutation received by push, with its stored outcome so a resend is a no-op."""

    __tablename__ = "mutations"
    # A push asks for the device's last push before now (``prepare.offline_since``): by this index it
    # reads one entry, by the device alone it read every mutation the device ever sent.
    __table_args__ = (Index("ix_mutations_device_received", "device_id", "received_at"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_seq: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]]
    hlc: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conflict(IdMixin, Base):
    """A value that lost a merge, kept for a person to review."""

    __tablename__ = "conflicts"
    # A device's first download sends its engineer's newest conflicts: without this it read them all.
    __table_args__ = (Index("ix_conflicts_user_created", "user_id", "created_at"),)
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    field: Mapped[str] = mapped_column(String(80))
    device_value: Mapped[Any] = mapped_column(JsonB, default=None, nullable=True)
    server_value: Mapped[Any] = mapped_column(JsonB, default=None, nullable=True)
    base_version: Mapped[int | None] = mapped_column(Integer, default=None)
    mutation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), default=None)
    resolution: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained record of who changed what, when, from which device.

    Each entry's ``hash`` covers its content and the previous entry's hash, so rewriting or removing an
    entry breaks the chain from there on (``levee audit verify``). Database triggers refuse UPDATE and
    DELETE on this table.
    """

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LoginFailure(IdMixin, Base):
    """A failed sign-in, kept for a while to slow down password guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ServerMeta(Base):
    """Key/value facts about this server's data: its epoch (new after a restore) and the log floor."""

    __tablename__ = "server_meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class InspectionSchedule(IdMixin, TimestampMixin, Base):
    """A promise to inspect a site or one piece of equipment on a rhythm, with the checklist to use.

    Occurrences are anchored on ``start_on`` (the 31st stays the 31st where a month has one, and the
    last day otherwise); the generator makes each due visit a job ``lead_days`` ahead of its date.
    """

    __tablename__ = "inspection_schedules"
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    equipment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("equipment.id"), default=None)
    frequency: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checklist_templates.id"), default=None)
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date, default=None)
    lead_days: Mapped[int] = mapped_column(Integer, default=7)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: shared.schedules.ScheduleKind: inspection visits (巡检) or care visits to the customer (回访/走访)
    kind: Mapped[str] = mapped_column(String(20), default="inspection", server_default="inspection")


class Store(IdMixin, TimestampMixin, Base):
    """Where parts are kept: the new-parts store, the returned (old) parts store, or an engineer's van."""

    __tablename__ = "stores"
    __table_args__ = (
        # One transit store (在途): two first shipments at once each made one before this index
        Index(
            "one_transit_store",
            "kind",
            unique=True,
            sqlite_where=text("kind = 'transit'"),
            postgresql_where=text("kind = 'transit'"),
        ),
    )
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    engineer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockBalance(IdMixin, Base):
    """How many of a part a store holds by the books: always the sum of its ledger movements.

    Every movement updates this row first, so it is also the lock that orders writers on one part in
    one store. A van's rows are what the engineer's tablet syncs (entity ``van_stock``).
    """

    __tablename__ = "stock_balances"
    __table_args__ = (UniqueConstraint("store_id", "part_id", name="store_part"),)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockLot(IdMixin, Base):
    """Units of a part received together, used first in, first out.

    A lot moved to a van keeps its ``received_at``, so the van also uses its oldest units first.
    ``remaining`` of a store's lots add up to its balance, or to zero while the balance is short.
    """

    __tablename__ = "stock_lots"
    __table_args__ = (Index("ix_stock_lots_fifo", "store_id", "part_id", "received_at", "seq"),)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    received_at: Mapped[datetime]
    seq: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[float] = mapped_column(Float, default=0)
    reference: Mapped[str] = mapped_column(String(100), default="")
    source_lot_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class StockCount(IdMixin, Base):
    """A stock count of one store: what was counted against the books, posted as adjustments."""

    __tablename__ = "stock_counts"
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"), index=True)
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
    counted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class StockCountLine(IdMixin, Base):
    __tablename__ = "stock_count_lines"
    __table_args__ = (UniqueConstraint("count_id", "part_id", name="count_part"),)
    count_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_counts.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    book_quantity: Mapped[int] = mapped_column(Integer)
    counted_quantity: Mapped[int] = mapped_column(Integer)
    difference: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")


class StockMovement(IdMixin, Base):
    """One line of the parts ledger: append-only (database triggers refuse UPDATE and DELETE).

    ``quantity`` is signed: into the store positive, out of it negative. One operation (a transfer, a
    consumption split across lots) writes several lines sharing ``batch_id``. ``lot_id`` is empty only
    for units consumed beyond what the books held (a shortfall, which always has a conflict record).
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_store_part", "store_id", "part_id", "seq"),
        Index("ix_stock_movements_at", "at"),
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"))
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_lots.id"), default=None)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[float] = mapped_column(Float, default=0)
    batch_id: Mapped[uuid.UUID] = mapped_column(index=True)
    other_store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"), default=None)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    usage_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    count_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_counts.id"), default=None)
    reason: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), default=None)


class Complaint(IdMixin, TimestampMixin, Base):
    """A customer's complaint: received, handled, its root cause found, closed."""

    __tablename__ = "complaints"
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20), default="phone")
    complainant: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    handler_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    handling: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: how bad (shared.enums.Severity) and when it must be closed: received_at + the hours for it
    severity: Mapped[str] = mapped_column(String(20), default="general", server_default="general")
    due_at: Mapped[datetime | None] = mapped_column(index=True, default=None)


class Contact(IdMixin, TimestampMixin, Base):
    """One contact with a customer in the register (来电来函登记), whatever it was and however it came:
    a call for service (its job), an inquiry and its answer, a complaint (its record), a letter or e-mail."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_received_at", "received_at"),)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: shared.contacts.ContactKind and ContactChannel
    kind: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id"), index=True, default=None
    )
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime]
    taken_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    summary: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("complaints.id"), index=True, default=None
    )


class ReturnVisit(IdMixin, TimestampMixin, Base):
    """A follow-up call or visit after a job: when it is due, what the customer said, how satisfied."""

    __tablename__ = "return_visits"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    method: Mapped[str] = mapped_column(String(20), default="phone")
    visited_at: Mapped[datetime | None] = mapped_column(default=None)
    visitor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Contract(IdMixin, TimestampMixin, Base):
    """A customer's contract (合同): one after another over the years, periods never overlapping."""

    __tablename__ = "contracts"
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    warranty_years: Mapped[int] = mapped_column(Integer, default=2)
    promise_text: Mapped[str] = mapped_column(Text, default="")


class ContractPromise(IdMixin, TimestampMixin, Base):
    """A contract's clocks for the calls it covers; an empty severity, category or kind covers all.
    Unique per contract and key (checked by the service: NULLs are never equal in a unique index)."""

    __tablename__ = "contract_promises"
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id"), index=True)
    severity: Mapped[str | None] = mapped_column(String(20), default=None)
    category: Mapped[str | None] = mapped_column(String(40), default=None)
    job_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    respond_minutes: Mapped[int] = mapped_column(Integer)
    onsite_minutes: Mapped[int] = mapped_column(Integer)
    fix_minutes: Mapped[int] = mapped_column(Integer)
    backup_minutes: Mapped[int] = mapped_column(Integer)


class WarrantyCertificate(IdMixin, TimestampMixin, Base):
    """质量保修书 signed with the customer before acceptance: scope, period, responsibility."""

    __tablename__ = "warranty_certificates"
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    responsibility: Mapped[str] = mapped_column(Text, default="")


class MaintenanceAgreement(IdMixin, TimestampMixin, Base):
    """长期维护协议 after the warranty: scope, content, method, rules, and the fee (decimal, yuan)."""

    __tablename__ = "maintenance_agreements"
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    fee_terms: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: 优惠收费: the percent off a paid repair's quote while the agreement runs (shared.paid)
    repair_discount_pct: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal(0), server_default="0"
    )


class ManagerDecision(IdMixin, TimestampMixin, Base):
    """The form's 公司领导处理意见: one per job, written by a manager; every change is in the audit trail."""

    __tablename__ = "manager_decisions"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime]


class BackupUnit(IdMixin, TimestampMixin, Base):
    """A unit of the backup-equipment pool (备用设备): lent to a customer while their own is repaired."""

    __tablename__ = "backup_units"
    __table_args__ = (UniqueConstraint("category", "serial_no", name="backup_category_serial"),)
    category: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(200))
    serial_no: Mapped[str] = mapped_column(String(64))
    #: shared.loans.UnitPlace, and which store, engineer or site in words
    place: Mapped[str] = mapped_column(String(20), default="store")
    place_note: Mapped[str] = mapped_column(String(500), default="")
    #: shared.loans.UnitStatus; ``lent`` exactly while ``current_loan_id`` names an open loan
    status: Mapped[str] = mapped_column(String(20), default="available", index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    current_loan_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class JobLoan(Base):
    """A backup unit lent on a job: lent at and returned at as the device (or the office) recorded them.

    The id is made where the loan was recorded (the tablet, offline), so a resend is the same loan.
    """

    __tablename__ = "job_loans"
    __table_args__ = (Index("ix_job_loans_unit_lent", "unit_id", "lent_at"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("backup_units.id"))
    lent_at: Mapped[datetime]
    lent_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(String(500), default="")
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    returned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: shared.loans.ReturnCondition once returned
    condition: Mapped[str | None] = mapped_column(String(20), default=None)
    return_note: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobQuote(Base):
    """A quote for a paid repair (有偿维修), made on the tablet: its lines and the server's figures.

    The id is made on the tablet, so a resend is the same quote. ``lines`` and ``figures`` keep the money
    as decimal text (what the job document carries); the numeric columns are the same figures for reports.
    """

    __tablename__ = "job_quotes"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    #: [{kind, description, part_id, quantity, unit_price, amount}] with decimal text
    lines: Mapped[list[Any]] = mapped_column(default=list)
    #: {discount_pct, subtotal, discount, total, device_total} as decimal text
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    device_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: shared.paid.QuoteStatus
    status: Mapped[str] = mapped_column(String(20), index=True)
    review_reason: Mapped[str] = mapped_column(String(40), default="")
    quoted_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    signature: Mapped[str] = mapped_column(Text, default="")
    made_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepairCharge(IdMixin, TimestampMixin, Base):
    """The office's charge (收费单) for an accepted quote: one per quote, the amount its total."""

    __tablename__ = "repair_charges"
    number: Mapped[str] = mapped_column(String(32), unique=True)
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_quotes.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    issued_at: Mapped[datetime]
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")


class RepairPayment(IdMixin, TimestampMixin, Base):
    """A payment received against a charge: amount, method and the day it was paid."""

    __tablename__ = "repair_payments"
    charge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("repair_charges.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(20))
    paid_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class ReturnRequest(IdMixin, TimestampMixin, Base):
    """A return or exchange under the three guarantees (包退、包换): requested, appraised, decided, completed."""

    __tablename__ = "return_requests"
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    #: shared.returns.ReturnKind / ReturnStatus / ReturnDecision
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    #: the parts-ledger movements the decision made (their ids)
    movement_ids: Mapped[list[Any]] = mapped_column(default=list)
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class OldPartAppraisal(IdMixin, TimestampMixin, Base):
    """三包旧件鉴定: the verdict on a returned old part (a return request's, or one handed in from a job)."""

    __tablename__ = "old_part_appraisals"
    return_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("return_requests.id"), unique=True)
    job_part_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_parts.id"), unique=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    #: shared.returns.DefectType
    defect_type: Mapped[str] = mapped_column(String(20))
    supplier_fault: Mapped[bool] = mapped_column(Boolean)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    appraised_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    appraised_at: Mapped[datetime]


class SupplierClaim(IdMixin, TimestampMixin, Base):
    """A claim against the maker of a bought-in component (外协厂家), from a supplier-fault appraisal."""

    __tablename__ = "supplier_claims"
    number: Mapped[str] = mapped_column(String(32), unique=True)
    appraisal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("old_part_appraisals.id"), unique=True)
    supplier: Mapped[str] = mapped_column(String(200))
    amount_claimed: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount_settled: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    #: shared.returns.ClaimStatus
    status: Mapped[str] = mapped_column(String(20), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class JobCompensation(IdMixin, TimestampMixin, Base):
    """Money we owe a customer on a job: their self-repair after a missed on-site promise, or their
    direct loss; recorded with the evidence, approved or rejected by the manager."""

    __tablename__ = "job_compensations"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    #: shared.returns.CompensationKind / CompensationStatus
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class ReorderLevel(IdMixin, TimestampMixin, Base):
    """How low a store may run of a part before it is short (再订货点), and the level to refill it to."""

    __tablename__ = "reorder_levels"
    __table_args__ = (UniqueConstraint("store_id", "part_id", name="reorder_store_part"),)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"), index=True)
    #: short while the balance plus what is on its way in is below this
    level: Mapped[int] = mapped_column(Integer)
    #: a stock plan orders up to this (at least ``level``)
    target: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class Shipment(IdMixin, TimestampMixin, Base):
    """Parts sent to an engineer (at a site or their base) by courier: in the transit store (在途) from
    sending until the engineer confirms receipt on the tablet, then in their van. The units move through
    the ledger (``transfer_out``/``transfer_in`` with ``batch_id``); this row keeps the courier's side."""

    __tablename__ = "stock_shipments"
    from_store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"))
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    site: Mapped[str] = mapped_column(String(200), default="")
    courier: Mapped[str] = mapped_column(String(100), default="")
    tracking_no: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    #: shared.stock.ShipmentStatus
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class ApprovalRule(IdMixin, TimestampMixin, Base):
    """审查控制: which parts issues or returns wait for a manager (a part, or every part when empty)."""

    __tablename__ = "stock_approval_rules"
    __table_args__ = (UniqueConstraint("kind", "part_id", name="approval_kind_part"),)
    #: shared.stock.RequestKind
    kind: Mapped[str] = mapped_column(String(20))
    part_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parts.id"), default=None)
    #: the rule applies from this many units up
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)


class StockRequest(IdMixin, TimestampMixin, Base):
    """A parts issue or return (a transfer, or a shipment) waiting for a manager's approval."""

    __tablename__ = "stock_requests"
    kind: Mapped[str] = mapped_column(String(20))
    from_store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id"))
    to_store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"), default=None)
    part_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    shipment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stock_shipments.id"), default=None)
    #: shared.stock.RequestStatus
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str] = mapped_column(String(200), default="")


class EscalationRule(IdMixin, TimestampMixin, Base):
    """Who is told of an escalation event (紧急事件上报), for a severity and customer (None: any), and how.

    ``events``: the event kinds it covers (``shared.escalation.EventKind``); ``roles`` and ``user_ids``:
    the people told in the console; ``emails``: addresses the e-mail channel writes to; ``channels``:
    console, email, webhook (the webhook posts to ``LEVEE_WEBHOOK_URL``).
    """

    __tablename__ = "escalation_rules"
    name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str | None] = mapped_column(String(20), default=None)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True, default=None
    )
    events: Mapped[list[Any]] = mapped_column(default=list)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    user_ids: Mapped[list[Any]] = mapped_column(default=list)
    emails: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Notification(IdMixin, Base):
    """One escalation event told to one recipient over one channel: the log of what was said to whom.

    ``recipient`` is ``user:<id>`` (the console), ``email:<address>`` or ``webhook:<url>``; the unique
    constraint on (event, recipient) makes the scanner's insert idempotent across restarts and processes.
    Outbound ones carry their delivery state (pending, sending, sent, failed); each try is a
    :class:`NotificationAttempt`.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", name="notification_event_recipient"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_state_next", "state", "next_attempt_at"),
    )
    event_key: Mapped[str] = mapped_column(String(200))
    event_kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(600))
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), index=True, default=None
    )
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("escalation_rules.id", ondelete="SET NULL"), default=None
    )
    severity: Mapped[str] = mapped_column(String(20))
    promise: Mapped[str | None] = mapped_column(String(20), default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    #: what the message says (job number, customer, promise), for every channel and language
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    #: console: shown; outbound: pending, sending, sent, failed
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationAttempt(IdMixin, Base):
    """One try at delivering an outbound notification: when, the outcome and the error."""

    __tablename__ = "notification_attempts"
    __table_args__ = (UniqueConstraint("notification_id", "number", name="attempt_number"),)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str] = mapped_column(String(1000), default="")


class DeliveryDocument(IdMixin, TimestampMixin, Base):
    """A delivery document (合格证, 使用说明书, 保修卡) of one delivered unit: received or not, on which
    day, and a scan of it stored like job photos (in the database, so every process and backup has it)."""

    __tablename__ = "delivery_documents"
    __table_args__ = (UniqueConstraint("equipment_id", "kind", name="delivery_document_kind"),)
    equipment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    #: shared.delivery.DeliveryDocumentKind
    kind: Mapped[str] = mapped_column(String(20))
    received: Mapped[bool] = mapped_column(Boolean, default=False)
    received_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    scan_filename: Mapped[str | None] = mapped_column(String(200), default=None)
    scan_content_type: Mapped[str | None] = mapped_column(String(40), default=None)
    scan_size: Mapped[int | None] = mapped_column(Integer, default=None)
    scan_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    scan_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, default=None)
    scan_uploaded_at: Mapped[datetime | None] = mapped_column(default=None)
    scan_uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class QualityIncident(IdMixin, TimestampMixin, Base):
    """A quality incident (批量或重大质量问题): one defect on one equipment model across customers, with its
    owner, status (open → investigating → contained → closed) and, to close, its root cause."""

    __tablename__ = "quality_incidents"
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    equipment_model: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str | None] = mapped_column(String(40), default=None)
    fault: Mapped[str] = mapped_column(Text)
    fault_category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class QualityIncidentJob(Base):
    """A job linked to an incident (a job may belong to several: it is the office's judgement)."""

    __tablename__ = "quality_incident_jobs"
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quality_incidents.id", ondelete="CASCADE"), primary_key=True
    )
    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityIncidentAction(IdMixin, Base):
    """One action taken on an incident: the day, who (in words) and what."""

    __tablename__ = "quality_incident_actions"
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quality_incidents.id", ondelete="CASCADE"), index=True
    )
    taken_on: Mapped[date] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffCertificate(IdMixin, TimestampMixin, Base):
    """A certificate in an engineer's staff file (持证上岗): name, number, level, issued and expiry days."""

    __tablename__ = "staff_certificates"
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    #: None: does not expire
    expires_on: Mapped[date | None] = mapped_column(Date, index=True, default=None)
    note: Mapped[str] = mapped_column(String(200), default="")


class StaffQualification(IdMixin, TimestampMixin, Base):
    """An equipment category (shared.enums.EquipmentCategory) an engineer is qualified for, optionally
    backed by one of their certificates, whose expiry is then the qualification's."""

    __tablename__ = "staff_qualifications"
    __table_args__ = (UniqueConstraint("engineer_id", "category", name="staff_qualification_category"),)
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    certificate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_certificates.id", ondelete="SET NULL"), default=None
    )


class StaffTraining(IdMixin, TimestampMixin, Base):
    """A course in an engineer's training record: day, course, hours, result (shared.people.TrainingResult)."""

    __tablename__ = "staff_training"
    engineer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    course: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")


class KnowledgeCase(IdMixin, TimestampMixin, Base):
    """A case of the library (维护经验汇编): drafted by QA from a closed job, published to the tablets of
    the engineers working on its equipment model (shared/knowledge.py)."""

    __tablename__ = "knowledge_cases"
    __table_args__ = (Index("ix_knowledge_cases_model_status", "model", "status"),)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: shared.knowledge.CaseStatus
    status: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    model: Mapped[str] = mapped_column(String(200))
    symptom: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    #: the parts the fix used, as "code name" texts
    parts: Mapped[list[Any]] = mapped_column(default=list)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class KnowledgeManual(IdMixin, TimestampMixin, Base):
    """A user manual (用户手册) or training material (培训教材) of an equipment model: a PDF or an image,
    stored in the database like job photos so every server process and backup has it."""

    __tablename__ = "knowledge_manuals"
    model: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: shared.knowledge.ManualKind
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class TrainingMaterial(Base):
    """A training session's phase (安装期、调试期、运行后) and the manuals it uses."""

    __tablename__ = "training_materials"
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    #: shared.knowledge.TrainingPhase
    phase: Mapped[str | None] = mapped_column(String(20), default=None)
    manual_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
