"""Noise agents: ``venues_sim.liquidity.NoiseTrader`` on a Poisson clock, priced off the book.

The NoiseTrader decides what to send (side, size, market or limit, a limit a
few ticks either side of its reference price); this module gives it the two
things an agent population needs. ``BookMid`` is its reference price: the
current mid of the book (the last one seen when a side is empty), so noise is
uninformed, as ABIDES' noise agents trading at the touch are, instead of
pricing off the fundamental. ``NoiseAgent`` wakes it at exponential gaps
drawn from the same stream it trades with.
"""

from __future__ import annotations

import numpy as np

from venues_sim.book import OrderBook
from venues_sim.liquidity import NoiseTrader

from .intraday import IntradayProfile, ProfiledWaking

_NS_PER_S = 1_000_000_000


class BookMid:
    """Stands in for ``FairValue``: ``at(now)`` is the book's mid rounded down to the tick."""

    def __init__(self, book: OrderBook, reference_price: int, tick: int):
        self.book = book
        self.tick = tick
        self._last = reference_price

    def at(self, now_ns: int) -> int:
        bid, _, ask, _ = self.book.top()
        if bid and ask:
            tick = self.tick
            self._last = (bid + ask) // (2 * tick) * tick
        return self._last


class NoiseAgent(ProfiledWaking):
    """Wakes a NoiseTrader at exponential gaps of mean ``mean_wake_s`` (in activity time when ``profile``
    is set: more wake-ups at the open and close)."""

    def __init__(self, trader: NoiseTrader, rng: np.random.Generator, mean_wake_s: float,
                 profile: IntradayProfile | None = None):
        if not mean_wake_s > 0:
            raise ValueError(f"mean_wake_s must be > 0, got {mean_wake_s!r}")
        self.trader = trader
        self.owner = trader.owner
        self.mean_gap_ns = mean_wake_s * _NS_PER_S
        self.profile = profile
        self._rng = rng

    def act(self, now_ns: int) -> None:
        self.trader.act(now_ns)
