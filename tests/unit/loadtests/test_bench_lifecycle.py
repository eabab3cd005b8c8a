"""bench_lifecycle's per-component cost table on a small sample: every component shows up, and
the rows add up to the instrumented run's own time (so no section is counted twice or lost)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks.bench_lifecycle import cost_table, record_figures, run_day  # noqa: E402
from twin.calibrate import KERNEL, RECORDING, SERVICE_ROWS, CostMeter  # noqa: E402


@pytest.fixture(scope="module")
def day():
    return run_day(300, 1, clock="cpu")


def test_the_table_has_a_row_per_component_and_policy(day):
    names = {row[0] for row in cost_table(day)}
    assert set(SERVICE_ROWS.values()) | {KERNEL, RECORDING, "venue matching", "market data"} <= names
    policies = {n for n in names if n.startswith("risk: ")}
    assert len(policies) == len(day_policies()) and all(n[6:] in day_policies() for n in policies)
    assert cost_table(day)[-1][0] == KERNEL  # what the others leave comes last


def day_policies() -> set[str]:
    from components.risk.policies import POLICIES

    return {p.name for p in POLICIES}


def test_sections_add_up_to_the_instrumented_simulate_time(day):
    meter = day.meter
    assert day.settled == 300
    # Exclusive sections: their sum is the time inside the outermost one (simpy's step); only the
    # run loop itself and simulate()'s set-up lie outside every section.
    assert 0.85 * day.cpu_s * 1e9 <= meter.total_ns() <= 1.01 * day.cpu_s * 1e9, (meter.total_ns(), day.cpu_s)


def test_rows_are_the_sections_less_the_timing_cost(day):
    rows = cost_table(day)
    meter = day.meter
    assert abs(sum(share for _, _, share, _ in rows) - 1) < 1e-9
    summed_us = sum(us for _, us, _, _ in rows)
    as_read_us = meter.total_ns() / 1000 / day.settled
    taken_off = sum(meter.wrapper_ns * meter.calls[n] + meter.leak_ns * meter.nested_calls[n] for n in meter.ns)
    assert summed_us <= as_read_us
    assert summed_us == pytest.approx(as_read_us - taken_off / 1000 / day.settled, rel=0.05)
    # One OMS event stream per lifecycle: 8 events recorded per settled order.
    assert dict((r[0], r[3]) for r in rows)[RECORDING] == pytest.approx(8, abs=0.1)


def test_nested_sections_are_exclusive():
    meter = CostMeter("cpu")

    def inner():
        return sum(range(20_000))

    timed_inner = meter.wrap("inner", inner)
    outer = meter.wrap("outer", lambda: (timed_inner(), timed_inner(), sum(range(20_000)))[0])
    outer()
    assert meter.calls == {"inner": 2, "outer": 1}
    # Twice the work inside, once outside: the outer section keeps about a third.
    assert 0.15 < meter.ns["outer"] / meter.total_ns() < 0.6, meter.ns


def test_an_unknown_clock_is_refused():
    with pytest.raises(ValueError, match="clock: must be one of cpu, wall"):
        CostMeter("sundial")


def test_the_headline_figures_and_every_row_are_recorded(day, tmp_path, monkeypatch):
    monkeypatch.setenv(figures.ENV, str(tmp_path / "figures.jsonl"))
    record_figures(day, 1_000_000.0, 1_000_000.0, day, 100.0)
    recorded = figures.read(tmp_path / "figures.jsonl")
    assert recorded["lifecycle.ratio"]["better"] == "higher"
    assert recorded["lifecycle.us_per_lifecycle"]["value"] == pytest.approx(day.wall_s * 1e6 / day.settled)
    costs = {name for name in recorded if name.startswith("lifecycle.cost.")}
    assert len(costs) == len(cost_table(day)) and "lifecycle.cost.risk_buying_power" in costs
    assert "lifecycle.cost.kernel_network" in costs


def test_profile_writes_the_call_tree_of_simulate(tmp_path):
    run_day(200, 1, profile=tmp_path / "simulate.txt")
    tree = (tmp_path / "simulate.txt").read_text(encoding="utf-8")
    assert "simulate" in tree and "Platform.handle" in tree
