"""A securities information processor (SIP): the consolidated NBBO across venues.

Owns the consolidated top of book as a SIP publishes it, with the two delays
that make it differ from the venues' own books:

1. each venue's top-of-book update reaches the SIP after that venue's feed
   latency (one draw per update, from the venue's own seeded stream);
2. the SIP computes the NBBO and publishes it to subscribers after a
   publication latency (one draw per publication).

Because each update's latency is drawn independently, updates can arrive out of
order. Every venue update carries a per-(venue, symbol) sequence number and
the SIP applies an update only if it is newer than the last one applied for
that venue and symbol; every publication carries a per-symbol SIP sequence and
a subscriber is handed a publication only if it is newer than the last one it
was handed. An older update that arrives late is counted and dropped, never
applied over a newer one.

``consolidate`` is the pure NBBO computation. ``Sip`` is driven by callbacks
with times passed in: it never reads a clock and does not import simpy. Its
``schedule(when_ns, callback)`` argument has the shape of ``Clock.call_at``
(``SimClock.call_at`` in the twin; a small heap in the tests).

Locked (best bid == best offer) and crossed (best bid > best offer)
consolidated markets are published, flagged, not hidden: across venues they
happen for real while updates are in flight. A DOWN venue's quotes are
removed and ignored until it is UP again. A quote older than ``stale_after_ns``
(by its venue timestamp) is left out of the NBBO; ``sweep`` recomputes so a
quiet venue's old quote ages out even when nothing else arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from components.domain.venues import Quote, VenueStatus

Schedule = Callable[[int, Callable[[], None]], None]
"""``schedule(when_ns, callback)``: run ``callback()`` at ``when_ns`` (``Clock.call_at``)."""
Latency = Callable[[], int]
"""One latency draw in integer nanoseconds."""


@dataclass(frozen=True, slots=True)
class Nbbo:
    """National best bid and offer for one symbol. Prices in units, 0 for an empty side.

    ``bid_size`` / ``ask_size`` add up the displayed size of every venue at the
    best price; ``bid_venues`` / ``ask_venues`` name those venues, sorted.
    ``timestamp_ns`` is when the SIP computed it; ``sequence`` its per-symbol
    SIP sequence (0 for one made outside a SIP).
    """

    symbol: str
    bid: int
    bid_size: int
    bid_venues: tuple[str, ...]
    ask: int
    ask_size: int
    ask_venues: tuple[str, ...]
    timestamp_ns: int = 0
    sequence: int = 0

    @property
    def locked(self) -> bool:
        """Best bid equals best offer (both sides present)."""
        return bool(self.bid and self.ask and self.bid == self.ask)

    @property
    def crossed(self) -> bool:
        """Best bid above best offer (both sides present)."""
        return bool(self.bid and self.ask and self.bid > self.ask)

    @property
    def mid(self) -> int:
        """Integer mid in units; 0 unless both sides are present and not crossed."""
        if not self.bid or not self.ask or self.bid > self.ask:
            return 0
        return (self.bid + self.ask) // 2

    def same_market(self, other: Nbbo | None) -> bool:
        """Same prices, sizes and venues (time and sequence ignored)."""
        return other is not None and (
            self.bid, self.bid_size, self.bid_venues, self.ask, self.ask_size, self.ask_venues
        ) == (other.bid, other.bid_size, other.bid_venues, other.ask, other.ask_size, other.ask_venues)


def consolidate(
    quotes: Iterable[Quote], symbol: str | None = None, timestamp_ns: int = 0, sequence: int = 0
) -> Nbbo:
    """The NBBO of ``quotes`` (one per venue, all for one symbol).

    A side with price or size 0 is empty and contributes nothing. ``symbol`` is
    required when ``quotes`` is empty; otherwise it must match them.
    """
    quotes = list(quotes)
    for q in quotes:
        if symbol is None:
            symbol = q.symbol
        elif q.symbol != symbol:
            raise ValueError(f"quotes for several symbols: {symbol!r} and {q.symbol!r}")
    if symbol is None:
        raise ValueError("symbol is required when there are no quotes")
    bid = ask = 0
    for q in quotes:
        if q.bid > 0 and q.bid_size > 0 and q.bid > bid:
            bid = q.bid
        if q.ask > 0 and q.ask_size > 0 and (ask == 0 or q.ask < ask):
            ask = q.ask
    at_bid = sorted((q.venue, q.bid_size) for q in quotes if bid and q.bid == bid and q.bid_size > 0)
    at_ask = sorted((q.venue, q.ask_size) for q in quotes if ask and q.ask == ask and q.ask_size > 0)
    return Nbbo(
        symbol,
        bid,
        sum(size for _, size in at_bid),
        tuple(v for v, _ in at_bid),
        ask,
        sum(size for _, size in at_ask),
        tuple(v for v, _ in at_ask),
        timestamp_ns,
        sequence,
    )


def exponential_latency(rng: np.random.Generator, base_ns: int, jitter_ns: int) -> Latency:
    """A fixed delay plus exponential jitter with mean ``jitter_ns``, from ``rng``.

    Draws in batches (one stream, one consumer, so the numbers do not depend
    on the batch size).
    """
    if base_ns < 0 or jitter_ns < 0:
        raise ValueError("latencies must be >= 0")
    batch: list[int] = []

    def draw() -> int:
        if not batch:
            if jitter_ns == 0:
                batch.extend([base_ns] * 1024)
            else:
                batch.extend((base_ns + np.rint(rng.exponential(jitter_ns, 1024))).astype(np.int64).tolist())
            batch.reverse()  # pop() from the end hands them out in draw order
        return batch.pop()

    return draw


class Sip:
    """Consolidates the venues' top-of-book updates into a published NBBO.

    Call ``on_quote(quote)`` when a venue publishes (at ``quote.timestamp_ns``);
    the SIP schedules its own arrival and publication steps via ``schedule``.
    Subscribers get each changed ``Nbbo`` at its publication time.
    """

    def __init__(
        self,
        venues: Sequence[str],
        schedule: Schedule,
        venue_latency: Mapping[str, Latency],
        publish_latency: Latency,
        stale_after_ns: int | None = None,
    ):
        missing = [v for v in venues if v not in venue_latency]
        if missing:
            raise ValueError(f"no feed latency for venues {missing}")
        if stale_after_ns is not None and stale_after_ns <= 0:
            raise ValueError(f"stale_after_ns must be positive or None, got {stale_after_ns}")
        self.venues = tuple(venues)
        self._schedule = schedule
        self._venue_latency = dict(venue_latency)
        self._publish_latency = publish_latency
        self._stale_after_ns = stale_after_ns
        self._status = {v: VenueStatus.UP for v in self.venues}
        self._sent_seq: dict[tuple[str, str], int] = {}  # (venue, symbol) -> last sequence sent
        self._applied_seq: dict[tuple[str, str], int] = {}  # (venue, symbol) -> last sequence applied
        self._quotes: dict[str, dict[str, Quote]] = {}  # symbol -> venue -> latest applied quote
        self._nbbo: dict[str, Nbbo] = {}  # symbol -> latest computed
        self._sip_seq: dict[str, int] = {}
        self._delivered: dict[str, Nbbo] = {}  # symbol -> latest handed to subscribers
        self._subscribers: list[Callable[[Nbbo], None]] = []
        self.late_updates_dropped = 0
        """Venue updates that arrived after a newer one from the same venue and symbol."""
        self.late_publications_dropped = 0
        """Publications that would have reached subscribers after a newer one."""

    # ------------------------------------------------------------- inputs

    def subscribe(self, handler: Callable[[Nbbo], None]) -> None:
        """``handler(nbbo)`` is called at each publication time, in sequence order."""
        self._subscribers.append(handler)

    def on_quote(self, quote: Quote) -> None:
        """A venue published ``quote`` at ``quote.timestamp_ns``; it reaches the SIP later."""
        latency = self._venue_latency.get(quote.venue)
        if latency is None:
            raise ValueError(f"venue {quote.venue!r} is not fed to this SIP")
        key = (quote.venue, quote.symbol)
        seq = self._sent_seq.get(key, 0) + 1
        self._sent_seq[key] = seq
        arrival = quote.timestamp_ns + latency()
        self._schedule(arrival, lambda: self._arrive(quote, seq, arrival))

    def set_venue_status(self, venue: str, status: VenueStatus, now_ns: int) -> None:
        """The SIP learns at ``now_ns`` that ``venue`` is UP or DOWN.

        DOWN drops the venue's quotes (and republishes); updates from it are
        ignored until it is UP again.
        """
        if venue not in self._status:
            raise ValueError(f"venue {venue!r} is not fed to this SIP")
        self._status[venue] = status
        if status is VenueStatus.DOWN:
            for symbol, by_venue in self._quotes.items():
                if by_venue.pop(venue, None) is not None:
                    self._recompute(symbol, now_ns)

    def sweep(self, now_ns: int) -> None:
        """Recompute every symbol at ``now_ns`` so stale quotes drop out."""
        for symbol in list(self._quotes):
            self._recompute(symbol, now_ns)

    # ------------------------------------------------------------- queries

    def nbbo(self, symbol: str) -> Nbbo | None:
        """Latest NBBO computed at the SIP (maybe not yet published)."""
        return self._nbbo.get(symbol)

    def published(self, symbol: str) -> Nbbo | None:
        """Latest NBBO handed to subscribers."""
        return self._delivered.get(symbol)

    # ------------------------------------------------------------- steps

    def _arrive(self, quote: Quote, seq: int, now_ns: int) -> None:
        key = (quote.venue, quote.symbol)
        if self._status[quote.venue] is not VenueStatus.UP:
            return
        if seq <= self._applied_seq.get(key, 0):
            self.late_updates_dropped += 1
            return
        self._applied_seq[key] = seq
        self._quotes.setdefault(quote.symbol, {})[quote.venue] = quote
        self._recompute(quote.symbol, now_ns)

    def _recompute(self, symbol: str, now_ns: int) -> None:
        stale = self._stale_after_ns
        quotes = [
            q
            for q in self._quotes.get(symbol, {}).values()
            if stale is None or now_ns - q.timestamp_ns <= stale
        ]
        fresh = consolidate(quotes, symbol, now_ns)
        if fresh.same_market(self._nbbo.get(symbol)):
            return  # nothing a subscriber could see changed: publish nothing
        seq = self._sip_seq.get(symbol, 0) + 1
        self._sip_seq[symbol] = seq
        nbbo = Nbbo(symbol, fresh.bid, fresh.bid_size, fresh.bid_venues, fresh.ask, fresh.ask_size,
                    fresh.ask_venues, now_ns, seq)
        self._nbbo[symbol] = nbbo
        self._schedule(now_ns + self._publish_latency(), lambda: self._deliver(nbbo))

    def _deliver(self, nbbo: Nbbo) -> None:
        last = self._delivered.get(nbbo.symbol)
        if last is not None and nbbo.sequence <= last.sequence:
            self.late_publications_dropped += 1
            return
        self._delivered[nbbo.symbol] = nbbo
        for handler in self._subscribers:
            handler(nbbo)
