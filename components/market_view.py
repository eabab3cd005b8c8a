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
"""

from __future__ import annotations

from typing import Iterable, Protocol

from .domain.venues import Quote


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
