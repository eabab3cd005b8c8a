"""bench_run_sizes: a whole ``twin run`` per order count, and the line through them (a small sample)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
BENCH = ROOT / "loadtests" / "benchmarks" / "bench_run_sizes.py"

from loadtests.benchmarks import bench_run_sizes as bench  # noqa: E402


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env)


def test_two_sizes_of_smoke_give_a_row_each_the_fit_the_plot_and_the_figures(tmp_path):
    figures = tmp_path / "figures.jsonl"
    plot = tmp_path / "sizes.png"
    done = run("--scenario", "scenarios/smoke.yaml", "--orders", "200,40", "--plot", str(plot),
               env={**os.environ, "BENCH_FIGURES": str(figures)})
    assert done.returncode == 0, done.stderr[-3000:]
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+([\d,]+)\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+(\d+)$", done.stdout, re.M)
    assert [int(r[0]) for r in rows] == [40, 200], done.stdout  # smallest first, whatever order given
    events = [int(r[2].replace(",", "")) for r in rows]
    assert events[1] > events[0] > 0 and all(int(r[1]) >= int(r[0]) for r in rows)  # more orders, more events
    assert re.search(r"^fit \(least squares over these 2 runs\): wall -?[0-9.]+ s per 1,000 orders \+ -?[0-9.]+ s; "
                     r"peak -?[0-9.]+ MiB per 1,000 orders \+ -?\d+ MiB$", done.stdout, re.M), done.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = {json.loads(line)["name"] for line in figures.read_text().splitlines()}
    assert names == {"wall_s_per_1000_orders", "peak_mib_per_1000_orders", "largest_wall_s", "largest_peak_mib"}


@pytest.mark.parametrize("given, problem", [("5000", "at least two different positive counts"),
                                            ("10,10", "at least two different positive counts"),
                                            ("0,10", "at least two different positive counts"),
                                            ("ten,20", "whole numbers separated by commas")])
def test_bad_order_counts_are_refused_naming_the_option(given, problem):
    done = run("--orders", given)
    assert done.returncode == 2 and "--orders" in done.stderr and problem in done.stderr, done.stderr


def test_the_fit_is_the_least_squares_line():
    assert bench.fit([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]) == pytest.approx((2.0, 1.0))
    slope, intercept = bench.fit([0.0, 10.0, 20.0], [1.0, 2.0, 6.0])
    assert slope == pytest.approx(0.25) and intercept == pytest.approx(0.5)


def test_only_the_order_count_of_the_scenario_changes(tmp_path):
    source = {"name": "x", "seed": 7, "order_flow": {"orders": 10, "market_fraction": 0.3}, "symbols": [{"symbol": "A"}]}
    path = bench.scenario_with_orders(source, 500, tmp_path)
    data = yaml.safe_load(path.read_text())
    assert data == {**source, "order_flow": {"orders": 500, "market_fraction": 0.3}}
    assert source["order_flow"]["orders"] == 10  # the caller's copy is left alone
