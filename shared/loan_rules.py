"""The words of a backup unit and a loan, and the rules the office and the tablet share (``shared.loans``
re-exports them beside the API's schemas). A module of its own, without pydantic models, so the field
app imports it without building the API's schemas (docs/performance.md, Round 4).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class UnitStatus(StrEnum):
    """Where a backup unit stands in the pool."""

    AVAILABLE = "available"  # in a store or an engineer's van, free to lend
    LENT = "lent"  # at a customer's site on an open loan
    REPAIR = "repair"  # being repaired itself: cannot be lent
    RETIRED = "retired"  # out of the pool for good


class UnitPlace(StrEnum):
    """Where the unit physically is."""

    STORE = "store"
    ENGINEER = "engineer"
    CUSTOMER_SITE = "customer_site"


class ReturnCondition(StrEnum):
    """The unit's condition when it comes back (归还时状况)."""

    GOOD = "good"
    WORN = "worn"  # works, shows use
    DAMAGED = "damaged"  # needs repair before it is lent again


#: statuses the office may set by hand (``lent`` only comes with a loan)
SETTABLE_STATUSES = frozenset({UnitStatus.AVAILABLE, UnitStatus.REPAIR, UnitStatus.RETIRED})


def out_after_close(job_status: str, returned_at: datetime | None) -> bool:
    """A loan whose unit is still with the customer although the job is closed or cancelled: the
    problem is solved (or dropped), so the unit should have come back. Flagged on the console."""
    return returned_at is None and job_status in {"closed", "cancelled"}


def status_after_return(condition: ReturnCondition) -> UnitStatus:
    """A unit back from a loan is free again, unless it came back damaged (then it goes to repair)."""
    return UnitStatus.REPAIR if condition is ReturnCondition.DAMAGED else UnitStatus.AVAILABLE
