"""twin.market_calibration: recovery of known parameters, determinism, parameters, bounds and the written scenario."""

from __future__ import annotations

import math
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.schema import Range, ScenarioError
from scenarios.config import parse_scenario
from twin.market_calibration import (
    PARAMETERS,
    Bounds,
    CalibrationError,
    Space,
    calibrate_market,
    market_only,
    parse_bound,
    resolve_bounds,
    simulated_facts,
    values_of,
    with_values,
    write_fitted_scenario,
)

SMALL_DAY = """
name: cm_small
seed: 7
session: {date: "2026-11-24", open: "09:30", close: "10:00"}
symbols:
  - {symbol: ABM, reference_price: "1000.00", daily_vol_bps: 100}
venues:
  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
order_flow: {orders: 0}
agents:
  value: {count: 50, mean_wake_s: 175}
  momentum: {count: 12, mean_wake_s: 37, short_window: 20, long_window: 50}
  noise: {count: 300}
  market_makers: {count: 2, min_size: 100}
"""
"""A half-hour market of 364 agents: about 0.15 s of CPU per simulated day."""

TRUTH = {"value.mean_wake_s": 120.0, "market_makers.min_size": 300.0}
"""The parameters the synthetic recorded day is made with (the scenario starts at 175 s and 100 shares)."""


@pytest.fixture(scope="module")
def small():
    return parse_scenario(SMALL_DAY, "small.yaml")


def test_calibration_recovers_known_parameters_within_20_percent(small):
    target = simulated_facts(with_values(small, TRUTH), seed=7)
    start = values_of(small, list(TRUTH))
    assert all(abs(start[n] / TRUTH[n] - 1) > 0.2 for n in TRUTH)  # the start is outside the tolerance
    result = calibrate_market(small, target, list(TRUTH), seeds=(7,), max_evals=30)
    for name, truth in TRUTH.items():
        assert result.fitted[name] == pytest.approx(truth, rel=0.2), (name, result.fitted)
    assert result.objective < result.start_objective
    assert len(result.evaluations) <= 30
    assert [r.name for r in result.fit][:2] == ["kurtosis_1min", "acf_1min_lag1"]


@pytest.mark.parametrize("method", ["nelder-mead", "differential-evolution"])
def test_same_inputs_same_fitted_parameters(small, method):
    target = simulated_facts(with_values(small, TRUTH), seed=7)

    def run():
        return calibrate_market(small, target, list(TRUTH), seeds=(7,), max_evals=4, method=method, noise_days=2)

    first, second = run(), run()
    assert first.fitted == second.fitted
    assert [(e.values, e.objective) for e in first.evaluations] == [(e.values, e.objective) for e in second.evaluations]
    assert len({tuple(e.values.values()) for e in first.evaluations}) == len(first.evaluations)  # cached repeats


def test_progress_is_reported_per_candidate(small):
    target = simulated_facts(small, seed=7)
    seen = []
    result = calibrate_market(small, target, ["value.mean_wake_s"], seeds=(7,), max_evals=3, weighting="fixed",
                              on_eval=seen.append)
    assert [e.index for e in seen] == list(range(1, len(result.evaluations) + 1))
    assert seen[0].objective == pytest.approx(0.0)  # the start is the target's own day, same seed
    assert all(e.best == min(x.objective for x in seen[:e.index]) for e in seen)


def test_with_values_moves_a_partner_the_config_orders(small):
    s = with_values(small, {"momentum.long_window": 10})  # below short_window 20: the short one gives way
    assert (s.agents.momentum.short_window, s.agents.momentum.long_window) == (9, 10)
    s = with_values(small, {"momentum.short_window": 60})  # above long_window 50: the long one gives way
    assert (s.agents.momentum.short_window, s.agents.momentum.long_window) == (60, 61)
    s = with_values(small, {"momentum.short_window": 8, "momentum.long_window": 8})
    assert (s.agents.momentum.short_window, s.agents.momentum.long_window) == (8, 9)
    s = with_values(small, {"market_makers.min_size": 9000.4})  # above max_size 5000
    assert (s.agents.market_makers.min_size, s.agents.market_makers.max_size) == (9000, 9000)
    assert with_values(small, {"value.horizon_s": 900}).agents.value.horizon_s == 900.0
    assert with_values(small, {"value.horizon_s": 900}).agents.momentum == small.agents.momentum


def test_market_only_drops_client_flow_and_refuses_a_scenario_without_agents(small):
    busy = parse_scenario(SMALL_DAY.replace("order_flow: {orders: 0}", "order_flow: {orders: 40}"), "busy.yaml")
    assert market_only(busy).order_flow.orders == 0
    assert market_only(busy).agents == busy.agents
    bare = parse_scenario(SMALL_DAY.split("agents:")[0], "bare.yaml")
    with pytest.raises(CalibrationError, match="no agents section"):
        market_only(bare)


@pytest.mark.parametrize("names, given, problem", [
    (("value.mean_wake_s",), {"value.mean_wake_s": Bounds(600, 30)}, "lower must be below upper"),
    (("value.mean_wake_s",), {"value.mean_wake_s": Bounds(1, 600)}, "outside the allowed range"),
    (("value.mean_wake_s",), {"value.mean_wake_s": Bounds(math.nan, 600)}, "must be finite"),
    (("market_makers.min_size",), {"market_makers.min_size": Bounds(10.2, 10.7)}, "no integer"),
    (("value.mean_wake_s",), {"value.horizon_s": Bounds(100, 200)}, "not a fitted parameter"),
])
def test_invalid_bounds_are_refused_naming_the_parameter(names, given, problem):
    with pytest.raises(CalibrationError, match=problem) as info:
        resolve_bounds(names, given)
    assert "--bounds" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("text, problem", [
    ("value.mean_wake_s", "expected NAME=LOWER:UPPER"),
    ("value.mean_wake_s=1-2", "expected NAME=LOWER:UPPER"),
    ("value.mean_wake_s=a:2", "must be numbers"),
    ("value.nope=1:2", "unknown parameter 'value.nope'"),
])
def test_parse_bound_refuses_bad_text(text, problem):
    with pytest.raises(CalibrationError, match=problem):
        parse_bound(text)


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_parse_bound_never_fails_otherwise(text):
    try:
        name, bounds = parse_bound(text)
    except CalibrationError as exc:
        assert "\n" not in str(exc)
    else:
        assert name in PARAMETERS and isinstance(bounds, Bounds)


@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
@settings(max_examples=100, deadline=None)
def test_space_decodes_inside_the_bounds_and_round_trips(u):
    names = ("value.horizon_s", "noise.market_fraction", "momentum.long_window")
    space = Space(names, tuple(Bounds(PARAMETERS[n].lower, PARAMETERS[n].upper) for n in names))
    values = space.decode(u)
    for n, b in zip(names, space.bounds):
        assert b.lower <= values[n] <= b.upper
    assert float(values["momentum.long_window"]).is_integer()
    again = space.decode(space.encode(values))
    assert again["value.horizon_s"] == pytest.approx(values["value.horizon_s"], rel=1e-9)
    assert again["noise.market_fraction"] == pytest.approx(values["noise.market_fraction"], abs=1e-12)
    assert again["momentum.long_window"] == values["momentum.long_window"]


def test_calibration_refuses_bad_settings(small):
    target = simulated_facts(small, seed=7)
    for kwargs, problem in [({"method": "simplex"}, "--method"), ({"max_evals": 1}, "--max-evals"),
                            ({"seeds": ()}, "--seeds"), ({"weighting": "w"}, "--weighting"),
                            ({"noise_days": 1}, "--noise-days")]:
        with pytest.raises(CalibrationError, match=problem):
            calibrate_market(small, target, ["value.mean_wake_s"], **kwargs)
    with pytest.raises(CalibrationError, match="unknown parameter"):
        calibrate_market(small, target, ["value.speed"])


def test_written_scenario_loads_back_as_the_fitted_one(small, tmp_path):
    source = tmp_path / "small.yaml"
    source.write_text(SMALL_DAY)
    target = simulated_facts(small, seed=7)
    result = calibrate_market(small, target, ["value.horizon_s", "momentum.long_window"], seeds=(7,), max_evals=2,
                              weighting="fixed",
                              bounds={"momentum.long_window": Bounds(3, 15)})  # below short_window: moves it
    loaded = write_fitted_scenario(source, small, result, tmp_path / "out" / "fitted.yaml", ["a header"])
    assert loaded.name == "cm_small_calibrated"
    assert loaded.agents.value.horizon_s == result.fitted["value.horizon_s"]
    assert loaded.agents.momentum.long_window == result.fitted["momentum.long_window"]
    assert loaded.agents.momentum.short_window == result.fitted["momentum.long_window"] - 1  # moved with it
    assert (tmp_path / "out" / "fitted.yaml").read_text().startswith("# a header\n")
    assert loaded.session == small.session and loaded.agents.noise == small.agents.noise


def test_simulated_facts_are_deterministic_and_seed_dependent(small):
    a, b, c = simulated_facts(small, 7), simulated_facts(small, 7), simulated_facts(small, 8)
    assert a == b
    assert a["trades"]["count"] > 0 and a != c
    with pytest.raises(ScenarioError):
        parse_scenario(SMALL_DAY.replace("long_window: 50", "long_window: 5"), "bad.yaml")


def test_sensitivity_scores_a_parameter_that_moves_the_facts_above_one_that_cannot(small):
    from twin.market_calibration import sensitivity

    table = sensitivity(small, ["value.mean_wake_s", "market_makers.min_spread_ticks"], seeds=(7, 8))
    assert table["market_makers.min_spread_ticks"] == {"x1.2": 0.0, "/1.2": 0.0}  # 1 tick x 1.2 rounds to 1
    assert min(table["value.mean_wake_s"].values()) > 0.0


def test_fitted_scenario_is_written_from_the_text_read_at_load(small, tmp_path):
    from types import SimpleNamespace

    source = tmp_path / "small.yaml"
    source.write_text(SMALL_DAY.replace("count: 300", "count: 301"))  # edited on disk after the load
    result = SimpleNamespace(fitted={"value.mean_wake_s": 150.0})
    loaded = write_fitted_scenario(source, small, result, tmp_path / "fitted.yaml", text=SMALL_DAY)
    assert loaded.agents.noise.count == 300 and loaded.agents.value.mean_wake_s == 150.0
    with pytest.raises(CalibrationError, match="section agents differs"):
        write_fitted_scenario(source, small, result, tmp_path / "again.yaml")  # re-read: not the fitted one


def test_every_parameter_is_a_numeric_field_of_the_agents_config(small):
    """The registry names config fields (read and set by dataclasses.replace): a renamed field fails here."""
    for name, p in PARAMETERS.items():
        section = getattr(small.agents, p.section)
        value = getattr(section, p.field)
        assert type(value) is (int if p.integer else float), name
        assert p.lower < p.upper and (p.lower > 0 or not p.log), name
        assert with_values(small, {name: p.upper}).agents != small.agents or value == p.upper, name
        hints = typing.get_type_hints(type(section), include_extras=True)[p.field]
        for rule in (m for m in getattr(hints, "__metadata__", ()) if isinstance(m, Range)):
            for bound in (p.lower, p.upper):  # every value the search can take is one the config accepts
                assert rule.problem(bound, False) is None, (name, bound, rule)
