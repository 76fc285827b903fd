"""What happened on each demo job: assignments, the engineer's taps with their device times, checklist
answers, and the job numbers in call order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from server.db.models import ChecklistResult, Job, JobAssignment, JobEvent, User
from server.seed.reference import CHECKLISTS, STEPS
from server.seed.state import BuildState, minutes, ms
from shared.enums import ChecklistItemKind, CheckResult, JobEventType, JobStatus
from shared.ids import uuid7


class Timeline(BuildState):
    """Assignments, tap events, checklist answers and job numbers."""

    def assign(self, job: Job, engineer: User, t0: datetime, at_minutes: float, ci: int) -> None:
        assert self.dispatcher is not None
        at = minutes(t0, at_minutes)
        if self.rng.random() < 0.04:
            # First given to someone else, moved before they acknowledged.
            other = self.rng.choice([e for e in self.engineers if e is not engineer])
            first_at = minutes(t0, at_minutes * 0.4)
            self.assignments.append(
                JobAssignment(
                    id=uuid7(ms(first_at)),
                    job_id=job.id,
                    engineer_id=other.id,
                    assigned_by=self.dispatcher.id,
                    assigned_at=first_at,
                    unassigned_at=at,
                )
            )
        self.assignments.append(
            JobAssignment(
                id=uuid7(ms(at)),
                job_id=job.id,
                engineer_id=engineer.id,
                assigned_by=self.dispatcher.id,
                assigned_at=at,
                unassigned_at=None,
            )
        )

    def tap_events(self, job: Job, engineer: User, times: dict[str, datetime]) -> None:
        rng = self.rng
        synced_late = rng.random() < 0.06  # worked offline (dikes have poor coverage), synced later
        skewed = rng.random() < 0.01  # a tablet whose clock had drifted
        for step in STEPS[:6]:
            device_time = times.get(step)
            if device_time is None:
                continue
            delay = rng.uniform(1, 20)
            if synced_late and step in ("arrived", "started", "resolved", "signed_off"):
                delay = rng.uniform(5 * 60, 3 * 86400)
            received = min(self.now, device_time + timedelta(seconds=delay))
            offset = self.clock_skew[engineer.id] + rng.randint(-200, 200)
            event = JobEvent(
                id=uuid7(ms(device_time)),
                job_id=job.id,
                type=JobEventType(step).value,
                device_time=device_time,
                received_at=received,
                clock_offset_ms=offset,
                user_id=engineer.id,
                flagged=False,
                flag_reason="",
                hlc="",
            )
            if skewed:
                event.clock_offset_ms = offset - 9 * 60_000
                event.flagged, event.flag_reason = True, "设备时钟偏差超过 5 分钟"
                job.times_flagged = True
            self.events.append(event)

    def build_answers(self) -> list[ChecklistResult]:
        """The signature of every signed job, and the answered checklist of every form waiting for QA
        (resolved or signed off), so each can be approved (approval refuses a form that lacks them).

        Drawn from a generator of their own, so the rest of the demo data stays what it was."""
        rng = random.Random(f"answers-{len(self.jobs)}-{self.now.isoformat()}")
        categories = {e.row.id: e.row.category for e in self.equipment}
        checklists = {(cat.value, kind.value): items for cat, kind, _, items in CHECKLISTS}
        out: list[ChecklistResult] = []
        for job in self.jobs:
            if job.signed_off_at is not None:
                points = " L ".join(f"{30 + 40 * i} {rng.randint(20, 90)}" for i in range(1, 6))
                job.signature = f"M 30 {rng.randint(20, 90)} L {points}"
            if job.status not in (JobStatus.RESOLVED.value, JobStatus.SIGNED_OFF.value):
                continue
            category = categories.get(job.equipment_id) if job.equipment_id else None
            items = checklists.get((category or "", job.kind), [])
            at = job.resolved_at or job.updated_at
            for item in items:
                value: float | None = None
                result: str | None = CheckResult.OK.value
                if item.get("kind") == ChecklistItemKind.MEASURE.value:
                    low, high = item.get("min_value"), item.get("max_value")
                    low = low if low is not None else 0.0
                    high = high if high is not None else low * 4 + 10
                    value, result = round(rng.uniform(low, high), 1), None
                out.append(
                    ChecklistResult(
                        id=uuid7(ms(at)),
                        job_id=job.id,
                        item_code=item["code"],
                        result=result,
                        value=value,
                        answered_at=at,
                        version=1,
                        written_by="office",
                    )
                )
        return out

    def number_jobs(self) -> None:
        self.jobs.sort(key=lambda j: j.call_received_at)
        for n, job in enumerate(self.jobs, start=1):
            # Same format as server.jobs.service, so numbers taken later continue this series.
            job.number = f"WO-{job.call_received_at.astimezone(UTC):%Y%m}-{n:05d}"
