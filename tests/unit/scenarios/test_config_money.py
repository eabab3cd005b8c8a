"""The scenario ``money`` section: defaults, parsing, and one error naming the field for bad input
(also for random input, with hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.aml.transfers import Typology
from components.config.schema import ScenarioError
from components.domain.money import to_units
from scenarios.config import load_scenario, parse_scenario
from scenarios.config_money import MoneyFlowConfig
from tests.conftest import SCENARIOS


def money_of(section: str) -> MoneyFlowConfig:
    scenario = parse_scenario(f"name: m\nmoney: {section}\n")
    assert scenario.money is not None
    return scenario.money


def error_of(section: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        money_of(section)
    return str(caught.value)


def test_no_section_means_no_money_movement_and_an_empty_one_the_defaults():
    assert parse_scenario("name: m\n").money is None
    cfg = money_of("{}")
    assert cfg == MoneyFlowConfig() and cfg.typologies.total == 0
    assert cfg.ctr_threshold == to_units("10000") and cfg.stream == "money-flow"


def test_fields_parse_money_as_units_and_counts_per_typology():
    cfg = money_of('{days: 5, ctr_threshold: "3000.50", fan_width: 4, typologies: {cycle: 2, velocity: 1}}')
    assert (cfg.days, cfg.ctr_threshold, cfg.fan_width) == (5, to_units("3000.50"), 4)
    assert cfg.typologies.count(Typology.CYCLE) == 2 and cfg.typologies.total == 3


@pytest.mark.parametrize("section, field, problem", [
    ("{days: 0}", "money.days", "must be >= 1"),
    ("{transfers_per_client_day: -1}", "money.transfers_per_client_day", "must be >= 0"),
    ("{typologies: {fan_in: -2}}", "money.typologies.fan_in", "must be >= 0"),
    ("{typologies: {smurfing: 2}}", "money.typologies", "smurfing"),
    ('{ctr_threshold: "10000.00001"}', "money.ctr_threshold", "at most 4 decimal places"),
    ("{stream: 'Money Flow'}", "money.stream", "stream name"),
    ("{days: 1, typologies: {structuring: 1}}", "money.days", "needs days >= 2"),
    ("{fan_width: 2}", "money.fan_width", "must be >= 3"),
])  # fmt: skip
def test_a_bad_field_is_one_error_naming_it(section, field, problem):
    message = error_of(section)
    assert f"{field}" in message and problem in message and "\n" not in message


def test_the_aml_day_scenario_has_every_typology_and_sanctioned_attempts():
    cfg = load_scenario(SCENARIOS / "aml_day.yaml").money
    assert cfg is not None and all(cfg.typologies.count(t) > 0 for t in Typology)
    assert cfg.sanctioned_beneficiary_attempts > 0


FIELDS = ("days", "transfers_per_client_day", "fan_width", "ctr_threshold", "sanctioned_beneficiary_attempts",
          "stream")
VALUES = st.one_of(st.integers(-3, 2_000), st.floats(-2.0, 100.0, allow_nan=False),
                   st.sampled_from(["'x'", "'10000'", "money-flow", "'-1'", "[1]", "{a: 1}"]))
FIELD = re.compile(r":\d+: money\.([a-z_]+)(\.[a-z_]+)?: \S")


@settings(max_examples=150, deadline=None)
@given(params=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4),
       counts=st.dictionaries(st.sampled_from([t.value for t in Typology]), st.integers(-2, 1_200), max_size=3))
def test_any_section_parses_or_fails_naming_a_field(params, counts):
    parts = [f"{k}: {v!r}" if not isinstance(v, str) else f"{k}: {v}" for k, v in params.items()]
    parts.append("typologies: {" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "}")
    try:
        cfg = money_of("{" + ", ".join(parts) + "}")
    except ScenarioError as exc:
        match = FIELD.search(str(exc))
        assert match, str(exc)
        assert match.group(1) in {*FIELDS, "typologies"} and "\n" not in str(exc)
        return
    assert 1 <= cfg.days <= 60 and all(0 <= cfg.typologies.count(t) <= 1_000 for t in Typology)
