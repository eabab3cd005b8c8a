"""Market rules of issue 18 on a SimVenue: halts held and reopened by an auction, the LULD plan
(rolling reference, bands by tier, limit state, pause, reopening), Rule 201's trigger and carry."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, VenueStatus
from components.memory import ManualClock
from venues_sim.fees import MakerTakerFees
from venues_sim.rules import (
    LuldPlan,
    LuldTiming,
    ShortSaleRestriction,
    TradingHalt,
    luld_band_width,
)
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
D = PRICE_SCALE
P = 20 * D  # $20.00
SEC = 1_000_000_000
MIN = 60 * SEC
OPEN = 1_000 * MIN  # any epoch: the plan's clocks are relative to the session


def child(child_id, side=BUY, qty=100, price=P, tif=DAY, symbol="AAA", short=False) -> ChildOrder:
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(child_id, f"ORD-{child_id}", "XNAS", symbol, side, qty, order_type, price, tif, short)


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def venue(reports) -> SimVenue:
    v = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA", "BBB"], reports.append)
    v.submit_agent_order("a1", "MM", "AAA", SELL, 500, P + 5 * CENT, DAY, 0)
    v.submit_agent_order("b1", "MM", "AAA", BUY, 500, P - 5 * CENT, DAY, 0)
    return v


def kinds(reports, child_id):
    return [(r.kind, r.reason) for r in reports if r.child_id == child_id]


# ---------------------------------------------------------------- halts reopened by an auction


def test_a_halt_with_an_auction_holds_day_orders_refuses_ioc_and_crosses_at_one_price(venue, reports):
    halt = TradingHalt(auction=True)
    venue.add_rule(halt)
    venue.submit(child("rest", BUY, 200, P - 3 * CENT), 1)  # rests before the halt: held through it
    venue.submit_agent_order("n0", "NOISE", "AAA", BUY, 10, None, IOC, 2)  # a last sale at the ask
    halt.halt("AAA")
    venue.submit(child("ioc", BUY, 100, P + 10 * CENT, IOC), 3)
    assert kinds(reports, "ioc") == [(ExecKind.REJECTED, "HALTED")]  # cannot wait for the auction
    venue.submit(child("held", BUY, 300, P + 2 * CENT), 4)
    assert kinds(reports, "held") == [(ExecKind.ACK, "")] and venue.leaves("held") == 300
    # Participants: a crossing DAY sell waits too (as if resting), their IOC is refused.
    assert venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 400, P - 4 * CENT, DAY, 5).rested_qty == 400
    assert venue.submit_agent_order("s2", "NOISE", "AAA", SELL, 50, None, IOC, 5).canceled_qty == 50
    assert venue.book("AAA").best_bid() == (P - 3 * CENT, 200)  # nothing traded: the held sell would cross
    venue.submit(child("gone", BUY, 100, P), 6)
    assert venue.cancel("gone", 7) == 100  # a held order can be canceled
    assert venue.cancel_agent_order("s1") == 400 and venue.cancel_agent_order("s1") == 0
    venue.submit_agent_order("s3", "NOISE", "AAA", SELL, 400, P - 4 * CENT, DAY, 8)

    halt.resume("AAA")
    reference = halt.reference_price("AAA", P)
    assert reference == P + 5 * CENT  # the last sale before the halt
    reopening = venue.reopen("AAA", reference, 9)
    # Demand: 300 @ 20.02 (held), 200 @ 19.97 (rested), 500 @ 19.95; supply: 400 @ 19.96, 490 @ 20.05.
    # 19.97 trades 400 with demand 500 (imbalance 100); 19.96: 400 vs demand 500; nearest the reference wins.
    assert (reopening.cross.price, reopening.cross.volume) == (P - 3 * CENT, 400)
    ours = [r for r in reports if r.kind is ExecKind.FILL and r.timestamp_ns == 9]
    assert [(r.child_id, r.last_qty, r.last_px, r.leaves_qty) for r in ours] == [
        ("held", 300, P - 3 * CENT, 0), ("rest", 100, P - 3 * CENT, 100)]
    assert {r.liquidity for r in ours} == {Liquidity.MAKER}
    assert venue.leaves("rest") == 100 and venue.book("AAA").best_bid() == (P - 3 * CENT, 100)
    venue.book("AAA").check_invariants()
    venue.submit(child("after", BUY, 10, P + 5 * CENT, IOC), 10)  # trading as usual again
    assert [k for k, _ in kinds(reports, "after")] == [ExecKind.ACK, ExecKind.FILL]


def test_a_makers_requote_during_a_halt_replaces_its_held_quotes(venue):
    halt = TradingHalt(auction=True)
    venue.add_rule(halt)
    halt.halt("AAA")
    quotes = [("q1", BUY, 100, P - CENT, DAY), ("q2", SELL, 100, P + CENT, DAY)]
    assert [r.rested_qty for r in venue.requote_agent_ladder("MM2", "AAA", [], quotes, 1)] == [100, 100]
    again = [("q3", BUY, 100, P - 2 * CENT, DAY), ("q4", SELL, 100, P + 2 * CENT, DAY)]
    venue.requote_agent_ladder("MM2", "AAA", ["q1", "q2"], again, 2)  # cancels the held q1, q2
    halt.resume("AAA")
    venue.reopen("AAA", P, 3)
    resting = {oid for oid, *_ in venue.book("AAA").resting_orders()}
    assert {"q3", "q4"} <= resting and not {"q1", "q2"} & resting


def test_without_the_auction_switch_a_halt_refuses_as_before(venue, reports):
    halt = TradingHalt()
    venue.add_rule(halt)
    halt.halt("AAA")
    venue.submit(child("c1", price=P - CENT), 1)
    assert kinds(reports, "c1") == [(ExecKind.REJECTED, "HALTED")]


def test_orders_still_held_at_the_close_end_with_the_day_and_a_down_venue_crosses_nothing(venue, reports):
    halt = TradingHalt(auction=True)
    venue.add_rule(halt)
    halt.halt("AAA")
    venue.submit(child("h1", BUY, 100, P + 10 * CENT), 1)
    venue.submit(child("h2", SELL, 100, P - 10 * CENT), 1)
    venue.set_status(VenueStatus.DOWN)
    reopening = venue.reopen("AAA", P, 2)
    assert reopening.cross.price is None and not reopening.fills
    assert kinds(reports, "h1")[-1] == (ExecKind.CANCELED, "VENUE_DOWN")
    venue.set_status(VenueStatus.UP)
    venue.submit(child("h3", BUY, 100, P - 10 * CENT), 3)
    assert venue.end_of_day(4) == 3  # two makers' quotes and the held h3
    assert kinds(reports, "h3")[-1] == (ExecKind.CANCELED, "END_OF_DAY")


# ---------------------------------------------------------------------------- the LULD plan


@pytest.mark.parametrize("tier, reference, doubled, width", [
    (1, 20 * D, False, D),                # 5%
    (2, 20 * D, False, 2 * D),            # 10%
    (1, 2 * D, False, 4_000),             # 20% from $0.75 to $3.00
    (2, 75 * CENT, True, 3_000),          # 20%, doubled
    (1, 50 * CENT, False, 15 * CENT),     # the lesser of $0.15 and 75%
    (1, 10 * CENT, False, 750),           # 75% of $0.10
])
def test_band_widths_follow_the_plans_table(tier, reference, doubled, width):
    assert luld_band_width(tier, reference, doubled) == width


def test_a_tier_that_is_not_1_or_2_is_refused():
    with pytest.raises(ValueError, match="tier must be 1 or 2"):
        luld_band_width(3, P, False)
    with pytest.raises(ValueError, match="pause_ns must be a positive int"):
        LuldTiming(0, MIN, pause_ns=0)


class Market:
    """A venue under the LULD plan with a manual clock; the NBBO is the venue's own top."""

    def __init__(self, reports, tier: int = 1, start: int = OPEN + 20 * MIN):
        self.clock = ManualClock(start)  # by default past the opening 15 minutes: bands not doubled
        self.venue = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA"], reports.append)
        self.reopened: list[int] = []

        def reopen(symbol: str, at: int, reference: int):
            self.reopened.append(at)
            return self.venue.reopen(symbol, reference, at).cross.price

        def national_quote(symbol: str) -> tuple[int, int]:
            bid, _, ask, _ = self.venue.book(symbol).top()
            return bid, ask

        self.luld = LuldPlan({"AAA": P}, {"AAA": tier}, LuldTiming(OPEN, OPEN + 390 * MIN), national_quote,
                             self.clock.call_at, reopen)
        self.venue.add_rule(self.luld)
        self.seq = 0

    def agent(self, side, qty, price, tif=DAY):
        self.seq += 1
        return self.venue.submit_agent_order(f"x{self.seq}", "NOISE", "AAA", side, qty, price, tif,
                                             self.clock.now_ns())


def test_the_band_is_doubled_in_the_first_15_minutes_and_tier_2_is_wider(reports):
    m = Market(reports)
    assert m.luld.band("AAA", m.clock.now_ns()) == (19 * D, 21 * D)
    assert m.luld.band("AAA", OPEN + 14 * MIN) == (18 * D, 22 * D)
    assert Market(reports, tier=2).luld.band("AAA", OPEN + 20 * MIN) == (18 * D, 22 * D)


def test_orders_beyond_the_band_are_repriced_to_it_so_nothing_trades_outside(reports):
    m = Market(reports)
    m.agent(SELL, 100, 20 * D + 10 * CENT)
    m.agent(SELL, 100, 21 * D + 50 * CENT)  # a sell above the upper band may rest: it cannot trade there
    result = m.agent(BUY, 300, None, IOC)  # a market buy trades up to the upper band, no further
    assert [(f.price, f.quantity) for f in result.fills] == [(20 * D + 10 * CENT, 100)] and result.canceled_qty == 200
    assert m.luld.reference("AAA") == P  # one trade 0.5% away: the reference stays
    m.venue.submit(child("c1", BUY, 100, 22 * D), m.clock.now_ns())  # our limit above the band: repriced
    assert m.venue.book("AAA").best_bid() == (21 * D, 100)
    assert [r.kind for r in reports if r.child_id == "c1"] == [ExecKind.ACK]


def test_a_resting_order_left_beyond_the_band_is_canceled_not_traded_with(reports):
    m = Market(reports, start=OPEN + 10 * MIN)  # the opening's doubled band: 18.00 to 22.00
    m.venue.submit(child("low", SELL, 100, 18 * D + 50 * CENT), m.clock.now_ns())
    assert m.venue.leaves("low") == 100
    m.clock.advance_to(OPEN + 15 * MIN)  # the band narrows to 19.00 - 21.00: 18.50 is beyond it
    result = m.agent(BUY, 100, 19 * D + 10 * CENT)
    assert not result.fills and result.rested_qty == 100
    assert kinds(reports, "low")[-1] == (ExecKind.CANCELED, "LULD_BAND") and m.venue.leaves("low") == 0


def test_the_reference_is_the_five_minute_mean_once_it_moves_1_percent(reports):
    m = Market(reports)
    start = m.clock.now_ns()
    for i, px in enumerate((P, P + 10 * CENT, P + 20 * CENT, P + 30 * CENT)):
        m.clock.advance_to(start + i * MIN)
        m.agent(SELL, 10, px)
        m.agent(BUY, 10, px, IOC)
    # Means 20.00, 20.05, 20.10 (< 1% off), then 20.15: 0.75%... still under 1%.
    assert m.luld.reference("AAA") == P
    m.clock.advance_to(start + 4 * MIN)
    m.agent(SELL, 10, P + 60 * CENT)
    m.agent(BUY, 10, P + 60 * CENT, IOC)  # mean of 20.00 .. 20.60 over 5 trades: 20.24, 1.2% up
    assert m.luld.reference("AAA") == P + 24 * CENT
    m.clock.advance_to(start + 8 * MIN + 30 * SEC)  # only the 20.60 trade is within five minutes
    m.agent(SELL, 10, P + 40 * CENT)
    m.agent(BUY, 10, P + 40 * CENT, IOC)  # mean 20.50: 1.3% above 20.24
    assert m.luld.reference("AAA") == P + 50 * CENT
    assert [e[2] for e in m.luld.events] == ["REFERENCE", "REFERENCE"]


def test_a_limit_state_of_15_seconds_pauses_the_symbol_and_an_auction_reopens_it(reports):
    m = Market(reports)
    t0 = m.clock.now_ns()
    m.agent(SELL, 100, 21 * D + 20 * CENT)
    m.agent(BUY, 200, 21 * D + 50 * CENT)  # repriced to the upper band: NBB at the band, a limit state
    assert m.luld.in_limit_state("AAA") and m.venue.book("AAA").best_bid() == (21 * D, 200)
    m.clock.advance_to(t0 + 15 * SEC - 1)
    assert not m.luld.halted("AAA", m.clock.now_ns())
    m.clock.advance_to(t0 + 15 * SEC)
    assert m.luld.halted("AAA", t0 + 15 * SEC) and [e[2] for e in m.luld.events] == ["LIMIT_STATE", "PAUSE"]
    # Paused: IOC refused, DAY orders (ours too) wait for the reopening auction.
    assert m.agent(BUY, 50, None, IOC).canceled_qty == 50
    m.venue.submit(child("p1", SELL, 150, 21 * D + 10 * CENT), t0 + 20 * SEC)
    assert [r.kind for r in reports if r.child_id == "p1"] == [ExecKind.ACK]
    m.venue.submit(child("p2", SELL, 10, None, IOC), t0 + 20 * SEC)
    assert [(r.kind, r.reason) for r in reports if r.child_id == "p2"] == [(ExecKind.REJECTED, "LULD_PAUSE")]
    m.clock.advance_to(t0 + 15 * SEC + 5 * MIN)
    assert m.reopened == [t0 + 15 * SEC + 5 * MIN] and not m.luld.halted("AAA", m.clock.now_ns())
    # Our held sell at 21.10 is above the 21.00 bid: nothing crosses, the reference stays, both rest,
    # and the bid still at the band is a new limit state (another pause in 15 s unless it clears).
    assert [e[2:] for e in m.luld.events[-2:]] == [("REOPEN", 0), ("LIMIT_STATE", 21 * D)]
    assert m.luld.reference("AAA") == P and m.luld.in_limit_state("AAA")
    assert m.venue.leaves("p1") == 150 and m.venue.book("AAA").best_ask() == (21 * D + 10 * CENT, 150)


def test_the_reopening_price_becomes_the_reference(reports):
    m = Market(reports)
    t0 = m.clock.now_ns()
    m.agent(BUY, 200, 21 * D + 50 * CENT)  # repriced to 21.00: a limit state on an empty offer side
    m.clock.advance_to(t0 + 15 * SEC)
    assert m.luld.halted("AAA", m.clock.now_ns())
    m.venue.submit(child("p1", SELL, 150, 20 * D + 90 * CENT), m.clock.now_ns())  # waits; crosses the bid
    m.clock.advance_to(t0 + 15 * SEC + 5 * MIN)
    fills = [r for r in reports if r.child_id == "p1" and r.kind is ExecKind.FILL]
    # 150 trade anywhere from 20.90 to 21.00 (imbalance 50 throughout): the price nearest the reference.
    assert [(r.last_qty, r.last_px) for r in fills] == [(150, 20 * D + 90 * CENT)]
    assert m.luld.reference("AAA") == 20 * D + 90 * CENT
    assert m.luld.band("AAA", m.clock.now_ns()) == (19 * D + 86 * CENT, 21 * D + 95 * CENT)  # 5%, to the cent


def test_a_limit_state_cleared_in_time_does_not_pause(reports):
    m = Market(reports)
    t0 = m.clock.now_ns()
    m.agent(SELL, 100, 21 * D + 20 * CENT)
    m.agent(BUY, 100, 21 * D)
    assert m.luld.in_limit_state("AAA")
    m.clock.advance_to(t0 + 10 * SEC)
    m.agent(SELL, 100, 21 * D, IOC)  # takes the bid at the band: the limit state ends
    assert not m.luld.in_limit_state("AAA")
    m.clock.advance_to(t0 + 60 * SEC)
    assert not m.luld.halted("AAA", m.clock.now_ns()) and not m.reopened


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.one_of(st.none(), st.integers(-300, 300)), st.integers(1, 500),
                          st.booleans(), st.integers(0, 20)), min_size=1, max_size=60))
def test_nothing_ever_trades_outside_the_band_in_effect(orders):
    m = Market([])
    for buy, offset, qty, ioc, wait_s in orders:
        m.clock.advance_to(m.clock.now_ns() + wait_s * SEC)  # pauses begin and end on the way
        now = m.clock.now_ns()
        lower, upper = m.luld.band("AAA", now)
        price = None if offset is None else P + offset * CENT // 2
        result = m.agent(BUY if buy else SELL, qty, price, IOC if ioc or price is None else DAY)
        assert all(lower <= f.price <= upper for f in result.fills), (lower, upper, result.fills)
        if m.luld.halted("AAA", now):
            assert not result.fills
    m.venue.book("AAA").check_invariants()


# -------------------------------------------------------------------------- Rule 201's trigger


def test_a_trade_10_percent_under_the_previous_close_restricts_short_sales_today_and_tomorrow(venue, reports):
    nbb = {"AAA": P - 5 * CENT}
    ssr = ShortSaleRestriction((), nbb.__getitem__, previous_close={"AAA": 22 * D + 20 * CENT})
    venue.add_rule(ssr)
    venue.submit(child("s1", SELL, 10, P - 5 * CENT, IOC, short=True), 1)
    assert kinds(reports, "s1")[0] == (ExecKind.ACK, "")  # not restricted yet: no trade so far
    # 19.95 is 10.14% under 22.20: that trade triggered the restriction.
    assert ssr.triggered == {"AAA": 1} and ssr.end_of_day() == frozenset({"AAA"})
    venue.submit(child("s2", SELL, 10, P - 5 * CENT, IOC, short=True), 2)
    assert kinds(reports, "s2") == [(ExecKind.REJECTED, "SSR_PRICE")]
    venue.submit(child("s3", SELL, 10, P - 5 * CENT, IOC), 3)  # a long sale is not restricted
    assert kinds(reports, "s3")[0] == (ExecKind.ACK, "")
    # The next day: carried in, restricted from the first order.
    tomorrow = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA"], reports.append)
    tomorrow.add_rule(ShortSaleRestriction(ssr.end_of_day(), nbb.__getitem__))
    tomorrow.submit(child("s4", SELL, 10, P - 5 * CENT, short=True), 4)
    assert kinds(reports, "s4") == [(ExecKind.REJECTED, "SSR_PRICE")]


def test_a_trade_just_above_the_trigger_does_not_restrict(venue):
    ssr = ShortSaleRestriction((), lambda s: P, previous_close={"AAA": 22 * D + 16 * CENT})
    venue.add_rule(ssr)
    venue.submit(child("s1", SELL, 10, P - 5 * CENT, IOC), 1)  # 19.95 > 0.9 * 22.16 = 19.944
    assert not ssr.triggered and ssr.end_of_day() == frozenset()
    with pytest.raises(ValueError, match="trigger_bps"):
        ShortSaleRestriction((), lambda s: P, trigger_bps=0)
