"""VenueMarketData: the MarketData port live, from FIX market data or in-process books, plus venue health.

Quotes are each venue's top of book; the reference price follows the rule
shared with the twin (``components.reference_price``): the consolidated mid
over the venues that are up, else the last good mid, else the configured
opening price.

Two sources, chosen by the bootstrap:

* ``feed`` (FIX venues, remote or served in this process): the top of book
  each venue last sent over its FIX session (``fix.market_data.QuoteCache``,
  filled by the FIX gateway). Venues push a snapshot on every change of
  their top and the cache drops a venue's quotes when its session goes, so a
  quote that stands while the session is logged on is the venue's current
  top: it is stamped with the time it is read, and the router's quote-age
  check never excludes it. (A venue that stayed logged on but stopped
  publishing would not be noticed: the FIX session cannot tell.)
* ``venues`` (direct mode): in-process ``venues_sim`` venues, only touched
  holding the live runtime, which callers hold, so no lock is needed.

A venue is UP when it is configured (``names``), its session is logged on if
``connected`` is given (the FIX gateway's ``is_logged_on``), and its own
status is UP where the venue object is here: the router never picks a venue
we cannot reach.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Protocol

from components.domain.venues import Quote, VenueStatus
from components.market_view import VenueTop, sim_venue_top
from components.reference_price import LastGoodMid

from live.adapters.fix.market_data import BookTop

_UP, _DOWN = VenueStatus.UP, VenueStatus.DOWN


class QuoteFeed(Protocol):
    """Where FIX venues' top of book is read from (``QuoteCache``)."""

    def top(self, venue: str, symbol: str) -> BookTop | None: ...


class VenueMarketData:
    """The MarketData port over ``feed`` (FIX venues) or in-process ``venues`` (direct mode)."""

    def __init__(self, now_ns: Callable[[], int], venues: Mapping, opening_prices: Mapping[str, int], *,
                 names: Iterable[str] | None = None, connected: Callable[[str], bool] | None = None,
                 feed: QuoteFeed | None = None) -> None:
        self._now_ns = now_ns
        self._venues = venues  # read on every call: a restarted venue's new book is seen at once
        self._names = tuple(names) if names is not None else tuple(venues)
        self._connected = connected
        self._feed = feed
        self._mids = LastGoodMid(opening_prices)
        self._slots = tuple((i, 1 << i, name) for i, name in enumerate(self._names))  # bit i: venue i counts
        # symbol -> [books (direct mode), venues-up mask, version stamp, price] of its last computed answer
        self._reference: dict[str, list] = {}

    def _up(self, name: str) -> bool:
        if name not in self._names or (self._connected is not None and not self._connected(name)):
            return False
        venue = self._venues.get(name)
        return venue is None or venue.status is _UP

    def quote(self, venue: str, symbol: str) -> Quote | None:
        if not self._up(venue):
            return None
        if self._feed is not None:
            top = self._feed.top(venue, symbol)
            if top is None:
                return None
            return Quote(venue, symbol, top.bid, top.bid_size, top.ask, top.ask_size, self._now_ns())
        target = self._venues.get(venue)
        return None if target is None else target.quote(symbol, self._now_ns())

    def venue_tops(self, symbol: str, venues: Iterable[str]) -> list[VenueTop]:
        """The router's read (``components.market_view.VenueTops``): each UP venue of ``venues`` with its
        top of ``symbol``, the answers ``venue_status`` and ``quote`` give, in one call per order; each
        top stamped with the time it is read, as ``quote`` stamps it."""
        feed, venues_get, now_ns = self._feed, self._venues.get, self._now_ns
        names, connected = self._names, self._connected
        out: list[VenueTop] = []
        for name in venues:
            # ``_up``, written out: configured, its session logged on, the venue (if here) UP
            if name not in names or (connected is not None and not connected(name)):
                continue
            venue = venues_get(name)
            if feed is not None:
                if venue is not None and venue.status is not _UP:
                    continue
                top = feed.top(name, symbol)
                out.append((name, None, 0) if top is None
                           else (name, (top.bid, top.bid_size, top.ask, top.ask_size), now_ns()))
            elif venue is None:
                out.append((name, None, 0))
            else:
                read = sim_venue_top(venue, name, symbol, now_ns())
                if read is not None:
                    out.append(read)
        return out

    def reference_price(self, symbol: str) -> int:
        """``symbol``'s reference price: ``LastGoodMid`` over the (bid, ask) tops of the venues that are up.

        Cached per symbol (the risk engine asks for every order and every other symbol the account holds):
        the answer is recomputed only when the set of venues that count (``_up`` for each configured venue)
        or what they show (the books' versions, or the feed's ``version``) moved since the last ask. A hit
        skips ``LastGoodMid.update``, a no-op then: the last update of ``symbol`` was with the same mid, and
        ``update`` is idempotent (it rewrites the same price and source)."""
        if self._feed is None:
            return self._reference_from_books(symbol)
        return self._reference_from_feed(symbol)

    def _reference_from_books(self, symbol: str) -> int:
        # direct mode: an up venue counts with its book's top; a configured venue with no object here has none
        entry = self._reference.get(symbol)
        if entry is None:
            entry = self._reference[symbol] = [[None] * len(self._names), -1, -1, 0]
        pairs = entry[0]  # per configured venue: (venue, its book of ``symbol``) once read
        venues_get, connected = self._venues.get, self._connected
        mask = stamp = 0
        for i, bit, name in self._slots:
            if connected is not None and not connected(name):
                continue
            venue = venues_get(name)
            if venue is None or venue.status is not _UP:
                continue
            pair = pairs[i]
            if pair is None or pair[0] is not venue:  # first read, or a restarted venue (a new book)
                pair = pairs[i] = (venue, venue.book(symbol))
                entry[1] = -1  # a version sum is only comparable over the same books
            mask |= bit
            stamp += pair[1].version
        # versions only grow and move on every change to a book: same books, same sum -> same tops
        if mask == entry[1] and stamp == entry[2]:
            return entry[3]
        tops = []
        for i, bit, _ in self._slots:
            if mask & bit:
                bid, _, ask, _ = pairs[i][1].top()
                tops.append((bid, ask))
        price = entry[3] = self._mids.from_tops(symbol, tops)
        entry[1], entry[2] = mask, stamp
        return price

    def _reference_from_feed(self, symbol: str) -> int:
        # FIX venues: an up venue counts with the top the feed holds, if any. The feed's version is read
        # before its tops (QuoteCache bumps it after each change): a change read early is recomputed next ask.
        feed = self._feed
        version = getattr(feed, "version", None)  # a feed without one is never cached
        venues_get, connected = self._venues.get, self._connected
        mask = 0
        for _, bit, name in self._slots:
            if connected is not None and not connected(name):
                continue
            venue = venues_get(name)
            if venue is not None and venue.status is not _UP:
                continue
            mask |= bit
        entry = self._reference.get(symbol)
        if version is not None and entry is not None and entry[1] == mask and entry[2] == version:
            return entry[3]
        tops = []
        for _, bit, name in self._slots:  # the venues decided above: one consistent set with the key
            if mask & bit:
                top = feed.top(name, symbol)
                if top is not None:
                    tops.append((top.bid, top.ask))
        price = self._mids.from_tops(symbol, tops)
        if version is not None:
            self._reference[symbol] = [None, mask, version, price]
        return price

    def venue_status(self, venue: str) -> VenueStatus:
        return _UP if self._up(venue) else _DOWN

    def statuses(self) -> dict[str, str]:
        """Every configured venue's status, for health checks."""
        return {name: self.venue_status(name).value for name in self._names}
