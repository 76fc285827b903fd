"""The escalation scanner: finds the events on open jobs and complaints, tells each recipient the rules name exactly once,
and delivers the outbound ones with retries.

:func:`scan` is one pass at a given moment (the tests call it with a fixed clock); :class:`EscalationRunner`
runs it in the server's lifespan every ``LEVEE_ESCALATION_INTERVAL_S``. A notification is one row per
(event, recipient) under a unique constraint, inserted with ON CONFLICT DO NOTHING: a restart, a second pass
or a second server process on the same PostgreSQL database never makes a duplicate. Sending happens after
the notifications are committed, each try bounded by a timeout; a delivery is claimed by a conditional
UPDATE first, so two processes never send the same one, and a claim left by a process that died expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.base import table_of
from server.db.limits import check_row_lengths
from server.db.models import (
    Complaint,
    Customer,
    EscalationRule,
    Job,
    Notification,
    NotificationAttempt,
    User,
)
from server.escalation.channels import DeliveryError, Message, OutboundChannel, channels_for
from server.settings import Settings
from shared.customers import ComplaintStatus
from shared.enums import JobStatus
from shared.escalation import MAJOR, Channel, DeliveryState, EventKind, message_text
from shared.i18n import DEFAULT_LANG
from shared.local_time import full, zone
from shared.sla import CLOCKS, PROMISE_FIELDS, Promise

log = logging.getLogger("levee.escalation")

#: jobs whose clocks still run (a job on hold waits for the office; closed and cancelled ones are done)
WATCHED = tuple(
    s.value
    for s in (
        JobStatus.NEW,
        JobStatus.ASSIGNED,
        JobStatus.ACKNOWLEDGED,
        JobStatus.DEPARTED,
        JobStatus.ARRIVED,
        JobStatus.STARTED,
    )
)
#: at most this many sends at once per pass (each bounded by LEVEE_DELIVERY_TIMEOUT_S)
PARALLEL_SENDS = 5
#: how long a process may hold a delivery it claimed before another may take it over
CLAIM_S = 120


@dataclass(frozen=True, slots=True)
class Event:
    key: str
    kind: EventKind
    job_id: uuid.UUID | None
    job_number: str
    severity: str
    customer_id: uuid.UUID
    customer_name: str
    promise: Promise | None
    due_at: datetime | None
    #: a complaint's events name the complaint instead of a job
    complaint_number: str = ""


@dataclass(slots=True)
class ScanOutcome:
    created: int = 0
    delivered: int = 0
    failed: int = 0


def _aware(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


_PROMISE_COLUMNS = sorted({name for pair in PROMISE_FIELDS.values() for name in pair})
#: built once (a statement object keeps its compiled form in SQLAlchemy's cache)
_WATCHED_JOBS = (
    select(
        Job.id,
        Job.number,
        Job.severity,
        Job.customer_id,
        Job.call_received_at,
        Job.backup_lent,
        *(getattr(Job, name) for name in _PROMISE_COLUMNS),
        Customer.name.label("customer_name"),
    )
    .join(Customer, Customer.id == Job.customer_id)
    .where(Job.status.in_(bindparam("watched", expanding=True)))
    .order_by(Job.call_received_at, Job.id)
)
_RECORDED = select(Notification.event_key, Notification.recipient).where(
    Notification.event_key.in_(bindparam("keys", expanding=True))
)
#: how many event keys one ``IN`` list carries (SQLite's bound-parameter limit is 32,766)
_KEYS_PER_READ = 2000


async def find_events(session: AsyncSession, now: datetime, settings: Settings) -> list[Event]:
    """The events on watched jobs at ``now``: promises due within the warning window or missed, backup
    equipment due and not lent, major faults received within ``LEVEE_ESCALATION_MAJOR_HOURS``."""
    warning = timedelta(minutes=settings.escalation_warning_minutes)
    major_since = now - timedelta(hours=settings.escalation_major_hours)
    # the columns the events need, not Job objects: a flood has thousands of open jobs, read every pass
    rows = (await session.execute(_WATCHED_JOBS, {"watched": list(WATCHED)})).all()
    events: list[Event] = []
    for job in rows:
        customer_name = job.customer_name
        event = functools.partial(
            _event,
            job_id=job.id,
            number=job.number,
            severity=job.severity,
            customer_id=job.customer_id,
            customer_name=customer_name,
        )
        for promise in (*CLOCKS, Promise.BACKUP):
            due_field, done_field = PROMISE_FIELDS[promise]
            due = _aware(getattr(job, due_field), now)
            if due is None or getattr(job, done_field) is not None:
                continue
            if promise is Promise.BACKUP:
                if not job.backup_lent and due - now <= warning:
                    events.append(event(EventKind.BACKUP_DUE, f"backup_due:{job.id}", promise, due))
            elif now > due:
                events.append(event(EventKind.PROMISE_MISSED, f"missed:{job.id}:{promise}", promise, due))
            elif due - now <= warning:
                events.append(event(EventKind.PROMISE_DUE_SOON, f"due_soon:{job.id}:{promise}", promise, due))
        received = _aware(job.call_received_at, now)
        if job.severity == MAJOR and received is not None and received >= major_since:
            events.append(event(EventKind.MAJOR_FAULT, f"major:{job.id}", None, received))
    return events + await complaint_events(session, now, settings)


async def complaint_events(session: AsyncSession, now: datetime, settings: Settings) -> list[Event]:
    """Open complaints whose deadline is within LEVEE_COMPLAINT_WARNING_HOURS (due soon) or past (late)."""
    warning = timedelta(hours=settings.complaint_warning_hours)
    rows = (
        await session.execute(
            select(Complaint, Customer.name)
            .join(Customer, Customer.id == Complaint.customer_id)
            .where(Complaint.status != ComplaintStatus.CLOSED.value, Complaint.due_at.is_not(None))
            .where(Complaint.due_at <= now + warning)
            .order_by(Complaint.due_at, Complaint.id)
        )
    ).all()
    events: list[Event] = []
    for complaint, customer_name in rows:
        due = _aware(complaint.due_at, now)
        assert due is not None
        late = now > due
        events.append(
            Event(
                key=f"{'complaint_late' if late else 'complaint_due_soon'}:{complaint.id}",
                kind=EventKind.COMPLAINT_LATE if late else EventKind.COMPLAINT_DUE_SOON,
                job_id=None,
                job_number="",
                severity=complaint.severity,
                customer_id=complaint.customer_id,
                customer_name=customer_name,
                promise=None,
                due_at=due,
                complaint_number=complaint.number,
            )
        )
    return events


def _event(
    kind: EventKind,
    key: str,
    promise: Promise | None,
    due: datetime | None,
    *,
    job_id: uuid.UUID,
    number: str,
    severity: str,
    customer_id: uuid.UUID,
    customer_name: str,
) -> Event:
    return Event(key, kind, job_id, number, severity, customer_id, customer_name, promise, due)


def _matches(rule: EscalationRule, event: Event) -> bool:
    return (
        rule.active
        and event.kind.value in rule.events
        and (rule.severity is None or rule.severity == event.severity)
        and (rule.customer_id is None or rule.customer_id == event.customer_id)
    )


async def _recipients(
    session: AsyncSession, rule: EscalationRule, settings: Settings
) -> list[tuple[str, Channel, uuid.UUID | None]]:
    """(recipient, channel, user) for everyone ``rule`` names on the channels it uses."""
    out: list[tuple[str, Channel, uuid.UUID | None]] = []
    if Channel.CONSOLE.value in rule.channels:
        named = [uuid.UUID(str(u)) for u in rule.user_ids]
        users = (
            await session.scalars(
                select(User.id)
                .where(User.active.is_(True))
                .where(User.role.in_(list(rule.roles)) | User.id.in_(named))
                .order_by(User.username)
            )
        ).all()
        out += [(f"user:{u}", Channel.CONSOLE, u) for u in users]
    if Channel.EMAIL.value in rule.channels:
        out += [(f"email:{address}", Channel.EMAIL, None) for address in rule.emails]
    if Channel.WEBHOOK.value in rule.channels and settings.webhook_url:
        out.append((f"webhook:{settings.webhook_url}", Channel.WEBHOOK, None))
    return out


def _params(event: Event, settings: Settings) -> dict[str, str]:
    tz = zone(settings.timezone)
    params = {
        "job": event.job_number,
        "customer": event.customer_name,
        "promise": event.promise.value if event.promise else "",
        "due": full(event.due_at, tz) if event.due_at else "",
    }
    if event.complaint_number:
        params["complaint"] = event.complaint_number
    return params


async def record_notifications(
    session: AsyncSession, events: list[Event], settings: Settings, now: datetime
) -> int:
    """Insert one notification per (event, recipient) the active rules name; existing ones are kept as
    they are (ON CONFLICT DO NOTHING). Returns how many were new. The caller commits."""
    if not events:
        return 0
    rules = (await session.scalars(select(EscalationRule).where(EscalationRule.active.is_(True)))).all()
    # What was already said: every pass finds the same events again while their jobs stay open (a
    # flood keeps thousands open), and each used to cost a compiled INSERT ... ON CONFLICT DO NOTHING
    # per recipient, in every server process, every pass (13 % of a flooded server's CPU). Now one read
    # of the pairs already recorded, and one INSERT for the new ones.
    keys = sorted({event.key for event in events})
    recorded: set[tuple[str, str]] = set()
    for i in range(0, len(keys), _KEYS_PER_READ):
        chunk = keys[i : i + _KEYS_PER_READ]
        recorded.update((k, r) for k, r in (await session.execute(_RECORDED, {"keys": chunk})).all())
    cache: dict[uuid.UUID, list[tuple[str, Channel, uuid.UUID | None]]] = {}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        seen: set[str] = set()
        for rule in rules:
            if not _matches(rule, event):
                continue
            if rule.id not in cache:
                cache[rule.id] = await _recipients(session, rule, settings)
            for recipient, channel, user_id in cache[rule.id]:
                if recipient in seen:
                    continue
                seen.add(recipient)
                if (event.key, recipient) in recorded or (event.key, recipient) in rows:
                    continue
                outbound = channel is not Channel.CONSOLE
                rows[(event.key, recipient)] = {
                    "id": uuid.uuid4(),
                    "event_key": event.key,
                    "event_kind": event.kind.value,
                    "recipient": recipient,
                    "channel": channel.value,
                    "user_id": user_id,
                    "job_id": event.job_id,
                    "rule_id": rule.id,
                    "severity": event.severity,
                    "promise": event.promise.value if event.promise else None,
                    "due_at": event.due_at,
                    "params": _params(event, settings),
                    "created_at": now,
                    "read_at": None,
                    "state": (DeliveryState.PENDING if outbound else DeliveryState.SHOWN).value,
                    "attempts": 0,
                    "next_attempt_at": now if outbound else None,
                    "last_error": "",
                    "sent_at": None,
                }
    if not rows:
        return 0
    # Inserted in one order, (event, recipient), by every process: two servers scanning at once and
    # inserting the same rows in different orders deadlocked on the unique index (seen in a flood).
    # ON CONFLICT DO NOTHING still decides a pair another process recorded since the read above.
    values = [rows[pair] for pair in sorted(rows)]
    check_row_lengths(Notification, values)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table_of(Notification))
        .on_conflict_do_nothing(index_elements=["event_key", "recipient"])
        .returning(table_of(Notification).c.id)
    )
    result = await session.execute(statement, values)
    return len(result.all())


async def _claim(session: AsyncSession, note: Notification, now: datetime) -> bool:
    """Take ``note`` for this process (a conditional UPDATE: only one process's succeeds)."""
    result: Any = await session.execute(
        update(Notification)
        .where(
            Notification.id == note.id,
            Notification.state == note.state,
            Notification.attempts == note.attempts,
        )
        .values(state=DeliveryState.SENDING.value, next_attempt_at=now + timedelta(seconds=CLAIM_S))
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(result.rowcount == 1)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    channels: dict[Channel, OutboundChannel] | None = None,
    limit: int = 50,
) -> tuple[int, int]:
    """Try every outbound notification whose time has come (pending, or a claim that expired). Each try
    is logged; a failed one waits ``LEVEE_DELIVERY_BACKOFF_S`` doubled per failure, and after
    ``LEVEE_DELIVERY_ATTEMPTS`` tries the notification is failed for good. Returns (sent, failed tries)."""
    channels = channels if channels is not None else channels_for(settings)
    async with sessionmaker() as session:
        due = (
            await session.scalars(
                select(Notification)
                .where(
                    Notification.state.in_([DeliveryState.PENDING.value, DeliveryState.SENDING.value]),
                    Notification.next_attempt_at <= now,
                )
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(limit)
            )
        ).all()
        work = [
            (n.id, n.state, n.attempts, n.channel, n.recipient, n.event_kind, dict(n.params)) for n in due
        ]
    sending = asyncio.Semaphore(PARALLEL_SENDS)  # made here: a semaphore belongs to one event loop
    outcomes = await asyncio.gather(
        *(_deliver_one(sessionmaker, settings, now, channels, sending, *item) for item in work)
    )
    sent = sum(1 for o in outcomes if o is True)
    failed = sum(1 for o in outcomes if o is False)
    return sent, failed


async def _deliver_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    channels: dict[Channel, OutboundChannel],
    sending: asyncio.Semaphore,
    note_id: uuid.UUID,
    state: str,
    attempts: int,
    channel_name: str,
    recipient: str,
    kind: str,
    params: dict[str, Any],
) -> bool | None:
    """One try of one notification: True sent, False failed, None when another process had it."""
    async with sending:
        async with sessionmaker() as session:
            probe = Notification(id=note_id, state=state, attempts=attempts)
            if not await _claim(session, probe, now):
                return None  # another process took it
        channel = channels.get(Channel(channel_name))
        target = recipient.split(":", 1)[1]
        error = ""
        if channel is None or not channel.configured():
            error = f"{channel_name} channel is not configured (LEVEE_* settings)"
        else:
            subject, body = message_text(DEFAULT_LANG, kind, params)
            payload = {"event": kind, "recipient": recipient, "notification_id": str(note_id), **params}
            try:
                await channel.send(target, Message(subject, body, payload))
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a channel's bug must not end the pass
                log.exception("escalation channel %s failed unexpectedly", channel_name)
                error = f"{type(exc).__name__}: {exc}"[:900]
    number = attempts + 1
    async with sessionmaker() as session:
        values: dict[str, Any] = {"attempts": number, "last_error": error[:1000]}
        if not error:
            values |= {"state": DeliveryState.SENT.value, "sent_at": now, "next_attempt_at": None}
        elif number >= settings.delivery_attempts:
            values |= {"state": DeliveryState.FAILED.value, "next_attempt_at": None}
        else:
            wait = settings.delivery_backoff_s * 2 ** (number - 1)
            values |= {"state": DeliveryState.PENDING.value, "next_attempt_at": now + timedelta(seconds=wait)}
        await session.execute(update(Notification).where(Notification.id == note_id).values(**values))
        session.add(
            NotificationAttempt(
                notification_id=note_id,
                number=number,
                at=now,
                outcome=DeliveryState.SENT.value if not error else DeliveryState.FAILED.value,
                error=error[:1000],
            )
        )
        await session.commit()
    if error:
        log.warning("escalation %s to %s: try %d failed: %s", kind, recipient, number, error)
    return not error


async def scan(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    channels: dict[Channel, OutboundChannel] | None = None,
    *,
    deliver: bool = True,
) -> ScanOutcome:
    """One pass at ``now``: record the notifications (committed first), then (unless ``deliver`` is
    false) deliver what is due."""
    outcome = ScanOutcome()
    async with sessionmaker() as session:
        events = await find_events(session, now, settings)
        outcome.created = await record_notifications(session, events, settings, now)
        await session.commit()
    if deliver:
        outcome.delivered, outcome.failed = await deliver_due(sessionmaker, settings, now, channels)
    return outcome


class EscalationRunner:
    """The scanner in the server's lifespan: a pass at start-up, then every ``interval_s`` seconds."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        grace_s: float = 30,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.interval_s = settings.escalation_interval_s
        self.grace_s = grace_s
        self.passes = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._extra: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="levee-escalation")

    async def run_once(self) -> ScanOutcome | None:
        from shared.clock import utcnow

        try:
            outcome = await scan(self.sessionmaker, self.settings, utcnow())
        except Exception:  # a bad pass must not end the loop; the next one tries again
            log.exception("escalation scan failed")
            return None
        self.passes += 1
        if outcome.created or outcome.delivered or outcome.failed:
            log.info(
                "escalation: %d new, %d sent, %d failed", outcome.created, outcome.delivered, outcome.failed
            )
        return outcome

    def deliver_soon(self) -> None:
        """Deliver what is due in the background (after a scan asked for on a request, which must not
        wait for a slow SMTP server or webhook)."""
        from shared.clock import utcnow

        async def _go() -> None:
            try:
                await deliver_due(self.sessionmaker, self.settings, utcnow())
            except Exception:
                log.exception("escalation delivery failed")

        task = asyncio.get_running_loop().create_task(_go(), name="levee-escalation-delivery")
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)

    async def stop(self) -> None:
        self._stop.set()
        extras = list(self._extra)
        for extra in extras:
            extra.cancel()
        if extras:  # let a cancelled delivery close its session before the engine goes away (a delivery
            # still cancelling when the database was disposed under it never finished: a hung shutdown)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*extras, return_exceptions=True), self.grace_s)
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
