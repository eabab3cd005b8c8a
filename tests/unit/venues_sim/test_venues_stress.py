"""Venue stress conditions (venues_sim.stress) applied to a SimVenue."""

from __future__ import annotations

import numpy as np
import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, VenueStatus
from venues_sim.fees import MakerTakerFees
from venues_sim.stress import (
    Down,
    RejectStorm,
    Slow,
    StaleBook,
    SubmitOnlyDown,
    VenueCondition,
    Window,
    poisson_windows,
)
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
P = 50 * 10_000
T = 100


@pytest.fixture
def reports() -> list[ExecutionReport]:
    return []


@pytest.fixture
def venue(reports) -> SimVenue:
    v = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA"], reports.append)
    v.submit_agent_order("a1", "MM", "AAA", SELL, 1_000, P + T, DAY, 0)
    v.submit_agent_order("b1", "MM", "AAA", BUY, 1_000, P, DAY, 0)
    return v


def child(child_id: str, side: Side = BUY, qty: int = 100, price: int = P, tif=DAY) -> ChildOrder:
    return ChildOrder(child_id, f"ORD-{child_id}", "XNAS", "AAA", side, qty, OrderType.LIMIT, price, tif)


def test_down_takes_the_venue_down_until_the_last_outage_ends(venue):
    first, second = Down(), Down()
    venue.add_condition(first, 1)
    venue.add_condition(second, 2)
    assert venue.status is VenueStatus.DOWN
    venue.remove_condition(first, 3)
    assert venue.status is VenueStatus.DOWN  # overlapping outage still on
    venue.remove_condition(second, 4)
    assert venue.status is VenueStatus.UP and venue.conditions == ()


def test_slow_only_reports_extra_latency(venue, reports):
    slow = Slow(extra_ms=25.0)
    venue.add_condition(slow, 1)
    assert slow.extra_latency_ns == 25_000_000 and isinstance(slow, VenueCondition)
    venue.submit(child("c1", price=P + T, tif=IOC), 2)
    assert [r.kind for r in reports] == [ExecKind.ACK, ExecKind.FILL]
    with pytest.raises(ValueError):
        Slow(extra_ms=-1.0)


def test_stale_book_freezes_quotes_but_orders_still_fill(venue, reports):
    venue.add_condition(StaleBook(), 10)
    frozen = venue.quote("AAA", 20)
    assert (frozen.bid, frozen.ask, frozen.ask_size, frozen.timestamp_ns) == (P, P + T, 1_000, 10)
    venue.submit(child("c1", qty=400, price=P + T, tif=IOC), 30)
    assert [r.kind for r in reports] == [ExecKind.ACK, ExecKind.FILL]  # traded on the live book
    assert venue.book("AAA").best_ask() == (P + T, 600)
    assert venue.quote("AAA", 40) == frozen  # still the old picture
    (stale,) = venue.conditions
    venue.remove_condition(stale, 50)
    live = venue.quote("AAA", 60)
    assert (live.ask_size, live.timestamp_ns) == (600, 60)


def test_reject_storm_rejects_a_fraction_with_a_reason(venue, reports):
    venue.add_condition(RejectStorm(0.5, np.random.default_rng(7)), 1)
    for i in range(200):
        venue.submit(child(f"c{i}", price=P - T), 2)
    rejected = [r for r in reports if r.kind is ExecKind.REJECTED]
    assert 60 < len(rejected) < 140
    assert {r.reason for r in rejected} == {"VENUE_THROTTLED"}
    assert len(rejected) + sum(r.kind is ExecKind.ACK for r in reports) == 200


def test_reject_storm_is_deterministic_per_stream(reports):
    def outcomes(seed: int) -> list[str]:
        got: list[ExecutionReport] = []
        v = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA"], got.append)
        v.add_condition(RejectStorm(0.3, np.random.default_rng(seed)), 0)
        for i in range(50):
            v.submit(child(f"c{i}"), 1)
        return [r.kind.value for r in got]

    assert outcomes(1) == outcomes(1) and outcomes(1) != outcomes(2)


def test_submit_only_down_refuses_cancels_and_replaces_but_takes_new_orders(venue, reports):
    venue.submit(child("c1", price=P - T), 1)
    condition = SubmitOnlyDown()
    venue.add_condition(condition, 2)
    assert venue.cancel("c1", 3) == 0
    assert (reports[-1].kind, reports[-1].reason) == (ExecKind.REJECTED, "CANCEL_UNAVAILABLE")
    assert venue.leaves("c1") == 100  # still working
    assert venue.replace("c1", child("c2", price=P - 2 * T), 4) is False
    assert reports[-1].reason == "CANCEL_UNAVAILABLE" and venue.leaves("c1") == 100
    venue.submit(child("c3", price=P - T), 5)
    assert reports[-1].kind is ExecKind.ACK
    venue.remove_condition(condition, 6)
    assert venue.cancel("c1", 7) == 100


def test_a_throttled_replace_leaves_the_old_child_working(venue, reports):
    venue.submit(child("c1", price=P - T), 1)
    venue.add_condition(RejectStorm(1.0, np.random.default_rng(0)), 2)
    assert venue.replace("c1", child("c2", price=P - 2 * T), 3) is False
    assert reports[-1].reason == "VENUE_THROTTLED" and venue.leaves("c1") == 100


def test_poisson_windows_are_seeded_sorted_and_disjoint():
    hour = 3600 * 10**9
    a = poisson_windows(np.random.default_rng(3), 0, 6 * hour, 2.0, 60.0)
    assert a == poisson_windows(np.random.default_rng(3), 0, 6 * hour, 2.0, 60.0)
    assert 3 <= len(a) <= 25
    assert all(w.end_ns <= 6 * hour for w in a)
    assert all(x.end_ns <= y.start_ns for x, y in zip(a, a[1:]))
    assert poisson_windows(np.random.default_rng(3), 0, hour, 0.0, 60.0) == []
    with pytest.raises(ValueError):
        Window(5, 5)
