"""Unit tests for venues_sim.venue.SimVenue and venues_sim.fees."""

from __future__ import annotations

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import (
    ChildOrder,
    ExecKind,
    ExecutionReport,
    FeeSchedule,
    Liquidity,
    Quote,
    VenueStatus,
)
from venues_sim.fees import FeeModel, MakerTakerFees
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
T = 100
P = 50 * 10_000
FEES = MakerTakerFees(maker_rebate=20, taker_fee=30)


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def venue(reports) -> SimVenue:
    return SimVenue("XNAS", FEES, ["AAA", "BBB"], reports.append)


def child(
    child_id: str,
    side: Side = BUY,
    qty: int = 100,
    price: int | None = P,
    tif: TimeInForce = DAY,
    symbol: str = "AAA",
    venue: str = "XNAS",
) -> ChildOrder:
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return ChildOrder(child_id, f"ORD-{child_id}", venue, symbol, side, qty, order_type, price, tif)


def kinds(reports: list[ExecutionReport]) -> list[str]:
    return [r.kind.value for r in reports]


# --------------------------------------------------------------------- fees


def test_maker_taker_fee_model():
    assert isinstance(FEES, FeeModel) and isinstance(FEES, FeeSchedule)
    assert FEES.fee(Liquidity.TAKER, 100) == 3000
    assert FEES.fee(Liquidity.MAKER, 100) == -2000
    assert MakerTakerFees.from_schedule(FeeSchedule(maker_rebate=-5, taker_fee=-2)).fee(Liquidity.MAKER, 10) == 50
    with pytest.raises(ValueError, match="taker_fee"):
        MakerTakerFees(maker_rebate=20, taker_fee=0.3)


# ------------------------------------------------------------- our orders


def test_taker_fills_ack_then_fills_then_ioc_remainder(venue, reports):
    venue.submit_agent_order("m1", "MM", "AAA", SELL, 30, P, DAY, 1)
    venue.submit_agent_order("m2", "MM", "AAA", SELL, 40, P + T, DAY, 2)
    venue.submit(child("c1", BUY, 100, P + T, IOC), 10)
    assert kinds(reports) == ["ACK", "FILL", "FILL", "CANCELED"]
    ack, f1, f2, cxl = reports
    assert (ack.leaves_qty, ack.order_id, ack.venue, ack.timestamp_ns) == (100, "ORD-c1", "XNAS", 10)
    assert (f1.last_qty, f1.last_px, f1.leaves_qty, f1.liquidity, f1.fee) == (30, P, 70, Liquidity.TAKER, 900)
    assert (f2.last_qty, f2.last_px, f2.leaves_qty, f2.fee) == (40, P + T, 30, 1200)
    assert (cxl.last_qty, cxl.leaves_qty, cxl.reason) == (30, 0, "IOC_REMAINDER")
    assert len({r.exec_id for r in reports}) == 4
    assert all(r.exec_id.startswith("XNAS-E") for r in reports)
    assert all(r.child_id == "c1" for r in reports)


def test_market_remainder_reason(venue, reports):
    venue.submit_agent_order("m1", "MM", "AAA", SELL, 10, P, DAY, 1)
    venue.submit(child("c1", BUY, 25, None, DAY), 5)
    assert kinds(reports) == ["ACK", "FILL", "CANCELED"]
    assert reports[-1].reason == "MARKET_REMAINDER" and reports[-1].last_qty == 15
    assert venue.book("AAA").best_bid() is None


def test_day_limit_rests_and_agent_hit_gives_maker_report_with_rebate(venue, reports):
    venue.submit(child("c1", BUY, 100, P, DAY), 1)
    assert kinds(reports) == ["ACK"]
    assert venue.leaves("c1") == 100
    assert venue.quote("AAA", 2) == Quote("XNAS", "AAA", P, 100, 0, 0, 2)
    result = venue.submit_agent_order("n1", "NOISE", "AAA", SELL, 60, None, IOC, 3)
    assert result.filled_qty == 60
    fill = reports[-1]
    assert fill.kind is ExecKind.FILL and fill.liquidity is Liquidity.MAKER
    assert (fill.last_qty, fill.last_px, fill.leaves_qty, fill.fee) == (60, P, 40, -1200)
    assert (fill.child_id, fill.order_id, fill.timestamp_ns) == ("c1", "ORD-c1", 3)
    assert venue.leaves("c1") == 40


def test_self_cross_reports_both_sides(venue, reports):
    venue.submit(child("s1", SELL, 10, P, DAY), 1)
    venue.submit(child("b1", BUY, 10, P, DAY), 2)
    fills = [r for r in reports if r.kind is ExecKind.FILL]
    assert [(r.child_id, r.liquidity, r.leaves_qty) for r in fills] == [
        ("b1", Liquidity.TAKER, 0),
        ("s1", Liquidity.MAKER, 0),
    ]


def test_cancel_resting_then_too_late_and_unknown(venue, reports):
    venue.submit(child("c1", SELL, 100, P, DAY), 1)
    assert venue.cancel("c1", 2) == 100
    assert reports[-1].kind is ExecKind.CANCELED and reports[-1].last_qty == 100 and reports[-1].leaves_qty == 0
    assert venue.cancel("c1", 3) == 0
    assert (reports[-1].kind, reports[-1].reason, reports[-1].order_id) == (ExecKind.REJECTED, "TOO_LATE", "ORD-c1")
    assert venue.cancel("zzz", 4) == 0
    assert (reports[-1].kind, reports[-1].reason) == (ExecKind.REJECTED, "UNKNOWN_ORDER")


def test_cancel_after_full_fill_is_too_late(venue, reports):
    venue.submit(child("c1", SELL, 10, P, DAY), 1)
    venue.submit_agent_order("n1", "NOISE", "AAA", BUY, 10, P, IOC, 2)
    venue.cancel("c1", 3)
    assert reports[-1].reason == "TOO_LATE"


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (child("c", symbol="ZZZ"), "UNKNOWN_SYMBOL"),
        (child("c", venue="ARCA"), "WRONG_VENUE"),
        (child("c", qty=0), "INVALID_QUANTITY"),
        (ChildOrder("c", "O", "XNAS", "AAA", BUY, 10, OrderType.LIMIT, None, DAY), "INVALID_PRICE"),
        (ChildOrder("c", "O", "XNAS", "AAA", BUY, 10, OrderType.LIMIT, -1, DAY), "INVALID_PRICE"),
    ],
)
def test_bad_child_rejected_with_reason(venue, reports, order, reason):
    venue.submit(order, 7)
    assert kinds(reports) == ["REJECTED"]
    assert reports[0].reason == reason and reports[0].order_id == order.order_id
    assert len(venue.book("AAA")) == 0


def test_another_child_with_a_held_id_is_rejected_as_a_duplicate(venue, reports):
    venue.submit(child("c1"), 1)
    venue.submit(child("c1", qty=50), 2)  # same id, other terms: not a re-send
    assert kinds(reports) == ["ACK", "REJECTED"]
    assert reports[-1].reason == "DUPLICATE_CHILD_ID"
    assert venue.leaves("c1") == 100 and venue.duplicate_submits == 0


def test_the_same_child_sent_again_is_ignored_while_it_rests(venue, reports):
    venue.submit(child("c1", BUY, 100, P, DAY), 1)
    venue.submit(child("c1", BUY, 100, P, DAY), 2)  # an at-least-once re-send
    assert kinds(reports) == ["ACK"]  # no second ack
    assert venue.leaves("c1") == 100 and len(venue.book("AAA")) == 1
    assert venue.duplicate_submits == 1


def test_the_same_child_sent_again_after_it_filled_is_not_filled_twice(venue, reports):
    venue.submit_agent_order("m1", "MM", "AAA", SELL, 300, P, DAY, 0)
    venue.submit(child("c1", BUY, 100, P, IOC), 1)
    venue.submit(child("c1", BUY, 100, P, IOC), 2)
    venue.set_status(VenueStatus.DOWN)  # even a down venue does not refuse a child it holds
    venue.submit(child("c1", BUY, 100, P, IOC), 3)
    assert kinds(reports) == ["ACK", "FILL"]
    assert venue.book("AAA").resting_qty("m1") == 200  # the maker traded once
    assert venue.duplicate_submits == 2


def test_a_rejected_child_is_not_held_so_sending_it_again_is_a_new_try(venue, reports):
    venue.set_status(VenueStatus.DOWN)
    venue.submit(child("c1"), 1)
    venue.set_status(VenueStatus.UP)
    venue.submit(child("c1"), 2)
    assert kinds(reports) == ["REJECTED", "ACK"] and venue.duplicate_submits == 0


def test_venue_down_rejects_and_does_not_trade(venue, reports):
    venue.submit(child("c1", BUY, 10, P, DAY), 1)
    venue.set_status(VenueStatus.DOWN)
    assert venue.status is VenueStatus.DOWN
    venue.submit(child("c2"), 2)
    assert reports[-1].kind is ExecKind.REJECTED and reports[-1].reason == "VENUE_DOWN"
    venue.cancel("c1", 3)
    assert reports[-1].reason == "VENUE_DOWN"
    result = venue.submit_agent_order("n1", "NOISE", "AAA", SELL, 10, None, IOC, 4)
    assert result.fills == [] and result.canceled_qty == 10
    assert venue.quote("AAA", 5) == Quote("XNAS", "AAA", 0, 0, 0, 0, 5)
    venue.set_status(VenueStatus.UP)
    assert venue.cancel("c1", 6) == 10


def test_agent_order_validation(venue):
    with pytest.raises(ValueError, match="owner"):
        venue.submit_agent_order("x", "BD", "AAA", BUY, 10, P, DAY, 0)
    with pytest.raises(ValueError, match="symbol"):
        venue.submit_agent_order("x", "MM", "ZZZ", BUY, 10, P, DAY, 0)
    with pytest.raises(ValueError, match="quantity"):
        venue.submit_agent_order("x", "MM", "AAA", BUY, 0, P, DAY, 0)


def test_cancel_agent_order(venue):
    venue.submit_agent_order("m1", "MM", "BBB", BUY, 10, P, DAY, 0)
    assert venue.cancel_agent_order("m1") == 10
    assert venue.cancel_agent_order("m1") == 0
    assert venue.cancel_agent_order("never") == 0
    # A fully filled agent order is forgotten.
    venue.submit_agent_order("m2", "MM", "BBB", BUY, 10, P, DAY, 0)
    venue.submit_agent_order("n1", "NOISE", "BBB", SELL, 10, None, IOC, 1)
    assert venue.cancel_agent_order("m2") == 0
    assert venue._agent_orders == {}


def test_end_of_day_cancels_everything_and_reports_ours(venue, reports):
    venue.submit(child("c1", BUY, 10, P, DAY), 1)
    venue.submit(child("c2", SELL, 20, P + 5 * T, DAY, symbol="BBB"), 1)
    venue.submit_agent_order("m1", "MM", "AAA", SELL, 10, P + T, DAY, 1)
    reports.clear()
    assert venue.end_of_day(99) == 3
    assert [(r.kind, r.child_id, r.last_qty, r.leaves_qty, r.reason) for r in reports] == [
        (ExecKind.CANCELED, "c1", 10, 0, "END_OF_DAY"),
        (ExecKind.CANCELED, "c2", 20, 0, "END_OF_DAY"),
    ]
    assert all(len(venue.book(s)) == 0 for s in venue.symbols)
    assert venue.cancel_agent_order("m1") == 0


def test_after_a_closing_end_of_day_new_children_are_refused_until_the_venue_reopens(venue, reports):
    venue.end_of_day(100, reopens_ns=1_000)
    venue.submit(child("late"), 500)  # delayed past the close (a crash, a slow link): it must end, not rest
    assert [(r.kind, r.child_id, r.reason) for r in reports] == [(ExecKind.REJECTED, "late", "MARKET_CLOSED")]
    assert len(venue.book("AAA")) == 0
    reports.clear()
    venue.submit(child("next-day"), 1_000)
    assert kinds(reports) == ["ACK"]


def test_an_end_of_day_without_a_reopening_time_keeps_taking_orders(venue, reports):
    venue.end_of_day(100)  # the live stack's embedded venues: the next session follows the close
    venue.submit(child("after"), 200)
    assert kinds(reports) == ["ACK"]


def test_book_lookup_unknown_symbol(venue):
    with pytest.raises(KeyError):
        venue.book("ZZZ")
    with pytest.raises(ValueError, match="symbols"):
        SimVenue("X", FEES, ["A", "A"], print)


def test_child_id_colliding_with_resting_agent_id_rejected(venue, reports):
    venue.submit_agent_order("x1", "MM", "AAA", SELL, 10, P + T, DAY, 0)
    venue.submit(child("x1"), 1)
    assert kinds(reports) == ["REJECTED"] and reports[0].reason == "DUPLICATE_CHILD_ID"
