"""The outcome rules of ``sync/rules.py`` as tables: pure, no server, no database.

``tests/sync/test_push_table.py`` runs the same rules through the server on both databases; these
rows pin each rule alone, including orders of precedence a push seldom reaches.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.enums import JobStatus
from sync.protocol import JobEditFields, Outcome
from sync.rules import (
    FROZEN_AFTER_QA,
    Verdict,
    answer_refusal,
    edit_refused_on,
    edit_verdict,
    frozen_fields,
    out_of_range,
    qa_approved,
    signed_twice,
)

APPLIED = Verdict(Outcome.APPLIED)
REASSIGNED = Verdict(Outcome.CONFLICT, "reassigned", "the job was reassigned")
FROZEN = Verdict(Outcome.CONFLICT, "qa_approved", "QA has approved")

# before, changed, owned, kept, conflicts, judged -> outcome, reason
EDIT_ORDER: list[tuple[Verdict, list[str], list[str], list[str], int, bool, Outcome, str]] = [
    (APPLIED, ["fix"], [], [], 0, False, Outcome.APPLIED, ""),
    (APPLIED, [], [], [], 0, False, Outcome.APPLIED, ""),  # the same value again
    (APPLIED, ["fix"], [], [], 1, False, Outcome.CONFLICT, "both_changed"),
    (APPLIED, [], ["severity"], [], 1, False, Outcome.REJECTED, "server_owned"),
    (APPLIED, ["notes"], ["severity"], [], 1, False, Outcome.CONFLICT, "server_owned"),
    # only office-owned fields and nothing changed: rejected, even on a conflict already
    (REASSIGNED, [], ["severity"], [], 2, False, Outcome.REJECTED, "server_owned"),
    (FROZEN, [], ["severity"], [], 2, False, Outcome.REJECTED, "server_owned"),
    (APPLIED, [], [], ["billable"], 1, False, Outcome.MERGED, "office_override"),
    # an office decision beside another conflict is not a merge
    (APPLIED, ["fix"], [], ["billable"], 2, False, Outcome.CONFLICT, "both_changed"),
    (APPLIED, [], [], [], 1, True, Outcome.CONFLICT, "warranty_rule"),
    # the warranty rule is named before a lost field
    (APPLIED, ["fix"], [], [], 2, True, Outcome.CONFLICT, "warranty_rule"),
    # a conflict already decided (reassigned, QA approved) keeps its reason
    (REASSIGNED, ["fix"], [], [], 2, False, Outcome.CONFLICT, "reassigned"),
    (REASSIGNED, [], [], ["billable"], 2, False, Outcome.CONFLICT, "reassigned"),
    (FROZEN, ["notes"], [], [], 1, True, Outcome.CONFLICT, "qa_approved"),
]


@pytest.mark.parametrize(
    ("before", "changed", "owned", "kept", "conflicts", "judged", "outcome", "reason"), EDIT_ORDER
)
def test_the_order_in_which_an_edit_decides(
    before: Verdict,
    changed: list[str],
    owned: list[str],
    kept: list[str],
    conflicts: int,
    judged: bool,
    outcome: Outcome,
    reason: str,
) -> None:
    verdict = edit_verdict(
        before, changed=changed, owned=owned, kept=kept, conflicts=conflicts, judged=judged
    )
    assert (verdict.outcome, verdict.reason) == (outcome, reason)
    assert bool(verdict.message) == (outcome is not Outcome.APPLIED)
    for name in [*owned, *kept]:
        if reason in ("server_owned", "office_override"):
            assert name in verdict.message


@pytest.mark.parametrize(
    ("changed", "judged", "outcome", "refused_on"),
    [
        (["fix"], False, Outcome.APPLIED, False),  # the change itself gives the job its new version
        (["fix"], True, Outcome.CONFLICT, False),
        ([], False, Outcome.APPLIED, False),  # nothing happened: no new version
        ([], True, Outcome.APPLIED, True),  # the billing was taken out
        ([], False, Outcome.CONFLICT, True),  # reassigned or frozen, nothing landed
    ],
)
def test_an_edit_that_landed_nothing_still_brings_the_job_back(
    changed: list[str], judged: bool, outcome: Outcome, refused_on: bool
) -> None:
    assert edit_refused_on(changed=changed, judged=judged, outcome=outcome) is refused_on


@pytest.mark.parametrize(
    ("standing", "received", "twice"),
    [
        (None, "M 1 1", False),
        ("", "M 1 1", False),
        ("M 1 1", "M 1 1", False),  # the same drawing sent again
        ("M 1 1", "M 2 2", True),
    ],
)
def test_signed_twice(standing: str | None, received: str, twice: bool) -> None:
    assert signed_twice(standing, received) is twice


MEASURE = {"code": "insulation", "kind": "measure", "min_value": 0.5, "max_value": 10.0}
CHECK = {"code": "seal", "kind": "check"}


@pytest.mark.parametrize(
    ("item", "value", "flagged", "refusal"),
    [
        (MEASURE, 2.0, False, ""),
        (MEASURE, 0.5, False, ""),  # the limits themselves are in range
        (MEASURE, 10.0, False, ""),
        (MEASURE, 0.49, True, ""),
        (MEASURE, 10.01, True, ""),
        (MEASURE, None, False, ""),  # ok / fault / n.a. on a measure item
        ({**MEASURE, "min_value": None}, -5.0, False, ""),  # no lower limit
        ({**MEASURE, "max_value": None}, 1e9, False, ""),
        (CHECK, None, False, ""),
        (CHECK, 3.0, False, "invalid_answer"),
        (None, 3.0, False, ""),  # no template to judge by: taken as sent
    ],
)
def test_a_reading_against_its_item(
    item: dict[str, Any] | None, value: float | None, flagged: bool, refusal: str
) -> None:
    assert out_of_range(item, value) is flagged
    assert answer_refusal(item, value) == refusal


@pytest.mark.parametrize("status", list(JobStatus))
def test_only_a_closed_form_is_frozen(status: JobStatus) -> None:
    every = list(JobEditFields.model_fields)
    frozen = frozen_fields(status.value, every)
    assert qa_approved(status.value) is (status is JobStatus.CLOSED)
    assert frozen == ([n for n in every if n in FROZEN_AFTER_QA] if status is JobStatus.CLOSED else [])


def test_the_engineers_notes_are_never_frozen() -> None:
    assert "notes" not in FROZEN_AFTER_QA
    assert set(JobEditFields.model_fields) >= FROZEN_AFTER_QA
