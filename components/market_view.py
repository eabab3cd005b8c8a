"""Quotes as a market data consumer holds them: the latest per venue and symbol, with their age.

A router in production never reads a venue's book: it reads the quote
messages that reached it (each venue's direct feed, or a consolidated feed),
some time after the venue published them. ``QuoteBoard`` keeps, per
(venue, symbol), the last quote received and when it was sent and received,
and answers ``quote(venue, symbol, now_ns)`` for the ``MarketData`` port.

How old a held quote is (what the router's ``max_quote_age_ns`` check
reads): a feed that publishes on change sends nothing while the top stands,
but its heartbeats keep coming, so a standing quote is current as of the
last message heard, i.e. ``now - (its delivery delay)``. A venue that
publishes a frozen quote (its timestamp older than when it was sent: the
twin's ``STALE_BOOK`` stress, a market data gateway replaying a cached top)
keeps its own old timestamp, so the router's stale-quote check still sees it.
The live ``VenueMarketData`` applies the zero-delay case of the same rule (a
FIX snapshot that stands is stamped with the time it is read).

``nbbo_quotes`` turns a consolidated NBBO (a SIP's publication) into the
per-venue quotes a router that reads only the NBBO can know. Pure: no clock,
no threads (the live cache adds its own lock), standard library only.

``VenueTops`` is how the router reads its quotes in one call per order: every
UP venue's top of book as plain ints (``VenueTop``), not a ``Quote`` per venue
after a ``venue_status`` per venue. ``venue_tops`` is that read for any
``MarketData`` (from its ``venue_status`` and ``quote``): the rule the twin's
and the live market data's own ``venue_tops`` give the same answers as.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol

from .domain.venues import Quote, VenueStatus

if TYPE_CHECKING:  # annotations only: this module stays standard library only
    from .ports import MarketData

_UP = VenueStatus.UP

Top = tuple[int, int, int, int]
"""A venue's top of book for one symbol: ``(bid, bid size, ask, ask size)``, zeros for an empty side
(the shape ``OrderBook.top`` returns)."""

VenueTop = tuple[str, "Top | None", int]
"""``(venue, top, as_of_ns)``: a venue's top (None: it has no quote) and the time the top is known
current at (what ``Quote.timestamp_ns`` says; 0 without a quote)."""


class VenueTops(Protocol):
    """Market data that gives the router its quotes in one call per order (``SimMarketData``, live
    ``VenueMarketData``). A ``MarketData`` without it is read through ``venue_tops``."""

    def venue_tops(self, symbol: str, venues: Iterable[str]) -> list[VenueTop]:
        """The venues of ``venues`` that are UP, in that order, each with its top of ``symbol``: the
        answers ``venue_status`` and ``quote`` give (``venue_tops(self, ...)``), without a ``Quote``."""
        ...


def quote_top(venue: str, quote: Quote | None) -> VenueTop:
    """``venue``'s ``quote`` (None: no quote) as a ``VenueTop``."""
    if quote is None:
        return venue, None, 0
    return venue, (quote.bid, quote.bid_size, quote.ask, quote.ask_size), quote.timestamp_ns


def venue_tops(market_data: MarketData, symbol: str, venues: Iterable[str], every_venue: bool = False
               ) -> list[VenueTop]:
    """``VenueTops.venue_tops`` for any ``MarketData``: ``venue_status`` of each venue, then ``quote``
    of each one UP (``every_venue``: of every venue, whatever its status; the planted bug
    ``routing.TEST_ONLY_IGNORE_VENUE_HEALTH``)."""
    if every_venue:
        up = list(venues)
    else:
        status = market_data.venue_status
        up = [v for v in venues if status(v) is _UP]
    quote = market_data.quote
    return [quote_top(v, quote(v, symbol)) for v in up]


def sim_venue_top(venue: object, name: str, symbol: str, now_ns: int) -> VenueTop | None:
    """A venue object's ``VenueTop`` at ``now_ns``, None if it is not UP (a ``venues_sim`` venue, read
    duck-typed: components import no venues_sim). While it ``publishes_book_top`` (UP, no stress
    condition) its quote is its book's top stamped ``now_ns``, read without building a Quote; any
    other UP venue (a stress condition shapes its quote; the replay venue, whose ``quote`` also
    advances it, has no such flag) through its ``quote``."""
    if getattr(venue, "publishes_book_top", False):
        return name, venue.book(symbol).top(), now_ns  # type: ignore[attr-defined]
    if venue.status is not _UP:  # type: ignore[attr-defined]
        return None
    return quote_top(name, venue.quote(symbol, now_ns))  # type: ignore[attr-defined]


class QuoteBoard:
    """The latest quote per (venue, symbol) that reached this consumer.

    ``put`` is called when a quote message arrives. Messages on one feed are
    expected in order; one sent before the quote already held (reordered on
    the way) is dropped and counted in ``late_dropped``, never applied over a
    newer one. ``updates`` counts the quotes applied.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], tuple[Quote, int, int]] = {}  # -> (quote, sent_ns, delay_ns)
        self.updates = 0
        self.late_dropped = 0

    def put(self, quote: Quote, sent_ns: int, received_ns: int) -> bool:
        """``quote`` (published by its venue, sent at ``sent_ns``) arrived at ``received_ns``; True if applied."""
        if received_ns < sent_ns:
            raise ValueError(f"a quote cannot arrive ({received_ns}) before it was sent ({sent_ns})")
        key = (quote.venue, quote.symbol)
        held = self._held.get(key)
        if held is not None and sent_ns < held[1]:
            self.late_dropped += 1
            return False
        self._held[key] = (quote, sent_ns, received_ns - sent_ns)
        self.updates += 1
        return True

    def drop(self, venue: str) -> None:
        """Forget every quote of ``venue`` (its feed went away)."""
        self._held = {k: v for k, v in self._held.items() if k[0] != venue}

    def held(self, venue: str, symbol: str) -> Quote | None:
        """The quote as received, with the venue's own timestamp; None if none arrived."""
        held = self._held.get((venue, symbol))
        return None if held is None else held[0]

    def quote(self, venue: str, symbol: str, now_ns: int) -> Quote | None:
        """The held quote stamped with the time it is known current at (see the module docstring)."""
        held = self._held.get((venue, symbol))
        if held is None:
            return None
        quote, sent_ns, delay_ns = held
        if quote.timestamp_ns < sent_ns:
            return quote  # the venue published an old quote: its age is what the router must see
        as_of = now_ns - delay_ns
        if as_of <= quote.timestamp_ns:
            return quote
        return Quote(quote.venue, quote.symbol, quote.bid, quote.bid_size, quote.ask, quote.ask_size, as_of)


class Consolidated(Protocol):
    """A consolidated best bid and offer (``venues_sim.sip.Nbbo`` has this shape)."""

    symbol: str
    bid: int
    bid_size: int
    bid_venues: tuple[str, ...]
    ask: int
    ask_size: int
    ask_venues: tuple[str, ...]
    timestamp_ns: int


def _shares(total: int, venues: tuple[str, ...], venue: str) -> int:
    """``venue``'s share of ``total`` split evenly over ``venues`` (sorted), the remainder to the first."""
    n = len(venues)
    share = total // n
    return share + (total - share * n if venue == venues[0] else 0)


def nbbo_quotes(nbbo: Consolidated, venues: Iterable[str]) -> list[Quote]:
    """One quote per venue from a consolidated NBBO, stamped with its ``timestamp_ns``.

    A venue at the best bid (offer) quotes it; the others show an empty side (a
    router reading only the NBBO does not know their prices). The NBBO gives
    only the total size at the best price, so it is split evenly over the
    venues there (an approximation: their own sizes are not published in it).
    """
    out = []
    for venue in venues:
        at_bid, at_ask = venue in nbbo.bid_venues, venue in nbbo.ask_venues
        out.append(Quote(
            venue, nbbo.symbol,
            nbbo.bid if at_bid else 0, _shares(nbbo.bid_size, nbbo.bid_venues, venue) if at_bid else 0,
            nbbo.ask if at_ask else 0, _shares(nbbo.ask_size, nbbo.ask_venues, venue) if at_ask else 0,
            nbbo.timestamp_ns,
        ))
    return out
