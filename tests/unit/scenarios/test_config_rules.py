"""The issue-18 ``market_rules`` settings (``halt_auction``, ``luld_plan``, ``ssr_trigger``,
``previous_close``): defaults, and one-line errors naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from scenarios.config import parse_scenario
from scenarios.config_rules import LuldPlanConfig

BASE = "name: x\n"  # default symbols: AAPL, MSFT, SPY


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE + text, "s.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_everything_is_off_by_default():
    rules = parse_scenario(BASE).market_rules
    assert not rules.halt_auction and rules.luld_plan is None and not rules.ssr_trigger
    assert rules.previous_close == () and not rules.any


def test_the_settings_are_read_with_the_plans_defaults():
    text = ('market_rules: {halt_auction: true, luld_plan: {tier2_symbols: [SPY]}, '
            'ssr_trigger: true, previous_close: [{symbol: AAPL, price: "211.50"}]}\n')
    rules = parse_scenario(BASE + text).market_rules
    assert rules.halt_auction and rules.ssr_trigger and rules.any
    assert rules.luld_plan == LuldPlanConfig(("SPY",), 15.0, 300.0, 300.0, 100)
    assert [(c.symbol, c.price) for c in rules.previous_close] == [("AAPL", 2_115_000)]


@pytest.mark.parametrize("text, expected", [
    ("market_rules: {luld_plan: {}, luld_band_bps: 500}",
     "s.yaml:2: market_rules.luld_plan: cannot be combined with luld_band_bps (the plan sets its own bands)"),
    ("market_rules: {luld_plan: {tier2_symbols: [ZZZ]}}",
     "s.yaml:2: market_rules.luld_plan.tier2_symbols[0]: unknown symbol 'ZZZ' (scenario symbols: AAPL, MSFT, SPY)"),
    ("market_rules: {luld_plan: {tier2_symbols: [SPY, SPY]}}",
     "s.yaml:2: market_rules.luld_plan.tier2_symbols: must not repeat a symbol, got ['SPY', 'SPY']"),
    ("market_rules: {luld_plan: {move_bps: 0}}", "market_rules.luld_plan.move_bps"),
    ("market_rules: {luld_plan: {pause_s: -1}}", "market_rules.luld_plan.pause_s"),
    ("market_rules: {luld_plan: {tier: 3}}", "market_rules.luld_plan.tier"),
    ('market_rules: {previous_close: [{symbol: ZZZ, price: "1.00"}]}',
     "s.yaml:2: market_rules.previous_close[0].symbol: unknown symbol 'ZZZ' (scenario symbols: AAPL, MSFT, SPY)"),
    ('market_rules: {previous_close: [{symbol: SPY, price: "1.00"}, {symbol: SPY, price: "2.00"}]}',
     "s.yaml:2: market_rules.previous_close: must give each symbol once"),
    ('market_rules: {previous_close: [{symbol: SPY, price: "abc"}]}', "market_rules.previous_close[0].price"),
    ("market_rules: {halt_auction: maybe}", "market_rules.halt_auction"),
])
def test_a_bad_setting_is_one_line_naming_the_field(text, expected):
    message = error_of(text + "\n")
    assert expected in message and message.startswith("s.yaml:")


def test_market_rules_cannot_ride_on_a_replayed_day():
    message = error_of("replay: {quotes: q.csv, trades: t.csv}\nmarket_rules: {ssr_trigger: true}\n")
    assert "replay: cannot be combined with market_rules" in message


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10_000), st.text(max_size=8)))
def test_any_limit_state_length_parses_or_names_its_field(value):
    text = f"market_rules: {{luld_plan: {{limit_state_s: {value!r}}}}}\n"
    try:
        plan = parse_scenario(BASE + text, "s.yaml").market_rules.luld_plan
    except ScenarioError as exc:
        assert "\n" not in str(exc) and "luld_plan" in str(exc)
    else:
        assert 0 < plan.limit_state_s <= 3_600
