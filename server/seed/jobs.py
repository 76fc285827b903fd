"""The demo's service jobs: when calls came in (by season and hour), what broke, who went, and how
each promise was kept or broken."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from server.db.models import Job, Site, User
from server.seed.places import Places
from server.seed.policies import Policies
from server.seed.reference import (
    ACCEPTANCE,
    ADVICE_SEASON,
    CALL_HOURS,
    CALL_SEASON,
    CANCEL_REASONS,
    CST,
    EXCLUSIONS,
    FAULTS,
    HISTORY_DAYS,
    HOLD_REASONS,
    INSPECTION_NOTES,
    INSPECTION_SEASON,
    LATE_COMMENTS,
    PRAISE,
    PRIMARY_ENGINEERS,
    REACHED,
    REPAIR_WEIGHT,
    SEASON_ADVICE,
    SEASON_INSPECTION,
    STATUS_PLAN,
    STEPS,
    TRAINING_NOTES,
    Cat,
)
from server.seed.state import Eq, minutes, ms
from server.seed.timeline import Timeline
from shared.enums import BillableReason, JobKind, JobStatus, Severity
from shared.ids import uuid7
from shared.sla import SlaLimits, deadlines_for


class Jobs(Places, Policies, Timeline):
    """The ~400 service jobs of six months, with their timelines; the whole demo builder."""

    def call_time(self, lo_days: float, hi_days: float, season: Sequence[float], planned: bool) -> datetime:
        """A call ``lo_days``..``hi_days`` ago, weighted by season and (local) hour of day."""
        rng = self.rng
        top = max(season)
        while True:
            day = (self.now - timedelta(days=rng.uniform(lo_days, hi_days))).astimezone(CST)
            if rng.random() * top <= season[day.month - 1]:
                break
        if planned:
            minute = rng.randint(8 * 60, 15 * 60)
        else:
            minute = rng.choices(range(24), CALL_HOURS)[0] * 60 + rng.randrange(60)
        local = day.replace(hour=minute // 60, minute=minute % 60, second=rng.randrange(60), microsecond=0)
        t = local.astimezone(UTC)
        return min(t, self.now - timedelta(days=lo_days))

    def oldest_call(self, eq: Eq | None, days: float) -> float:
        """How many days back a call about ``eq`` can be: not before two weeks after its delivery."""
        if eq is None or eq.row.delivered_on is None:
            return days
        in_service = (self.now.astimezone(CST).date() - eq.row.delivered_on).days - 14
        return max(20.0, min(days, in_service))

    def offsets(self, kind: JobKind, sev: Severity, lim: SlaLimits, late: str | None) -> dict[str, float]:
        """Minutes from the call to each step of a full timeline; ``late`` names the promise to break."""
        rng = self.rng
        r, o, f = lim.respond_minutes, lim.onsite_minutes, lim.fix_minutes
        ack = r + rng.uniform(5, 90) if late == "respond" else rng.uniform(1, r * 0.85)
        assigned = rng.uniform(0.2, ack * 0.5)
        depart = ack + rng.uniform(4, 30)
        arrive = depart + rng.uniform(20, 110)
        if late == "onsite":
            arrive = max(arrive, o + rng.uniform(10, 150))
        elif late is None and arrive > o - 3:
            budget = max(6.0, o - 3 - ack)
            depart = ack + budget * rng.uniform(0.1, 0.3)
            arrive = depart + (ack + budget - depart) * rng.uniform(0.6, 1.0)
        start = arrive + rng.uniform(3, 20)
        if kind is JobKind.REPAIR:
            if sev is Severity.MAJOR:
                work = rng.choices((rng.uniform(60, 240), rng.uniform(240, 460)), (0.5, 0.5))[0]
            else:
                work = rng.choices(
                    (rng.uniform(40, 150), rng.uniform(150, 420), rng.uniform(420, 1200)), (0.5, 0.35, 0.15)
                )[0]
        else:
            lo_hi = {
                JobKind.INSPECTION: (30, 150),
                JobKind.INSTALLATION: (120, 360),
                JobKind.TRAINING: (90, 240),
                JobKind.RETURN_VISIT: (20, 60),
            }[kind]
            work = rng.uniform(*lo_hi)
        resolved = start + work
        if late == "fix":
            resolved = max(resolved, f + rng.uniform(30, 1800))
        elif late is None and resolved > f - 5 and f - 5 - start > 10:
            resolved = start + (f - 5 - start) * rng.uniform(0.5, 0.95)
        signed = resolved + rng.uniform(3, 30)
        return {
            "assigned": assigned,
            "acknowledged": ack,
            "departed": depart,
            "arrived": arrive,
            "started": start,
            "resolved": resolved,
            "signed_off": signed,
            "closed": signed + rng.uniform(240, 7200),
        }

    def pick_engineer(self, ci: int) -> User:
        if self.rng.random() < 0.8:
            return self.engineers[self.rng.choice(PRIMARY_ENGINEERS[ci])]
        return self.rng.choice(self.engineers)

    def build_jobs(self) -> None:
        rng = self.rng
        plan = [status for status, n in STATUS_PLAN for _ in range(n)]
        rng.shuffle(plan)
        repair_pool = self.equipment
        repair_weights = [REPAIR_WEIGHT[Cat(e.row.category)] for e in repair_pool]
        recent = [
            e
            for e in self.equipment
            if e.row.delivered_on
            and (self.now.astimezone(CST).date() - e.row.delivered_on).days <= HISTORY_DAYS + 15
        ]
        rng.shuffle(recent)
        installations = min(8, len(recent))
        busy: set[uuid.UUID] = set()  # equipment with an open job: one open job each
        for status in plan:
            open_job = status not in (JobStatus.CLOSED, JobStatus.SIGNED_OFF, JobStatus.CANCELLED)
            if open_job:
                kind = JobKind.REPAIR if rng.random() < 0.8 else JobKind.INSPECTION
            elif status is JobStatus.CLOSED and installations:
                kind = JobKind.INSTALLATION
                installations -= 1
            else:
                kind = rng.choices(
                    (JobKind.REPAIR, JobKind.INSPECTION, JobKind.TRAINING, JobKind.RETURN_VISIT),
                    (0.6, 0.35, 0.025, 0.025),
                )[0]
            eq: Eq | None = None
            if kind is JobKind.INSTALLATION:
                eq = recent.pop()
            elif kind in (JobKind.REPAIR, JobKind.INSPECTION):
                for _ in range(50):
                    if kind is JobKind.REPAIR:
                        eq = rng.choices(repair_pool, repair_weights)[0]
                    else:
                        eq = rng.choice(self.equipment)
                    if not open_job or eq.row.id not in busy:
                        break
                if open_job and eq is not None:
                    busy.add(eq.row.id)
            elif kind is JobKind.TRAINING:
                eq = rng.choice(self.equipment)
            if eq is not None:
                ci, site = eq.customer_index, eq.site
            else:
                ci, _, site = rng.choice(self.sites)
            self.build_job(status, kind, ci, site, eq)

    def build_job(self, status: JobStatus, kind: JobKind, ci: int, site: Site, eq: Eq | None) -> None:
        rng = self.rng
        customer = self.customers[ci]
        sev = Severity.MAJOR if kind is JobKind.REPAIR and rng.random() < 0.33 else Severity.GENERAL
        lim = self.limits(ci, sev)
        late: str | None = None
        if rng.random() < 0.11:
            late = rng.choices(("respond", "onsite", "fix"), (0.3, 0.45, 0.25))[0]
            if late == "fix" and kind is not JobKind.REPAIR:
                late = "onsite"
        off = self.offsets(kind, sev, lim, late)
        reached = REACHED[status]
        planned = kind is not JobKind.REPAIR

        # When the call came in.
        if status is JobStatus.CLOSED:
            if kind is JobKind.INSTALLATION and eq is not None and eq.row.delivered_on is not None:
                day = eq.row.delivered_on + timedelta(days=rng.randint(2, 12))
                local = datetime(
                    day.year,
                    day.month,
                    day.day,
                    rng.randint(8, 10),
                    rng.randrange(60),
                    rng.randrange(60),
                    tzinfo=CST,
                )
                earliest = self.now - timedelta(days=HISTORY_DAYS - rng.uniform(0, 2))
                t0 = max(local.astimezone(UTC), earliest.replace(microsecond=0))
            else:
                season = INSPECTION_SEASON if kind is JobKind.INSPECTION else CALL_SEASON
                t0 = self.call_time(9, self.oldest_call(eq, HISTORY_DAYS), season, planned)
        elif status is JobStatus.SIGNED_OFF:
            t0 = self.call_time(1, 20, CALL_SEASON, planned)
        elif status is JobStatus.CANCELLED:
            t0 = self.call_time(10, self.oldest_call(eq, HISTORY_DAYS - 5), CALL_SEASON, planned)
        else:
            # Open work: the last tap (or the call) was a little while ago.
            gap_minutes = {
                JobStatus.NEW: (2, 75),
                JobStatus.ASSIGNED: (2, 50),
                JobStatus.ACKNOWLEDGED: (5, 240),
                JobStatus.DEPARTED: (5, 60),
                JobStatus.ARRIVED: (5, 90),
                JobStatus.STARTED: (10, 1800),
                JobStatus.ON_HOLD: (2 * 1440, 9 * 1440),
                JobStatus.RESOLVED: (60, 2880),
            }[status]
            last = (
                off["assigned"]
                if status is JobStatus.ASSIGNED
                else (off[STEPS[reached - 1]] if reached else 0.0)
            )
            t0 = minutes(self.now, -(last + rng.uniform(*gap_minutes))).replace(microsecond=0)
        if status is JobStatus.SIGNED_OFF and minutes(t0, off["signed_off"]) > self.now:
            t0 = minutes(self.now, -(off["signed_off"] + rng.uniform(30, 600))).replace(microsecond=0)

        times = {step: minutes(t0, off[step]) for step in STEPS[:reached]}
        if times.get("closed", t0) > self.now:  # QA has not got to it yet
            del times["closed"]
            status = JobStatus.SIGNED_OFF
        # Each kind its own promise (shared/sla.py): training and installation are booked for a day
        # after the call (the engineer's arrival, when there is one), a return visit promises nothing.
        scheduled = (
            times.get("arrived", minutes(t0, 1440))
            if kind in (JobKind.TRAINING, JobKind.INSTALLATION)
            else None
        )
        due = deadlines_for(kind, t0, lim, scheduled)

        engineer = None if status is JobStatus.NEW else self.pick_engineer(ci)
        if status is JobStatus.CANCELLED and rng.random() < 0.5:
            engineer, times = None, {}
        caller_name, caller_phone = rng.choice(
            (
                (site.contact_name, site.contact_phone),
                (site.contact_name, site.contact_phone),
                (customer.contact_name, customer.contact_phone),
                (self.person(), self.mobile()),
            )
        )
        job = Job(
            id=uuid7(ms(t0)),
            number="",
            kind=kind.value,
            severity=sev.value,
            status=status.value,
            customer_id=customer.id,
            site_id=site.id,
            equipment_id=eq.row.id if eq else None,
            assigned_engineer_id=engineer.id if engineer else None,
            caller_name=caller_name,
            caller_phone=caller_phone,
            call_received_at=t0,
            respond_due_at=due.respond_due_at,
            onsite_due_at=due.onsite_due_at,
            fix_due_at=due.fix_due_at,
            backup_due_at=due.backup_due_at,
            scheduled_at=scheduled,
            version=1,
            field_versions={},
            created_at=t0,
            updated_at=max(times.values(), default=t0),
            times_flagged=False,
            backup_lent=False,
            **{f"{step}_at": t for step, t in times.items()},
        )
        self.describe(job, kind, status, eq, t0, off, lim, late, times)
        self.jobs.append(job)
        if engineer is not None:
            self.assign(job, engineer, t0, off["assigned"], ci)
            self.tap_events(job, engineer, times)

    def describe(
        self,
        job: Job,
        kind: JobKind,
        status: JobStatus,
        eq: Eq | None,
        t0: datetime,
        off: dict[str, float],
        lim: SlaLimits,
        late: str | None,
        times: dict[str, datetime],
    ) -> None:
        """Fill in what the form says: symptom, cause, fix, billing, backup, acceptance."""
        rng = self.rng
        cat = Cat(eq.row.category) if eq else None
        resolved = "resolved" in times
        if kind is JobKind.REPAIR and eq is not None and cat is not None:
            faults = [f for f in FAULTS[cat] if f.only_model in eq.row.model]
            fault = rng.choice(faults)
            job.symptom = fault.symptom
            if resolved:
                in_warranty = (
                    eq.row.warranty_end is not None and t0.astimezone(CST).date() <= eq.row.warranty_end
                )
                job.cause, job.fix = fault.cause, fault.fix
                if in_warranty and rng.random() < 0.12:
                    reason, why = rng.choice(EXCLUSIONS)
                    job.cause = why + fault.cause
                    job.fix = fault.fix + "。属三包除外情形，按收费维修处理，已向用户说明"
                    job.billable, job.billable_reason = True, reason.value
                elif in_warranty:
                    job.billable, job.billable_reason = False, BillableReason.IN_WARRANTY.value
                else:
                    job.billable, job.billable_reason = True, BillableReason.OUT_OF_WARRANTY.value
            # Backup equipment: promised when a fix takes longer than the backup limit.
            fix_minutes = off["resolved"] if resolved else (self.now - t0).total_seconds() / 60
            if "arrived" in times and fix_minutes > lim.backup_minutes and rng.random() < 0.85:
                job.backup_lent = True
                job.backup_note = f"修复期间借用备用{eq.row.model}一台，修复后收回"
        else:
            if kind is JobKind.INSPECTION:
                month = t0.astimezone(CST).month
                job.notes = (
                    SEASON_INSPECTION[month - 1] if rng.random() < 0.5 else rng.choice(INSPECTION_NOTES)
                )
                if resolved:
                    job.fix = rng.choice(
                        (
                            "按巡检表完成各项检查，设备状态良好",
                            "按巡检表完成检查，清洁保养一次，各项指标正常",
                            "完成巡检，发现空气滤清器积尘已清理，其余正常",
                        )
                    )
                    job.advice = SEASON_ADVICE[ADVICE_SEASON[month - 1]]
            elif kind is JobKind.INSTALLATION:
                job.notes = "新到货设备现场安装调试及交付验收"
                if resolved:
                    job.fix = "完成安装调试，试运行正常，已向用户交付操作手册"
            elif kind is JobKind.TRAINING:
                job.notes = f"{TRAINING_NOTES[cat or Cat.DRAINAGE_PUMP]}，参训 {rng.randint(8, 30)} 人"
                if resolved:
                    job.fix = "完成理论讲解和实操演示，参训人员已签到"
            else:
                job.notes = "上门回访，了解设备使用情况和服务满意度"
                if resolved:
                    job.fix = "已完成回访，用户反馈设备运行正常"
            if resolved:
                job.billable, job.billable_reason = False, BillableReason.NOT_A_REPAIR.value
        if "signed_off" in times:
            job.acceptance_opinion = rng.choice(ACCEPTANCE[kind])
            sat_weights = (0.2, 0.45, 0.35) if late else (0.06, 0.3, 0.64)
            job.satisfaction = rng.choices((3, 4, 5), sat_weights)[0]
            if rng.random() < 0.3:
                job.acceptance_comment = rng.choice(LATE_COMMENTS if late else PRAISE)
        if status is JobStatus.ON_HOLD:
            job.office_reason = rng.choice(HOLD_REASONS)
            if kind is JobKind.REPAIR and not job.backup_lent and eq is not None:
                job.backup_lent = True
                job.backup_note = f"已借用备用{eq.row.model}一台"
        elif status is JobStatus.CANCELLED:
            job.office_reason = rng.choice(CANCEL_REASONS)
