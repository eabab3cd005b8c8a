"""Market rules on a SimVenue: trading halts, LULD bands and pauses, short-sale restriction."""

from __future__ import annotations

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from venues_sim.fees import MakerTakerFees
from venues_sim.rules import LimitUpLimitDown, ShortSaleRestriction, TradingHalt
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
P = 100 * 10_000  # $100.00
T = 100


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def venue(reports) -> SimVenue:
    v = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA", "BBB"], reports.append)
    v.submit_agent_order("a1", "MM", "AAA", SELL, 1_000, P + T, DAY, 0)
    v.submit_agent_order("b1", "MM", "AAA", BUY, 1_000, P, DAY, 0)
    return v


def child(child_id, side=BUY, qty=100, price=P, tif=DAY, symbol="AAA", short=False) -> ChildOrder:
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(child_id, f"ORD-{child_id}", "XNAS", symbol, side, qty, order_type, price, tif, short)


def last(reports):
    return reports[-1].kind, reports[-1].reason


# ---------------------------------------------------------------- halts


def test_a_halted_symbol_rejects_new_orders_and_keeps_resting_ones(venue, reports):
    halt = TradingHalt()
    venue.add_rule(halt)
    venue.submit(child("c1", price=P - T), 1)
    halt.halt("AAA")
    assert halt.halted("AAA", 2) and not halt.halted("BBB", 2)
    venue.submit(child("c2", price=P + T, tif=IOC), 2)
    assert last(reports) == (ExecKind.REJECTED, "HALTED")
    result = venue.submit_agent_order("n1", "NOISE", "AAA", SELL, 50, None, IOC, 3)
    assert result.fills == [] and result.canceled_qty == 50  # nothing trades while halted
    assert venue.leaves("c1") == 100 and len(venue.book("AAA")) == 3  # resting orders kept
    venue.submit(child("c3", symbol="BBB"), 4)
    assert last(reports) == (ExecKind.ACK, "")  # other symbols trade on
    assert venue.cancel("c1", 5) == 100  # cancels are accepted during a halt
    halt.resume("AAA")
    venue.submit(child("c4", price=P + T, tif=IOC), 6)
    assert [r.kind for r in reports[-2:]] == [ExecKind.ACK, ExecKind.FILL]


# ----------------------------------------------------------------- LULD


def test_luld_band_is_exact_integer_arithmetic():
    luld = LimitUpLimitDown({"AAA": P}, band_bps=500, pause_ns=300)
    assert luld.band("AAA") == (P - 50_000, P + 50_000)  # +/- $5.00
    with pytest.raises(ValueError):
        LimitUpLimitDown({}, band_bps=0, pause_ns=1)


def test_orders_priced_outside_the_band_are_rejected(venue, reports):
    venue.add_rule(LimitUpLimitDown({"AAA": P}, band_bps=500, pause_ns=300))
    venue.submit(child("c1", price=P + 50_000 + T), 1)
    assert last(reports) == (ExecKind.REJECTED, "LULD_BAND")
    venue.submit(child("c2", side=SELL, price=P - 50_000 - T), 2)
    assert last(reports) == (ExecKind.REJECTED, "LULD_BAND")
    venue.submit(child("c3", price=P + 50_000), 3)  # at the band edge is inside
    assert reports[-2].kind is ExecKind.ACK
    with pytest.raises(ValueError, match="quantity"):
        venue.submit_agent_order("x", "NOISE", "AAA", BUY, 0, P + 60_000, DAY, 4)
    assert venue.submit_agent_order("x", "NOISE", "AAA", BUY, 10, P + 60_000, DAY, 4).canceled_qty == 10


def test_a_trade_at_the_band_pauses_the_symbol(venue, reports):
    luld = LimitUpLimitDown({"AAA": P}, band_bps=500, pause_ns=300)
    venue.add_rule(luld)
    upper = P + 50_000
    venue.submit_agent_order("a2", "MM", "AAA", SELL, 10, upper, DAY, 1)
    venue.submit_agent_order("n1", "NOISE", "AAA", BUY, 1_010, upper, IOC, 10)  # sweeps to the band
    assert luld.halted("AAA", 10) and luld.halted("AAA", 309) and not luld.halted("AAA", 310)
    venue.submit(child("c1", price=P), 100)
    assert last(reports) == (ExecKind.REJECTED, "LULD_PAUSE")
    venue.submit(child("c2", price=P), 310)
    assert last(reports) == (ExecKind.ACK, "")
    luld.set_reference("AAA", upper)
    assert luld.band("AAA")[1] == upper + upper * 500 // 10_000


# ------------------------------------------------------------------ SSR


def test_short_sale_may_not_execute_at_or_below_the_national_best_bid(venue, reports):
    nbb = {"AAA": P}
    venue.add_rule(ShortSaleRestriction(["AAA"], nbb.__getitem__))
    venue.submit(child("s1", side=SELL, price=P, tif=IOC, short=True), 1)
    assert last(reports) == (ExecKind.REJECTED, "SSR_PRICE")
    venue.submit(child("s2", side=SELL, price=None, tif=IOC, short=True), 2)
    assert last(reports) == (ExecKind.REJECTED, "SSR_PRICE")
    venue.submit(child("s3", side=SELL, price=P + T, short=True), 3)  # above the bid: may rest
    assert last(reports) == (ExecKind.ACK, "") and venue.leaves("s3") == 100
    venue.submit(child("s4", side=SELL, price=P, tif=IOC), 4)  # a long sale is unrestricted
    assert [r.kind for r in reports[-2:]] == [ExecKind.ACK, ExecKind.FILL]
    nbb["AAA"] = P - 5 * T  # the national best bid fell below the price: the short sale may go
    venue.submit(child("s5", side=SELL, price=P, tif=IOC, short=True), 5)
    assert reports[-2].kind is ExecKind.ACK


def test_ssr_applies_only_to_restricted_symbols(venue, reports):
    venue.add_rule(ShortSaleRestriction(["BBB"], lambda s: P))
    venue.submit(child("s1", side=SELL, price=P, tif=IOC, short=True), 1)
    assert reports[-2].kind is ExecKind.ACK
