"""What the office may still do with a job, by its status: one home for the server's refusals
(server/jobs/service.py) and the console's buttons (console/screens/job.py).

- A closed or cancelled job is final: nothing more.
- A job the customer has signed off is accepted work waiting for QA, who approves it or returns it to
  the engineer; the office cannot hold, cancel or reassign it (the signed form would then describe a
  job that is no longer what was signed). Returned by QA, it is in progress again and all three apply.
- A resolved job (the work done, the signature not yet taken) can be held (the customer is away) or
  reassigned (another engineer collects the signature), but not cancelled: work done is not undone by
  a dispatcher; QA returns it, or approves it.
"""

from __future__ import annotations

from shared.enums import JobStatus

FINAL = frozenset({JobStatus.CLOSED.value, JobStatus.CANCELLED.value})
REVIEWABLE = frozenset({JobStatus.RESOLVED.value, JobStatus.SIGNED_OFF.value})
SIGNED = JobStatus.SIGNED_OFF.value
RESOLVED = JobStatus.RESOLVED.value
ON_HOLD = JobStatus.ON_HOLD.value


def may_assign(status: str) -> bool:
    return status not in FINAL and status != SIGNED


def may_hold(status: str) -> bool:
    return status not in FINAL and status not in (SIGNED, ON_HOLD)


def may_cancel(status: str) -> bool:
    return status not in FINAL and status not in REVIEWABLE
