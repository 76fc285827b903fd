"""The outcome rules of a pushed mutation that are not field rules: pure, no I/O.

The server's handlers (``server/replication/handlers/``) decide with these; ``docs/merge-rules.md``
words them. Each takes plain values, so a table of cases can state it without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from shared.enums import ChecklistItemKind, JobStatus
from sync.protocol import Outcome

#: the service form's fields a device may no longer change once QA approved it (issue 13 item 3)
FROZEN_AFTER_QA = frozenset(
    {"symptom", "cause", "fix", "advice", "billable", "billable_reason", "backup_lent", "backup_note"}
)


def qa_approved(status: str) -> bool:
    """Whether the job's form is final: QA approved it (closed), so a device's later form change or
    acceptance is kept in a conflict (``qa_approved``) instead of applied."""
    return status == JobStatus.CLOSED.value


def frozen_fields(status: str, sent: Collection[str]) -> list[str]:
    """The fields of a ``job.edit`` that are not applied because QA approved the form, in sent order."""
    return [name for name in sent if name in FROZEN_AFTER_QA] if qa_approved(status) else []


def signed_twice(standing: str | None, received: str) -> bool:
    """A second, different signature on a signed job: the new one lands, the old is sent for review."""
    return bool(standing) and standing != received


def answer_refusal(item: Mapping[str, Any] | None, value: float | None) -> str:
    """Why a checklist answer cannot be taken (``""`` when it can): a check item takes no number."""
    if item is not None and item.get("kind") == ChecklistItemKind.CHECK.value and value is not None:
        return "invalid_answer"
    return ""


def out_of_range(item: Mapping[str, Any] | None, value: float | None) -> bool:
    """Whether a measured reading falls outside its item's limits (it is kept, and flagged)."""
    if item is None or item.get("kind") != ChecklistItemKind.MEASURE.value or value is None:
        return False
    low, high = item.get("min_value"), item.get("max_value")
    return (low is not None and value < low) or (high is not None and value > high)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A mutation's outcome as the device is told it."""

    outcome: Outcome
    reason: str = ""
    message: str = ""


def edit_verdict(
    before: Verdict,
    *,
    changed: Collection[str],
    owned: Collection[str],
    kept: Collection[str],
    conflicts: int,
    judged: bool,
) -> Verdict:
    """The outcome of a ``job.edit``, in the order it is decided.

    ``before`` is the outcome so far (applied, or a conflict for a reassigned job or a frozen form);
    ``changed`` the fields that landed, ``owned`` the office's fields the device wrote, ``kept`` the
    fields the office decided (billing override), ``conflicts`` how many conflict records the mutation
    made, ``judged`` whether the three-guarantee rule took the billing out.

    1. Only office-owned fields and nothing changed: rejected (``server_owned``).
    2. Every conflict is an office decision that stood: merged (``office_override``).
    3. The billing contradicted the three-guarantee rule: a conflict (``warranty_rule``).
    4. Any other conflict: ``server_owned`` when office fields were among them, else ``both_changed``.
    An outcome already a conflict (reassigned, QA approved) is kept from step 2 on.
    """
    applied = before.outcome is Outcome.APPLIED
    if owned and not changed:
        return Verdict(
            Outcome.REJECTED, "server_owned", "these fields are set by the office: " + ", ".join(owned)
        )
    if kept and len(kept) == conflicts and applied:
        return Verdict(
            Outcome.MERGED,
            "office_override",
            "the office decided billing on this job; its decision was kept: " + ", ".join(kept),
        )
    if judged and applied:
        return Verdict(
            Outcome.CONFLICT,
            "warranty_rule",
            "the billing contradicts the three-guarantee rules and was not applied; it was sent to the "
            "office for review",
        )
    if conflicts and applied:
        if owned:
            return Verdict(
                Outcome.CONFLICT,
                "server_owned",
                "some fields are set by the office and were not changed: " + ", ".join(owned),
            )
        return Verdict(
            Outcome.CONFLICT,
            "both_changed",
            "the office changed the same field since you last synced; your value was kept and theirs "
            "was sent for review",
        )
    return before


def edit_refused_on(*, changed: Collection[str], judged: bool, outcome: Outcome) -> bool:
    """Whether an edit that changed no field still gives the job a new version (see ``refused_on``):
    the device shows its refused value until a pull brings the job back."""
    return not changed and (judged or outcome is Outcome.CONFLICT)


# --- backup equipment (备用设备): the server is the judge of a unit's loans -----------------------


def lend_refusal(
    unit_status: str | None, *, open_loan_job: str | None, last_returned_at: str | None, lent_at: str
) -> str:
    """Why a unit cannot be lent on this job (``""`` when it can); times are wire times (they sort).

    - no such unit: ``unknown_unit``;
    - the unit is on an open loan (another device's lend arrived first, or the office lent it): ``unit_out``.
      The first lend to reach the server holds the unit; the later one is refused, never merged, since a
      unit cannot be at two sites at once. The engineer is told, and the refusal stays in the office's list;
    - the unit is being repaired or retired: ``unit_unavailable``;
    - the device's lending time falls before the unit's last return (the loans would overlap): ``unit_out``.
    """
    if unit_status is None:
        return "unknown_unit"
    if open_loan_job is not None:
        return "unit_out"
    if unit_status in {"repair", "retired"}:
        return "unit_unavailable"
    if last_returned_at is not None and lent_at < last_returned_at:
        return "unit_out"
    return ""


def return_refusal(loan_job: str | None, job_id: str, lent_at: str, returned_at: str) -> str:
    """Why a ``loan.return`` cannot be taken: no such loan on this job (``unknown_loan``), or a return
    before the lending (``invalid_args``). A second return of a returned loan is no refusal: the first
    return stands and the resend changes nothing."""
    if loan_job != job_id:
        return "unknown_loan"
    if returned_at < lent_at:
        return "invalid_args"
    return ""
