"""A small synthetic recorded day (seeded), in the replay venue's format.

For tests and demos only: users bring their own recorded files
(``docs/replay_format.md``). Per symbol, a mid price walks in whole cents; at
each quote tick every venue shows a one-cent-wide (or wider) quote around it
with round-lot sizes, and some ticks print a trade at a venue's bid or ask.
All randomness comes from the one ``numpy`` generator seeded with ``seed``,
so the same arguments give the same day.
"""

from __future__ import annotations

import numpy as np

from components.domain.money import CENT

from .replay_format import RecordedDay, RecordedQuote, RecordedTrade

DEFAULT_START_NS = 1_795_530_600_000_000_000
"""2026-11-24 09:30 New York (14:30 UTC), the scenarios' default session open."""


def synthetic_day(
    seed: int,
    prices: dict[str, int] | None = None,
    venues: tuple[str, ...] = ("XNAS", "ARCX"),
    start_ns: int = DEFAULT_START_NS,
    ticks: int = 200,
    tick_ns: int = 100_000_000,
    trade_probability: float = 0.3,
) -> RecordedDay:
    """``ticks`` quote ticks ``tick_ns`` apart from ``start_ns``, per symbol and venue.

    ``prices`` maps symbol to its opening mid in units (whole cents); default
    ``{"AAPL": 190.00}``. Trades print at half a tick after the quotes, so
    they never share a timestamp with a quote update.
    """
    prices = {"AAPL": 190 * 10_000} if prices is None else prices
    rng = np.random.default_rng(seed)
    quotes: list[RecordedQuote] = []
    trades: list[RecordedTrade] = []
    for symbol, opening in prices.items():
        if opening % CENT or opening <= 10 * CENT:
            raise ValueError(f"{symbol}: opening price must be whole cents above $0.10, got {opening}")
        mid_cents = opening // CENT
        for i in range(ticks):
            mid_cents = max(20, mid_cents + int(rng.integers(-1, 2)))
            t = start_ns + i * tick_ns
            for venue in venues:
                half = int(rng.integers(0, 2))  # 0: a one-cent spread, 1: three cents
                bid = (mid_cents - half) * CENT
                ask = (mid_cents + 1 + half) * CENT
                quotes.append(RecordedQuote(t, venue, symbol, bid, 100 * int(rng.integers(1, 10)),
                                            ask, 100 * int(rng.integers(1, 10))))
                if rng.random() < trade_probability:
                    price = bid if rng.random() < 0.5 else ask
                    trades.append(RecordedTrade(t + tick_ns // 2, venue, symbol, price,
                                                int(rng.integers(1, 6)) * 100))
    return RecordedDay(tuple(quotes), tuple(trades))
