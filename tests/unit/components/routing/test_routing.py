"""Smart order routing: effective price, splitting, venue health, resting, ties."""

from __future__ import annotations

import pytest

from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import FeeSchedule, Quote, VenueStatus
from components.memory import SequentialIds
from components.routing import SmartOrderRouter

D = PRICE_SCALE
PX = 190 * D  # $190.00
TICK = 100  # one cent


class FakeMarketData:
    """Quotes and statuses per venue, set by the test."""

    def __init__(self) -> None:
        self.quotes: dict[str, Quote] = {}
        self.status: dict[str, VenueStatus] = {}

    def set(self, venue: str, bid: int = 0, bid_size: int = 0, ask: int = 0, ask_size: int = 0,
            status: VenueStatus = VenueStatus.UP, symbol: str = "AAPL") -> None:
        self.quotes[venue] = Quote(venue, symbol, bid, bid_size, ask, ask_size)
        self.status[venue] = status

    def quote(self, venue: str, symbol: str) -> Quote | None:
        q = self.quotes.get(venue)
        return q if q is not None and q.symbol == symbol else None

    def reference_price(self, symbol: str) -> int:
        return PX

    def venue_status(self, venue: str) -> VenueStatus:
        return self.status.get(venue, VenueStatus.UP)


FEES = {
    "XNAS": FeeSchedule(maker_rebate=20, taker_fee=30),
    "ARCX": FeeSchedule(maker_rebate=21, taker_fee=30),
    "BATS": FeeSchedule(maker_rebate=25, taker_fee=10),
}


def router(md: FakeMarketData, fees: dict[str, FeeSchedule] = FEES) -> SmartOrderRouter:
    return SmartOrderRouter(fees, md, SequentialIds())


@pytest.fixture
def md() -> FakeMarketData:
    return FakeMarketData()


def plan_of(plan):
    return [(c.venue, c.quantity) for c in plan.children]


def test_routes_to_the_cheapest_price_after_taker_fees(world, md):
    # same ask everywhere: BATS's lower taker fee makes it cheapest
    for venue in FEES:
        md.set(venue, ask=PX, ask_size=1_000, bid=PX - TICK, bid_size=1_000)
    order = world.approved(quantity=100, limit_price=PX + TICK)
    plan = router(md).route(order)
    assert plan_of(plan) == [("BATS", 100)] and plan.reason == ""


def test_a_lower_quote_beats_a_lower_fee(world, md):
    md.set("XNAS", ask=PX, ask_size=1_000)  # 190.00 + 0.0030
    md.set("BATS", ask=PX + TICK, ask_size=1_000)  # 190.01 + 0.0010
    order = world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None)
    assert plan_of(router(md).route(order)) == [("XNAS", 100)]


def test_the_fee_decides_when_it_outweighs_the_price_difference(world, md):
    fees = {"XNAS": FeeSchedule(0, 30), "BATS": FeeSchedule(0, 0)}
    md.set("XNAS", ask=PX, ask_size=1_000)  # effective 1_900_030
    md.set("BATS", ask=PX + 20, ask_size=1_000)  # sub-penny quote for the arithmetic: 1_900_020
    order = world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None)
    assert plan_of(router(md, fees).route(order)) == [("BATS", 100)]


def test_a_sell_goes_to_the_best_bid_net_of_fees(world, md):
    md.set("XNAS", bid=PX, bid_size=500)  # nets 189.9970
    md.set("ARCX", bid=PX - TICK, bid_size=500)
    md.set("BATS", bid=PX, bid_size=500)  # nets 189.9990: best
    order = world.approved(side=Side.SELL, quantity=100, limit_price=PX - 5 * TICK)
    assert plan_of(router(md).route(order)) == [("BATS", 100)]


def test_splits_when_the_best_venue_shows_too_little(world, md):
    md.set("BATS", ask=PX, ask_size=60)
    md.set("XNAS", ask=PX + TICK, ask_size=30)
    md.set("ARCX", ask=PX + 2 * TICK, ask_size=1_000)
    order = world.approved(quantity=100, limit_price=PX + 5 * TICK)
    plan = router(md).route(order)
    assert plan_of(plan) == [("BATS", 60), ("XNAS", 30), ("ARCX", 10)]
    assert sum(c.quantity for c in plan.children) == order.leaves_qty
    assert len({c.child_id for c in plan.children}) == 3
    assert all(c.order_id == order.order_id and c.limit_price == order.spec.limit_price for c in plan.children)


def test_what_displayed_size_cannot_cover_goes_to_the_best_venue(world, md):
    md.set("BATS", ask=PX, ask_size=60)
    md.set("XNAS", ask=PX + TICK, ask_size=30)
    order = world.approved(quantity=150, limit_price=PX + TICK)
    assert plan_of(router(md).route(order)) == [("BATS", 120), ("XNAS", 30)]


def test_only_the_leaves_are_routed(world, md):
    md.set("BATS", ask=PX, ask_size=1_000)
    order, (child,) = world.routed(("XNAS", 100), quantity=100, limit_price=PX)
    world.deliver(world.fill(child, 35, PX, leaves=65))
    assert plan_of(router(md).route(order)) == [("BATS", 65)]


def test_venues_beyond_the_limit_are_not_taken(world, md):
    md.set("BATS", ask=PX, ask_size=50)
    md.set("XNAS", ask=PX + TICK, ask_size=1_000)  # above the limit
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("BATS", 100)]


def test_never_routes_to_a_down_venue(world, md):
    md.set("BATS", ask=PX - TICK, ask_size=1_000, status=VenueStatus.DOWN)  # best, but down
    md.set("XNAS", ask=PX, ask_size=40)
    md.set("ARCX", ask=PX + TICK, ask_size=40)
    order = world.approved(quantity=100, limit_price=PX + TICK)
    plan = router(md).route(order)
    assert "BATS" not in {c.venue for c in plan.children}
    assert plan_of(plan) == [("XNAS", 60), ("ARCX", 40)]


def test_a_resting_order_never_rests_at_a_down_venue(world, md):
    md.set("BATS", ask=PX + TICK, ask_size=1_000, status=VenueStatus.DOWN)  # best rebate, but down
    md.set("XNAS", ask=PX + TICK, ask_size=1_000)
    md.set("ARCX", ask=PX + TICK, ask_size=1_000)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("ARCX", 100)]


def test_all_venues_down_gives_an_empty_plan_with_a_reason(world, md):
    for venue in FEES:
        md.set(venue, ask=PX, ask_size=1_000, status=VenueStatus.DOWN)
    order = world.approved(quantity=100, limit_price=PX)
    plan = router(md).route(order)
    assert plan.children == () and plan.reason == "NO_VENUE_AVAILABLE"


def test_excluding_every_up_venue_gives_no_venue(world, md):
    md.set("XNAS", ask=PX, ask_size=1_000)
    md.set("ARCX", ask=PX, ask_size=1_000)
    md.set("BATS", ask=PX, ask_size=1_000, status=VenueStatus.DOWN)
    order = world.approved()
    assert router(md).route(order, exclude=frozenset({"XNAS", "ARCX"})).reason == "NO_VENUE_AVAILABLE"


def test_a_non_marketable_day_limit_rests_at_the_best_rebate(world, md):
    for venue in FEES:
        md.set(venue, ask=PX + TICK, ask_size=1_000, bid=PX - TICK, bid_size=1_000)
    order = world.approved(quantity=100, limit_price=PX, time_in_force=TimeInForce.DAY)
    plan = router(md).route(order)
    assert plan_of(plan) == [("BATS", 100)]  # rebate 25 beats 21 and 20
    (child,) = plan.children
    assert (child.limit_price, child.time_in_force, child.order_type) == (PX, TimeInForce.DAY, OrderType.LIMIT)


def test_a_limit_with_no_quotes_at_all_rests_at_the_best_rebate(world, md):
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("BATS", 100)]


def test_an_excluded_venue_is_not_used(world, md):
    md.set("BATS", ask=PX, ask_size=1_000)
    md.set("XNAS", ask=PX + TICK, ask_size=1_000)
    order = world.approved(quantity=100, limit_price=PX + TICK)
    plan = router(md).route(order, exclude=frozenset({"BATS"}))
    assert plan_of(plan) == [("XNAS", 100)]


def test_an_excluded_venue_is_not_used_for_resting_either(world, md):
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order, exclude=frozenset({"BATS"}))) == [("ARCX", 100)]


def test_equal_price_and_size_is_broken_by_venue_name(world, md):
    fees = {"ZETA": FeeSchedule(20, 30), "ALFA": FeeSchedule(20, 30), "MIKE": FeeSchedule(20, 30)}
    for venue in fees:
        md.set(venue, ask=PX, ask_size=40)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md, fees).route(order)) == [("ALFA", 40), ("MIKE", 40), ("ZETA", 20)]
    # and a resting order with equal rebates goes to the first name
    rest = world.approved(quantity=10, limit_price=PX - TICK, client_order_id="C-r")
    assert plan_of(router(md, fees).route(rest)) == [("ALFA", 10)]


def test_equal_price_prefers_the_bigger_displayed_size(world, md):
    fees = {"ALFA": FeeSchedule(20, 30), "ZETA": FeeSchedule(20, 30)}
    md.set("ALFA", ask=PX, ask_size=10)
    md.set("ZETA", ask=PX, ask_size=500)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md, fees).route(order)) == [("ZETA", 100)]


def test_the_plan_does_not_depend_on_the_order_fees_are_given_in(world, md):
    for venue in FEES:
        md.set(venue, ask=PX, ask_size=30)
    order = world.approved(quantity=100, limit_price=PX)
    reversed_fees = dict(reversed(list(FEES.items())))
    assert plan_of(router(md, FEES).route(order)) == plan_of(router(md, reversed_fees).route(order))


def test_a_market_order_goes_out_immediate_or_cancel(world, md):
    md.set("XNAS", ask=PX, ask_size=1_000)
    order = world.approved(order_type=OrderType.MARKET, limit_price=None, time_in_force=TimeInForce.DAY)
    (child,) = router(md).route(order).children
    assert (child.time_in_force, child.limit_price, child.order_type) == (TimeInForce.IOC, None, OrderType.MARKET)


def test_empty_or_one_sided_quotes_are_skipped(world, md):
    md.set("BATS", bid=PX, bid_size=100)  # no ask
    md.set("XNAS", ask=PX + TICK, ask_size=0)  # no size
    md.set("ARCX", ask=PX + 2 * TICK, ask_size=1_000)
    order = world.approved(quantity=100, limit_price=PX + 2 * TICK)
    assert plan_of(router(md).route(order)) == [("ARCX", 100)]
