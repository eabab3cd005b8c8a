"""Live ``VenueMarketData.venue_tops`` (the router's one read per order) answers what ``venue_status`` and
``quote`` answer venue by venue (``components.market_view.venue_tops``, the plain rule): from FIX venues'
quote cache (sessions logged on or not, venues without a quote) and from in-process venues (direct mode:
down, under a stress condition, or configured without a venue object here)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from components.domain.money import PRICE_SCALE
from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from components.market_view import venue_tops
from live.adapters.fix.market_data import BookTop, QuoteCache
from live.adapters.market_data import VenueMarketData
from venues_sim.fees import MakerTakerFees
from venues_sim.stress import StaleBook
from venues_sim.venue import SimVenue

D = PRICE_SCALE
NAMES = ("ARCX", "BATS", "XNAS")
ASKED = ("ARCX", "BATS", "IEXG", "XNAS")  # IEXG is not configured: never UP


class Ticking:
    """A clock that moves 1 us on every read, so each stamp says when it was read."""

    def __init__(self) -> None:
        self.now = 1_700_000_000_000_000_000

    def __call__(self) -> int:
        self.now += 1_000
        return self.now


def same_reads(md: VenueMarketData, clock: Ticking) -> list:
    """``venue_tops`` and the plain rule read the same venues and tops; each stamp is a time read during
    the call (the plain rule's ``quote`` stamps each quote with the time it is read, too)."""
    before = clock.now
    tops = md.venue_tops("AAPL", ASKED)
    after = clock.now
    plain = venue_tops(md, "AAPL", ASKED)
    assert [(n, top) for n, top, _ in tops] == [(n, top) for n, top, _ in plain]
    for (_, top, at), (_, _, plain_at) in zip(tops, plain):
        if top is None:
            assert (at, plain_at) == (0, 0)
        elif plain_at <= before:
            assert at == plain_at  # the venue's own old stamp (a frozen quote), not when it was read
        else:
            assert before < at <= after < plain_at
    return tops


class Served:
    """A venue object as the live market data sees one: its status."""

    def __init__(self, status: VenueStatus) -> None:
        self.status = status


def book(n: int) -> BookTop:
    return BookTop(190 * D - n, 100 * n, 190 * D + n, 200 * n)


@settings(max_examples=100, deadline=None)
@given(quoted=st.lists(st.booleans(), min_size=3, max_size=3),
       logged_on=st.lists(st.booleans(), min_size=3, max_size=3),
       served=st.lists(st.sampled_from([None, VenueStatus.UP, VenueStatus.DOWN]), min_size=3, max_size=3))
def test_from_the_quote_cache(quoted, logged_on, served):
    cache = QuoteCache()
    for i, (name, has) in enumerate(zip(NAMES, quoted)):
        if has:
            cache.put(name, "AAPL", book(i + 1))
    on = {n for n, ok in zip(NAMES, logged_on) if ok}
    clock = Ticking()
    # FIX venues served in this process (None: a remote one): a venue object DOWN is never up
    here = {n: Served(status) for n, status in zip(NAMES, served) if status is not None}
    md = VenueMarketData(clock, here, {"AAPL": 190 * D}, names=NAMES, connected=on.__contains__, feed=cache)
    tops = same_reads(md, clock)
    assert [t[0] for t in tops] == [n for n, s in zip(NAMES, served) if n in on and s is not VenueStatus.DOWN]


@settings(max_examples=100, deadline=None)
@given(states=st.lists(st.sampled_from(["up", "down", "stale", "empty"]), min_size=3, max_size=3),
       missing=st.sampled_from(NAMES))
def test_from_in_process_venues(states, missing):
    clock = Ticking()
    venues = {}
    for name, state in zip(NAMES, states):
        venue = SimVenue(name, MakerTakerFees(20, 30), ["AAPL"], lambda report: None)
        if state != "empty":
            venue.submit_agent_order(f"{name}-A", "MM", "AAPL", Side.SELL, 100, 190 * D, TimeInForce.DAY, 0)
        if state == "stale":
            venue.add_condition(StaleBook(), 0)
        if state == "down":
            venue.set_status(VenueStatus.DOWN)
        venues[name] = venue
    del venues[missing]  # configured, but no venue object here: up, with no quote
    md = VenueMarketData(clock, venues, {"AAPL": 190 * D}, names=NAMES)
    tops = same_reads(md, clock)
    assert (missing, None, 0) in tops
