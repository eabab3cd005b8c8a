"""``market_rules.reopening``: who reopens a halt or a LULD pause (``every_venue`` by default, or the
``primary``), and one-line errors naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from scenarios.config import parse_scenario

BASE = "name: x\n"


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE + text, "s.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_every_venue_is_the_default_and_primary_is_read():
    assert parse_scenario(BASE).market_rules.reopening == "every_venue"
    rules = parse_scenario(BASE + "market_rules: {halt_auction: true, reopening: primary}\n").market_rules
    assert rules.reopening == "primary"
    luld = parse_scenario(BASE + "market_rules: {luld_plan: {}, reopening: primary}\n").market_rules
    assert luld.reopening == "primary"


def test_primary_without_anything_that_reopens_by_auction_is_refused():
    message = error_of('market_rules: {halts: [{symbol: AAPL, at: "09:40", duration_s: 60}], reopening: primary}\n')
    assert "reopening" in message and "only applies with halt_auction or luld_plan" in message


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=0, max_size=15))
def test_any_other_value_is_refused_naming_the_field(tail):
    value = f"v{tail}"  # a plain YAML string (not a bool or null keyword), never a valid value
    message = error_of(f"market_rules: {{halt_auction: true, reopening: {value}}}\n")
    assert "reopening" in message and "one of every_venue, primary" in message
