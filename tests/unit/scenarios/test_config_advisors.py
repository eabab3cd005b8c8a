"""The advisors section: absent by default, typed, and bad input refused in one line naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from components.domain.money import to_units
from scenarios.config import load_scenario, parse_scenario
from scenarios.config_advisors import Advisors
from tests.conftest import SCENARIOS


def test_absent_by_default_and_parsed_with_money_as_units():
    assert parse_scenario("name: x\n").advisors is None
    got = parse_scenario('name: x\nadvisors: {proposals: 4, max_order_notional: "12.50", kill_switch_at: "10:05"}\n')
    assert got.advisors.proposals == 4 and got.advisors.max_order_notional == to_units("12.50")
    assert got.advisors.kill_switch_at.hour == 10 and got.advisors.max_day_notional == Advisors().max_day_notional


def test_the_shipped_scenario_parses():
    advisors = load_scenario(SCENARIOS / "advisor_day.yaml").advisors
    assert advisors is not None and advisors.kill_switch_at is not None and advisors.proposals > 0


def test_the_ips_defaults_are_the_portfolio_engines():
    from components.portfolio.households import DriftBands, InvestmentPolicy
    from components.portfolio.rebalance import RebalanceSettings
    from components.portfolio.universe import MODELS, RiskLevel

    a, ips, bands = Advisors(), InvestmentPolicy(RiskLevel.BALANCED, "balanced"), DriftBands()
    assert (a.max_position_bps, a.cash_floor_bps) == (ips.max_position_bps, ips.cash_floor_bps)
    assert (a.drift_absolute_bps, a.drift_relative_bps) == (bands.absolute_bps, bands.relative_bps)
    assert a.min_trade == RebalanceSettings().min_trade and a.model == "profile"
    for model in MODELS:  # every model the engine has may be named
        assert parse_scenario(f"name: x\nadvisors: {{model: {model}}}\n").advisors.model == model


@pytest.mark.parametrize("text,field", [
    ("advisors: {model: aggressive}", "advisors.model"),
    ("advisors: {max_position_bps: 0}", "advisors.max_position_bps"),
    ("advisors: {cash_floor_bps: 10000}", "advisors.cash_floor_bps"),
    ('advisors: {min_trade: "-5"}', "advisors.min_trade"),
    ("advisors: {max_lots: 0}", "advisors.max_lots"),
    ("advisors: {accounts: 3}", "advisors.accounts"),
    ("advisors: {proposals: -1}", "advisors.proposals"),
    ("advisors: {approve_probability: 0.9, reject_probability: 0.2}", "advisors.reject_probability"),
    ("advisors: {median_response_s: 100, p99_response_s: 50}", "advisors.p99_response_s"),
    ('advisors: {max_order_notional: "abc"}', "advisors.max_order_notional"),
    ('advisors: {max_day_notional: "0"}', "advisors.max_day_notional"),
    ("advisors: {policy: best_first}", "advisors.policy"),
    ('advisors: {kill_switch_at: "25:00"}', "advisors.kill_switch_at"),
    ("advisors: {proposal: 3}", "advisors.proposal"),
])
def test_bad_input_names_the_field_in_one_line(text, field):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(f"name: x\n{text}\n", "s.yaml")
    message = str(err.value)
    assert field in message and "\n" not in message and message.startswith("s.yaml:2:")


_values = st.one_of(st.integers(-10**6, 10**12), st.floats(allow_nan=True), st.text(max_size=12), st.booleans(),
                    st.none(), st.lists(st.integers(), max_size=2))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["proposals", "model", "max_position_bps", "min_trade", "approve_probability",
                                        "reject_probability", "median_response_s", "p99_response_s",
                                        "approval_timeout_s", "max_order_notional", "max_day_notional",
                                        "policy", "kill_switch_at", "bogus"]), _values, min_size=1, max_size=4))
def test_any_section_parses_or_fails_in_one_line_naming_an_advisors_field(section):
    import json

    text = "name: x\nadvisors: " + json.dumps(section) + "\n"
    try:
        got = parse_scenario(text, "s.yaml")
    except ScenarioError as exc:
        message = str(exc)
        assert "\n" not in message and "advisors" in message, message
        return
    a = got.advisors
    assert a.approve_probability + a.reject_probability <= 1 and a.p99_response_s >= a.median_response_s
