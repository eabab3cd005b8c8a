"""The venues' top of book as received over FIX: a thread-safe cache per venue and symbol.

QuickFIX threads ``put`` each MarketDataSnapshotFullRefresh (35=W) the FIX
gateway parses (``messages.market_data_snapshot``); the live runtime
reads ``top`` from ``VenueMarketData`` on its own thread, so every access
holds one lock (held only for dict operations, never across a call out).

A venue's quotes exist only while its session is up: the gateway ``drop``s
them when the session logs out or breaks, and ``expect``s a fresh answer
for every symbol it subscribes to after the next logon. ``answered`` tells
when every subscription of a venue has been answered (a snapshot, or a
refusal), which the live link waits for at start-up so the first orders are
routed on real quotes. No quickfix import.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class BookTop:
    """A venue's best bid and offer for one symbol: prices in units, sizes in shares (0 = none)."""

    bid: int
    bid_size: int
    ask: int
    ask_size: int


class QuoteCache:
    """Latest ``BookTop`` per (venue, symbol), written by the FIX gateway, read by market data."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tops: dict[tuple[str, str], BookTop] = {}
        self._pending: dict[str, set[str]] = {}  # venue -> symbols subscribed, not yet answered
        self.updates: dict[str, int] = {}  # snapshots taken per venue (for tests and health)
        self.version = 0
        """Bumped after every change to the tops (``put``, ``refused``, ``drop``), under the lock: a reader
        that reads it before the tops (``VenueMarketData.reference_price``'s cache) sees a later change
        as a new version. Only grows."""

    def expect(self, venue: str, symbols: Iterable[str]) -> None:
        """Subscriptions to ``symbols`` at ``venue`` were sent: not answered until ``put``/``refused``."""
        with self._lock:
            self._pending[venue] = set(symbols)

    def put(self, venue: str, symbol: str, top: BookTop) -> None:
        """``venue``'s top of book for ``symbol`` is now ``top`` (a full refresh)."""
        with self._lock:
            self._tops[(venue, symbol)] = top
            self._pending.get(venue, set()).discard(symbol)
            self.updates[venue] = self.updates.get(venue, 0) + 1
            self.version += 1

    def refused(self, venue: str, symbol: str | None) -> None:
        """``venue`` will not serve ``symbol`` (None: any symbol): answered, but no quote."""
        with self._lock:
            pending = self._pending.get(venue, set())
            if symbol is None:
                pending.clear()
                self._tops = {k: t for k, t in self._tops.items() if k[0] != venue}
            else:
                pending.discard(symbol)
                self._tops.pop((venue, symbol), None)
            self.version += 1

    def drop(self, venue: str) -> None:
        """``venue``'s session went away: none of its quotes stand any more."""
        with self._lock:
            self._tops = {k: t for k, t in self._tops.items() if k[0] != venue}
            self._pending.pop(venue, None)
            self.version += 1

    def top(self, venue: str, symbol: str) -> BookTop | None:
        """The latest top of book ``venue`` sent for ``symbol``; None if none stands."""
        with self._lock:
            return self._tops.get((venue, symbol))

    def answered(self, venue: str) -> bool:
        """Every subscription sent to ``venue`` since its logon has had an answer."""
        with self._lock:
            return not self._pending.get(venue)

    def wait_answered(self, venues: Iterable[str], timeout: float) -> list[str]:
        """Wait until ``venues`` have answered every subscription; return those that have not."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [v for v in venues if not self.answered(v)]
            if not waiting or time.monotonic() >= deadline:
                return waiting
            time.sleep(0.01)
