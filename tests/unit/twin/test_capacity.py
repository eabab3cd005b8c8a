"""Capacity sweeps: knee detection, the SLO check, replicas parsing, rates, summaries, service pools."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from components.domain.outcomes import DONE, Handled
from components.platform import SERVICES
from twin.capacity import (
    KNEE_UTILISATION,
    config_label,
    knee_interval,
    knees,
    latency_knee,
    meets_slo,
    parse_replicas,
    scenario_at,
    session_seconds,
    summarise,
    utilisation_knee,
)
from twin.cli_capacity import parse_rates
from twin.clock import SimClock
from twin.draws import Draws
from twin.service_pool import ServicePool
from twin.services import SimService


# -- knees ------------------------------------------------------------------------------------

def test_utilisation_knee_fits_the_demand_and_ignores_saturated_points():
    rates = [5, 10, 20, 40]
    demand_s = 0.02  # 20 ms of work per order: saturates at 50/s
    utilisation = [r * demand_s for r in rates[:3]] + [1.3]  # the last run is past saturation
    demand, knee, saturation = utilisation_knee(rates, utilisation)
    assert demand == pytest.approx(demand_s)
    assert knee == pytest.approx(KNEE_UTILISATION / demand_s)
    assert saturation == pytest.approx(50.0)


def test_replicas_move_the_knee_out_in_proportion():
    rates = [10, 20]
    one = utilisation_knee(rates, [0.2, 0.4], replicas=1)
    two = utilisation_knee(rates, [0.1, 0.2], replicas=2)  # same work per order, spread over two servers
    assert two[0] == pytest.approx(one[0])
    assert two[1] == pytest.approx(2 * one[1])


def test_a_service_that_does_nothing_never_bends():
    assert utilisation_knee([1, 2], [0.0, 0.0]) == (0.0, math.inf, math.inf)


def test_latency_knee_is_the_first_rate_where_p95_doubles():
    assert latency_knee([1, 2, 4, 8], [10.0, 11.0, 25.0, 400.0]) == 4
    assert latency_knee([1, 2, 4], [10.0, 12.0, 15.0]) is None
    assert latency_knee([8, 1, 4], [90.0, 10.0, 12.0]) == 8  # order of the input does not matter
    assert latency_knee([1], [10.0]) is None


def _summary(rates, utilisation: dict[str, list[float]], risk_p95: list[float]) -> pd.DataFrame:
    rows = []
    for i, rate in enumerate(rates):
        row = {"config": "c", "rate_per_s": rate}
        for name in SERVICES:
            row[f"{name}_utilisation"] = utilisation.get(name, [0.01 * (i + 1)] * len(rates))[i]
            row[f"{name}_replicas"] = 1
        for segment in ("gateway", "oms", "risk", "routing"):
            row[f"{segment}_p95_ms"] = risk_p95[i] if segment == "risk" else 5.0
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_bottleneck_is_the_service_with_the_lowest_knee():
    summary = _summary([2, 5, 10, 20], {"risk": [0.1, 0.25, 0.5, 1.05], "oms": [0.02, 0.05, 0.1, 0.2]},
                       [60.0, 80.0, 150.0, 3000.0])
    found = knees(summary)
    assert found[0].service == "risk"
    assert 10 < found[0].knee_rate < 20  # between the swept rates: 0.8 / 0.05 = 16
    assert found[0].latency_knee_rate == 10
    assert found[1].knee_rate > found[0].knee_rate


def test_knees_refuse_a_mix_of_configurations():
    summary = pd.concat([_summary([1], {}, [1.0]), _summary([1], {}, [1.0]).assign(config="d")])
    with pytest.raises(ValueError, match="one replica configuration"):
        knees(summary)


# -- the SLO ------------------------------------------------------------------------------------

def _row(**overrides):
    row = {f"{s}_{p}_ms": 1.0 for s in ("gateway", "oms", "risk", "routing") for p in ("p50", "p99")}
    row.update({f"{n}_utilisation": 0.3 for n in SERVICES})
    row.update(overrides)
    return row


def test_meets_slo_names_each_breach():
    assert meets_slo(_row()) == (True, [])
    ok, breaches = meets_slo(_row(risk_p99_ms=51.0, oms_utilisation=1.2))
    assert not ok
    assert breaches == ["risk p99 51.0 ms > 50 ms", "oms saturated (utilisation 1.20)"]


def test_a_segment_no_order_reached_is_no_breach():
    assert meets_slo(_row(routing_p50_ms=math.nan, routing_p99_ms=math.nan))[0]


# -- user input ---------------------------------------------------------------------------------

def test_parse_replicas_over_defaults():
    assert parse_replicas("risk=3, oms=2") == {"gateway": 1, "oms": 2, "risk": 3, "router": 1, "post_trade": 1}
    assert config_label(parse_replicas("")) == "gateway=1,oms=1,risk=1,router=1,post_trade=1"


@pytest.mark.parametrize("text, problem", [
    ("risk", "expected SERVICE=N"), ("ledger=2", "expected SERVICE=N"), ("risk=two", "whole number"),
    ("risk=0", "1..1024"),
])
def test_parse_replicas_names_the_bad_item(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_replicas(text)


@given(st.text(max_size=30))
def test_parse_replicas_never_fails_other_than_with_a_named_error(text):
    try:
        parsed = parse_replicas(text)
    except ValueError as exc:
        assert str(exc).startswith("--replicas: ")
    else:
        assert set(parsed) == set(SERVICES) and all(1 <= n <= 1024 for n in parsed.values())


@given(st.text(max_size=30))
def test_parse_rates_never_fails_other_than_with_a_named_error(text):
    try:
        rates = parse_rates(text)
    except ValueError as exc:
        assert str(exc).startswith("--rates: ")
    else:
        assert rates == sorted(set(rates)) and all(r > 0 and math.isfinite(r) for r in rates)


def test_scenario_at_scales_the_order_count_and_flattens_the_day(smoke_scenario):
    scaled = scenario_at(smoke_scenario, 2.0, {"risk": 3})
    assert scaled.order_flow.orders == round(2.0 * session_seconds(smoke_scenario))
    assert scaled.order_flow.u_shape == 1.0 and scaled.replicas.risk == 3 and scaled.replicas.oms == 1
    assert scenario_at(smoke_scenario, 2.0, {}, keep_shape=True).order_flow.u_shape == smoke_scenario.order_flow.u_shape


def test_summarise_gives_means_and_a_confidence_interval_over_seeds():
    runs = pd.DataFrame({"scenario": "s", "config": "c", "rate_per_s": [1.0, 1.0, 1.0, 2.0], "seed": [1, 2, 3, 1],
                         "fingerprint": "x", "risk_p95_ms": [10.0, 12.0, 14.0, 30.0]})
    summary = summarise(runs).set_index("rate_per_s")
    assert summary.loc[1.0, "risk_p95_ms"] == pytest.approx(12.0)
    assert summary.loc[1.0, "risk_p95_ms_ci95"] == pytest.approx(4.302653 * 2.0 / math.sqrt(3), rel=1e-5)
    assert summary.loc[2.0, "risk_p95_ms_ci95"] == 0.0 and summary.loc[2.0, "seeds"] == 1


# -- the pool -----------------------------------------------------------------------------------

def _served(service_cls, arrivals: int, **kwargs) -> tuple[list[int], object]:
    """``arrivals`` messages at t=0 into a service whose every message takes 10 ns; the finish times."""
    env = simpy.Environment()
    clock = SimClock(env, 0)
    done: list[int] = []

    def handler(message):
        done.append(clock.now_ns())
        return Handled(DONE, ())

    draws = Draws(lambda n: np.full(n, 10.0))
    service = service_cls("svc", clock, draws, handler, **kwargs)
    for i in range(arrivals):
        service.deliver(i)
    env.run()
    return done, service


def test_a_pool_serves_replicas_messages_at_once():
    single, _ = _served(SimService, 4)
    pooled, pool = _served(ServicePool, 4, replicas=2)
    assert single == [10, 20, 30, 40]
    assert pooled == [10, 10, 20, 20]
    assert pool.stats.handled == 4 and pool.stats.busy_ns == 40 and pool.stats.max_queue == 4


def test_a_pool_of_one_behaves_as_the_single_server():
    assert _served(ServicePool, 5, replicas=1)[0] == _served(SimService, 5)[0]


def test_a_crashed_pool_redelivers_what_it_was_serving():
    env = simpy.Environment()
    clock = SimClock(env, 0)
    handled: list[int] = []

    def handler(message):
        handled.append(message)
        return Handled(DONE, ())

    pool = ServicePool("svc", clock, Draws(lambda n: np.full(n, 10.0)), handler, replicas=2)
    for i in range(3):
        pool.deliver(i)
    env.run(until=5)
    pool.crash(100)  # messages 0 and 1 in service, 2 waiting: all lost from memory
    env.run()
    assert sorted(handled) == [0, 1, 2] and pool.redelivered == 3


def test_a_pool_needs_a_replica():
    with pytest.raises(ValueError, match="replicas must be >= 1"):
        _served(ServicePool, 1, replicas=0)


def test_the_knee_interval_comes_from_the_fits_scatter():
    rates = [10.0, 20.0, 30.0, 40.0]
    exact = [r * 0.01 for r in rates]  # 10 ms of work per order: knee 0.8 / 0.01 = 80 orders/s
    assert knee_interval(rates, exact) == pytest.approx((80.0, 80.0))
    noisy = [0.11, 0.19, 0.31, 0.39]
    low, high = knee_interval(rates, noisy)
    _, knee, _ = utilisation_knee(rates, noisy)
    assert low < knee < high and 60 < low and high < 100
    wider = knee_interval(rates, [0.13, 0.17, 0.33, 0.37])
    assert wider[0] < low and wider[1] > high  # more scatter, wider interval


def test_no_knee_interval_without_three_points_below_saturation_or_without_work():
    assert knee_interval([10.0, 20.0], [0.1, 0.2]) is None
    assert knee_interval([10.0, 20.0, 30.0, 40.0], [0.3, 0.6, 0.96, 1.0]) is None  # two points below 0.95
    assert knee_interval([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) is None
    assert knee_interval([1.0, 2.0, 3.0], [0.001, 0.5, 0.001])[1] == math.inf  # a demand interval reaching 0
