"""Market rules in full twin runs: halts and LULD refusals reach the orders with a reason."""

from __future__ import annotations

from components.domain.events import EventType
from scenarios.config import builtin_scenario_path, parse_scenario
from twin.runner import run_scenario

NS = 1_000_000_000


def smoke_with(rules: str, seed: int = 7):
    text = builtin_scenario_path("smoke").read_text() + f"market_rules: {rules}\n"
    return run_scenario(parse_scenario(text, "smoke+rules"), seed=seed)  # raises on a broken invariant


def test_a_halted_symbol_does_not_trade_and_its_orders_are_rejected_with_a_reason():
    result = smoke_with('{halts: [{symbol: AAPL, at: "09:40", duration_s: 600}]}')
    start = result.world.scenario.session.open_ns() + 600 * NS
    end = start + 600 * NS
    events = list(result.world.log.read())
    halted = [e for e in events if e.event_type is EventType.ORDER_REJECTED
              and e.details.get("reason") == "SYMBOL_HALTED"]
    assert halted and {e.symbol for e in halted} == {"AAPL"}
    assert all(start <= e.timestamp_utc < end + NS for e in halted)
    # No AAPL child of ours traded at a venue during the halt; SPY carried on.
    fills = [e for e in events if e.event_type in (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)
             and start < e.timestamp_utc < end]
    assert fills and {e.symbol for e in fills} == {"SPY"}
    # Nothing was rerouted because of the halt.
    assert not [e for e in events if e.event_type is EventType.CHILD_ORDER_REJECTED
                and e.details["reason"] == "HALTED" and e.order_id in
                {r.order_id for r in events if r.event_type is EventType.ORDER_REROUTED}]


def test_orders_outside_the_luld_band_are_rejected_with_a_reason():
    result = smoke_with("{luld_band_bps: 10}")
    rejected = [e for e in result.world.log.read() if e.event_type is EventType.ORDER_REJECTED
                and e.details.get("reason") == "LULD_BAND"]
    assert rejected
    assert all(e.limit_price is not None for e in rejected)


def test_ssr_installs_and_the_run_stays_consistent():
    result = smoke_with("{ssr_symbols: [AAPL, SPY]}")
    assert result.passed
