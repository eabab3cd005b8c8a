"""The twin's ``SimMarketData.venue_tops`` (the router's one read per order) answers what ``venue_status``
and ``quote`` answer venue by venue (``components.market_view.venue_tops``, the plain rule), on random
books, venues down, venues whose published quote is frozen (``STALE_BOOK``), a venue name the world does
not have, and through the router's delayed view (``QuoteBoard``)."""

from __future__ import annotations

import simpy
from hypothesis import given, settings, strategies as st

from components.domain.money import PRICE_SCALE
from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from components.market_view import QuoteBoard, venue_tops
from twin.clock import SimClock
from twin.venue_adapters import SimMarketData
from venues_sim.fees import MakerTakerFees
from venues_sim.stress import StaleBook
from venues_sim.venue import SimVenue

D = PRICE_SCALE
CENT = D // 100
EPOCH = 1_764_000_000_000_000_000
NAMES = ("ARCX", "BATS", "XNAS")
ASKED = ("ARCX", "BATS", "IEXG", "XNAS")  # IEXG is no venue of this world: never UP

side = st.one_of(st.none(), st.tuples(st.integers(1, 5), st.sampled_from([100, 300, 1_000])))
shape = st.fixed_dictionaries({"bid": side, "ask": side, "down": st.booleans(), "stale": st.booleans(),
                               "moved": st.booleans()})


def post(venue: SimVenue, order_id: str, side_: Side, level: tuple[int, int] | None, now: int) -> None:
    if level is not None:
        ticks, qty = level
        price = 190 * D + (-ticks if side_ is Side.BUY else ticks) * CENT
        venue.submit_agent_order(order_id, "MM", "AAPL", side_, qty, price, TimeInForce.DAY, now)


def world(shapes: list[dict], viewed: bool) -> tuple[SimMarketData, dict[str, SimVenue]]:
    env = simpy.Environment()
    clock = SimClock(env, EPOCH)
    venues = {n: SimVenue(n, MakerTakerFees(20, 30), ["AAPL", "MSFT"], lambda report: None) for n in NAMES}
    board = QuoteBoard() if viewed else None
    for name, s in zip(NAMES, shapes):
        venue, now = venues[name], clock.now_ns()
        post(venue, f"{name}-B", Side.BUY, s["bid"], now)
        post(venue, f"{name}-A", Side.SELL, s["ask"], now)
        if board is not None:
            board.put(venue.quote("AAPL", now), now, now + 2_000_000)
        if s["stale"]:
            venue.add_condition(StaleBook(), now)  # what it publishes freezes here, with this time
        if s["moved"]:  # the book moves on (a better bid) after the freeze
            post(venue, f"{name}-B2", Side.BUY, (0, 200), now)
        if s["down"]:
            venue.set_status(VenueStatus.DOWN)
    env.run(until=5_000_000_000)  # five seconds on: the frozen quotes' and the view's stamps are old now
    return SimMarketData(clock, venues, {"AAPL": 190 * D}, view=board), venues


@settings(max_examples=150, deadline=None)
@given(shapes=st.lists(shape, min_size=3, max_size=3), viewed=st.booleans())
def test_venue_tops_answers_what_status_and_quote_answer(shapes, viewed):
    md, venues = world(shapes, viewed)
    tops = md.venue_tops("AAPL", ASKED)
    assert tops == venue_tops(md, "AAPL", ASKED)
    assert [t[0] for t in tops] == [n for n, s in zip(NAMES, shapes) if not s["down"]]
    for name, top, as_of in tops:  # read off the book only where the venue publishes its book as it is
        if venues[name].publishes_book_top and not viewed:
            assert top == venues[name].book("AAPL").top() and as_of == EPOCH + 5_000_000_000


def test_a_frozen_quote_keeps_its_old_stamp_and_price_in_venue_tops():
    flat = {"bid": (1, 100), "ask": (1, 100), "down": False, "moved": True}
    md, venues = world([dict(flat, stale=True), dict(flat, stale=False), dict(flat, stale=False)], viewed=False)
    (arcx, arcx_top, arcx_at), (bats, bats_top, bats_at), _ = md.venue_tops("AAPL", NAMES)
    assert arcx_at == EPOCH and arcx_top[0] == 190 * D - CENT  # the frozen bid, not the live 190.00
    assert venues["ARCX"].book("AAPL").top()[0] == 190 * D
    assert bats_at == EPOCH + 5_000_000_000 and bats_top[0] == 190 * D
