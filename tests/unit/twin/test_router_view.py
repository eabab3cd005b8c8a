"""The router routes on the market view the scenario gives it (issue 18): with ``direct_feed`` a venue's
book can move while the router's view has not caught up, and the router acts on the old view; the
venue then answers the child as the book is (here: a missed IOC). The stale-quote check still works
through the view, and ``book`` keeps reading the books (no view is built)."""

from __future__ import annotations

from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.domain.events import Outcome, PolicyDecision
from components.domain.venues import ExecKind, VenueStatus
from components.memory import InMemoryEventLog, SequentialIds
from components.oms import Oms
from scenarios.config import parse_scenario
from twin.bootstrap import build_twin
from venues_sim.stress import StaleBook

D = PRICE_SCALE
CENT = D // 100
MS = 1_000_000
FEED_MS = 10.0

SCENARIO = """
name: view_test
session: {date: "2026-11-24", open: "09:30", close: "09:40"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues:
  - {name: XNAS, latency_ms: 0.5}
  - {name: BATS, latency_ms: 0.5}
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
order_flow: {orders: 0}
liquidity: {noise_traders: 0}
"""
DIRECT = f"market_view: {{source: direct_feed, feed_latency_ms: {FEED_MS}, jitter_ms: 0, poll_ms: 1}}\n"


def world_of(extra: str = DIRECT):
    """A built twin with the two venues' books empty (makers and noise are only started by the runner)."""
    return build_twin(parse_scenario(SCENARIO + extra), seed=3)


def run_for(world, ms: float) -> None:
    world.env.run(until=world.env.now + int(ms * MS))


def post(world, venue: str, order_id: str, side: Side, qty: int, price: int | None,
         tif: TimeInForce = TimeInForce.DAY):
    return world.venues[venue].submit_agent_order(order_id, "MM", "AAPL", side, qty, price, tif,
                                                  world.clock.now_ns())


def approved_buy(world, qty: int, limit: int, tif: TimeInForce):
    oms = Oms(world.clock, SequentialIds(), InMemoryEventLog())
    spec = OrderSpec("A1", "AAPL", Side.BUY, qty, OrderType.LIMIT, limit, tif, "ADV1", f"C-{qty}-{limit}")
    order = oms.create(spec, world.clock.now_ns())
    assert oms.validate(order.order_id, lambda account: True)
    assert oms.record_risk(order.order_id, True, (PolicyDecision("max_notional", "1.0", Outcome.PASS),))
    return order


def reports_of(world, child_id: str):
    return [r for r in world.gateway.child_reports("", child_id)]


def test_the_router_routes_on_the_delayed_view_and_meets_the_book_as_it_is():
    world = world_of()
    world.gateway.keep_status()  # keep the venues' reports per child
    post(world, "XNAS", "X-ASK", Side.SELL, 100, 190 * D)
    post(world, "BATS", "B-ASK", Side.SELL, 1_000, 190 * D + 2 * CENT)
    run_for(world, 3 * FEED_MS)  # both quotes have reached the view
    router = world.platform.router
    assert world.market_data.quote("XNAS", "AAPL").ask == 190 * D

    # Someone lifts XNAS's offer: the book moves, the view has not heard yet.
    post(world, "XNAS", "TAKER", Side.BUY, 100, None, TimeInForce.IOC)
    assert world.venues["XNAS"].book("AAPL").top()[2] == 0
    assert world.market_data.quote("XNAS", "AAPL").ask == 190 * D  # still the old offer

    order = approved_buy(world, 100, 190 * D + 3 * CENT, TimeInForce.IOC)
    plan = router.route(order)
    assert [(c.venue, c.quantity) for c in plan.children] == [("XNAS", 100)]  # what the view shows best

    (child,) = plan.children
    world.gateway.send(child)
    run_for(world, 2)  # the child reaches XNAS: nothing left at 190.00, the IOC is canceled
    kinds = [(r.kind, r.reason) for r in reports_of(world, child.child_id)]
    assert (ExecKind.CANCELED, "IOC_REMAINDER") in kinds
    assert not [r for r in reports_of(world, child.child_id) if r.kind is ExecKind.FILL]

    # Once XNAS's feed has delivered the change, the same order goes to BATS, where the shares are.
    run_for(world, 3 * FEED_MS)
    assert world.market_data.quote("XNAS", "AAPL").ask == 0
    again = router.route(approved_buy(world, 100, 190 * D + 3 * CENT, TimeInForce.IOC))
    assert [(c.venue, c.quantity) for c in again.children] == [("BATS", 100)]


def test_with_book_the_router_sees_the_move_at_once_and_no_view_is_built():
    world = world_of("")
    assert world.market_data._view is None
    post(world, "XNAS", "X-ASK", Side.SELL, 100, 190 * D)
    post(world, "BATS", "B-ASK", Side.SELL, 1_000, 190 * D + 2 * CENT)
    post(world, "XNAS", "TAKER", Side.BUY, 100, None, TimeInForce.IOC)
    plan = world.platform.router.route(approved_buy(world, 100, 190 * D + 3 * CENT, TimeInForce.IOC))
    assert [(c.venue, c.quantity) for c in plan.children] == [("BATS", 100)]


def test_nothing_reaches_the_view_before_its_feed_latency():
    world = world_of()
    post(world, "BATS", "B-ASK", Side.SELL, 500, 190 * D)
    run_for(world, FEED_MS / 2)
    assert world.market_data.quote("BATS", "AAPL") is None
    run_for(world, FEED_MS)
    assert world.market_data.quote("BATS", "AAPL").ask_size == 500


def test_a_standing_quote_stays_fresh_but_a_frozen_feed_goes_stale_and_is_avoided():
    world = world_of()
    max_age_ms = world.scenario.routing.max_quote_age_ms
    post(world, "XNAS", "X-ASK", Side.SELL, 100, 190 * D)
    post(world, "BATS", "B-ASK", Side.SELL, 1_000, 190 * D + 2 * CENT)
    run_for(world, 3 * FEED_MS)
    xnas = world.venues["XNAS"]
    xnas.add_condition(StaleBook(), world.clock.now_ns())  # XNAS publishes a frozen quote from now on
    run_for(world, 5)
    post(world, "XNAS", "TAKER", Side.BUY, 100, None, TimeInForce.IOC)  # its book moves on; its feed does not
    run_for(world, max_age_ms * 2)  # then quiet: nothing changed for twice the max quote age

    bats = world.market_data.quote("BATS", "AAPL")
    assert world.clock.now_ns() - bats.timestamp_ns <= FEED_MS * MS + MS  # heard from within a feed delay
    frozen = world.market_data.quote("XNAS", "AAPL")
    assert frozen.ask == 190 * D  # the frozen offer, gone from the book
    assert world.clock.now_ns() - frozen.timestamp_ns > max_age_ms * MS  # its own old timestamp
    plan = world.platform.router.route(approved_buy(world, 100, 190 * D + 3 * CENT, TimeInForce.IOC))
    assert [c.venue for c in plan.children] == ["BATS"]  # the better-looking XNAS quote is stale


def test_a_venue_down_has_no_quote_in_the_view_at_once():
    world = world_of()
    post(world, "XNAS", "X-ASK", Side.SELL, 100, 190 * D)
    run_for(world, 3 * FEED_MS)
    world.venues["XNAS"].set_status(VenueStatus.DOWN)
    assert world.market_data.quote("XNAS", "AAPL") is None


SIP = "sip: {feed_latency_ms: 4, feed_jitter_ms: 0, publish_latency_ms: 2, publish_jitter_ms: 0, poll_ms: 1}\n"


def test_with_sip_the_router_sees_the_published_nbbo_per_venue_after_the_sip_delays():
    world = world_of(SIP + "market_view: {source: sip}\n")
    post(world, "XNAS", "X-ASK", Side.SELL, 100, 190 * D)
    post(world, "BATS", "B-ASK", Side.SELL, 1_000, 190 * D + 2 * CENT)
    run_for(world, 4)  # sampled, not yet through the SIP (4 ms feed + 2 ms publication)
    assert world.market_data.quote("XNAS", "AAPL") is None
    run_for(world, 4)
    xnas, bats = (world.market_data.quote(v, "AAPL") for v in ("XNAS", "BATS"))
    assert (xnas.ask, xnas.ask_size) == (190 * D, 100)
    assert bats.ask == 0  # not at the NBBO: a router reading the NBBO does not know its price
    plan = world.platform.router.route(approved_buy(world, 300, 190 * D + 3 * CENT, TimeInForce.IOC))
    # 100 where the NBBO shows them; the rest goes to the best-ranked venue too (no other known price)
    assert [(c.venue, c.quantity) for c in plan.children] == [("XNAS", 300)]
