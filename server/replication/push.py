"""Applying a device's pushed mutations: one transaction per batch, idempotent by mutation id.

Each mutation runs through its domain handler inside a savepoint, so a rejected one leaves nothing
half-applied while the rest of the batch lands. The stored outcome answers any resend.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from server import audit
from server.changes import Change, current_seq, log_changes
from server.db.base import utcnow
from server.db.models import (
    ChecklistResult,
    Conflict,
    Device,
    Job,
    JobEvent,
    JobPart,
    JobSignature,
    Photo,
    StockBalance,
    StockMovement,
    Store,
)
from server.db.models import Mutation as MutationRow
from server.deps import Principal
from server.jobs.service import bump, job_changes
from server.photos import NotAnImage, check_photo, check_signature
from server.replication.batch import BatchContext
from server.stock.ledger import Ledger
from server.stock.service import van_name
from shared.enums import ChecklistItemKind, JobEventType, JobKind, JobStatus
from shared.ids import uuid7
from shared.stock import MovementKind
from shared.warranty import contradiction
from sync.merge import (
    EVENT_FIELD,
    LWW_JOB_FIELDS,
    SERVER_OWNED_JOB_FIELDS,
    SESSION_GAP,
    decide_lww,
    earliest,
    flag_event_time,
    office_decided,
    status_after_event,
)
from sync.protocol import (
    ChecklistAnswerArgs,
    JobEditArgs,
    JobEventArgs,
    JobSignArgs,
    Mutation,
    MutationResult,
    Outcome,
    PartUseArgs,
    PartVoidArgs,
    PhotoAddArgs,
    PushRequest,
    PushResponse,
    describe_validation_error,
)
from sync.protocol import MutationName as Name

IMAGE_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "image/webp": b"RIFF"}


#: Every job column a device's mutation can change.
DEVICE_WRITTEN_JOB_COLUMNS = (
    "status",
    *EVENT_FIELD.values(),
    *LWW_JOB_FIELDS,
    "times_flagged",
    "acceptance_opinion",
    "satisfaction",
    "acceptance_comment",
    "signature",
    "version",
    "field_versions",
    "updated_at",
)


class Rejected(Exception):
    """A mutation that cannot be applied; the reason is a stable code, the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Applied:
    outcome: Outcome = Outcome.APPLIED
    conflicts: list[Conflict] = field(default_factory=list)
    reason: str = ""
    message: str = ""


#: the service form's fields a device may no longer change once QA approved it (issue 13 item 3)
FROZEN_AFTER_QA = frozenset(
    {"symptom", "cause", "fix", "advice", "billable", "billable_reason", "backup_lent", "backup_note"}
)


class PushService:
    def __init__(self, session: AsyncSession, principal: Principal, now: datetime | None = None) -> None:
        self.session = session
        self.principal = principal
        self.now = now or utcnow()
        self.touched: dict[uuid.UUID, tuple[Job, set[str]]] = {}
        self.new_conflicts: list[Conflict] = []
        self.refusals: list[Conflict] = []
        self.ledger: Ledger | None = None  # made per attempt by _prepare_stock when the batch uses parts
        self.van: Store | None = None
        self.offline_since: datetime | None = None  # when the device's offline period began

    async def push(self, request: PushRequest) -> PushResponse:
        """Apply the batch in one transaction.

        The fast path applies every mutation without savepoints: handlers check everything before
        they change anything, and all reads come from one preload per batch, so a rejected mutation
        leaves nothing behind. Should the database still refuse something at the end, the batch runs
        again, one savepoint per mutation, so the culprit alone is rejected.
        """
        try:
            return await self._push(request, careful=False)
        except IntegrityError:
            await self.session.rollback()
            self._reset()
            return await self._push(request, careful=True)

    def _reset(self) -> None:
        self.touched = {}
        self.new_conflicts = []
        self.refusals = []
        self.audit_events: list[audit.Event] = []
        # A rolled-back attempt's ledger caches rows that no longer exist: never reuse it.
        self.ledger = None
        self.van = None

    async def _push(self, request: PushRequest, *, careful: bool) -> PushResponse:
        self._reset()
        device_time = request.device_time
        offset_ms = int((self.now - device_time).total_seconds() * 1000)
        ids = [m.id for m in request.mutations]
        # Lock first: a duplicate delivery racing this one then waits and finds the stored outcomes.
        await self._lock_jobs(request.mutations)
        stored = {
            row.id: row
            for row in (await self.session.scalars(select(MutationRow).where(MutationRow.id.in_(ids)))).all()
        }
        await self._preload([m for m in request.mutations if m.id not in stored])
        results: list[MutationResult] = []
        rows: list[MutationRow] = []
        for mutation in request.mutations:
            previous = stored.get(mutation.id)
            if previous is not None:
                results.append(self._stored_result(previous))
                continue
            result = await self._apply_one(mutation, device_time, careful=careful)
            row = MutationRow(
                id=mutation.id,
                device_id=self.principal.device_id,
                user_id=self.principal.user_id,
                client_seq=mutation.client_seq,
                name=mutation.name.value,
                args=_storable(mutation.args),
                hlc=mutation.hlc,
                outcome=result.outcome.value,
                detail={
                    "reason": result.reason,
                    "message": result.message,
                    "conflict_ids": [str(c) for c in result.conflict_ids],
                    "clock_offset_ms": offset_ms,
                },
                received_at=self.now,
            )
            rows.append(row)
            stored[mutation.id] = row
            results.append(result)
            self.audit_events.append(
                audit.Event(
                    action=mutation.name.value,
                    entity="job",
                    entity_id=mutation.job_id() or mutation.id,
                    user_id=self.principal.user_id,
                    device_id=self.principal.device_id,
                    at=self.now,
                    detail={
                        "mutation_id": str(mutation.id),
                        "outcome": result.outcome.value,
                        "reason": result.reason,
                        "hlc": mutation.hlc,
                        "args": row.args,
                    },
                )
            )
        self.session.add_all(rows)
        await self._finish()
        if self.ledger is not None:  # the van balances this batch moved, in the same transaction's log
            await self.ledger.log_van_changes()
        await audit.record_many(self.session, self.audit_events)
        await self.session.execute(
            update(Device).where(Device.id == self.principal.device_id).values(last_sync_at=self.now)
        )
        seq = await self._current_seq()
        await self.session.commit()
        return PushResponse(results=results, clock_offset_ms=offset_ms, server_seq=seq)

    async def _current_seq(self) -> int:
        return await current_seq(self.session)

    def _stored_result(self, row: MutationRow) -> MutationResult:
        if row.user_id != self.principal.user_id:
            return MutationResult(
                id=row.id,
                outcome=Outcome.REJECTED,
                reason="duplicate_id",
                message="this mutation id was already used; make a new id",
            )
        detail = row.detail or {}
        return MutationResult(
            id=row.id,
            outcome=Outcome(row.outcome),
            reason=detail.get("reason", ""),
            message=detail.get("message", ""),
            conflict_ids=[uuid.UUID(c) for c in detail.get("conflict_ids", [])],
        )

    async def _lock_jobs(self, mutations: list[Mutation]) -> None:
        """Load and lock every job the batch touches, in id order, so concurrent pushes cannot deadlock."""
        job_ids = sorted({j for m in mutations if (j := m.job_id()) is not None})
        self.jobs: dict[uuid.UUID, Job] = {}
        if job_ids:
            locked = await self.session.scalars(
                select(Job).where(Job.id.in_(job_ids)).order_by(Job.id).with_for_update()
            )
            self.jobs = {job.id: job for job in locked}

    async def _preload(self, mutations: list[Mutation]) -> None:
        """Read once what the handlers need to decide, so the batch makes no queries per mutation."""
        self.batch = await BatchContext.load(self.session, mutations, self.jobs, self.principal.user_id)
        await self._prepare_stock(mutations)
        self.offline_since = await self._offline_since(mutations)

    async def _offline_since(self, mutations: list[Mutation]) -> datetime | None:
        """When this device's offline period began: its last push before this sync session (pushes less
        than ``SESSION_GAP`` apart are one session), or else its first sign-in. A tablet that signs in
        again (an expired token) keeps its name, so the user's sign-ins under this device's name count
        as one device. Only a batch with taps asks."""
        if not any(m.name in (Name.JOB_EVENT, Name.JOB_SIGN) for m in mutations):
            return None
        name = select(Device.name).where(Device.id == self.principal.device_id).scalar_subquery()
        sign_ins = (
            await self.session.execute(
                select(Device.id, Device.created_at).where(
                    Device.user_id == self.principal.user_id, Device.name == name
                )
            )
        ).all()
        if not sign_ins:  # pragma: no cover - the caller's own device row
            return None
        before = await self.session.scalar(
            select(func.max(MutationRow.received_at)).where(
                MutationRow.device_id.in_([row[0] for row in sign_ins]),
                MutationRow.received_at < self.now - SESSION_GAP,
            )
        )
        first = min(_utc(row[1]) for row in sign_ins)
        return max(first, _utc(before)) if before is not None else first

    async def _prepare_stock(self, mutations: list[Mutation]) -> None:
        """For a batch that uses or voids parts: the engineer's van, and every balance row it may move
        locked up front in (part, store) order.

        The ledger locks a balance row when it first moves it and takes the stock counter right after,
        so two batches moving two parts in opposite orders would deadlock on PostgreSQL; locking all of
        a batch's rows first, in one stable order, makes concurrent pushes queue instead. A batch
        without parts makes no query here.
        """
        uses = [m for m in mutations if m.name is Name.PART_USE]
        voids = [m for m in mutations if m.name is Name.PART_VOID]
        if not uses and not voids:
            return
        self.ledger = Ledger(self.session, self.principal.user_id, self.principal.device_id, self.now)
        self.van = await self.ledger.van_of(self.principal.user_id, van_name(self.principal.display_name))
        pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for m in uses:
            try:
                part_id = uuid.UUID(str(m.args.get("part_id")))
            except ValueError:
                continue  # rejected when its arguments are parsed
            if part_id in self.batch.parts:
                pairs.add((part_id, self.van.id))
        voided = [u for m in voids if (u := _uuid(m.args.get("usage_id"))) in self.batch.usages]
        if voided:  # a void gives the units back to the store the use took them from
            rows = await self.session.execute(
                select(StockMovement.part_id, StockMovement.store_id)
                .where(
                    StockMovement.usage_id.in_(voided),
                    StockMovement.kind == MovementKind.CONSUME.value,
                )
                .distinct()
            )
            pairs.update((part_id, store_id) for part_id, store_id in rows)
        if not pairs:
            return
        ordered = sorted(pairs)
        dialect = (await self.session.connection()).dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(StockBalance)
            .values(
                [
                    {"id": uuid7(), "store_id": store, "part_id": part, "quantity": 0, "updated_at": self.now}
                    for part, store in ordered
                ]
            )
            .on_conflict_do_nothing(index_elements=["store_id", "part_id"])
        )
        await self.session.execute(
            select(StockBalance.id)
            .where(
                StockBalance.part_id.in_({part for part, _ in ordered}),
                StockBalance.store_id.in_({store for _, store in ordered}),
            )
            .order_by(StockBalance.part_id, StockBalance.store_id)
            .with_for_update()
        )

    async def _apply_one(self, mutation: Mutation, device_time: datetime, *, careful: bool) -> MutationResult:
        if _has_nul(mutation.args):
            return MutationResult(
                id=mutation.id,
                outcome=Outcome.REJECTED,
                reason="invalid_args",
                message="text contains a NUL character",
            )
        try:
            args = mutation.parsed()
        except ValidationError as exc:
            return MutationResult(
                id=mutation.id,
                outcome=Outcome.REJECTED,
                reason="invalid_args",
                message=describe_validation_error(exc),
            )
        conflicts_before = len(self.new_conflicts)
        touched_before = {k: (v[0], set(v[1])) for k, v in self.touched.items()}
        try:
            if careful:
                async with self.session.begin_nested():
                    applied = await self._dispatch(mutation, args, device_time)
                    await self.session.flush()
            else:
                with self.session.no_autoflush:
                    applied = await self._dispatch(mutation, args, device_time)
        except (Rejected, IntegrityError) as exc:
            if isinstance(exc, IntegrityError) and not careful:
                raise  # a flush on the fast path (parts) failed: the whole batch runs again, carefully
            if not careful:  # nothing was flushed: take back the conflict records it added
                for conflict in self.new_conflicts[conflicts_before:]:
                    self.session.expunge(conflict)
            del self.new_conflicts[conflicts_before:]
            self.touched = touched_before
            if isinstance(exc, IntegrityError):
                exc = Rejected(
                    "invalid_reference", "this change refers to something the server does not have"
                )
            return MutationResult(
                id=mutation.id, outcome=Outcome.REJECTED, reason=exc.reason, message=exc.message
            )
        return MutationResult(
            id=mutation.id,
            outcome=applied.outcome,
            reason=applied.reason,
            message=applied.message,
            conflict_ids=[c.id for c in applied.conflicts],
        )

    async def _dispatch(self, mutation: Mutation, args: Any, device_time: datetime) -> Applied:
        if isinstance(args, JobEventArgs):
            return await self._job_event(mutation, args, device_time)
        if isinstance(args, JobEditArgs):
            return await self._job_edit(mutation, args)
        if isinstance(args, ChecklistAnswerArgs):
            return await self._checklist_answer(mutation, args)
        if isinstance(args, PartUseArgs):
            return await self._part_use(mutation, args)
        if isinstance(args, PartVoidArgs):
            return await self._part_void(mutation, args)
        if isinstance(args, JobSignArgs):
            return await self._job_sign(mutation, args, device_time)
        if isinstance(args, PhotoAddArgs):
            return await self._photo_add(mutation, args)
        raise Rejected("unknown_mutation", f"unknown mutation {mutation.name}")  # pragma: no cover

    # --- shared steps ------------------------------------------------------------------------

    async def _job_for(self, mutation: Mutation, job_id: uuid.UUID) -> tuple[Job, Applied]:
        """The job, if this engineer holds it now or held it before (then the edit is kept for review)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise Rejected("unknown_job", "this job does not exist on the server")
        applied = Applied()
        if job.assigned_engineer_id != self.principal.user_id:
            if job.id not in self.batch.held_before:
                # Recorded outside the savepoint that is about to roll back.
                await self._record_refusal(mutation, job)
                raise Rejected("not_assigned", "this job is not assigned to you")
            applied.outcome = Outcome.CONFLICT
            applied.reason = "reassigned"
            applied.message = "the job was reassigned; your work was kept and sent for review"
            applied.conflicts.append(
                self._conflict(
                    mutation,
                    job,
                    "assigned_engineer_id",
                    str(self.principal.user_id),
                    str(job.assigned_engineer_id) if job.assigned_engineer_id else None,
                    resolution="recorded",
                    reason="reassigned",
                )
            )
        return job, applied

    async def _record_refusal(self, mutation: Mutation, job: Job) -> None:
        refusal = Conflict(
            id=uuid.uuid4(),
            entity="job",
            entity_id=job.id,
            job_id=job.id,
            field="access",
            device_value={"mutation": mutation.name.value},
            server_value=None,
            mutation_id=mutation.id,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
            resolution="rejected",
            reason="not_assigned",
            created_at=self.now,
        )
        self.refusals.append(refusal)

    def _conflict(
        self,
        mutation: Mutation,
        job: Job,
        field_name: str,
        device_value: Any,
        server_value: Any,
        *,
        resolution: str,
        reason: str,
        entity: str = "job",
        entity_id: uuid.UUID | None = None,
        base_version: int | None = None,
    ) -> Conflict:
        conflict = Conflict(
            id=uuid.uuid4(),
            entity=entity,
            entity_id=entity_id or job.id,
            job_id=job.id,
            field=field_name,
            device_value=device_value,
            server_value=server_value,
            base_version=base_version,
            mutation_id=mutation.id,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
            resolution=resolution,
            reason=reason,
            created_at=self.now,
        )
        self.session.add(conflict)
        self.new_conflicts.append(conflict)
        return conflict

    def _refused_on(self, job: Job) -> None:
        """A device's value was kept out of the job (a conflict, ``rejected``) and nothing else changed.

        The device shows its acknowledged edit until a pull brings the job again, so the job gets a new
        version (no field changed) and goes into the log: the device's view returns to the server's
        value instead of keeping the refused one for ever."""
        self._touch(job, [])

    def _touch(self, job: Job, fields: list[str]) -> None:
        entry = self.touched.setdefault(job.id, (job, set()))
        entry[1].update(fields)
        bump(job, fields, by=self.writer)

    @property
    def writer(self) -> str:
        return str(self.principal.device_id)

    async def _finish(self) -> None:
        """Write refusals, and log every touched job and new conflict for the devices to pull."""
        for refusal in self.refusals:
            self.session.add(refusal)
        changes: list[Change] = []
        for job, _fields in sorted(self.touched.values(), key=lambda t: t[0].id):
            changes.extend(job_changes(job))
            # Every touched job updates the same columns, so the flush sends one executemany
            # instead of a statement for each different set of changed fields.
            for column in DEVICE_WRITTEN_JOB_COLUMNS:
                flag_modified(job, column)
        for conflict in self.new_conflicts:
            changes.append(Change("conflict", conflict.id, "put", self.principal.user_id))
        await self.session.flush()
        await log_changes(self.session, changes)

    # --- handlers ------------------------------------------------------------------------------

    def _event_seen(self, job: Job, event_id: uuid.UUID) -> bool:
        """Whether this event is already recorded (a resend); an id used on another job is refused."""
        owner = self.batch.event_jobs.get(event_id)
        if owner is not None and owner != job.id:
            raise Rejected("duplicate_id", "this event id is already used on another job")
        return owner is not None

    async def _add_event(
        self,
        mutation: Mutation,
        job: Job,
        applied: Applied,
        event_id: uuid.UUID,
        event_type: JobEventType,
        at: datetime,
        device_time: datetime,
    ) -> None:
        if self._event_seen(job, event_id):
            return
        flag = flag_event_time(
            at,
            device_time=device_time,
            received_at=self.now,
            call_received_at=job.call_received_at,
            offline_since=self.offline_since,
        )
        self.batch.event_jobs[event_id] = job.id
        self.session.add(
            JobEvent(
                id=event_id,
                job_id=job.id,
                type=event_type.value,
                device_time=at,
                received_at=self.now,
                clock_offset_ms=int((self.now - device_time).total_seconds() * 1000),
                flagged=bool(flag),
                flag_reason=flag,
                hlc=mutation.hlc,
                user_id=self.principal.user_id,
                device_id=self.principal.device_id,
            )
        )
        changed = ["events"]
        stamp_field = EVENT_FIELD[event_type]
        new_stamp = earliest(getattr(job, stamp_field), at)
        if new_stamp != getattr(job, stamp_field):
            setattr(job, stamp_field, new_stamp)
            changed.append(stamp_field)
        if flag and not job.times_flagged:
            job.times_flagged = True
            changed.append("times_flagged")
        decision = status_after_event(JobStatus(job.status), event_type)
        if decision.conflict:
            applied.outcome = Outcome.MERGED
            applied.reason = decision.conflict
            applied.message = f"the office set this job to {job.status}; your {event_type.value} was recorded"
            applied.conflicts.append(
                self._conflict(
                    mutation,
                    job,
                    "status",
                    event_type.value,
                    job.status,
                    resolution="office_kept",
                    reason=decision.conflict,
                )
            )
        elif decision.status.value != job.status:
            job.status = decision.status.value
            changed.append("status")
        self._touch(job, changed)

    async def _job_event(self, mutation: Mutation, args: JobEventArgs, device_time: datetime) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        if args.type is JobEventType.SIGNED_OFF:
            # A sign-off is the customer's signature and satisfaction (job.sign), never a bare tap.
            raise Rejected(
                "unsigned", "a sign-off needs the customer's signature and satisfaction: send job.sign"
            )
        await self._add_event(mutation, job, applied, args.event_id, args.type, args.at, device_time)
        return applied

    async def _job_edit(self, mutation: Mutation, args: JobEditArgs) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        sent = args.fields.model_dump(exclude_unset=True, mode="json")
        if job.status == JobStatus.CLOSED.value:
            # QA approved the form: its fault, billing and backup fields are final (a device's later
            # value is kept in a conflict for the office); the engineer's notes are not on trial.
            for name in [n for n in sent if n in FROZEN_AFTER_QA]:
                self._frozen(
                    mutation,
                    job,
                    applied,
                    name,
                    sent.pop(name),
                    _plain(getattr(job, name)),
                    args.base_version,
                )
            if not sent:
                self._refused_on(job)
                return applied
        versions = job.field_versions or {}
        changed: list[str] = []
        owned: list[str] = []
        kept: list[str] = []  # the office decided these (billing override): its value stands
        judged = self._judge_billing(mutation, job, args, sent, applied)
        for name, value in sent.items():
            if name in SERVER_OWNED_JOB_FIELDS:
                owned.append(name)
                applied.conflicts.append(
                    self._conflict(
                        mutation,
                        job,
                        name,
                        value,
                        _plain(getattr(job, name)),
                        resolution="rejected",
                        reason="server_owned",
                        base_version=args.base_version,
                    )
                )
                continue
            assert name in LWW_JOB_FIELDS
            current = getattr(job, name)
            if office_decided(name, job):
                if value != _plain(current):
                    kept.append(name)
                    applied.conflicts.append(
                        self._conflict(
                            mutation,
                            job,
                            name,
                            value,
                            _plain(current),
                            resolution="office_kept",
                            reason="office_override",
                            base_version=args.base_version,
                        )
                    )
                continue
            last = versions.get(name) or {"v": 0, "by": ""}
            decision = decide_lww(
                value, current, int(last["v"]), args.base_version, same_writer=last["by"] == self.writer
            )
            if decision.conflict:
                applied.conflicts.append(
                    self._conflict(
                        mutation,
                        job,
                        name,
                        value,
                        current,
                        resolution="device_wins",
                        reason="both_changed",
                        base_version=args.base_version,
                    )
                )
            if decision.apply:
                setattr(job, name, value)
                changed.append(name)
        if changed:
            self._touch(job, changed)
        elif judged or applied.outcome is Outcome.CONFLICT:
            self._refused_on(job)
        if owned and not changed:
            applied.outcome = Outcome.REJECTED
            applied.reason = "server_owned"
            applied.message = "these fields are set by the office: " + ", ".join(owned)
        elif kept and len(kept) == len(applied.conflicts) and applied.outcome is Outcome.APPLIED:
            applied.outcome = Outcome.MERGED
            applied.reason = "office_override"
            applied.message = "the office decided billing on this job; its decision was kept: " + ", ".join(
                kept
            )
        elif judged and applied.outcome is Outcome.APPLIED:
            applied.outcome = Outcome.CONFLICT
            applied.reason = "warranty_rule"
            applied.message = (
                "the billing contradicts the three-guarantee rules and was not applied; it was sent to the "
                "office for review"
            )
        elif applied.conflicts and applied.outcome is Outcome.APPLIED:
            applied.outcome = Outcome.CONFLICT
            applied.reason = "server_owned" if owned else "both_changed"
            applied.message = (
                "the office changed the same field since you last synced; your value was kept and theirs "
                "was sent for review"
                if not owned
                else "some fields are set by the office and were not changed: " + ", ".join(owned)
            )
        return applied

    def _judge_billing(
        self, mutation: Mutation, job: Job, args: JobEditArgs, sent: dict[str, Any], applied: Applied
    ) -> bool:
        """The three-guarantee rule, as the field app applies it (shared/warranty.py), on a device's billing.

        A billing that contradicts the rule (free with reason man-made, "in warranty" after the warranty
        ended, ...) is taken out of the edit: the job keeps its billing, and a conflict (``warranty_rule``,
        ``rejected``) holds what the device sent against what the rule proposes, for the office to review
        (accept, or decide billing with ``POST /api/jobs/{id}/billing``). Once the office has decided
        billing its decision stands anyway (``office_override``), so this judges nothing then.
        """
        if not ({"billable", "billable_reason"} & sent.keys()) or office_decided("billable", job):
            return False
        billable = sent.get("billable", job.billable)
        reason = sent.get("billable_reason", job.billable_reason)
        end = self.batch.warranty_ends.get(job.equipment_id) if job.equipment_id else None
        proposal = contradiction(JobKind(job.kind), billable, reason, end, _utc(job.call_received_at).date())
        if proposal is None:
            return False
        sent.pop("billable", None)
        sent.pop("billable_reason", None)
        applied.conflicts.append(
            self._conflict(
                mutation,
                job,
                "billable",
                {"billable": billable, "billable_reason": reason},
                {
                    "billable": proposal.billable,
                    "billable_reason": proposal.reason.value if proposal.reason else None,
                },
                resolution="rejected",
                reason="warranty_rule",
                base_version=args.base_version,
            )
        )
        return True

    def _frozen(
        self,
        mutation: Mutation,
        job: Job,
        applied: Applied,
        field_name: str,
        device_value: Any,
        server_value: Any,
        base_version: int | None = None,
    ) -> None:
        """QA approved (closed) the job: its form is final. A device's later change of the fault or the
        acceptance is not applied; it is kept whole in a conflict (``qa_approved``) for the office."""
        applied.conflicts.append(
            self._conflict(
                mutation,
                job,
                field_name,
                device_value,
                server_value,
                resolution="rejected",
                reason="qa_approved",
                base_version=base_version,
            )
        )
        applied.outcome = Outcome.CONFLICT
        applied.reason = "qa_approved"
        applied.message = (
            "QA has approved this job's form; your change was not applied and was sent for review"
        )

    def _checklist_item(self, job: Job, code: str) -> dict[str, Any] | None:
        items = self.batch.template_items(job)
        if items is None:
            return None
        item = next((i for i in items if i.get("code") == code), None)
        if item is None:
            raise Rejected("unknown_item", f"checklist item '{code}' is not on this job's template")
        return dict(item)

    async def _checklist_answer(self, mutation: Mutation, args: ChecklistAnswerArgs) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        item = self._checklist_item(job, args.item_code)
        out_of_range = False
        if (
            item is not None
            and item.get("kind") == ChecklistItemKind.MEASURE.value
            and args.value is not None
        ):
            low, high = item.get("min_value"), item.get("max_value")
            out_of_range = (low is not None and args.value < low) or (high is not None and args.value > high)
        if item is not None and item.get("kind") == ChecklistItemKind.CHECK.value and args.value is not None:
            raise Rejected("invalid_answer", f"'{args.item_code}' takes ok / fault / n.a., not a number")
        row = self.batch.answers.get((job.id, args.item_code))
        answer = {
            "result": args.result.value if args.result else None,
            "value": args.value,
            "note": args.note,
        }
        if row is None:
            if args.result_id in self.batch.answer_ids:
                raise Rejected("duplicate_id", "this answer id is already used")
            row = ChecklistResult(
                id=args.result_id,
                job_id=job.id,
                item_code=args.item_code,
                result=answer["result"],
                value=args.value,
                note=args.note,
                out_of_range=out_of_range,
                answered_at=args.answered_at,
                version=1,
                written_by=self.writer,
            )
            self.session.add(row)
            self.batch.answers[(job.id, args.item_code)] = row
            self.batch.answer_ids.add(args.result_id)
        else:
            current = {"result": row.result, "value": row.value, "note": row.note}
            decision = decide_lww(
                answer, current, row.version, args.base_version, same_writer=row.written_by == self.writer
            )
            if decision.conflict:
                applied.conflicts.append(
                    self._conflict(
                        mutation,
                        job,
                        f"checklist:{args.item_code}",
                        answer,
                        current,
                        resolution="device_wins",
                        reason="both_changed",
                        entity="checklist_result",
                        entity_id=row.id,
                        base_version=args.base_version,
                    )
                )
                if applied.outcome is Outcome.APPLIED:
                    applied.outcome = Outcome.CONFLICT
                    applied.reason = "both_changed"
                    applied.message = (
                        "this answer was changed elsewhere; yours was kept, the other sent for review"
                    )
            if not decision.apply:
                return applied
            row.result = args.result.value if args.result else None
            row.value, row.note = args.value, args.note
            row.out_of_range, row.answered_at = out_of_range, args.answered_at
            row.version += 1
            row.written_by = self.writer
        self._touch(job, ["checklist"])
        if out_of_range and applied.outcome is Outcome.APPLIED:
            applied.message = "reading is outside the limits and was flagged"
        return applied

    async def _part_use(self, mutation: Mutation, args: PartUseArgs) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        existing = self.batch.usages.get(args.usage_id)
        if existing is not None:
            if existing.job_id != job.id:
                raise Rejected("duplicate_id", "this usage id is already used on another job")
            return applied
        if args.part_id not in self.batch.parts:
            raise Rejected("unknown_part", "this part is not in the catalogue")
        usage = JobPart(
            id=args.usage_id,
            job_id=job.id,
            part_id=args.part_id,
            quantity=args.quantity,
            old_part_returned=args.old_part_returned,
            used_at=args.used_at,
        )
        self.session.add(usage)
        self.batch.usages[usage.id] = usage
        self._touch(job, ["parts"])
        if self.ledger is not None and self.van is not None:
            await self._consume(mutation, args, job, applied)
        return applied

    async def _consume(self, mutation: Mutation, args: PartUseArgs, job: Job, applied: Applied) -> None:
        """Take the used units out of the engineer's van; a use beyond the books is kept and reported.

        Nothing can refuse the mutation after this point, so the fast path's promise (a rejected
        mutation leaves nothing behind) holds. The flush first lets the ledger read what earlier
        mutations of the batch did to the same lots and usages.
        """
        assert self.ledger is not None and self.van is not None
        await self.session.flush()
        used = await self.ledger.consume(
            self.van, args.part_id, args.quantity, job_id=job.id, usage_id=args.usage_id, at=args.used_at
        )
        if not used.shortfall:
            return
        device_value: dict[str, Any] = {"part_id": str(args.part_id), "used": args.quantity}
        if args.believed_on_hand is not None:
            device_value["believed"] = args.believed_on_hand
        applied.conflicts.append(
            self._conflict(
                mutation,
                job,
                "quantity",
                device_value,
                {"on_hand": used.balance_before},
                resolution="recorded_short",
                reason="insufficient_stock",
                entity="van_stock",
                entity_id=used.balance_id,
            )
        )
        if not applied.reason:
            applied.reason = "insufficient_stock"
            applied.message = (
                f"the van held {max(used.balance_before, 0)} of this part by the books, not {args.quantity}: "
                "the use was recorded and the warehouse was told"
            )

    async def _part_void(self, mutation: Mutation, args: PartVoidArgs) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        usage = self.batch.usages.get(args.usage_id)
        if usage is None or usage.job_id != job.id:
            raise Rejected("unknown_usage", "there is no such part usage on this job")
        if usage.voided_at is None:
            usage.voided_at = args.at
            self._touch(job, ["parts"])
            if self.ledger is not None:  # what the use took goes back to its store
                await self.session.flush()
                await self.ledger.unconsume(usage, args.at)
        return applied

    async def _photo_add(self, mutation: Mutation, args: PhotoAddArgs) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        try:
            data = base64.b64decode(args.data_b64, validate=True)
        except (binascii.Error, ValueError):
            raise Rejected("invalid_photo", "the photo data is not valid base64") from None
        if not data.startswith(IMAGE_MAGIC[args.content_type]):
            raise Rejected("invalid_photo", f"the photo is not a {args.content_type} image")
        try:  # decoded (off the event loop), and bounded in pixels: not a WAV as WebP, not an image bomb
            await asyncio.to_thread(check_photo, data, args.content_type)
        except NotAnImage as exc:
            raise Rejected("invalid_photo", str(exc)) from None
        digest = hashlib.sha256(data).hexdigest()
        existing = self.batch.photos.get(args.photo_id)
        if existing is not None:
            if existing != (job.id, digest):
                raise Rejected("duplicate_id", "this photo id is already used for another photo")
            return applied
        self.batch.photos[args.photo_id] = (job.id, digest)
        self.session.add(
            Photo(
                id=args.photo_id,
                job_id=job.id,
                filename=args.filename,
                content_type=args.content_type,
                size=len(data),
                sha256=digest,
                caption=args.caption,
                data=data,
                taken_at=args.taken_at,
                received_at=self.now,
                user_id=self.principal.user_id,
                device_id=self.principal.device_id,
            )
        )
        self._touch(job, ["photos"])
        return applied

    async def _job_sign(self, mutation: Mutation, args: JobSignArgs, device_time: datetime) -> Applied:
        job, applied = await self._job_for(mutation, args.job_id)
        self._event_seen(job, args.event_id)  # refuse a reused event id before changing anything
        try:  # a 400-digit coordinate became inf and wrote nan into the PDF
            check_signature(args.signature)
        except NotAnImage as exc:
            raise Rejected("invalid_args", str(exc)) from None
        kept = self.batch.signatures.setdefault(job.id, [])
        received = JobSignature(
            id=uuid7(),
            job_id=job.id,
            mutation_id=mutation.id,
            event_id=args.event_id,
            opinion=args.opinion,
            satisfaction=args.satisfaction,
            comment=args.comment,
            signature=args.signature,
            signed_at=args.signed_at,
            received_at=self.now,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
        )
        if job.status == JobStatus.CLOSED.value:
            # QA approved the form: the acceptance is final. The signature is still kept as evidence
            # (a row), and the office sees it beside the one that stands.
            standing = next((s for s in reversed(kept) if s.signature == job.signature), None)
            self.session.add(received)
            kept.append(received)
            self._frozen(
                mutation,
                job,
                applied,
                "acceptance",
                signature_value(received),
                signature_value(standing) if standing is not None else standing_value(job),
            )
            self._refused_on(job)
            return applied
        if job.signature and job.signature != args.signature:
            # The one that stood is kept whole (a row, and in the conflict) so the office can choose it.
            standing = next((s for s in reversed(kept) if s.signature == job.signature), None)
            applied.conflicts.append(
                self._conflict(
                    mutation,
                    job,
                    "acceptance",
                    signature_value(received),
                    signature_value(standing) if standing is not None else standing_value(job),
                    resolution="device_wins",
                    reason="signed_twice",
                )
            )
            applied.outcome = Outcome.CONFLICT
            applied.reason = "signed_twice"
            applied.message = (
                "the job was already signed; the new signature was kept and the old sent for review"
            )
        self.session.add(received)
        kept.append(received)
        job.acceptance_opinion = args.opinion
        job.satisfaction = args.satisfaction
        job.acceptance_comment = args.comment
        job.signature = args.signature
        self._touch(job, ["acceptance"])
        await self._add_event(
            mutation, job, applied, args.event_id, JobEventType.SIGNED_OFF, args.signed_at, device_time
        )
        return applied


def signature_value(row: JobSignature) -> dict[str, Any]:
    """A received signature as a conflict holds it: which row, what the customer said, and the drawing."""
    return {
        "signature_id": str(row.id),
        "opinion": row.opinion,
        "satisfaction": row.satisfaction,
        "comment": row.comment,
        "signature": row.signature,
        "signed_at": _plain(row.signed_at),
        "device_id": _plain(row.device_id),
    }


def standing_value(job: Job) -> dict[str, Any]:
    """The job's acceptance when no signature row matches it (signed before rows were kept)."""
    return {
        "signature_id": None,
        "opinion": job.acceptance_opinion,
        "satisfaction": job.satisfaction,
        "comment": job.acceptance_comment,
        "signature": job.signature,
        "signed_at": _plain(job.signed_off_at),
        "device_id": None,
    }


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _has_nul(value: Any) -> bool:
    """Whether any text inside ``value`` holds a NUL, which no database text column can store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\\0")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _storable(args: dict[str, Any]) -> dict[str, Any]:
    """Mutation arguments as kept in the log: a photo's bytes live in the photos table, not twice,
    and a NUL (refused anyway) is written as a visible ``\\0`` so the record of the refusal fits."""
    if _has_nul(args):
        args = _without_nul(args)
    if "data_b64" not in args:
        return args
    data = str(args["data_b64"])
    return {**args, "data_b64": f"<{len(data)} base64 chars>"}


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite hands back naive UTC times), as the device reads the wire time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
