"""Sample the primary venue's top of book during a run, for the market-realism report.

``MarketRecorder`` reads each symbol's best bid/ask and their sizes at a fixed
interval through the session (one timer per sample, whichever symbols) and
keeps them in compact int arrays. It only reads the books: no randomness, no
events, so recording never changes a run's fingerprint. Trades come from the
agents' tape when the run has agent populations (``scenarios.agents.tape``),
or, on a replayed day, from the venue's recorded prints during the session;
``source`` says which world the figures describe ("simulated" or "recorded").
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from venues_sim.venue import SimVenue

if TYPE_CHECKING:
    from scenarios.agents.tape import TradeTape

    from .clock import SimClock, Timer

NS = 1_000_000_000


class MarketRecorder:
    """Top-of-book samples per symbol at ``venue``, every ``interval_ns`` in [open, close)."""

    def __init__(self, venue: SimVenue, symbols: list[str], interval_ns: int = NS,
                 tapes: dict[str, "TradeTape"] | None = None):
        if type(interval_ns) is not int or interval_ns <= 0:
            raise ValueError(f"interval_ns must be a positive int, got {interval_ns!r}")
        self.venue = venue
        self.interval_ns = interval_ns
        self.tapes = tapes or {}
        self._books = [(s, venue.book(s)) for s in symbols]
        self._window: tuple[int, int] | None = None  # the session, set by ``start``
        self.samples: dict[str, dict[str, array]] = {
            s: {k: array("q") for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")} for s in symbols
        }

    def sample(self, now_ns: int) -> None:
        """Record every symbol's top of book at ``now_ns``."""
        samples = self.samples
        for symbol, book in self._books:
            bid, bid_size, ask, ask_size = book.top()
            row = samples[symbol]
            row["t_ns"].append(now_ns)
            row["bid"].append(bid)
            row["bid_size"].append(bid_size)
            row["ask"].append(ask)
            row["ask_size"].append(ask_size)

    @property
    def source(self) -> str:
        """"recorded" when the venue replays a recorded day, else "simulated"."""
        return "recorded" if hasattr(self.venue, "recorded_trades") else "simulated"

    def start(self, clock: "SimClock", open_ns: int, close_ns: int) -> None:
        """Sample at ``open_ns``, then every interval, while before ``close_ns``."""
        self._window = (open_ns, close_ns)
        interval = self.interval_ns

        def fire(timer: "Timer") -> None:
            now = clock.now_ns()
            self.sample(now)
            if now + interval < close_ns:
                clock.schedule(interval, fire)

        if open_ns < close_ns:
            clock.schedule(max(0, open_ns - clock.now_ns()), fire)

    def trades(self) -> dict[str, dict[str, Any]]:
        """Per symbol: trade times, prices, quantities and orders sent: the agents' tape, or a replayed
        venue's recorded prints during the session (orders 0: unknown); empty when neither exists."""
        if self.tapes:
            return {s: {"t_ns": t.times, "price": t.prices, "qty": t.quantities, "orders": t.orders}
                    for s, t in self.tapes.items()}
        if self.source != "recorded":
            return {}
        start, end = self._window or (0, 2**63 - 1)
        prints = {s: [r for r in self.venue.recorded_trades(s) if start <= r.timestamp_ns < end]
                  for s in self.samples}
        return {s: {"t_ns": [r.timestamp_ns for r in rows], "price": [r.price for r in rows],
                    "qty": [r.size for r in rows], "orders": 0} for s, rows in prints.items()}
