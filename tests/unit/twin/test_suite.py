"""twin.suite: the plan of runs, one run's row (real smoke runs, in process), and a broken invariant or
an exception recorded as data instead of stopping the suite."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from hypothesis import given, strategies as st

import twin.suite as suite
from components.domain.events import EventType
from twin.suite import FIGURES, STATUS_COLUMNS, plan_suite, run_one, run_suite


def test_plan_is_every_scenario_with_every_seed_scenario_major(smoke_scenario):
    runs = plan_suite([(smoke_scenario, "a.yaml"), (smoke_scenario, "b.yaml")], seeds=3, first_seed=10)
    assert [(r.scenario_file, r.seed) for r in runs] == [
        ("a.yaml", 10), ("a.yaml", 11), ("a.yaml", 12), ("b.yaml", 10), ("b.yaml", 11), ("b.yaml", 12)]


@pytest.mark.parametrize("seeds, first_seed, field", [(0, 1, "seeds"), (-2, 1, "seeds"), (2.5, 1, "seeds"),
                                                       (True, 1, "seeds"), (3, -1, "first_seed")])
def test_plan_refuses_bad_counts_by_name(smoke_scenario, seeds, first_seed, field):
    with pytest.raises(ValueError, match=rf"^{field}: must be a whole number"):
        plan_suite([(smoke_scenario, "s.yaml")], seeds=seeds, first_seed=first_seed)


def test_one_run_row_matches_the_run(smoke_scenario):
    from twin.runner import run_scenario

    (run,) = plan_suite([(smoke_scenario, "scenarios/smoke.yaml")], seeds=1, first_seed=3)
    row = run_one(run)
    direct = run_scenario(smoke_scenario, 3)
    orders = direct.world.platform.oms.orders.values()
    assert row["fingerprint"] == direct.fingerprint
    assert row["invariants_ok"] is True and row["first_violation"] == "" and row["error"] == ""
    assert row["orders"] == len(orders) == sum(row[c] for c in STATUS_COLUMNS)
    assert row["orders_SETTLED"] == sum(1 for o in orders if o.status.value == "SETTLED")
    assert row["filled_notional"] == sum(o.filled_notional for o in orders)
    assert row["fill_rate"] == pytest.approx(sum(o.filled_qty for o in orders) / sum(o.spec.quantity for o in orders))
    assert set(FIGURES) <= set(row)
    assert 0 < row["gateway_p50_ms"] <= row["gateway_p95_ms"] <= row["gateway_p99_ms"]
    assert row["wall_s"] > 0 and row["cpu_s"] > 0


def drop_a_validation(evidence) -> None:
    victim = next(i for i, e in enumerate(evidence.events) if e.event_type is EventType.ORDER_VALIDATED)
    del evidence.events[victim]


def test_a_broken_invariant_is_a_row_not_an_exception(smoke_scenario, monkeypatch):
    monkeypatch.setattr(suite, "run_scenario", functools.partial(suite.run_scenario, tamper=drop_a_validation))
    frame = run_suite(plan_suite([(smoke_scenario, "scenarios/smoke.yaml")], seeds=1, first_seed=5), workers=1)
    row = frame.iloc[0]
    assert not row["invariants_ok"]
    assert row["first_violation"].startswith("no_lost_or_duplicated_events: ")
    assert row["fingerprint"] and row["error"] == ""


def test_an_exception_in_a_run_is_recorded_and_the_next_run_still_happens(smoke_scenario, monkeypatch):
    real = suite.run_scenario

    def broken_for_seed_1(scenario, seed, **kwargs):
        if seed == 1:
            raise RuntimeError("simulated bug")
        return real(scenario, seed, **kwargs)

    monkeypatch.setattr(suite, "run_scenario", broken_for_seed_1)
    frame = run_suite(plan_suite([(smoke_scenario, "scenarios/smoke.yaml")], seeds=2, first_seed=1), workers=1)
    assert list(frame["seed"]) == [1, 2]
    assert frame.loc[0, "error"] == "RuntimeError: simulated bug" and not frame.loc[0, "invariants_ok"]
    assert pd.isna(frame.loc[0, "orders"]) and pd.isna(frame.loc[0, "fill_rate"])
    assert frame.loc[1, "error"] == "" and frame.loc[1, "invariants_ok"] and frame.loc[1, "orders"] > 0


@given(st.text(max_size=12))
def test_a_count_option_takes_whole_numbers_from_one_and_names_anything_else(text):
    import argparse

    from twin.cli_suite import _positive

    try:
        expected = int(text)
    except ValueError:
        expected = None
    if expected is not None and expected >= 1:
        assert _positive(text) == expected
    else:
        with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a whole number >= 1, got "):
            _positive(text)
