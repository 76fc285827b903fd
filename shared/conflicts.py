"""The conflict review queue as the office reads it: each conflict with the names instead of ids, filled
by ``server/replication/queue.py``."""

from __future__ import annotations

from datetime import datetime

from shared.enums import JobStatus
from shared.models import ConflictOut


class ConflictRow(ConflictOut):
    """A conflict with the names the review queue shows: job number, engineer, device, reviewer."""

    job_number: str | None = None
    job_status: JobStatus | None = None
    engineer_name: str | None = None
    device_name: str | None = None
    reviewer_name: str | None = None
    #: who wrote the value the server held when the device's change arrived (the office's side), and when
    server_by_name: str | None = None
    server_at: datetime | None = None
