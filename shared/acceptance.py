"""What a service form must hold before QA may approve it (质管审核): the rule the server enforces.

Every required item of the job's checklist must be answered, and every job kind the customer accepts
on site needs the customer's signature and satisfaction rating. A return visit (回访) is the customer's
feedback itself: nobody signs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.enums import ChecklistItemKind, JobKind

#: The job kinds whose form the customer signs on site (repair, inspection, installation, training).
ACCEPTANCE_KINDS: frozenset[JobKind] = frozenset(JobKind) - {JobKind.RETURN_VISIT}

SIGNATURE = "signature"
#: The longest signature (SVG path data) a form may hold: the wire protocol's limit and the pad's.
MAX_SIGNATURE_CHARS = 400_000
SATISFACTION = "satisfaction"


@dataclass(frozen=True, slots=True)
class RequiredItem:
    """One checklist item of the form as far as approval cares: is it required, is it answered."""

    code: str
    label: str
    kind: str
    required: bool
    result: str | None
    value: float | None


def answered(item: RequiredItem) -> bool:
    """A check has a result (ok / fault / n.a.); a measurement has a reading, or is marked n.a."""
    if item.kind == ChecklistItemKind.MEASURE.value:
        return item.value is not None or item.result is not None
    return item.result is not None


def missing_for_approval(
    kind: JobKind, *, signature: str, satisfaction: int | None, checklist: Iterable[RequiredItem]
) -> list[str]:
    """What the form still lacks, in the order a reviewer reads it: ``checklist:<code>`` for each
    unanswered required item, then ``signature`` and ``satisfaction``. Empty when it may be approved."""
    out = [f"checklist:{item.code}" for item in checklist if item.required and not answered(item)]
    if kind not in ACCEPTANCE_KINDS:
        return out
    if not signature.strip():
        out.append(SIGNATURE)
    if satisfaction is None:
        out.append(SATISFACTION)
    return out
