"""The filters every report takes, and how they narrow a query on ``jobs``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from server.db.models import Equipment, Job
from server.errors import DomainError
from server.stations.service import job_station
from shared.enums import EquipmentCategory, JobKind, Severity


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """Which jobs a report covers. ``received_*`` bound ``call_received_at`` to [from, to)."""

    received_from: datetime | None = None
    received_to: datetime | None = None
    customer_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = None
    engineer_id: uuid.UUID | None = None
    severity: Severity | None = None
    category: EquipmentCategory | None = None
    kind: JobKind | None = None
    station_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        for name in ("received_from", "received_to"):
            stamp = getattr(self, name)
            if stamp is not None and stamp.tzinfo is None:
                raise DomainError(
                    f"{name} needs a time zone, e.g. 2026-06-01T00:00:00+08:00",
                    field=name,
                    code="time.needs_zone",
                    params={"field": name},
                )
        if (
            self.received_from is not None
            and self.received_to is not None
            and self.received_to <= self.received_from
        ):
            raise DomainError(
                "received_to must be after received_from",
                field="received_to",
                code="time.range_reversed",
                params={"start": "received_from", "end": "received_to"},
            )

    @property
    def kinds(self) -> list[JobKind]:
        """The job kinds a report under these filters counts (reports say so)."""
        return [self.kind] if self.kind is not None else list(JobKind)

    def conditions(self, job: Any = Job) -> list[ColumnElement[bool]]:
        """WHERE conditions on ``job`` (the ``Job`` entity or an alias of it)."""
        out: list[ColumnElement[bool]] = []
        if self.received_from is not None:
            out.append(job.call_received_at >= self.received_from)
        if self.received_to is not None:
            out.append(job.call_received_at < self.received_to)
        if self.customer_id is not None:
            out.append(job.customer_id == self.customer_id)
        if self.site_id is not None:
            out.append(job.site_id == self.site_id)
        if self.engineer_id is not None:
            out.append(job.assigned_engineer_id == self.engineer_id)
        if self.severity is not None:
            out.append(job.severity == self.severity.value)
        if self.kind is not None:
            out.append(job.kind == self.kind.value)
        if self.station_id is not None:  # the station covering the job's site (its region's)
            out.append(job_station(job) == self.station_id)
        if self.category is not None:
            # a semi-join on equipment: jobs without equipment have no category and drop out
            out.append(
                job.equipment_id.in_(select(Equipment.id).where(Equipment.category == self.category.value))
            )
        return out
