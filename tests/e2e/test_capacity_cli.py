"""``twin capacity`` and ``twin calibrate`` as a capacity planner runs them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from scenarios.service_times import load_profile
from twin.cli import main

SLOW_RISK = """\
name: capacity_slow_risk
seed: 7
session: {date: "2026-11-24", open: "09:30", close: "09:31"}
symbols:
  - {symbol: AAPL, reference_price: "190.00"}
venues:
  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}
population: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}
order_flow: {orders: 60}
liquidity: {noise_traders: 1}
services:
  risk: {median_ms: 50.0, p99_ms: 100.0}   # the deliberately slow component: saturates near 19 orders/s
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capacity")
    (folder / "slow.yaml").write_text(SLOW_RISK, encoding="utf-8")
    out = folder / "out"
    code = main(["capacity", str(folder / "slow.yaml"), "--rates", "2,5,10,20", "--workers", "1", "--out", str(out)])
    return code, out


def test_capacity_finds_the_knee_and_names_the_slow_component(swept, capsys):
    code, out = swept
    assert code == 0
    result = json.loads((out / "capacity.json").read_text())
    assert result["bottleneck"] == "risk"
    risk = result["knees"][0]
    assert risk["service"] == "risk"
    assert 10 < risk["knee_rate"] < 20  # between the swept rates: 80% of a ~53 ms service
    assert risk["latency_knee_rate"] == 20  # the latency curve bends past it too
    assert all(k["knee_rate"] > 5 * risk["knee_rate"] for k in result["knees"][1:])


def test_capacity_writes_one_row_per_run_and_the_report(swept):
    _, out = swept
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and sorted(runs["rate_per_s"]) == [2, 5, 10, 20]
    assert runs["fingerprint"].str.len().eq(64).all()
    assert (runs.sort_values("rate_per_s")["risk_utilisation"].diff().dropna() > 0).all()
    html = (out / "capacity.html").read_text()
    assert "Bottleneck: risk" in html and html.count("data:image/png;base64,") == 2


def test_capacity_refuses_bad_input_with_one_line(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SLOW_RISK, encoding="utf-8")
    assert main(["capacity", str(scenario), "--rates", "5,x"]) == 2
    assert "--rates: 'x' is not a number" in capsys.readouterr().err
    assert main(["capacity", str(scenario), "--rates", "5", "--replicas", "ledger=2"]) == 2
    assert "--replicas: 'ledger=2'" in capsys.readouterr().err
    assert main(["capacity", str(scenario), "--rates", "5", "--locust", str(tmp_path / "none_stats.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_capacity_compares_a_locust_run_with_the_prediction(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SLOW_RISK, encoding="utf-8")
    stats = tmp_path / "load_stats.csv"
    stats.write_text("Type,Name,Request Count,Failure Count,Median Response Time,Requests/s,50%,95%,99%\n"
                     ",Aggregated,1000,0,10,50.0,10,40,80\n", encoding="utf-8")
    (tmp_path / "load_stats_history.csv").write_text("Timestamp,User Count,Name\n1,2,Aggregated\n2,5,Aggregated\n")
    out = tmp_path / "out"
    assert main(["capacity", str(scenario), "--rates", "2", "--workers", "1", "--out", str(out),
                 "--locust", str(stats)]) == 0
    test = json.loads((out / "capacity.json").read_text())["load_tests"][0]
    assert test["users"] == 5 and test["measured_p95_ms"] == 40
    assert test["p95_error"] == pytest.approx((test["predicted_p95_ms"] - 40) / 40)
    printed = capsys.readouterr().out
    assert "load test 5 users: measured 50.0 req/s, p50 10 ms, p95 40 ms; twin predicts" in printed
    assert (out / "capacity.html").read_text().count("data:image/png;base64,") == 3
    # the shipped profile's HTTP times were benched on a loaded machine: a p95 off by more than half says so
    missed = abs(test["p95_error"]) > 0.5
    assert ("note: the twin misses 1 load test(s) by more than 50% of p95" in printed) == missed
    if missed:
        assert "bench_calibrate.py --profile mine.json" in printed and "--cpu-share CORES/LOAD_AVERAGE" in printed
    assert json.loads((out / "capacity.json").read_text())["profile_measured"]["at_utc"]


def test_the_note_on_a_missed_load_test_names_when_the_profile_was_benched():
    from twin.cli_capacity import missed_note

    note = missed_note([{"p95_error": 9.06, "users": 5, "cpu_share": None}, {"p95_error": -0.6, "users": 20,
                                                                           "cpu_share": None}],
                       {"at_utc": "2026-12-05T06:11:31Z", "http_how": "bench ...; load average 7.85 at the start"})
    assert note.startswith("note: the twin misses 2 load test(s) by more than 50% of p95 (worst +906%, 5 users).")
    assert "benched with load average 7.85 at the start" in note and "cp PROFILE mine.json" in note


def test_calibrate_writes_a_profile_a_scenario_can_use(tmp_path, capsys):
    out = tmp_path / "profile.json"
    assert main(["calibrate", "--repeat", "1", "--orders", "40", "--out", str(out)]) == 0
    profile = load_profile(out)
    assert {"gateway", "oms", "risk", "router", "post_trade"} == set(profile.services)
    assert "risk" in capsys.readouterr().out
    assert main(["calibrate", "--repeat", "0"]) == 2


def test_target_multiple_finds_the_replicas_that_meet_the_slo(tmp_path, capsys):
    scenario = tmp_path / "mid.yaml"  # risk at 12 ms: one replica saturates near 79 orders/s, 60x is 60 orders/s
    scenario.write_text(SLOW_RISK.replace("median_ms: 50.0, p99_ms: 100.0", "median_ms: 12.0, p99_ms: 24.0"))
    out = tmp_path / "out"
    assert main(["capacity", str(scenario), "--rates", "20", "--workers", "1", "--out", str(out),
                 "--target-multiple", "60"]) == 0
    rec = json.loads((out / "capacity.json").read_text())["recommendation"]
    assert rec["met"] and rec["rate_per_s"] == pytest.approx(60.0)
    assert rec["replicas"] == {"gateway": 1, "oms": 1, "risk": 2, "router": 1, "post_trade": 1}
    first, last = rec["steps"][0], rec["steps"][-1]
    assert first["config"].startswith("gateway=1,oms=1,risk=1") and any("risk" in b for b in first["breaches"])
    assert last["breaches"] == []
    assert "Recommended configuration for 60x volume" in (out / "capacity.html").read_text()


def test_a_sweep_gives_the_same_runs_in_process_and_on_a_process_pool(tmp_path):
    from scenarios.config import load_scenario
    from twin.capacity import sweep

    (tmp_path / "slow.yaml").write_text(SLOW_RISK, encoding="utf-8")
    scenario = load_scenario(tmp_path / "slow.yaml")
    here = sweep(scenario, [2, 5], seeds=1, workers=1)
    pooled = sweep(scenario, [2, 5], seeds=1, workers=2)
    assert list(here["fingerprint"]) == list(pooled["fingerprint"])
    assert here["risk_p95_ms"].tolist() == pooled["risk_p95_ms"].tolist()
