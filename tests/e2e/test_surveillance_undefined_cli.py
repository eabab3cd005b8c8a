"""``twin surveil-backtest`` on a day without bad actors: nothing raised, nothing labelled, so no score at
all ("n/a", null), never a perfect 1.000; ``--tune`` without ``--train-seeds`` says which seeds it tuned on."""

from __future__ import annotations

import json

from tests.conftest import SCENARIOS
from twin.cli import main

SMOKE = str(SCENARIOS / "smoke.yaml")


def test_a_backtest_that_measured_nothing_shows_no_score(tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["surveil-backtest", SMOKE, "--seeds", "1", "--out", str(out), "--quiet"]) == 0
    d = json.loads((out / "backtest.json").read_text())["default"]
    assert d["labels"] == 0
    for name, p in d["patterns"].items():
        assert p["alerts"] == 0, name  # the smoke day has no bad actors and raises nothing
        assert (p["precision"], p["recall"], p["f1"]) == (None, None, None), name
        assert all(pt["f1"] is None for pt in p["sweep"]), name
    printed = capsys.readouterr().out
    assert "1.000" not in printed and "n/a" in printed
    page = (out / "surveillance.html").read_text()
    assert "n/a" in page and "None" not in page


def test_tune_without_train_seeds_says_it_used_the_default_seeds(tmp_path, capsys):
    out = tmp_path / "tuned"
    assert main(["surveil-backtest", SMOKE, "--seeds", "1", "--tune", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "training seeds 101,102,103 (the --train-seeds default)" in captured.out
    for name in ("spoofing", "wash_trade", "marking_the_close", "front_running"):  # smoke has no bad actors
        assert f"warning: {name}: no labelled episode on the training seeds" in captured.err
    tuned = json.loads((out / "backtest.json").read_text())
    assert tuned["tuning"]["train_seeds"] == [101, 102, 103]
    assert all(p["f1"] is None for p in tuned["tuned"]["patterns"].values())
