"""The live process's garbage-collector policy, applied once the stack is up (``settle_heap``).

A live process keeps every order of the day, its events and views, the sanctions index and the
venues' books: a heap that only grows, and almost none of it is ever garbage. CPython's default
collector (thresholds 700, 10, 10) still rescans it: its full passes walk the whole heap, and they
come each time the heap has grown by a quarter. Measured with
``loadtests/benchmarks/bench_hot_path.py --gc both`` (60,000 orders in one process): nine full
passes, 7.8 s in all, the longest 1.9 s, each landing on whichever request was running.

The policy: collect what start-up left behind and freeze the rest (it lives as long as the
process); then, after every pass, freeze what survived it. A pass therefore only ever looks at
the objects made since the previous one (at most ``YOUNG_THRESHOLD`` more than were freed), so
pauses stay small and do not grow with the day; the older generations stay empty. The cost:
cyclic garbage whose objects had already survived one pass is never reclaimed (garbage without
cycles is freed by reference counting as always). Over the same 60,000 orders the peak memory
was the same (349 against 350 MiB). docs/observability.md ("Hot path") has the figures.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

YOUNG_THRESHOLD = 10_000
"""Allocations (less deallocations) of tracked objects between passes: a pass takes a few ms."""


@dataclass
class HeapPolicy:
    """The policy in force; ``undo`` puts the collector back as it was (tests and benchmarks)."""

    previous_thresholds: tuple[int, int, int]
    _active: bool = True

    def _freeze_survivors(self, phase: str, _info: dict) -> None:
        if phase == "stop":
            gc.freeze()  # what survived this pass is long-lived here: never scan it again

    def undo(self) -> None:
        if self._active:
            self._active = False
            gc.callbacks.remove(self._freeze_survivors)
            gc.unfreeze()
            gc.set_threshold(*self.previous_thresholds)


def settle_heap(young_threshold: int = YOUNG_THRESHOLD) -> HeapPolicy:
    """Collect start-up garbage, freeze what is left, then freeze the survivors of every pass."""
    if type(young_threshold) is not int or young_threshold < 1:
        raise ValueError(f"young_threshold must be a positive int, got {young_threshold!r}")
    policy = HeapPolicy(gc.get_threshold())
    gc.collect()
    gc.freeze()
    gc.set_threshold(young_threshold, *policy.previous_thresholds[1:])
    gc.callbacks.append(policy._freeze_survivors)
    return policy
