"""The ``regions`` section of the scenario schema (scenarios.config_regions) and region faults in ``faults``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config.schema import ScenarioError
from scenarios.config import parse_scenario

BASE = "name: r\n"
TWO = BASE + "regions:\n  regions: [{name: east}, {name: west, clock_skew_ms: 2.5, clock_drift_ppm: -40}]\n"


def test_absent_means_one_region():
    assert parse_scenario(BASE).regions is None


def test_two_regions_with_defaults():
    regions = parse_scenario(TWO).regions
    assert regions.names == ("east", "west")
    assert (regions.primary_name, regions.standby_name) == ("east", "west")
    assert regions.region("west").clock_skew_ms == 2.5 and regions.region("west").clock_drift_ppm == -40
    assert regions.latency.one_way_ms == 30.0 and regions.missed_heartbeats == 5


def test_primary_and_standby_chosen():
    text = BASE + ("regions:\n  primary: b\n  standby: c\n  regions: [{name: a}, {name: b}, {name: c}]\n"
                   "  latency: {one_way_ms: 12}\n")
    regions = parse_scenario(text).regions
    assert (regions.primary_name, regions.standby_name, regions.latency.one_way_ms) == ("b", "c", 12.0)


@pytest.mark.parametrize("body, field, problem", [
    ("  regions: [{name: east}]\n", "regions.regions", "needs two or more regions, got 1"),
    ("  primary: north\n  regions: [{name: east}, {name: west}]\n", "regions.primary", "unknown region 'north'"),
    ("  primary: west\n  standby: west\n  regions: [{name: east}, {name: west}]\n", "regions.standby",
     "must differ from primary"),
    ("  standby: east\n  regions: [{name: east}, {name: west}]\n", "regions.standby", "must differ from primary"),
    ("  regions: [{name: east}, {name: east}]\n", "regions.regions[1].name", "east"),
    ("  regions: [{name: East}, {name: west}]\n", "regions.regions[0].name", "lower-case"),
    ("  regions: [{name: east}, {name: west}]\n  latency: {one_way_ms: 0}\n", "regions.latency.one_way_ms", ""),
    ("  regions: [{name: east}, {name: west}]\n  heartbeats: 3\n", "regions.heartbeats", ""),
])
def test_bad_sections_name_the_field(body, field, problem):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE + "regions:\n" + body, "r.yaml")
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_region_faults_must_name_a_scenario_region():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(TWO + "faults:\n  - {kind: region_kill, region: north, at: '10:00'}\n", "r.yaml")
    assert (caught.value.field, caught.value.line) == ("faults[0].region", 5)
    with pytest.raises(ScenarioError, match="the scenario has no regions section"):
        parse_scenario(BASE + "faults:\n  - {kind: clock_jump, region: east, at: '10:00', jump_ms: 5}\n")
    ok = parse_scenario(TWO + "faults:\n  - {kind: region_partition, region: east, peer: west, at: '10:00', "
                              "duration_s: 3, one_way: true}\n")
    fault = ok.faults[0].to_fault(ok.session)
    assert (fault.kind, fault.region, fault.peer, fault.one_way, fault.duration_ns) == (
        "region_partition", "east", "west", True, 3_000_000_000)


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_clock_skew_range_is_checked(thousandths):
    skew = thousandths / 1000  # written as a person would: a plain decimal, e.g. -61234.5
    text = BASE + f"regions:\n  regions: [{{name: east, clock_skew_ms: {skew:.3f}}}, {{name: west}}]\n"
    if -60_000.0 <= skew <= 60_000.0:
        assert parse_scenario(text).regions.region("east").clock_skew_ms == pytest.approx(skew)
    else:
        with pytest.raises(ScenarioError) as caught:
            parse_scenario(text)
        assert caught.value.field == "regions.regions[0].clock_skew_ms"
