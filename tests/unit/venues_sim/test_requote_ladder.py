"""The market maker's requote fast path (``SimVenue.requote_agent_ladder``, ``TapedVenue``'s and the
pre-drawn quote sizes) against the plain path: one ``cancel_agent_order`` / ``submit_agent_order``
call per quote and one size draw per requote.

Two identical worlds get the same random sequence of maker requotes, participant orders, our own
child orders, outages and halts; the books, the fills, the reports and the tapes must match exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, VenueStatus
from scenarios.agents.tape import TapedVenue
from venues_sim.fees import MakerTakerFees
from venues_sim.liquidity import FairValue, MarketMaker
from venues_sim.rules import TradingHalt
from venues_sim.stress import Down, StaleBook
from venues_sim.venue import SimVenue, plain_agent_ladder

T = 100
P = 100 * 10_000
SEC = 1_000_000_000
FEES = MakerTakerFees(maker_rebate=20, taker_fee=30)


class OneByOne:
    """A venue front without ``requote_agent_ladder``: a maker falls back to one call per quote."""

    def __init__(self, venue):
        self.venue = venue
        self.name = venue.name
        self.our_owner = venue.our_owner

    def book(self, symbol):
        return self.venue.book(symbol)

    def submit_agent_order(self, *args):
        return self.venue.submit_agent_order(*args)

    def cancel_agent_order(self, order_id):
        return self.venue.cancel_agent_order(order_id)


class World:
    """Two venues, a maker on each (seeded alike), our child orders and participants' orders."""

    def __init__(self, fast: bool, taped: bool, draws_ahead: int, vol: float):
        self.reports: list = []
        self.venues = [SimVenue(n, FEES, ["AAA"], self.reports.append) for n in ("XNAS", "ARCX")]
        self.halt = TradingHalt()
        fronts = [TapedVenue(v) for v in self.venues] if taped else list(self.venues)
        self.tapes = [f.tapes["AAA"] for f in fronts] if taped else []
        fair = FairValue(P, vol, np.random.default_rng(1))
        self.makers = [
            MarketMaker(f if fast else OneByOne(f), "AAA", fair, np.random.default_rng(10 + i), 2, 300, 3,
                        f"MM{i}", draws_ahead=draws_ahead if fast else 1)
            for i, f in enumerate(fronts)
        ]
        self.fronts = fronts
        self.seq = 0
        self.fills: list = []

    def apply(self, op: tuple, now: int) -> None:
        kind = op[0]
        if kind == "requote":
            self.fills.append(self.makers[op[1]].requote(now))
        elif kind == "agent":
            _, v, buy, qty, offset, market = op
            self.seq += 1
            side = Side.BUY if buy else Side.SELL
            price = None if market else P + offset * T
            tif = TimeInForce.IOC if market else TimeInForce.DAY
            self.fills.append(self.fronts[v].submit_agent_order(f"N-{self.seq}", "NOISE", "AAA", side, qty, price,
                                                                tif, now))
        elif kind == "ours":
            _, v, buy, qty, offset = op
            self.seq += 1
            venue = self.venues[v]
            venue.submit(ChildOrder(f"C{self.seq}", f"O{self.seq}", venue.name, "AAA",
                                    Side.BUY if buy else Side.SELL, qty, OrderType.LIMIT, P + offset * T,
                                    TimeInForce.DAY), now)
        elif kind == "status":
            self.venues[op[1]].set_status(VenueStatus.DOWN if op[2] else VenueStatus.UP)
        elif kind == "halt":
            if op[1]:
                self.halt.halt("AAA")
            else:
                self.halt.resume("AAA")

    def state(self) -> tuple:
        books = []
        for venue in self.venues:
            book = venue.book("AAA")
            book.check_invariants()
            books.append((book.depth(100), sorted((oid, book.resting_qty(oid)) for oid in venue._agent_orders),
                          book.version))
        tapes = [(list(t.times), list(t.prices), list(t.quantities), t.orders) for t in self.tapes]
        return books, tapes, [m.live_quotes for m in self.makers], [m._seq for m in self.makers]


REQUOTE = st.tuples(st.just("requote"), st.integers(0, 1))
OPS = st.one_of(
    REQUOTE,
    REQUOTE,  # twice: requotes are most of a day's orders
    st.tuples(st.just("agent"), st.integers(0, 1), st.booleans(), st.integers(1, 900), st.integers(-4, 4),
              st.booleans()),
    st.tuples(st.just("ours"), st.integers(0, 1), st.booleans(), st.integers(1, 400), st.integers(-3, 3)),
    st.tuples(st.just("status"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("halt"), st.booleans()),
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(OPS, max_size=60), taped=st.booleans(), draws_ahead=st.integers(1, 7),
       rules=st.booleans(), vol=st.sampled_from([0.0, 200.0]))
def test_fast_requotes_match_one_call_per_quote(ops, taped, draws_ahead, rules, vol):
    fast, plain = World(True, taped, draws_ahead, vol), World(False, taped, 1, vol)
    if rules:
        for world in (fast, plain):
            for venue in world.venues:
                venue.add_rule(world.halt)
    for step, op in enumerate(ops):
        now = step * SEC
        fast.apply(op, now)
        plain.apply(op, now)
        assert fast.state() == plain.state()
    assert fast.fills == plain.fills
    assert fast.reports == plain.reports


def test_ladder_after_each_sees_every_order_after_its_tape_entry():
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    front = TapedVenue(venue)
    front.submit_agent_order("N1", "NOISE", "AAA", Side.SELL, 50, P, TimeInForce.DAY, 0)
    seen = []
    orders = [("Q1", Side.BUY, 80, P, TimeInForce.DAY), ("Q2", Side.SELL, 10, P + T, TimeInForce.DAY)]
    results = front.requote_agent_ladder("MM", "AAA", [], orders, 7,
                                         lambda r: seen.append((r, front.tapes["AAA"].orders)))
    assert [r for r, _ in seen] == results
    assert [n for _, n in seen] == [2, 3]  # the tape counted each order before the callback
    assert results[0].fills[0].quantity == 50 and results[0].rested_qty == 30
    assert list(front.tapes["AAA"].quantities) == [50]


def test_after_order_follows_each_order_and_each_whole_ladder_once_its_trades_are_taped():
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    calls = []
    front = TapedVenue(venue, after_order=lambda symbol, now: calls.append(
        (symbol, now, front.tapes["AAA"].orders, list(front.tapes["AAA"].quantities))))
    front.submit_agent_order("N1", "NOISE", "AAA", Side.SELL, 50, P, TimeInForce.DAY, 3)
    assert calls == [("AAA", 3, 1, [])]
    orders = [("Q1", Side.BUY, 80, P, TimeInForce.DAY), ("Q2", Side.SELL, 10, P + T, TimeInForce.DAY)]
    front.requote_agent_ladder("MM", "AAA", [], orders, 7)
    assert calls[1:] == [("AAA", 7, 3, [50])]  # one call for the ladder, after its trade is on the tape
    front.requote_agent_ladder("MM", "AAA", ["Q1", "Q2"], [], 9)  # a ladder that only cancels is still one update
    assert calls[2:] == [("AAA", 9, 3, [50])]
    seen = []
    front.requote_agent_ladder("MM", "AAA", [], orders[:1], 11, seen.append)  # the per-order path: the same
    assert len(seen) == 1 and calls[3:] == [("AAA", 11, 4, [50])]


def test_ladder_refuses_like_submit_agent_order():
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    order = [("Q1", Side.BUY, 10, P, TimeInForce.DAY)]
    with pytest.raises(ValueError, match="owner"):
        venue.requote_agent_ladder("BD", "AAA", [], order, 0)
    with pytest.raises(ValueError, match="symbol"):
        venue.requote_agent_ladder("MM", "ZZZ", [], order, 0)
    with pytest.raises(ValueError, match="quantity"):
        venue.requote_agent_ladder("MM", "AAA", [], [("Q1", Side.BUY, 0, P, TimeInForce.DAY)], 0)


def test_a_wrapped_venue_takes_the_plain_path():
    """``twin calibrate`` wraps a venue's entry points on the instance: the ladder must call them."""
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    calls = []
    inner = venue.submit_agent_order
    venue.submit_agent_order = lambda *a: calls.append(a[0]) or inner(*a)
    venue.requote_agent_ladder("MM", "AAA", [], [("Q1", Side.BUY, 10, P, TimeInForce.DAY),
                                                 ("Q2", Side.SELL, 10, P + T, TimeInForce.DAY)], 0)
    assert calls == ["Q1", "Q2"]


def test_plain_ladder_cancels_then_submits_through_the_front():
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    venue.submit_agent_order("Q0", "MM", "AAA", Side.BUY, 10, P - T, TimeInForce.DAY, 0)
    results = plain_agent_ladder(OneByOne(venue), "MM", "AAA", ["Q0"], [("Q1", Side.BUY, 20, P, TimeInForce.DAY)], 1)
    assert venue.book("AAA").depth(5) == ([(P, 20)], [])
    assert results[0].rested_qty == 20


@given(lo=st.integers(1, 10_000), width=st.integers(0, 10_000), n=st.integers(1, 12), k=st.integers(1, 9),
       seed=st.integers(0, 2**32 - 1))
def test_sizes_drawn_ahead_are_the_sizes_drawn_one_requote_at_a_time(lo, width, n, k, seed):
    """What ``MarketMaker(draws_ahead=k)`` relies on: numpy draws the same numbers either way."""
    ahead = np.random.default_rng(seed).integers(lo, lo + width + 1, size=n * k).tolist()
    one_at_a_time = np.random.default_rng(seed)
    assert ahead == [v for _ in range(k) for v in one_at_a_time.integers(lo, lo + width + 1, size=n).tolist()]


def test_publishes_book_top_follows_status_and_conditions():
    venue = SimVenue("XNAS", FEES, ["AAA"], lambda r: None)
    assert venue.publishes_book_top
    venue.set_status(VenueStatus.DOWN)
    assert not venue.publishes_book_top
    venue.set_status(VenueStatus.UP)
    stale = StaleBook()
    venue.add_condition(stale, 0)
    assert not venue.publishes_book_top
    venue.remove_condition(stale, 1)
    assert venue.publishes_book_top
    down = Down()
    venue.add_condition(down, 2)
    assert not venue.publishes_book_top and venue.status is VenueStatus.DOWN
    venue.remove_condition(down, 3)
    assert venue.publishes_book_top
