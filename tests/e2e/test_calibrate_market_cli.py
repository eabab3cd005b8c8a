"""`twin calibrate-market RECORDED_DAY --scenario S`: a fit to a recorded day in the replay format, and bad input."""

from __future__ import annotations

import json

import pytest

from scenarios.config import load_scenario
from twin.cli import main
from twin.market_calibration import simulated_recorded_day, with_values

SCENARIO = """
name: cm_cli
seed: 7
session: {date: "2026-11-24", open: "09:30", close: "10:00"}
symbols:
  - {symbol: ABM, reference_price: "1000.00", daily_vol_bps: 100}
venues:
  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
order_flow: {orders: 0}
agents:
  value: {count: 30, mean_wake_s: 175}
  momentum: {count: 6}
  noise: {count: 100}
  market_makers: {count: 2, min_size: 100}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The scenario file and a recorded day (replay format) made from it with known parameters."""
    root = tmp_path_factory.mktemp("calibrate_market")
    (root / "scenario.yaml").write_text(SCENARIO)
    truth = with_values(load_scenario(root / "scenario.yaml"), {"value.mean_wake_s": 120.0})
    simulated_recorded_day(truth, 7, root / "day")
    return root


def test_fit_writes_the_scenario_and_the_report(folder, capsys):
    out = folder / "out" / "fitted.yaml"
    code = main(["calibrate-market", str(folder / "day"),
        "--scenario", str(folder / "scenario.yaml"), "--session", "09:30-10:00", "--param", "value.mean_wake_s",
        "--max-evals", "3", "--noise-days", "2", "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    fitted = load_scenario(out)
    report = json.loads((folder / "out" / "fitted.calibration.json").read_text())
    assert fitted.name == "cm_cli_calibrated"
    assert fitted.agents.value.mean_wake_s == report["fitted"]["value.mean_wake_s"]
    assert report["kind"] == "recorded" and report["symbol"] == "ABM" and len(report["evaluations"]) <= 3
    assert report["objective"]["fitted"] <= report["objective"]["start"]
    facts = [row["fact"] for row in report["fit"]]
    assert "trades_per_minute" in facts and "spread_median_ticks" in facts
    for fact in facts:
        assert fact in printed
    assert "objective (weighted mean squared distance)" in printed and str(out) in printed


def test_list_params(capsys):
    assert main(["calibrate-market", "--list-params"]) == 0
    assert "value.horizon_s" in capsys.readouterr().out


@pytest.mark.parametrize("args, problem", [
    (["{root}/nowhere", "--scenario", "{root}/scenario.yaml"], "nowhere: no such folder"),
    (["{root}/day", "--scenario", "no_such_scenario"], "--scenario no_such_scenario: no such file"),
    (["{root}/day", "--scenario", "smoke"], "no agents section"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--param", "value.mean_wake_s",
      "--bounds", "value.mean_wake_s=600:30"], "lower must be below upper"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--bounds", "value.mean_wake_s=30"],
     "expected NAME=LOWER:UPPER"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--param", "value.speed"], "unknown parameter"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--seeds", "0"], "--seeds: must be >= 1"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--session", "16:00-09:30"], "--session"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--symbol", "MSFT"], "symbol MSFT not in the day"),
    (["{root}/day"], "give RECORDED_DAY and --scenario"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--method", "simplex"], "--method: expected one of"),
    (["{root}/day", "--scenario", "{root}/scenario.yaml", "--max-evals", "1"], "--max-evals: must be >= 2"),
    (["--sensitivity"], "--sensitivity needs --scenario"),
    (["--sensitivity", "--scenario", "{root}/scenario.yaml"], "--sensitivity needs at least 2"),
])
def test_bad_input_is_one_line_and_exit_2(folder, capsys, args, problem):
    code = main(["calibrate-market", *(a.format(root=folder) for a in args), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("calibrate-market: ") and problem in err, err
