"""Unit tests for SimVenue.replace (cancel/replace as used by the FIX front)."""

from __future__ import annotations

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecutionReport, VenueStatus
from venues_sim import venue as v
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

P = 50 * 10_000


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def venue(reports) -> SimVenue:
    return SimVenue("XNAS", MakerTakerFees(maker_rebate=20, taker_fee=30), ["AAA"], reports.append)


def child(child_id: str, qty: int = 100, price: int = P, side: Side = Side.BUY, symbol: str = "AAA") -> ChildOrder:
    return ChildOrder(child_id, "ORD-1", "XNAS", symbol, side, qty, OrderType.LIMIT, price, TimeInForce.DAY)


def summary(reports: list[ExecutionReport]) -> list[tuple[str, str, str]]:
    return [(r.kind.value, r.child_id, r.reason) for r in reports]


def test_replace_cancels_the_old_child_and_submits_the_new(venue, reports):
    venue.submit(child("C1"), 1)
    reports.clear()
    assert venue.replace("C1", child("C2", qty=150, price=P - 100), 2) is True
    assert summary(reports) == [("CANCELED", "C1", v.REPLACED), ("ACK", "C2", "")]
    assert reports[0].last_qty == 100 and reports[1].leaves_qty == 150
    assert venue.leaves("C1") == 0 and venue.leaves("C2") == 150
    assert venue.book("AAA").best_bid() == (P - 100, 150)


def test_a_replacement_that_crosses_trades_at_once(venue, reports):
    venue.submit_agent_order("ASK", "MM", "AAA", Side.SELL, 60, P + 100, TimeInForce.DAY, 0)
    venue.submit(child("C1"), 1)
    reports.clear()
    venue.replace("C1", child("C2", price=P + 100), 2)
    assert summary(reports) == [("CANCELED", "C1", v.REPLACED), ("ACK", "C2", ""), ("FILL", "C2", "")]
    assert reports[-1].last_qty == 60 and reports[-1].leaves_qty == 40


@pytest.mark.parametrize(
    "old_id, new, reason",
    [
        ("NOPE", child("C2"), v.UNKNOWN_ORDER),
        ("C1", child("C2", side=Side.SELL), v.INVALID_ORDER),
        ("C1", child("C2", qty=0), v.INVALID_QUANTITY),
        ("C1", child("C1"), v.DUPLICATE_CHILD_ID),
        ("C1", child("C2", symbol="ZZZ"), v.UNKNOWN_SYMBOL),
    ],
)
def test_a_refused_replace_leaves_the_old_child_working(venue, reports, old_id, new, reason):
    venue.submit(child("C1"), 1)
    reports.clear()
    assert venue.replace(old_id, new, 2) is False
    assert summary(reports) == [("REJECTED", new.child_id, reason)]
    assert venue.leaves("C1") == 100


def test_replace_of_a_child_no_longer_working_is_too_late(venue, reports):
    venue.submit(child("C1"), 1)
    venue.cancel("C1", 2)
    reports.clear()
    assert venue.replace("C1", child("C2"), 3) is False
    assert summary(reports) == [("REJECTED", "C2", v.TOO_LATE)]


def test_replace_on_a_down_venue_is_refused(venue, reports):
    venue.submit(child("C1"), 1)
    venue.set_status(VenueStatus.DOWN)
    reports.clear()
    assert venue.replace("C1", child("C2"), 2) is False
    assert summary(reports) == [("REJECTED", "C2", v.VENUE_DOWN)]
    assert venue.book("AAA").resting_qty("C1") == 100
