"""The garbage collector's pace in the API server (server/collector.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.collector import YOUNG_THRESHOLD, tune_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector_restored")
def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    gc.unfreeze()
    middle, old = gc.get_threshold()[1:]
    kept = [[] for _ in range(10)]  # containers alive at start-up, like the app's tables
    tune_collector()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    assert gc.get_freeze_count() >= len(kept)
    assert YOUNG_THRESHOLD > 700  # CPython's default, which cost a third of a first download's build


@pytest.mark.usefixtures("collector_restored")
def test_cycles_made_after_start_up_are_still_collected_on_their_own() -> None:
    tune_collector()

    class Node:
        other: Node

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    assert gone() is not None  # a cycle: reference counting alone keeps it
    kept = [[] for _ in range(2 * YOUNG_THRESHOLD)]  # net allocations (frees count back down)
    assert gone() is None, len(kept)
