"""What the manager's reports return: response times, SLA compliance, breaches and quality.

Every duration is in minutes, rounded half-up to 0.1 minute, and measured from the call to the device's
tap time recorded on the job (never from when a tap reached the server).

Percentiles (median = p50, p90) use linear interpolation between the closest ranks, the definition of
PostgreSQL's ``percentile_cont``, Excel's ``PERCENTILE.INC`` and numpy's default: with the N durations
sorted ascending as x[0] .. x[N-1], the p-th percentile sits at position h = (N - 1) * p and is
x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). So the median of an even count is the mean
of the two middle values, and p90 of 1, 2, 3, 4, 5 is 4.6.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from shared.enums import EquipmentCategory, JobKind, JobStatus, Severity
from shared.quality import IncidentRow
from shared.sla import Promise

PERCENTILE_METHOD = "linear interpolation between closest ranks (percentile_cont); position h = (N-1)*p"


EXPORT_FORMATS = ("csv", "xlsx")
ExportFormat = Literal["csv", "xlsx"]
#: report name -> what it holds (the names of ``GET /api/exports/{name}.{csv|xlsx}``)
EXPORT_REPORTS: dict[str, str] = {
    "response-times": "minutes to acknowledge, arrive and fix: count, median, p90, max (group_by=)",
    "sla": "compliance per promise, and backup equipment for late fixes",
    "breaches": "every job that broke a promise, with which promises and by how many minutes",
    "quality": "first-time-fix rate, satisfaction, backup equipment lent",
    "feedback": "the monthly quality feedback by equipment model and fault",
    "incidents": "the quality incidents of the period: model, fault, status, owner, jobs, root cause",
}


class ReportGroup(StrEnum):
    """How the response-time report splits its rows."""

    ENGINEER = "engineer"
    CUSTOMER = "customer"
    SEVERITY = "severity"
    MONTH = "month"
    #: the service station covering the job's site (售后服务站); jobs of sites in no station's area: none
    STATION = "station"


class FaultSource(StrEnum):
    """Where a quality-feedback row's fault text comes from: the found cause, else the reported symptom."""

    CAUSE = "cause"
    SYMPTOM = "symptom"


# --- response times ----------------------------------------------------------------------------------


class TimeStats(BaseModel):
    """Count and spread of one duration; the figures are None when count is 0."""

    count: int
    median_min: float | None
    p90_min: float | None
    max_min: float | None


class MeasureStats(TimeStats):
    """A duration over every job that has the stamp, and again without the jobs whose times are flagged."""

    flagged_jobs: int = Field(description="counted jobs whose tap times were flagged as suspicious")
    excluding_flagged: TimeStats


class ResponseTimeRow(BaseModel):
    """One group (or everything, when the report is not grouped)."""

    key: str | None = Field(description="engineer/customer id, severity or YYYY-MM; None when ungrouped")
    label: str | None = Field(description="engineer or customer name; None for 'no engineer' or ungrouped")
    jobs: int = Field(description="jobs matching the filters in this group, stamped or not")
    acknowledge: MeasureStats = Field(description="acknowledged_at - call_received_at")
    arrive: MeasureStats = Field(description="arrived_at - call_received_at")
    fix: MeasureStats = Field(description="resolved_at - call_received_at")


class ResponseTimeReport(BaseModel):
    group_by: ReportGroup | None
    percentile_method: str = PERCENTILE_METHOD
    rows: list[ResponseTimeRow]
    kinds: list[JobKind] = Field(
        default_factory=list,
        description="the job kinds this report counts (the kind filter, else every kind); a promise counts "
        "only the jobs that carry it: training and installation their appointment, a return visit none",
    )


# --- SLA -------------------------------------------------------------------------------------------


class PromiseCompliance(BaseModel):
    """How one promise was kept.

    ``jobs`` = met + done_late + open_breached + open_not_due; breached = done_late + open_breached.
    """

    promise: Promise
    jobs: int = Field(description="jobs with this deadline (a cancelled job counts only if it got the stamp)")
    met: int
    breached: int = Field(description="done after the deadline, or still not done and past it")
    done_late: int
    open_breached: int
    open_not_due: int
    compliance_pct: float | None = Field(description="met / (met + breached), in %, to 0.1; None if no data")


class BackupCompliance(BaseModel):
    """Jobs not fixed by their backup deadline (备用设备), and how many got backup equipment."""

    overdue: int = Field(description="jobs past backup_due_at that were not resolved by then")
    backup_lent: int
    lent_pct: float | None
    lent_in_time: int = Field(
        default=0,
        description="of the overdue jobs, those with a loan recorded by the backup deadline (lent_at)",
    )
    out_after_close: int = Field(
        default=0,
        description="jobs closed or cancelled with a backup unit still not returned (直到问题解决为止: it "
        "should have come back)",
    )


class StationCompliance(BaseModel):
    """One station's compliance per promise (``group_by=station``)."""

    key: str | None = Field(description="the station's id; None for sites in no station's area")
    label: str | None = Field(description="the station's name")
    promises: list[PromiseCompliance]


class SlaReport(BaseModel):
    now: datetime
    promises: list[PromiseCompliance]
    backup: BackupCompliance
    stations: list[StationCompliance] = Field(
        default_factory=list, description="with group_by=station: the same figures per station"
    )
    kinds: list[JobKind] = Field(
        default_factory=list,
        description="the job kinds this report counts (the kind filter, else every kind); a promise counts "
        "only the jobs that carry it: training and installation their appointment, a return visit none",
    )


# --- breaches --------------------------------------------------------------------------------------


class PromiseBreach(BaseModel):
    promise: Promise
    due_at: datetime
    done_at: datetime | None = Field(description="the stamp (resolved_at for backup); None while open")
    minutes_late: float = Field(description="done_at (or now, while open) minus due_at")
    still_open: bool


class BreachRow(BaseModel):
    job_id: uuid.UUID
    number: str
    status: JobStatus
    severity: Severity
    call_received_at: datetime
    customer_name: str
    site_name: str
    engineer_name: str | None
    times_flagged: bool
    backup_lent: bool
    breaches: list[PromiseBreach]


# --- quality ---------------------------------------------------------------------------------------


class FeedbackRow(BaseModel):
    """A line of the monthly quality feedback report (质量信息反馈表)."""

    month: str = Field(description="YYYY-MM of the call, in the server's time zone")
    equipment_model: str | None
    category: EquipmentCategory | None
    fault_source: FaultSource
    fault: str
    jobs: int


class QualityReport(BaseModel):
    repeat_window_days: int
    resolved_repairs: int = Field(description="resolved repair jobs on a known piece of equipment")
    first_time_fixes: int
    first_time_fix_pct: float | None
    satisfaction_avg: float | None = Field(description="mean of 1..5 over signed-off jobs, to 0.01")
    satisfaction_count: int
    backup_lent: int
    feedback: list[FeedbackRow]
    incidents: list[IncidentRow] = Field(
        default_factory=list,
        description="the quality incidents (批量或重大质量问题) live in the period: opened before its end and "
        "not closed before its start; the severity and category filters apply to the incident's own",
    )
    kinds: list[JobKind] = Field(
        default_factory=list,
        description="the job kinds this report counts (the kind filter, else every kind); a promise counts "
        "only the jobs that carry it: training and installation their appointment, a return visit none",
    )
