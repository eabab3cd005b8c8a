"""Venue capabilities (a live venue's dialect): the router never sends a venue an order type or time in
force it does not take; without restrictions (the twin) routes are as before (issue 10)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from components.domain.orders import OrderType, TimeInForce
from components.memory import SequentialIds
from components.routing import NO_VENUE_TAKES_ORDER, SmartOrderRouter, VenueCapabilities
from tests.unit.components.conftest import OmsWorld
from tests.unit.components.routing.test_routing import FEES, PX, TICK, FakeMarketData, plan_of

LIMIT_ONLY = VenueCapabilities(frozenset({OrderType.LIMIT}), frozenset({TimeInForce.DAY, TimeInForce.IOC}))
DAY_ONLY = VenueCapabilities(frozenset({OrderType.LIMIT, OrderType.MARKET}), frozenset({TimeInForce.DAY}))


def quoted() -> FakeMarketData:
    md = FakeMarketData()
    md.set("BATS", ask=PX, ask_size=1_000, bid=PX - TICK, bid_size=1_000)  # cheapest
    md.set("XNAS", ask=PX + TICK, ask_size=1_000, bid=PX - 2 * TICK, bid_size=1_000)
    md.set("ARCX", ask=PX + 2 * TICK, ask_size=1_000, bid=PX - 3 * TICK, bid_size=1_000)
    return md


def test_a_market_order_skips_a_limit_only_venue(world):
    router = SmartOrderRouter(FEES, quoted(), SequentialIds())
    order = world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None)
    assert plan_of(router.route(order)) == [("BATS", 100)]  # unrestricted: the cheapest
    router.restrict({"BATS": LIMIT_ONLY})
    assert plan_of(router.route(order)) == [("XNAS", 100)]


def test_a_limit_order_still_goes_to_a_limit_only_venue(world):
    router = SmartOrderRouter(FEES, quoted(), SequentialIds())
    router.restrict({v: LIMIT_ONLY for v in FEES})
    order = world.approved(quantity=100, limit_price=PX + 5 * TICK)
    assert plan_of(router.route(order)) == [("BATS", 100)]


def test_a_market_order_goes_out_ioc_so_a_day_only_venue_is_skipped(world):
    router = SmartOrderRouter(FEES, quoted(), SequentialIds())
    router.restrict({"BATS": DAY_ONLY, "XNAS": DAY_ONLY})
    order = world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None)
    assert plan_of(router.route(order)) == [("ARCX", 100)]


def test_no_venue_taking_the_order_is_a_named_reason(world):
    router = SmartOrderRouter(FEES, quoted(), SequentialIds())
    router.restrict({v: LIMIT_ONLY for v in FEES})
    plan = router.route(world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None))
    assert plan.children == () and plan.reason == f"{NO_VENUE_TAKES_ORDER}: MARKET IOC"


@settings(max_examples=60, deadline=None)
@given(restricted=st.dictionaries(st.sampled_from(sorted(FEES)),
                                  st.sampled_from([LIMIT_ONLY, DAY_ONLY]), max_size=3),
       market=st.booleans(), ioc=st.booleans(), qty=st.integers(1, 3_000))
def test_no_child_ever_goes_where_it_is_not_taken(restricted, market, ioc, qty):
    world = OmsWorld()
    router = SmartOrderRouter(FEES, quoted(), SequentialIds())
    router.restrict(restricted)
    spec = {"order_type": OrderType.MARKET, "limit_price": None} if market else {"limit_price": PX + 5 * TICK}
    order = world.approved(quantity=qty, time_in_force=TimeInForce.IOC if ioc else TimeInForce.DAY, **spec)
    plan = router.route(order)
    for child in plan.children:
        caps = restricted.get(child.venue)
        assert caps is None or caps.accepts(child.order_type, child.time_in_force), (child, caps)
    assert plan.children or plan.reason.startswith(NO_VENUE_TAKES_ORDER)
    assert not plan.children or sum(c.quantity for c in plan.children) == qty
