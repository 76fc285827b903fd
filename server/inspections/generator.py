"""Making the inspection jobs that fall due: idempotent, and safe with several servers at once.

Rule: on local date ``today`` (the company's time zone), every active schedule gets one inspection job
for each of its occurrences (``shared.schedules.occurrences``) from ``max(start_on, today -
CATCH_UP_DAYS)`` to ``min(end_on, today + lead_days)`` that has no job yet. Visits that fell due more
than ``CATCH_UP_DAYS`` ago are never made: a schedule that started long ago does not flood the board with
the past, while a server that was down for a few days still catches up.

Each job is made through ``JobService.open`` (job number, SLA fields, assignment, change log, audit:
the same path as a dispatcher's call) inside a savepoint. ``UNIQUE(schedule_id, due_on)`` on jobs is
what keeps it idempotent: a second generator (another process, or the same one run twice) that loses
the race gets an IntegrityError for that one job, rolls back to its savepoint, and counts the job as
existing. A job assigned to the schedule's engineer reaches their tablet through the change log like
any assigned job.

The planned visit's promise is its due date, not minutes after the job was made (a job made a week
ahead by the hourly run at 03:00 must not be "late to respond" by 03:30): ``respond_due_at``,
``onsite_due_at`` and ``fix_due_at`` are all the end of the due date (local midnight), and there is no
backup equipment to lend (``backup_due_at`` is empty).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import InspectionSchedule, Job, ReturnVisit, User
from server.deps import Principal
from server.errors import DomainError
from server.jobs.service import JobService
from shared.clock import utcnow
from shared.customers import ReturnVisitMethod, ReturnVisitStatus
from shared.enums import JobKind, Role, Severity
from shared.i18n import translate
from shared.models import JobCreate
from shared.schedules import (
    CATCH_UP_DAYS,
    Frequency,
    GenerationResult,
    ScheduleKind,
    generation_window,
    occurrences,
)

log = logging.getLogger("levee.inspections")
SYMPTOM_LANG = "zh-CN"


def local_today(tz: tzinfo, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(tz).date()


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant after ``day`` in ``tz`` (local midnight), as an aware time."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def symptom(schedule: InspectionSchedule, due_on: date) -> str:
    t = translate
    text = t(
        SYMPTOM_LANG,
        "inspections.care_symptom"
        if schedule.kind == ScheduleKind.CARE_VISIT.value
        else "inspections.job_symptom",
        frequency=t(SYMPTOM_LANG, f"enum.frequency.{schedule.frequency}"),
        due=due_on.isoformat(),
    )
    return f"{text} {schedule.note}".strip()[:4000]


@dataclass
class _Tally:
    created: list[uuid.UUID] = field(default_factory=list)
    existing: int = 0
    problems: list[str] = field(default_factory=list)


async def _usable_engineer(session: AsyncSession, engineer_id: uuid.UUID | None) -> uuid.UUID | None:
    """The schedule's engineer if they can still take work; otherwise the job waits for a dispatcher."""
    if engineer_id is None:
        return None
    user = await session.get(User, engineer_id)
    if user is None or user.role != Role.ENGINEER.value or not user.active:
        return None
    return engineer_id


async def _exists(session: AsyncSession, schedule_id: uuid.UUID, due_on: date) -> bool:
    found = await session.scalar(select(Job.id).where(Job.schedule_id == schedule_id, Job.due_on == due_on))
    return found is not None


async def _make_job(
    session: AsyncSession,
    schedule: InspectionSchedule,
    due_on: date,
    engineer_id: uuid.UUID | None,
    by: Principal | None,
    tz: tzinfo,
    tally: _Tally,
    now: datetime | None = None,
) -> None:
    care = schedule.kind == ScheduleKind.CARE_VISIT.value
    data = JobCreate(
        kind=JobKind.RETURN_VISIT if care else JobKind.INSPECTION,
        severity=Severity.GENERAL,
        customer_id=schedule.customer_id,
        site_id=schedule.site_id,
        equipment_id=schedule.equipment_id,
        symptom=symptom(schedule, due_on),
        assigned_engineer_id=engineer_id,
    )
    # a return visit promises no response or fix times (shared/sla.py); its return visit has its day
    deadline = None if care else end_of_day(due_on, tz)
    planned: dict[str, Any] = {
        "schedule_id": schedule.id,
        "due_on": due_on,
        "checklist_template_id": schedule.template_id,
        "respond_due_at": deadline,
        "onsite_due_at": deadline,
        "fix_due_at": deadline,
        "backup_due_at": None,
    }
    try:
        async with session.begin_nested():
            job = await JobService(session).open(data, by, now, planned=planned)
    except IntegrityError:
        if not await _exists(session, schedule.id, due_on):
            raise
        tally.existing += 1  # another generator made it first
        return
    if care:  # its report (what the customer said, satisfaction) is a return visit in the customer file
        session.add(
            ReturnVisit(
                id=uuid.uuid4(),
                job_id=job.id,
                customer_id=job.customer_id,
                scheduled_on=due_on,
                method=ReturnVisitMethod.ON_SITE.value,
                status=ReturnVisitStatus.SCHEDULED.value,
            )
        )
        await session.flush()
    tally.created.append(job.id)


async def generate(
    session: AsyncSession,
    *,
    tz: tzinfo,
    today: date | None = None,
    by: Principal | None = None,
    commit: bool = True,
    schedule_ids: list[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> GenerationResult:
    """Make the jobs that fall due (see the module docstring); ``by`` None is the server's own run.

    With ``commit`` the run is one transaction, committed at the end; without it the caller commits
    (the demo seed). One transaction, not one per job: on SQLite a generator committing and at once
    beginning again, job after job, kept a second generator waiting on the write lock until its busy
    timeout ran out (seen under load); a whole run is short (one savepoint per job) and, being
    idempotent, simply runs again if it fails.
    """
    today = today or local_today(tz, now)
    query = select(InspectionSchedule).where(
        InspectionSchedule.active.is_(True),
        or_(
            InspectionSchedule.end_on.is_(None),
            InspectionSchedule.end_on >= today - timedelta(days=CATCH_UP_DAYS),
        ),
    )
    if schedule_ids is not None:
        query = query.where(InspectionSchedule.id.in_(schedule_ids))
    schedules = list(
        (await session.scalars(query.order_by(InspectionSchedule.start_on, InspectionSchedule.id))).all()
    )
    tally = _Tally()
    for schedule in schedules:
        window = generation_window(schedule.start_on, schedule.end_on, schedule.lead_days, today)
        if window is None:
            continue
        due = occurrences(schedule.start_on, Frequency(schedule.frequency), *window, end_on=schedule.end_on)
        if not due:
            continue
        made = set(
            (
                await session.scalars(
                    select(Job.due_on).where(Job.schedule_id == schedule.id, Job.due_on.in_(due))
                )
            ).all()
        )
        tally.existing += len(made)
        todo = [d for d in due if d not in made]
        if not todo:
            continue
        engineer_id = await _usable_engineer(session, schedule.engineer_id)
        for due_on in todo:
            try:
                await _make_job(session, schedule, due_on, engineer_id, by, tz, tally, now)
            except DomainError as exc:  # e.g. the equipment was moved to another site since
                tally.problems.append(f"schedule {schedule.id} due {due_on}: {exc.detail}")
                break
    if commit:
        await session.commit()
    if tally.problems:
        log.warning("inspection generator: %s", "; ".join(tally.problems))
    return GenerationResult(
        today=today,
        schedules=len(schedules),
        created=len(tally.created),
        existing=tally.existing,
        job_ids=tally.created,
        problems=tally.problems,
    )


class ScheduleRunner:
    """The server's own generator: once at start-up, then every ``interval_s`` seconds until stopped.

    Stopping lets a pass in progress finish (so no connection is abandoned mid-query), waiting at most
    ``grace_s`` before cancelling it.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        timezone: str,
        interval_s: float,
        grace_s: float = 30,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.tz = ZoneInfo(timezone)
        self.interval_s = interval_s
        self.grace_s = grace_s
        self.passes = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="levee-inspections")

    async def run_once(self) -> GenerationResult | None:
        try:
            async with self.sessionmaker() as session:
                result = await generate(session, tz=self.tz)
        except Exception:  # a bad pass must not end the loop; the next one tries again
            log.exception("inspection generator failed")
            return None
        self.passes += 1
        if result.created:
            log.info("inspection generator made %d job(s) for %s", result.created, result.today)
        return result

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
