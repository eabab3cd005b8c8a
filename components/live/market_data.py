"""VenueMarketData: the MarketData port read straight from venue books, plus venue health.

Quotes are each venue's top of book; the reference price is the consolidated
mid (best bid across venues that are up, best ask likewise), falling back to
the last good mid, then to the configured opening price.

Where the books live decides the locking: in-process venues (direct mode)
are only touched holding the live runtime, which callers hold, so no lock is
needed; venues served over FIX in this process change on their acceptors'
threads, so each book is read holding its venue's lock (``locks``). A venue
is UP when its own status is UP and, if ``connected`` is given (the FIX
gateway's ``is_logged_on``), its session is logged on: the router never
picks a venue we cannot reach. A configured venue with no book here (a
remote FIX venue) has no quotes, only health.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, Iterable, Mapping

from components.domain.venues import Quote, VenueStatus

_UP, _DOWN = VenueStatus.UP, VenueStatus.DOWN
_NO_LOCK = nullcontext()


class VenueMarketData:
    def __init__(self, now_ns: Callable[[], int], venues: Mapping, opening_prices: Mapping[str, int], *,
                 names: Iterable[str] | None = None, connected: Callable[[str], bool] | None = None,
                 locks: Mapping | None = None) -> None:
        self._now_ns = now_ns
        self._venues = venues  # read on every call: a restarted venue's new book is seen at once
        self._names = tuple(names) if names is not None else tuple(venues)
        self._connected = connected
        self._locks = locks if locks is not None else {}
        self._last_reference = dict(opening_prices)

    def _up(self, name: str) -> bool:
        if name not in self._names or (self._connected is not None and not self._connected(name)):
            return False
        venue = self._venues.get(name)
        return venue is None or venue.status is _UP

    def quote(self, venue: str, symbol: str) -> Quote | None:
        target = self._venues.get(venue)
        if target is None or not self._up(venue):
            return None
        with self._locks.get(venue, _NO_LOCK):
            return target.quote(symbol, self._now_ns())

    def reference_price(self, symbol: str) -> int:
        best_bid = best_ask = 0
        for name in self._names:
            venue = self._venues.get(name)
            if venue is None or not self._up(name):
                continue
            with self._locks.get(name, _NO_LOCK):
                book = venue.book(symbol)
                bid, ask = book.best_bid(), book.best_ask()
            if bid and bid[0] > best_bid:
                best_bid = bid[0]
            if ask and (best_ask == 0 or ask[0] < best_ask):
                best_ask = ask[0]
        if best_bid and best_ask and best_bid < best_ask:
            mid = (best_bid + best_ask) // 2
            self._last_reference[symbol] = mid
            return mid
        return self._last_reference.get(symbol, 0)

    def venue_status(self, venue: str) -> VenueStatus:
        return _UP if self._up(venue) else _DOWN

    def statuses(self) -> dict[str, str]:
        """Every configured venue's status, for health checks."""
        return {name: self.venue_status(name).value for name in self._names}
