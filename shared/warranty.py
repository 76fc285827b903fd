"""Three-guarantee (三包) rules: is a repair free or billable, and why.

A repair is free while the equipment is within its free warranty, unless the damage is man-made, force
majeure, from misuse, or from the customer's modification or disassembly; after the warranty it is
billable. Work that is not a repair (inspection, installation, training, return visit) is part of the
service and free. The app proposes; the engineer confirms (the proposal is never written by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.enums import BillableReason, JobKind


class WarrantyState(StrEnum):
    IN_WARRANTY = "in_warranty"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class CauseCategory(StrEnum):
    """What the engineer found the cause to be, for the billing decision."""

    NORMAL = "normal"  # wear or a quality fault: the warranty decides
    MAN_MADE = "man_made"
    FORCE_MAJEURE = "force_majeure"
    MISUSE = "misuse"
    MODIFICATION = "modification"


#: Causes that make a repair billable even within the warranty.
EXCLUDED_CAUSES: dict[CauseCategory, BillableReason] = {
    CauseCategory.MAN_MADE: BillableReason.MAN_MADE,
    CauseCategory.FORCE_MAJEURE: BillableReason.FORCE_MAJEURE,
    CauseCategory.MISUSE: BillableReason.MISUSE,
    CauseCategory.MODIFICATION: BillableReason.MODIFICATION,
}


@dataclass(frozen=True, slots=True)
class BillingProposal:
    """``billable`` is None when the rules cannot decide (no warranty date): the engineer must choose."""

    billable: bool | None
    reason: BillableReason | None


def add_years(start: date, years: int) -> date:
    """``start`` moved by whole years; 29 February lands on 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        return start.replace(year=start.year + years, day=28)


def warranty_end(delivered_on: date | None, years: int | None) -> date | None:
    """Last day of the free warranty: ``years`` after delivery (the anniversary itself is still covered).

    None when the delivery date or the contract years are not known.
    """
    if delivered_on is None or years is None:
        return None
    if years < 0:
        raise ValueError("warranty years must not be negative")
    return add_years(delivered_on, years)


def warranty_state(warranty_end: date | None, on: date) -> WarrantyState:
    """In warranty through the whole of ``warranty_end``."""
    if warranty_end is None:
        return WarrantyState.UNKNOWN
    return WarrantyState.IN_WARRANTY if on <= warranty_end else WarrantyState.EXPIRED


def propose_billing(
    kind: JobKind, cause: CauseCategory, warranty_end: date | None, fault_on: date
) -> BillingProposal:
    """The proposal for a job of ``kind`` whose fault was reported on ``fault_on``."""
    if kind is not JobKind.REPAIR:
        return BillingProposal(False, BillableReason.NOT_A_REPAIR)
    if cause in EXCLUDED_CAUSES:
        return BillingProposal(True, EXCLUDED_CAUSES[cause])
    state = warranty_state(warranty_end, fault_on)
    if state is WarrantyState.IN_WARRANTY:
        return BillingProposal(False, BillableReason.IN_WARRANTY)
    if state is WarrantyState.EXPIRED:
        return BillingProposal(True, BillableReason.OUT_OF_WARRANTY)
    return BillingProposal(None, None)


def cause_of(reason: BillableReason | str | None) -> CauseCategory:
    """The cause category a recorded billing reason implies (NORMAL for warranty-decided reasons)."""
    for cause, excluded in EXCLUDED_CAUSES.items():
        if reason == excluded.value:
            return cause
    return CauseCategory.NORMAL


#: The billing a recorded reason implies when the rules cannot decide (no warranty date): the engineer
#: chooses free (in warranty) or paid (out of warranty), and the reason must say which.
_IMPLIED_BY_REASON: dict[str, bool] = {
    BillableReason.IN_WARRANTY.value: False,
    BillableReason.OUT_OF_WARRANTY.value: True,
}


def contradiction(
    kind: JobKind,
    billable: bool | None,
    reason: BillableReason | str | None,
    warranty_end: date | None,
    fault_on: date,
) -> BillingProposal | None:
    """What the rules propose, when a recorded ``billable`` / ``reason`` contradicts them; else None.

    The server runs this on every billing a device sends, the same rule the field app proposes with:
    the reason names the cause (man-made, misuse, ...; otherwise the warranty decides), and the billing
    must be what the rules make of that cause, the job's kind and the warranty on the day of the call.
    Free with reason man-made, paid in warranty, "in warranty" on equipment whose warranty has ended,
    "not a repair" on a repair: each contradicts. A field that is not set is not judged; when the rules
    cannot decide (no warranty date) the engineer's choice stands if its reason says the same.
    """
    if billable is None and reason is None:
        return None
    reason_value = reason.value if isinstance(reason, BillableReason) else reason
    proposal = propose_billing(kind, cause_of(reason_value), warranty_end, fault_on)
    if proposal.billable is None:
        if reason_value is None:
            return None
        implied = _IMPLIED_BY_REASON.get(reason_value)
        if implied is not None and (billable is None or billable is implied):
            return None
        return proposal
    if billable is not None and billable is not proposal.billable:
        return proposal
    if reason_value is not None and proposal.reason is not None and reason_value != proposal.reason.value:
        return proposal
    return None
