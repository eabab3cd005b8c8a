"""An intraday activity profile: more arrivals (and variance) at the open and close than at midday.

Real equity days are U-shaped: the first and last half hours carry two to
three times the volume of a midday half hour (Jain & Joh 1988; Admati &
Pfleiderer 1988), and volatility follows activity (Wood, McInish & Ord 1985;
Clark 1973's subordination: return variance grows with the number of trades).
``IntradayProfile`` is that shape as piecewise-constant relative weights over
equal slices of the session, normalised so they average 1: a day with the
profile has the same expected number of arrivals as a flat day, only moved
toward the open and the close. Outside the session the weight is 1.

Arrivals use a time change (the classic way to draw an inhomogeneous Poisson
process): an agent draws the same single exponential gap as a flat agent, in
"activity time", and ``next_arrival`` maps it to clock time through the
cumulative weight. So a profile never changes how many numbers an agent draws,
only when it wakes. Multiply, add and divide only (no libm), like the rest of
the agents' arithmetic, so the times are the same on every platform.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Sequence

import numpy as np

from .base import PoissonWaking, next_arrival


class IntradayProfile:
    """Relative activity ``weights`` (any positive numbers, one per equal slice) over ``[open_ns, close_ns)``."""

    def __init__(self, weights: Sequence[float], open_ns: int, close_ns: int):
        if not weights:
            raise ValueError("weights must not be empty")
        if any(not w > 0 for w in weights):
            raise ValueError(f"weights must all be > 0, got {list(weights)!r}")
        if close_ns <= open_ns:
            raise ValueError(f"close_ns {close_ns} must be after open_ns {open_ns}")
        mean = sum(weights) / len(weights)
        self.weights = [w / mean for w in weights]
        """The weights, normalised to average 1 over the session."""
        self.open_ns, self.close_ns = open_ns, close_ns
        n = len(weights)
        # slice i covers [edges[i], edges[i+1]); the last edge is the close exactly
        self.edges = [open_ns + (close_ns - open_ns) * i // n for i in range(n + 1)]

    def slice_at(self, now_ns: int) -> int | None:
        """Index of the slice ``now_ns`` falls in; None outside the session."""
        if now_ns < self.open_ns or now_ns >= self.close_ns:
            return None
        return bisect_right(self.edges, now_ns) - 1

    def weight_at(self, now_ns: int) -> float:
        """Relative activity at ``now_ns`` (1 outside the session)."""
        i = self.slice_at(now_ns)
        return 1.0 if i is None else self.weights[i]

    def advance(self, now_ns: int, activity_ns: float) -> int:
        """The clock time by which ``activity_ns`` of activity time has passed from ``now_ns``."""
        t = now_ns
        left = activity_ns
        edges, weights = self.edges, self.weights
        while True:
            if t < self.open_ns:
                end, w = self.open_ns, 1.0
            elif t >= self.close_ns:
                return t + int(left)
            else:
                i = bisect_right(edges, t) - 1
                end, w = edges[i + 1], weights[i]
            room = (end - t) * w  # activity time left in this stretch
            if left < room:
                return t + int(left / w)
            left -= room
            t = end

    def next_arrival(self, rng: np.random.Generator, now_ns: int, mean_gap_ns: float) -> int:
        """Like ``base.next_arrival`` (one exponential draw, at least 1 ns later) with the gap in activity time."""
        return self.advance(now_ns, float(rng.exponential(mean_gap_ns))) + 1


class ProfiledWaking(PoissonWaking):
    """``PoissonWaking`` whose gaps follow ``profile`` when it is set (flat, as before, when None)."""

    profile: IntradayProfile | None = None

    def first_wake(self, start_ns: int) -> int:
        if self.profile is None:
            return super().first_wake(start_ns)
        return self.profile.next_arrival(self._rng, start_ns, self.mean_gap_ns)

    def wake(self, now_ns: int) -> int:
        self.act(now_ns)
        profile = self.profile
        if profile is None:  # ``PoissonWaking.wake``'s draw, without a super() call per wake-up
            return next_arrival(self._rng, now_ns, self.mean_gap_ns)
        return profile.next_arrival(self._rng, now_ns, self.mean_gap_ns)
