"""``twin.market_rules`` wiring the issue-18 rules: a halt with ``halt_auction`` reopens every venue by
auction at its end, the national quote spans the venues that are up, the SSR carry."""

from __future__ import annotations

from components.domain.events import EventType
from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from scenarios.config import builtin_scenario_path, parse_scenario
from twin.market_rules import installed_rules, national_quote, ssr_carry
from twin.runner import run_scenario
from venues_sim.fees import MakerTakerFees
from venues_sim.rules import ShortSaleRestriction, TradingHalt
from venues_sim.venue import SimVenue

NS = 1_000_000_000


def smoke_with(rules: str, seed: int = 7):
    text = builtin_scenario_path("smoke").read_text() + f"market_rules: {rules}\n"
    return run_scenario(parse_scenario(text, "smoke+rules"), seed=seed)  # raises on a broken invariant


def test_a_halt_with_an_auction_reopens_every_venue_at_its_end_and_holds_day_orders():
    result = smoke_with('{halts: [{symbol: AAPL, at: "09:40", duration_s: 300}], halt_auction: true}')
    (halt,) = [r for r in installed_rules(result.world) if isinstance(r, TradingHalt)]
    end = result.world.scenario.session.open_ns() + 900 * NS
    assert [(venue, at) for venue, at, _ in halt.reopenings] == [("XNAS", end), ("BATS", end)]
    assert any(r.cross.volume for _, _, r in halt.reopenings)  # quotes and orders held meanwhile crossed
    events = list(result.world.log.read())
    refused = {e.details["reason"] for e in events if e.event_type is EventType.CHILD_ORDER_REJECTED
               and e.symbol == "AAPL" and end - 300 * NS <= e.timestamp_utc < end}
    assert refused <= {"HALTED"}
    assert not halt.halted("AAPL", end)


def test_the_national_quote_is_the_best_of_the_venues_that_are_up():
    venues = [SimVenue(n, MakerTakerFees(20, 30), ["AAA"], lambda r: None) for n in ("XNAS", "BATS")]
    venues[0].submit_agent_order("b1", "MM", "AAA", Side.BUY, 10, 1_000, TimeInForce.DAY, 0)
    venues[1].submit_agent_order("b2", "MM", "AAA", Side.BUY, 10, 1_100, TimeInForce.DAY, 0)
    venues[1].submit_agent_order("a2", "MM", "AAA", Side.SELL, 10, 1_300, TimeInForce.DAY, 0)
    venues[0].submit_agent_order("a1", "MM", "AAA", Side.SELL, 10, 1_200, TimeInForce.DAY, 0)
    assert national_quote(venues, "AAA") == (1_100, 1_200)
    venues[1].set_status(VenueStatus.DOWN)
    assert national_quote(venues, "AAA") == (1_000, 1_200)
    venues[0].set_status(VenueStatus.DOWN)
    assert national_quote(venues, "AAA") == (0, 0)


def test_the_ssr_carry_names_the_symbols_triggered_today():
    result = smoke_with('{ssr_trigger: true, previous_close: [{symbol: SPY, price: "625.00"}]}')
    (ssr,) = [r for r in installed_rules(result.world) if isinstance(r, ShortSaleRestriction)]
    assert set(ssr.triggered) == {"SPY"}  # 560.00 is 10.4% under 625.00: the first SPY trade triggers it
    assert ssr_carry(result.world) == ("SPY",)
    assert ssr_carry(smoke_with("{ssr_trigger: true}").world) == ()
