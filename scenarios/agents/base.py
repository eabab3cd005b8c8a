"""What every agent population member offers the twin's scheduler.

An agent is woken at the times it asks for: ``first_wake(start_ns)`` gives the
first, and each ``wake(now_ns)`` acts and returns the next. Agents draw their
own gaps (exponential, Poisson arrivals) from their own stream, so adding an
agent never changes another agent's draws. Nothing here reads a clock.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Agent(Protocol):
    owner: str

    def first_wake(self, start_ns: int) -> int:
        """Time of the first wake-up, at or after ``start_ns``."""
        ...

    def wake(self, now_ns: int) -> int:
        """Act at ``now_ns``; return the time of the next wake-up (> ``now_ns``)."""
        ...


def next_arrival(rng: np.random.Generator, now_ns: int, mean_gap_ns: float) -> int:
    """``now_ns`` plus an exponential gap of mean ``mean_gap_ns`` (at least 1 ns)."""
    return now_ns + int(rng.exponential(mean_gap_ns)) + 1


def two_sided_top(book) -> tuple[int, int, int, int] | None:
    """``(bid, bid size, ask, ask size)`` if the book has both sides, else None."""
    top = book.top()
    if top[0] and top[2]:
        return top
    return None
