"""MomentumTrader: follows the trend of the mid price.

Like ABIDES' MomentumAgent: at each wake-up it reads the mid, keeps the last
``long_window`` of them, and once it has that many compares the short and the
long moving average. Short above long (by more than ``threshold_bps``) means
an up-trend: it buys at the ask; below means sells at the bid. Orders are DAY
limits at the touch, so they take what is there and rest the remainder; the
remainder is canceled at its next wake-up.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from components.domain.orders import Side
from venues_sim.book import AddResult
from venues_sim.draws import ScalarDraws

from .base import AgentOrders, two_sided_top
from .intraday import IntradayProfile, ProfiledWaking
from .sizes import OrderSizeModel
from .tape import TapedVenue

_NS_PER_S = 1_000_000_000


class _Window:
    """A fixed-length window of ints with a running sum."""

    __slots__ = ("size", "values", "total")

    def __init__(self, size: int):
        self.size = size
        self.values: deque[int] = deque()
        self.total = 0

    def push(self, value: int) -> None:
        self.values.append(value)
        self.total += value
        if len(self.values) > self.size:
            self.total -= self.values.popleft()

    @property
    def full(self) -> bool:
        return len(self.values) == self.size


class MomentumTrader(ProfiledWaking):
    """One momentum agent on one symbol of one venue front; draws only from ``rng``."""

    def __init__(
        self,
        venue: TapedVenue,
        symbol: str,
        rng: np.random.Generator,
        owner: str,
        sizes: OrderSizeModel,
        *,
        mean_wake_s: float,
        short_window: int = 20,
        long_window: int = 50,
        threshold_bps: float = 0.0,
        profile: IntradayProfile | None = None,
    ):
        if not mean_wake_s > 0:
            raise ValueError(f"mean_wake_s must be > 0, got {mean_wake_s!r}")
        if type(short_window) is not int or type(long_window) is not int or not 1 <= short_window < long_window:
            raise ValueError(f"need 1 <= short_window < long_window, got {short_window!r}, {long_window!r}")
        if not threshold_bps >= 0:
            raise ValueError(f"threshold_bps must be >= 0, got {threshold_bps!r}")
        self.venue = venue
        self.book = venue.book(symbol)
        self.symbol = symbol
        self.owner = owner
        self.sizes = sizes
        self.mean_gap_ns = mean_wake_s * _NS_PER_S
        self.threshold = threshold_bps / 10_000
        self.profile = profile  # wake-ups follow the intraday profile when set
        self._rng = rng
        self._draws = ScalarDraws(rng)  # the same stream's scalar draws, without numpy's per-call cost
        # Mids are kept doubled (bid + ask) so they stay exact ints.
        self._short = _Window(short_window)
        self._long = _Window(long_window)
        self.orders = AgentOrders(venue, owner, symbol)

    def signal(self) -> int:
        """+1 up-trend, -1 down-trend, 0 flat or not enough history."""
        if not self._long.full:
            return 0
        short = self._short.total / self._short.size
        long = self._long.total / self._long.size
        if short > long * (1.0 + self.threshold):
            return 1
        if short < long * (1.0 - self.threshold):
            return -1
        return 0

    def act(self, now_ns: int) -> AddResult | None:
        """Read the mid, update the averages, trade with the trend; the outcome or None."""
        self.orders.cancel_resting()
        top = two_sided_top(self.book)
        if top is None:
            return None
        bid, _, ask, _ = top
        self._short.push(bid + ask)
        self._long.push(bid + ask)
        direction = self.signal()
        if direction == 0:
            return None
        side, price = (Side.BUY, ask) if direction > 0 else (Side.SELL, bid)
        qty = self.sizes.sample(self._rng, self._draws)
        return self.orders.replace(side, qty, price, now_ns)
