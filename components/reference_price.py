"""The reference price rule shared by the twin's and the live market data.

A symbol's reference price (what risk marks orders and positions at) is the
mid of the best bid and the best offer across the venues that are up, rounded
down to a unit; while there is no such market (a side empty everywhere, or
the best bid at or above the best offer) it is the last good mid, and before
any, the opening (configured) price. ``SimMarketData`` (twin) feeds it the
books' tops, ``VenueMarketData`` (live) the venues' quotes.
"""

from __future__ import annotations

from typing import Iterable, Mapping


def consolidated_mid(tops: Iterable[tuple[int, int]]) -> int:
    """Mid of the best bid and best offer over ``tops`` (``(bid, ask)`` in units, 0 = none
    on that side); 0 when a side is empty everywhere or the market is locked or crossed."""
    best_bid = best_ask = 0
    for bid, ask in tops:
        if bid and bid > best_bid:
            best_bid = bid
        if ask and (best_ask == 0 or ask < best_ask):
            best_ask = ask
    if best_bid and best_ask and best_bid < best_ask:
        return (best_bid + best_ask) // 2
    return 0


VENUE_QUOTES = "venue_quotes"
"""Reference price source: the consolidated mid of the venues' quotes now."""
LAST_GOOD_MID = "last_good_mid"
"""Reference price source: no market now (a side empty, or locked/crossed); the last good mid."""
CONFIGURED = "configured"
"""Reference price source: no good mid yet this session; the configured opening price (the fallback)."""
SIP = "sip"
"""Reference price source: a consolidated feed (the twin's SIP). Named for completeness; the live
market data has no SIP today, so live sources are the three above."""


class LastGoodMid:
    """Per symbol, the last good mid; the opening price until there is one.

    ``prices`` is the live dict (symbol -> units), exposed for callers that
    report the fallback they would use. ``source`` says where the last answer
    for a symbol came from (``VENUE_QUOTES``, ``LAST_GOOD_MID``, ``CONFIGURED``).
    """

    def __init__(self, opening_prices: Mapping[str, int]) -> None:
        self.prices = dict(opening_prices)
        # symbol -> the source of its last answer once it has had a mid (VENUE_QUOTES or LAST_GOOD_MID);
        # absent before its first mid (CONFIGURED). One dict write per answer: the risk engine asks for
        # every order and every other symbol the account holds.
        self._source: dict[str, str] = {}

    def update(self, symbol: str, mid: int) -> int:
        """Remember ``mid`` if there is one (non-zero) and return the reference price."""
        if mid:
            self.prices[symbol] = mid
            self._source[symbol] = VENUE_QUOTES
            return mid
        if symbol in self._source:
            self._source[symbol] = LAST_GOOD_MID
        return self.prices.get(symbol, 0)

    def source(self, symbol: str) -> str:
        """Where ``symbol``'s last reference price came from (``CONFIGURED`` before any answer)."""
        return self._source.get(symbol, CONFIGURED)

    def from_tops(self, symbol: str, tops: Iterable[tuple[int, int]]) -> int:
        """The reference price of ``symbol`` given the up venues' ``(bid, ask)`` tops."""
        return self.update(symbol, consolidated_mid(tops))
