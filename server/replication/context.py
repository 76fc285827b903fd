"""What every push handler shares: the batch's preloaded state and the steps all mutations take.

One ``PushContext`` lives for one attempt at a batch (``server/replication/push.py`` makes a fresh one
when the batch runs again with savepoints). Handlers (``handlers/<mutation>.py``) read the locked jobs
and the preloaded maps from it, and go through it to check the job's holder (``job_for``), record a
conflict (``conflict``, ``frozen``), give a job a new version (``touch``, ``refused_on``) and add a tap
(``add_event``); ``finish`` writes the refusals and the change log at the end of the batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_state

from server import audit
from server.changes import Change, log_changes
from server.db.base import table_of
from server.db.limits import check_row_lengths
from server.db.models import Conflict, Job, JobEvent, Store
from server.deps import Principal
from server.jobs.service import bump, job_changes
from server.replication.batch import BatchContext
from server.replication.rows import Writes
from server.stock.ledger import Ledger
from shared.enums import JobEventType, JobStatus
from sync.merge import EVENT_FIELD, LWW_JOB_FIELDS, earliest, flag_event_time, status_after_event
from sync.protocol import Mutation, MutationResult, Outcome

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
_WRITTEN = frozenset(DEVICE_WRITTEN_JOB_COLUMNS)
# Every touched job written by one Core executemany of the same columns (built once, see
# server/changes.py): the unit of work's per-object bookkeeping for a hundred jobs cost more than the
# statement.
_jobs = table_of(Job)
_UPDATE_TOUCHED = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("_id"))
    .values({_jobs.c[name]: bindparam(name) for name in DEVICE_WRITTEN_JOB_COLUMNS})
)


class Rejected(Exception):
    """A mutation that cannot be applied; the reason is a stable code, the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Applied:
    """What a handler made of one mutation: its outcome and the conflict records it wrote."""

    outcome: Outcome = Outcome.APPLIED
    conflicts: list[Conflict] = field(default_factory=list)
    reason: str = ""
    message: str = ""


class PushContext:
    """One attempt at a batch: who pushes, when, what was preloaded, and what the batch touched."""

    def __init__(
        self,
        session: AsyncSession,
        principal: Principal,
        now: datetime,
        device_time: datetime,
        jobs: dict[uuid.UUID, Job],
    ) -> None:
        self.session = session
        self.principal = principal
        self.now = now
        self.device_time = device_time
        self.jobs = jobs  # every job the batch names, locked in id order
        self.batch = BatchContext()
        self.touched: dict[uuid.UUID, Job] = {}  # in the order first touched (see ``untouch``)
        self.new_conflicts: list[Conflict] = []
        self.writes = Writes()  # the events and answers the handlers made, written by ``finish``
        self.refusals: list[Conflict] = []
        self.audit_events: list[audit.Event] = []
        self.ledger: Ledger | None = None  # made by prepare_stock when the batch uses parts
        self.van: Store | None = None
        self.offline_since: datetime | None = None  # when the device's offline period began

    @property
    def writer(self) -> str:
        return str(self.principal.device_id)

    async def job_for(self, mutation: Mutation, job_id: uuid.UUID) -> tuple[Job, Applied]:
        """The job, if this engineer holds it now or held it before (then the edit is kept for review)."""
        job = self.jobs.get(job_id)
        if job is None:
            raise Rejected("unknown_job", "this job does not exist on the server")
        applied = Applied()
        if job.assigned_engineer_id != self.principal.user_id:
            if job.id not in self.batch.held_before:
                # Recorded outside the savepoint that is about to roll back.
                self.record_refusal(mutation, job)
                raise Rejected("not_assigned", "this job is not assigned to you")
            applied.outcome = Outcome.CONFLICT
            applied.reason = "reassigned"
            applied.message = "the job was reassigned; your work was kept and sent for review"
            applied.conflicts.append(
                self.conflict(
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

    def record_refusal(self, mutation: Mutation, job: Job) -> None:
        self.refusals.append(
            Conflict(
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
        )

    def conflict(
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

    def frozen(
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
            self.conflict(
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

    def refused_on(self, job: Job) -> None:
        """A device's value was kept out of the job (a conflict, ``rejected``) and nothing else changed.

        The device shows its acknowledged edit until a pull brings the job again, so the job gets a new
        version (no field changed) and goes into the log: the device's view returns to the server's
        value instead of keeping the refused one for ever."""
        self.touch(job, [])

    def touch(self, job: Job, fields: list[str]) -> None:
        self.touched.setdefault(job.id, job)
        bump(job, fields, by=self.writer)

    def untouch(self, count: int) -> None:
        """Forget the jobs first touched after the first ``count`` (a refused mutation's): O(what it
        touched), where a copy of ``touched`` before every mutation made a batch quadratic."""
        while len(self.touched) > count:
            self.touched.popitem()  # a dict pops the last inserted

    def event_seen(self, job: Job, event_id: uuid.UUID) -> bool:
        """Whether this event is already recorded (a resend); an id used on another job is refused."""
        owner = self.batch.event_jobs.get(event_id)
        if owner is not None and owner != job.id:
            raise Rejected("duplicate_id", "this event id is already used on another job")
        return owner is not None

    def add_event(
        self,
        mutation: Mutation,
        job: Job,
        applied: Applied,
        event_id: uuid.UUID,
        event_type: JobEventType,
        at: datetime,
    ) -> None:
        """A tap on the job's timeline: its time flagged when implausible, the first time kept, the
        status moved forward unless the office holds the job (then a conflict, ``office_kept``)."""
        if self.event_seen(job, event_id):
            return
        flag = flag_event_time(
            at,
            device_time=self.device_time,
            received_at=self.now,
            call_received_at=job.call_received_at,
            offline_since=self.offline_since,
        )
        self.batch.event_jobs[event_id] = job.id
        self.writes.insert(
            JobEvent,
            id=event_id,
            job_id=job.id,
            type=event_type.value,
            device_time=at,
            received_at=self.now,
            clock_offset_ms=int((self.now - self.device_time).total_seconds() * 1000),
            flagged=bool(flag),
            flag_reason=flag,
            hlc=mutation.hlc,
            user_id=self.principal.user_id,
            device_id=self.principal.device_id,
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
                self.conflict(
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
        self.touch(job, changed)

    def audit(self, mutation: Mutation, result: MutationResult, stored_args: dict[str, Any]) -> None:
        """The audit trail's line for one mutation applied (or refused) in this batch."""
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
                    "args": stored_args,
                },
            )
        )

    async def finish(self) -> None:
        """Write refusals, log every touched job, new conflict and moved van balance for the devices to
        pull, and write the batch's audit trail."""
        for refusal in self.refusals:
            self.session.add(refusal)
        changes: list[Change] = []
        rows: list[dict[str, Any]] = []
        for job in sorted(self.touched.values(), key=lambda j: j.id):
            changes.extend(job_changes(job))
            state = instance_state(job)
            values = state.dict
            # A job whose changes are all device-written columns, every one of them loaded, is written
            # below and taken out of the session so the flush does not write it again; anything else
            # (never the case today) is left to the flush, which writes every change it sees.
            if state.committed_state.keys() <= _WRITTEN and values.keys() >= _WRITTEN:
                rows.append({"_id": job.id, **{name: values[name] for name in DEVICE_WRITTEN_JOB_COLUMNS}})
                self.session.expunge(job)
        for conflict in self.new_conflicts:
            changes.append(Change("conflict", conflict.id, "put", self.principal.user_id))
        with self.session.no_autoflush:
            if rows:
                check_row_lengths(Job, rows)
                await self.session.execute(_UPDATE_TOUCHED, rows)
            await self.writes.write(self.session)
        await self.session.flush()
        await log_changes(self.session, changes)
        if self.ledger is not None:  # the van balances this batch moved, in the same transaction's log
            await self.ledger.log_van_changes()
        await audit.record_many(self.session, self.audit_events)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite hands back naive UTC times), as the device reads the wire time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def plain(value: Any) -> Any:
    """A value as a conflict record holds it (JSON): times and ids as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
