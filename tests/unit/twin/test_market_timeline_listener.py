"""twin.market_recorder.MarketTimeline.quote_listener: on a one-venue replayed day, the inlined listener
records exactly the rows the generic ``check`` does (the same consolidation, the session window, our own
taking between quotes, a DOWN venue, repeated tops), on the same state ``touch`` uses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, VenueStatus
from twin.market_recorder import MarketTimeline
from venues_sim.fees import FixedFee
from venues_sim.replay import ReplayVenue
from venues_sim.replay_format import RecordedDay, RecordedQuote

P = 1_000_000
COLUMNS = ("t_ns", "bid", "bid_size", "ask", "ask_size")

_side = st.one_of(st.just((0, 0)), st.tuples(st.sampled_from([P - 100, P, P + 100]), st.sampled_from([100, 200])))
_step = st.tuples(st.integers(0, 40), _side, _side,  # time step, bid side, ask side (crossed and empty allowed)
                  st.sampled_from(["none", "none", "buy", "sell", "down", "up"]))  # then, at that time


def _rows(timeline: MarketTimeline) -> list[tuple[int, ...]]:
    cols = timeline.nbbo["AAA"]
    return list(zip(*(cols[k].tolist() for k in COLUMNS)))


def _replay(steps, fast: bool) -> list[tuple[int, ...]]:
    t, quotes = 0, []
    for dt, (bid, bid_size), (ask, ask_size), _ in steps:
        t += dt
        quotes.append(RecordedQuote(t, "XNAS", "AAA", bid, bid_size, ask, ask_size))
    venue = ReplayVenue("XNAS", RecordedDay(tuple(quotes), ()), FixedFee(0), ["AAA"], lambda report: None)
    timeline = MarketTimeline({"XNAS": venue}, ["AAA"], open_ns=30, close_ns=max(t - 20, 30))
    venue.listen(timeline.quote_listener() if fast else (lambda q: timeline.check(q.symbol, q.timestamp_ns)))
    for i, (quote, (*_, action)) in enumerate(zip(quotes, steps)):
        venue.advance(quote.timestamp_ns)
        if action in ("buy", "sell"):  # our order takes displayed size: the next check sees it (touch)
            side = Side.BUY if action == "buy" else Side.SELL
            venue.submit(ChildOrder(f"c{i}", f"o{i}", "XNAS", "AAA", side, 100, OrderType.MARKET, None,
                                    TimeInForce.IOC), quote.timestamp_ns)
            timeline.check("AAA", quote.timestamp_ns)
        elif action in ("down", "up"):
            venue.set_status(VenueStatus.DOWN if action == "down" else VenueStatus.UP)
    return _rows(timeline)


def test_the_listener_is_the_inlined_check_on_a_known_day():
    steps = [(0, (P, 100), (P + 100, 100), "none"),   # before the open: not recorded
             (40, (P, 100), (P + 100, 100), "none"),  # same top, now inside: recorded
             (5, (P, 100), (P + 100, 100), "none"),   # same top again: no row
             (5, (P, 200), (P + 100, 100), "buy"),    # then we take the ask's 100: a row with ask empty
             (5, (0, 0), (P + 100, 200), "down"),     # one-sided, then DOWN
             (5, (P, 100), (P - 100, 100), "up"),     # crossed while DOWN: all zeros, once
             (5, (P, 100), (P + 100, 100), "none"),
             (60, (P - 100, 100), (P, 100), "none")]  # after the close: not recorded
    fast = _replay(steps, fast=True)
    assert fast == _replay(steps, fast=False)
    assert fast == [(40, P, 100, P + 100, 100), (50, P, 200, P + 100, 100), (50, P, 200, 0, 0),
                    (55, 0, 0, P + 100, 200), (60, 0, 0, 0, 0), (65, P, 100, P + 100, 100)]


@settings(max_examples=150, deadline=None)
@given(st.lists(_step, min_size=1, max_size=40))
def test_the_listener_records_what_the_generic_check_records(steps):
    assert _replay(steps, fast=True) == _replay(steps, fast=False)


def test_several_venues_use_the_generic_check():
    day = RecordedDay((RecordedQuote(10, "A", "AAA", P, 100, P + 100, 100),
                       RecordedQuote(10, "B", "AAA", P, 300, P + 200, 100)), ())
    venues = {name: ReplayVenue(name, day, FixedFee(0), ["AAA"], lambda report: None) for name in ("A", "B")}
    timeline = MarketTimeline(venues, ["AAA"], open_ns=0, close_ns=100)
    for venue in venues.values():
        venue.listen(timeline.quote_listener())
        venue.advance(10)
    assert _rows(timeline)[-1] == (10, P, 400, P + 100, 100)  # consolidated over both venues
