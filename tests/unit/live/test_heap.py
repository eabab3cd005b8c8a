"""The live collector policy: passes only ever see young objects, young cycles are still freed,
and ``undo`` restores the collector."""

from __future__ import annotations

import gc
import weakref

import pytest

from live.heap import YOUNG_THRESHOLD, settle_heap


@pytest.fixture
def policy():
    heap = settle_heap()
    try:
        yield heap
    finally:
        heap.undo()


class Node:
    def __init__(self) -> None:
        self.other = None


def test_survivors_of_a_pass_are_frozen_and_the_old_generations_stay_empty(policy):
    kept = [[i] for i in range(5_000)]  # long-lived, like a day's orders
    frozen = gc.get_freeze_count()
    gc.collect(0)  # a young pass: its survivors (``kept``) leave the collector's generations
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.get_objects(generation=1) == [] and gc.get_objects(generation=2) == []
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    del kept


def test_a_cycle_dropped_before_the_next_pass_is_still_collected(policy):
    a, b = Node(), Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    del a, b  # a cycle: reference counting alone cannot free it
    assert alive() is not None
    gc.collect(0)
    assert alive() is None


def test_automatic_passes_run_and_freeze_what_survives(policy):
    frozen = gc.get_freeze_count()
    kept = [Node() for _ in range(3 * YOUNG_THRESHOLD)]  # enough tracked allocations for automatic passes
    assert gc.get_freeze_count() > frozen + YOUNG_THRESHOLD
    del kept


def test_undo_restores_the_collector():
    before = gc.get_threshold()
    callbacks = list(gc.callbacks)
    heap = settle_heap(young_threshold=1234)
    assert gc.get_threshold()[0] == 1234 and gc.get_freeze_count() > 0
    heap.undo()
    heap.undo()  # twice is harmless
    assert gc.get_threshold() == before
    assert gc.callbacks == callbacks
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", None])
def test_a_bad_threshold_is_refused_with_its_name(bad):
    with pytest.raises(ValueError, match="young_threshold"):
        settle_heap(young_threshold=bad)
    assert gc.get_freeze_count() == 0
