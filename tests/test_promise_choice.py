"""Which promise of a contract a call is measured against (shared/contracts.py: choose_promise): a
table of cases written out by hand, then properties over any set of promises with unique keys."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import PromiseKey, choose_promise, in_force, specificity
from shared.enums import EquipmentCategory, JobKind, Severity
from tests.properties import examples

K = PromiseKey
PUMP, BOAT = EquipmentCategory.DRAINAGE_PUMP.value, EquipmentCategory.ASSAULT_BOAT.value
GEN, MAJ = Severity.GENERAL.value, Severity.MAJOR.value
REPAIR, INSPECT = JobKind.REPAIR.value, JobKind.INSPECTION.value
CONTRACT = {
    K(None, None, None): "any call",
    K(GEN, None, None): "general",
    K(None, PUMP, None): "pumps",
    K(None, None, INSPECT): "inspections",
    K(GEN, PUMP, None): "general pumps",
    K(None, PUMP, INSPECT): "pump inspections",
    K(MAJ, BOAT, REPAIR): "major boat repairs",
}


@pytest.mark.parametrize(
    ("call", "chosen"),
    [
        (K(MAJ, BOAT, REPAIR), "major boat repairs"),  # all three named
        (K(MAJ, BOAT, INSPECT), "inspections"),  # only the kind matches a named key
        (K(GEN, PUMP, REPAIR), "general pumps"),
        (K(GEN, PUMP, INSPECT), "general pumps"),  # two named each: severity outranks the job kind
        (K(MAJ, PUMP, INSPECT), "pump inspections"),
        (K(MAJ, PUMP, REPAIR), "pumps"),
        (K(GEN, None, REPAIR), "general"),  # no equipment: category-open promises only
        (K(GEN, BOAT, REPAIR), "general"),  # severity outranks nothing else named
        (K(MAJ, None, REPAIR), "any call"),
    ],
)
def test_the_most_specific_promise_that_covers_the_call_is_chosen(call: PromiseKey, chosen: str) -> None:
    assert choose_promise(CONTRACT.items(), call) == chosen


def test_a_contract_with_no_promise_for_the_call_gives_none() -> None:
    assert choose_promise([(K(GEN, PUMP, None), "x")], K(MAJ, PUMP, REPAIR)) is None
    assert choose_promise([], K(GEN, None, REPAIR)) is None


def test_a_contract_is_in_force_from_its_first_to_its_last_day() -> None:
    from datetime import date

    assert in_force(date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31))
    assert not in_force(date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1))
    assert not in_force(date(2026, 1, 1), None, date(2025, 12, 31))
    assert in_force(date(2026, 1, 1), None, date(2199, 12, 31))


severities = st.sampled_from([None, GEN, MAJ])
categories = st.sampled_from([None, *(c.value for c in EquipmentCategory)][:4])
kinds = st.sampled_from([None, REPAIR, INSPECT])
keys = st.builds(PromiseKey, severities, categories, kinds)
calls = st.builds(PromiseKey, st.sampled_from([GEN, MAJ]), categories, st.sampled_from([REPAIR, INSPECT]))


def _covers(key: PromiseKey, call: PromiseKey) -> bool:
    return all(
        mine in (None, theirs)
        for mine, theirs in zip(
            (key.severity, key.category, key.job_kind),
            (call.severity, call.category, call.job_kind),
            strict=True,
        )
    )


@pytest.mark.property
@settings(max_examples=examples(300))
@given(st.sets(keys, max_size=12), calls, st.randoms(use_true_random=False))
def test_the_choice_covers_the_call_is_never_beaten_and_ignores_order(
    promise_keys: set[PromiseKey], call: PromiseKey, rnd: object
) -> None:
    promises = [(k, k) for k in promise_keys]
    chosen = choose_promise(promises, call)
    covering = [k for k in promise_keys if _covers(k, call)]
    if not covering:
        assert chosen is None
        return
    assert chosen is not None and _covers(chosen, call)
    assert all(specificity(k) <= specificity(chosen) for k in covering)
    assert sum(specificity(k) == specificity(chosen) for k in covering) == 1  # never a tie
    shuffled = list(promises)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert choose_promise(shuffled, call) == chosen
    assert choose_promise(list(reversed(promises)), call) == chosen


def test_every_named_key_is_more_specific_than_any_key_with_fewer_names() -> None:
    values = (None, "x")
    for a, b in itertools.product(itertools.product(values, repeat=3), repeat=2):
        ka, kb = K(*a), K(*b)
        if sum(v is not None for v in a) > sum(v is not None for v in b):
            assert specificity(ka) > specificity(kb)
