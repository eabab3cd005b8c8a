"""VenueMarketData: the MarketData port read straight from in-process venue books.

Quotes are each venue's top of book; the reference price is the consolidated
mid (best bid across venues that are up, best ask likewise), falling back to
the last good mid, then to the configured opening price. It reads books
without locking: callers hold the live runtime (risk and routing run inside
it, and so does everything that moves the books).
"""

from __future__ import annotations

from typing import Callable, Mapping

from components.domain.venues import Quote, VenueStatus


class VenueMarketData:
    def __init__(self, now_ns: Callable[[], int], venues: Mapping, opening_prices: Mapping[str, int]) -> None:
        self._now_ns = now_ns
        self._venues = venues
        self._last_reference = dict(opening_prices)

    def quote(self, venue: str, symbol: str) -> Quote | None:
        target = self._venues.get(venue)
        if target is None or target.status is not VenueStatus.UP:
            return None
        return target.quote(symbol, self._now_ns())

    def reference_price(self, symbol: str) -> int:
        best_bid = best_ask = 0
        for venue in self._venues.values():
            if venue.status is not VenueStatus.UP:
                continue
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
        target = self._venues.get(venue)
        return VenueStatus.DOWN if target is None else target.status
