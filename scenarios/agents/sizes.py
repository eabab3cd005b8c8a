"""Order sizes for simulated participants: mostly round lots, a log-normal tail of odd lots.

The mixture has the shape of ABIDES' ``OrderSizeModel`` (fitted to US equity
order sizes): 20% of orders are log-normal odd-ish sizes (median about 18
shares), 70% exactly 100 shares, and the rest larger round lots, 200 being the
commonest. Sizes are ints; the caller's stream supplies every draw.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

import numpy as np

from venues_sim.draws import ScalarDraws

_LOGNORMAL_SHARE = 0.2
_LOGNORMAL_MU = 2.9
_LOGNORMAL_SIGMA = 1.2
_ROUND_LOTS = (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)
_ROUND_LOT_WEIGHTS = (0.7, 0.06, 0.004, 0.0329, 0.001, 0.0006, 0.0004, 0.0005, 0.0003, 0.0003)


class OrderSizeModel:
    """Draws order sizes; ``scale`` multiplies every size (1.0 = the mixture as is)."""

    def __init__(self, scale: float = 1.0):
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.scale = scale
        # Cumulative thresholds over u in [0, 1): the log-normal share first,
        # then one per round lot.
        self._cuts = list(accumulate(_ROUND_LOT_WEIGHTS, initial=_LOGNORMAL_SHARE))

    def sample(self, rng: np.random.Generator, draws: ScalarDraws | None = None) -> int:
        """One size, at least 1 share. ``draws``: ``rng``'s ``ScalarDraws``, if the caller keeps one (the
        same draw, cheaper)."""
        u = rng.random() if draws is None else draws.random()
        if u < _LOGNORMAL_SHARE:
            size = rng.lognormal(_LOGNORMAL_MU, _LOGNORMAL_SIGMA)
        else:
            i = min(bisect_right(self._cuts, u) - 1, len(_ROUND_LOTS) - 1)
            size = _ROUND_LOTS[i]
        return max(1, int(round(size * self.scale)))
