"""`twin validate` refuses an agents section naming a venue the scenario does not have (before any run)."""

from __future__ import annotations

import pytest

from components.config.schema import ScenarioError
from scenarios.config import parse_scenario
from tests.conftest import SCENARIOS

BASE = (SCENARIOS / "rmsc_like.yaml").read_text()


def with_agent_venues(block: str) -> str:
    return BASE.replace("agents:\n", f"agents:\n{block}", 1)


@pytest.mark.parametrize("block, field", [
    ("  venues: {rule: fixed, split: [{venue: NOPE, weight: 1}]}\n", "agents.venues.split[0].venue"),
    ("  mode: network\n  latency: {venues: [{venue: NOPE, extra_ms: 1}]}\n", "agents.latency.venues[0].venue"),
])
def test_an_unknown_agent_venue_is_named_with_its_field(block, field):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(with_agent_venues(block), "s.yaml")
    assert field in str(caught.value) and "unknown venue 'NOPE'" in str(caught.value)


def test_a_known_agent_venue_is_accepted():
    scenario = parse_scenario(with_agent_venues("  venues: {rule: fixed, split: [{venue: XNAS, weight: 1}]}\n"))
    assert scenario.agents.venues.split[0].venue == "XNAS"
