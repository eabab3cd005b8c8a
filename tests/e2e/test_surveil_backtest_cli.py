"""``twin surveil-backtest`` end to end on a small labelled scenario, and its refusals of bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SCENARIOS
from twin.cli import main

SMALL = (SCENARIOS / "smoke.yaml").read_text(encoding="utf-8") + """
risk:
  concentration_max_bps: 9000
bad_actors:
  spoofer: {episodes: 2}
  wash_trader: {episodes: 2}
  closer: {episodes: 1}
"""


@pytest.fixture()
def scenario(tmp_path):
    path = tmp_path / "small_surveillance.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_backtest_writes_scores_sweep_and_page(scenario, tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["surveil-backtest", str(scenario), "--seeds", "1", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "backtest.json").read_text())
    d = result["default"]
    assert d["seeds"] == [1] and d["orders"] > 0
    assert set(d["patterns"]) == {"spoofing", "wash_trade", "marking_the_close", "front_running"}
    spoof = d["patterns"]["spoofing"]
    assert spoof["labels"] + d["refused_episodes"] >= 1 and spoof["sweep"][0]["threshold"] == 1
    assert spoof["tp"] + spoof["fp"] == spoof["alerts"] and spoof["detected"] + spoof["fn"] == spoof["labels"]
    page = (out / "surveillance.html").read_text()
    assert "data:image/png;base64," in page and "precision" in page
    assert "spoofing" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--seeds", "x"], "--seeds: 'x' is not a seed"),
    (["--seeds", "1,1"], "--seeds: a seed is listed twice"),
    (["--seeds", "1", "--tune", "--train-seeds", "1,2"], "overlap"),
])
def test_bad_seeds_are_refused_with_one_line(scenario, args, message, capsys):
    assert main(["surveil-backtest", str(scenario), *args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_run_with_bad_actors_writes_labels_links_and_the_report_section(scenario, tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--seed", "2", "--out", str(out), "--quiet"]) == 0
    labels = json.loads((out / "labels.json").read_text())["episodes"]
    links = json.loads((out / "links.json").read_text())
    assert {e["pattern"] for e in labels} >= {"spoofing", "wash_trade"} and links["accounts"]
    section = json.loads((out / "summary.json").read_text())["surveillance"]
    assert set(section["alerts_by_pattern"]) == {"spoofing", "wash_trade", "marking_the_close", "front_running"}
    assert sum(section["case_funnel"].values()) >= 1 and section["scores"]["spoofing"]["labels"] >= 0
    html = (out / "report.html").read_text()
    assert "<h2>Surveillance</h2>" in html and "Surveillance precision-recall" in html
