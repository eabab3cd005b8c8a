"""The router avoids a venue whose quote is older than its threshold (stale market data),
and marks a sell of more than the account holds as short."""

from __future__ import annotations

from components.domain.money import PRICE_SCALE
from components.domain.orders import Side
from components.domain.venues import FeeSchedule, Quote, VenueStatus
from components.memory import ManualClock, SequentialIds
from components.routing import SmartOrderRouter

PX = 190 * PRICE_SCALE
TICK = 100
NOW = 10_000_000_000
MAX_AGE = 1_000_000_000
FEES = {"XNAS": FeeSchedule(20, 30), "BATS": FeeSchedule(25, 30)}


class StampedMarketData:
    def __init__(self) -> None:
        self.quotes: dict[str, Quote] = {}

    def set(self, venue: str, ask: int, ask_size: int, at_ns: int) -> None:
        self.quotes[venue] = Quote(venue, "AAPL", ask - TICK, 100, ask, ask_size, at_ns)

    def quote(self, venue: str, symbol: str) -> Quote | None:
        return self.quotes.get(venue)

    def reference_price(self, symbol: str) -> int:
        return PX

    def venue_status(self, venue: str) -> VenueStatus:
        return VenueStatus.UP


def router(md) -> SmartOrderRouter:
    return SmartOrderRouter(FEES, md, SequentialIds(), ManualClock(NOW), max_quote_age_ns=MAX_AGE)


def plan_of(plan):
    return [(c.venue, c.quantity) for c in plan.children]


def test_a_stale_quote_is_not_taken_even_when_it_looks_best(world):
    md = StampedMarketData()
    md.set("XNAS", PX - TICK, 1_000, NOW - MAX_AGE - 1)  # best price, but frozen
    md.set("BATS", PX, 1_000, NOW)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("BATS", 100)]


def test_a_quote_exactly_at_the_threshold_is_still_fresh(world):
    md = StampedMarketData()
    md.set("XNAS", PX - TICK, 1_000, NOW - MAX_AGE)
    md.set("BATS", PX, 1_000, NOW)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("XNAS", 100)]


def test_a_stale_venue_is_not_rested_at_either(world):
    md = StampedMarketData()
    md.set("BATS", PX + 5 * TICK, 1_000, 0)  # best rebate, stale
    md.set("XNAS", PX + 5 * TICK, 1_000, NOW)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(router(md).route(order)) == [("XNAS", 100)]


def test_every_quote_stale_gives_an_empty_plan_with_a_reason(world):
    md = StampedMarketData()
    md.set("XNAS", PX, 1_000, 0)
    md.set("BATS", PX, 1_000, 0)
    plan = router(md).route(world.approved(quantity=100, limit_price=PX))
    assert plan.children == () and plan.reason == "NO_FRESH_QUOTE"


def test_without_a_clock_quote_age_is_not_judged(world):
    md = StampedMarketData()
    md.set("XNAS", PX - TICK, 1_000, 0)
    order = world.approved(quantity=100, limit_price=PX)
    assert plan_of(SmartOrderRouter(FEES, md, SequentialIds()).route(order)) == [("XNAS", 100)]


def test_a_sell_of_more_than_the_position_goes_out_marked_short(world):
    md = StampedMarketData()
    md.set("XNAS", PX, 1_000, NOW)
    held = {("A1", "AAPL"): 60}
    r = SmartOrderRouter(FEES, md, SequentialIds(), position=lambda a, s: held.get((a, s), 0))
    (child,) = r.route(world.approved(side=Side.SELL, quantity=100, limit_price=PX - 100)).children
    assert child.short
    held[("A1", "AAPL")] = 100
    (child,) = r.route(world.approved(side=Side.SELL, quantity=100, limit_price=PX - 100,
                                      client_order_id="C-2")).children
    assert not child.short
    (child,) = r.route(world.approved(quantity=100, limit_price=PX, client_order_id="C-3")).children
    assert not child.short  # buys are never short
