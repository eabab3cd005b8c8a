"""``venues_sim.reopening``: the primary listing market reopens a halted symbol by auction and the other
venues resume continuous trading after its print; every reopening's prints carry a sale condition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, VenueStatus
from components.memory import ManualClock
from venues_sim.auction import Reopening
from venues_sim.fees import MakerTakerFees
from venues_sim.prints import SaleCondition, TapePrint
from venues_sim.reopening import Resumption, reopen_market
from venues_sim.rules import LuldPlan, LuldTiming, TradingHalt
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
P = 20 * PRICE_SCALE
FEES = MakerTakerFees(20, 30)


def child(venue: str, child_id: str, side=BUY, qty=100, price=P, tif=DAY) -> ChildOrder:
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(child_id, f"ORD-{child_id}", venue, "AAA", side, qty, order_type, price, tif)


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def market(reports):
    """XNAS (the primary) and BATS, each with a maker's quote, under one halt with an auction."""
    halt = TradingHalt(auction=True)
    venues = [SimVenue(name, FEES, ["AAA"], reports.append) for name in ("XNAS", "BATS")]
    for v in venues:
        v.add_rule(halt)
        v.submit_agent_order(f"{v.name}-a", "MM", "AAA", SELL, 300, P + 5 * CENT, DAY, 0)
        v.submit_agent_order(f"{v.name}-b", "MM", "AAA", BUY, 300, P - 5 * CENT, DAY, 0)
    return halt, venues


def kinds(reports, child_id):
    return [(r.kind, r.reason) for r in reports if r.child_id == child_id]


def test_only_the_primary_crosses_and_the_other_venue_resumes_after_its_print(market, reports):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    xnas.submit(child("XNAS", "x-buy", BUY, 200, P + 10 * CENT), 1)  # would cross the XNAS ask
    bats.submit(child("BATS", "b-buy", BUY, 200, P + 10 * CENT), 1)  # would cross the BATS ask
    bats.submit(child("BATS", "b-ioc", BUY, 100, P + 10 * CENT, IOC), 2)
    assert kinds(reports, "b-ioc") == [(ExecKind.REJECTED, "HALTED")]  # IOC cannot wait, as before
    assert bats.submit_agent_order("n1", "NOISE", "AAA", SELL, 50, P - 10 * CENT, DAY, 2).rested_qty == 50
    assert kinds(reports, "b-buy") == [(ExecKind.ACK, "")] and bats.leaves("b-buy") == 200

    halt.resume("AAA")
    record: list = []
    later: list = []
    price = reopen_market([xnas, bats], "AAA", P, 10, "primary", record, later.append)
    assert price == P + 5 * CENT  # XNAS's cross: 200 bought against its 300 offered
    assert [(v, type(step)) for v, _, step in record] == [("XNAS", Reopening)]
    # Until the primary's print is taken (the deferred step), BATS's held buy waits untouched.
    assert bats.leaves("b-buy") == 200 and kinds(reports, "b-buy") == [(ExecKind.ACK, "")]
    (resume,) = later
    resume()
    (_, at, resumption) = record[1]
    assert record[1][0] == "BATS" and at == 10 and isinstance(resumption, Resumption)
    assert resumption.released == 2  # our buy, then the noise sell, in arrival order
    fills = [(r.last_qty, r.last_px, r.liquidity) for r in reports if r.child_id == "b-buy" and r.kind is ExecKind.FILL]
    # Continuous matching, no auction: our held buy takes the BATS offer (taker, at the offer's price).
    assert fills == [(200, P + 5 * CENT, Liquidity.TAKER)]
    # ...and the noise sell then meets the maker's bid at 19.95 (it does not join our trade).
    assert [(f.price, f.quantity) for f in resumption.fills] == [(P + 5 * CENT, 200), (P - 5 * CENT, 50)]
    bats.book("AAA").check_invariants()
    xnas_fills = [r for r in reports if r.child_id == "x-buy" and r.kind is ExecKind.FILL]
    assert [(r.last_px, r.liquidity) for r in xnas_fills] == [(P + 5 * CENT, Liquidity.MAKER)]


def test_the_prints_say_which_is_the_reopening_auction(market):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    xnas.submit_agent_order("x1", "NOISE", "AAA", BUY, 120, P + 10 * CENT, DAY, 1)
    bats.submit(child("BATS", "ours", BUY, 70, P + 10 * CENT), 1)  # our taker fill: not printed here
    bats.submit_agent_order("b1", "NOISE", "AAA", SELL, 40, P - 10 * CENT, DAY, 2)
    halt.resume("AAA")
    reopen_market([xnas, bats], "AAA", P, 5, "primary")
    assert xnas.reopening_prints == [TapePrint("AAA", "XNAS", 5, P + 5 * CENT, 120, SaleCondition.REOPENING)]
    assert bats.reopening_prints == [TapePrint("AAA", "BATS", 5, P - 5 * CENT, 40, SaleCondition.REGULAR)]


def test_every_venue_mode_is_the_auction_on_each_venue_as_before(market, reports):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    bats.submit(child("BATS", "b-buy", BUY, 200, P + 10 * CENT), 1)
    halt.resume("AAA")
    record: list = []
    assert reopen_market([xnas, bats], "AAA", P, 3, "every_venue", record) == P + 5 * CENT  # BATS crossed
    assert [(v, type(s)) for v, _, s in record] == [("XNAS", Reopening), ("BATS", Reopening)]
    assert [r.liquidity for r in reports if r.child_id == "b-buy" and r.kind is ExecKind.FILL] == [Liquidity.MAKER]
    assert [p.condition for p in bats.reopening_prints] == [SaleCondition.REOPENING]
    with pytest.raises(ValueError, match="mode must be one of every_venue, primary, got 'first'"):
        reopen_market([xnas, bats], "AAA", P, 4, "first")


def test_a_down_primary_cancels_its_held_orders_and_the_others_resume_all_the_same(market, reports):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    xnas.submit(child("XNAS", "x-held", BUY, 100, P + 10 * CENT), 1)
    bats.submit(child("BATS", "b-held", SELL, 100, P - 10 * CENT), 1)
    xnas.set_status(VenueStatus.DOWN)
    halt.resume("AAA")
    assert reopen_market([xnas, bats], "AAA", P, 2, "primary") is None
    assert kinds(reports, "x-held")[-1] == (ExecKind.CANCELED, "VENUE_DOWN")
    assert [(r.last_px, r.liquidity) for r in reports if r.child_id == "b-held" and r.kind is ExecKind.FILL] == [
        (P - 5 * CENT, Liquidity.TAKER)]
    assert not xnas.reopening_prints


def test_a_down_venue_that_should_resume_cancels_its_held_orders(market, reports):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    bats.submit(child("BATS", "b-held", BUY, 100, P + 10 * CENT), 1)
    bats.submit_agent_order("n1", "NOISE", "AAA", SELL, 10, P, DAY, 1)
    bats.set_status(VenueStatus.DOWN)
    halt.resume("AAA")
    reopen_market([xnas, bats], "AAA", P, 2, "primary")
    assert kinds(reports, "b-held")[-1] == (ExecKind.CANCELED, "VENUE_DOWN")
    assert bats.cancel_agent_order("n1") == 0  # forgotten with the rest
    assert bats.book("AAA").best_ask() == (P + 5 * CENT, 300)  # the book as it was


def test_a_released_market_order_trades_what_it_can_and_its_rest_is_canceled(market, reports):
    halt, (xnas, bats) = market
    halt.halt("AAA")
    bats.submit(child("BATS", "mkt", BUY, 500, None), 1)
    halt.resume("AAA")
    reopen_market([xnas, bats], "AAA", P, 2, "primary")
    assert [(r.kind, r.last_qty, r.reason) for r in reports if r.child_id == "mkt"][1:] == [
        (ExecKind.FILL, 300, ""), (ExecKind.CANCELED, 200, "MARKET_REMAINDER")]


def test_after_a_luld_pause_the_other_venue_resumes_inside_the_new_band(reports):
    """The resumption runs once the plan has taken the primary's reopening price (``defer`` on the clock at
    the same instant): a held buy at BATS is collared to the new upper band, not traded above it."""
    sec, minute = 1_000_000_000, 60 * 1_000_000_000
    open_ns = 1_000 * minute
    clock = ManualClock(open_ns + 20 * minute)  # past the opening 15 minutes: bands not doubled
    xnas, bats = venues = [SimVenue(name, FEES, ["AAA"], reports.append) for name in ("XNAS", "BATS")]
    record: list = []

    def national_quote(symbol):
        tops = [v.book(symbol).top() for v in venues]
        return max(t[0] for t in tops), min((t[2] for t in tops if t[2]), default=0)

    luld = LuldPlan({"AAA": P}, {}, LuldTiming(open_ns, open_ns + 390 * minute), national_quote, clock.call_at,
                    lambda symbol, at, ref: reopen_market(venues, symbol, ref, at, "primary", record,
                                                          lambda fn: clock.call_at(at, fn)))
    for v in venues:
        v.add_rule(luld)
    bats.submit_agent_order("s", "MM", "AAA", SELL, 100, P + 60 * CENT, DAY, clock.now_ns())  # 20.60: in the band
    luld.pause("AAA", clock.now_ns())
    xnas.submit_agent_order("xb", "NOISE", "AAA", BUY, 100, P - 50 * CENT, DAY, clock.now_ns())
    xnas.submit_agent_order("xs", "NOISE", "AAA", SELL, 100, P - 60 * CENT, DAY, clock.now_ns())
    bats.submit(child("BATS", "held", BUY, 100, 21 * PRICE_SCALE), clock.now_ns())  # held for the reopening
    clock.advance_to(clock.now_ns() + 300 * sec)
    assert luld.reference("AAA") == P - 50 * CENT  # XNAS's cross at 19.50 (nearest the 20.00 reference)
    lower, upper = luld.band("AAA", clock.now_ns())
    assert upper == P + 48 * CENT  # 19.50 + 5%, to the cent
    assert [type(step) for _, _, step in record] == [Reopening, Resumption]
    assert not [r for r in reports if r.child_id == "held" and r.kind is ExecKind.FILL]  # not at 20.60
    assert bats.book("AAA").best_bid() == (upper, 100) and bats.leaves("held") == 100


orders = st.lists(st.tuples(st.sampled_from([BUY, SELL]), st.integers(1, 400), st.integers(-8, 8)),
                  min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(orders)
def test_resuming_never_leaves_a_crossed_book_and_conserves_every_share(held):
    """Whatever was held, the resumed book is uncrossed and each order's shares are filled, resting or
    ended; every trade is inside both orders' limits."""
    reports: list[ExecutionReport] = []
    halt = TradingHalt(auction=True)
    venues = [SimVenue(name, FEES, ["AAA"], reports.append) for name in ("XNAS", "BATS")]
    bats = venues[1]
    for v in venues:
        v.add_rule(halt)
    bats.submit_agent_order("a", "MM", "AAA", SELL, 200, P + 2 * CENT, DAY, 0)
    bats.submit_agent_order("b", "MM", "AAA", BUY, 200, P - 2 * CENT, DAY, 0)
    halt.halt("AAA")
    limits = {}
    for i, (side, qty, ticks) in enumerate(held):
        limits[f"h{i}"] = (side, P + ticks * CENT)
        bats.submit(child("BATS", f"h{i}", side, qty, P + ticks * CENT), 1)
    halt.resume("AAA")
    reopen_market(venues, "AAA", P, 2, "primary")
    book = bats.book("AAA")
    book.check_invariants()
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is None or ask is None or bid[0] < ask[0]
    for i, (side, qty, _) in enumerate(held):
        cid = f"h{i}"
        filled = sum(r.last_qty for r in reports if r.child_id == cid and r.kind is ExecKind.FILL)
        assert filled + bats.leaves(cid) == qty
        for r in reports:
            if r.child_id == cid and r.kind is ExecKind.FILL:
                assert r.last_px <= limits[cid][1] if side is BUY else r.last_px >= limits[cid][1]


def test_a_print_refuses_a_bad_quantity_or_condition():
    with pytest.raises(ValueError, match="qty must be a positive int, got 0"):
        TapePrint("AAA", "XNAS", 1, P, 0, SaleCondition.REGULAR)
    with pytest.raises(ValueError, match="condition must be a SaleCondition, got '5'"):
        TapePrint("AAA", "XNAS", 1, P, 10, "5")  # type: ignore[arg-type]
