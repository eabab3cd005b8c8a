"""`twin suite`: six smoke seeds on the process pool -> one parquet row per run, a summary with 95%
confidence intervals (JSON, table, HTML); bad input refused with a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from twin.cli import main

SMOKE = str(Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml")


def test_suite_over_six_seeds_reports_figures_with_confidence_intervals(tmp_path, capsys):
    out = tmp_path / "suite"
    code = main(["suite", SMOKE, "--seeds", "6", "--first-seed", "11", "--workers", "2", "--out", str(out),
                 "--quiet"])
    printed, errors = capsys.readouterr()
    assert code == 0, errors
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["seed"].tolist() == list(range(11, 17))
    assert runs["fingerprint"].nunique() == 6 and runs["invariants_ok"].all()
    summary = json.loads((out / "suite_summary.json").read_text())
    smoke = summary["scenarios"]["smoke"]
    assert smoke["runs"] == 6 and smoke["invariants_pass_rate"]["k"] == 6
    fill = smoke["figures"]["fill_rate"]
    assert fill["n"] == 6 and fill["mean"] == pytest.approx(runs["fill_rate"].mean())
    assert fill["ci_low"] < fill["mean"] < fill["ci_high"]
    for column in ("routing_p99_ms", "filled_notional_usd", "orders_SETTLED", "wall_s"):
        assert smoke["figures"][column]["half_width"] > 0, column
    assert "95% confidence interval" in printed and "fill rate" in printed
    assert "runs in" in printed
    assert "suite.html" in printed and (out / "suite.html").read_text().count("<img") == 2


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0"], "--seeds: expected a whole number >= 1, got '0'"),
    (["--workers", "two"], "--workers: expected a whole number >= 1, got 'two'"),
    (["--first-seed", "-3"], "--first-seed: expected a whole number >= 0, got '-3'"),
])
def test_bad_numbers_are_refused_by_name(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["suite", SMOKE, *argv])
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_a_bad_dask_address_and_a_missing_scenario_are_refused(tmp_path, capsys):
    assert main(["suite", SMOKE, "--dask", "localhost:8786", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "--dask: expected 'local' or a scheduler address like tcp://HOST:PORT, got 'localhost:8786'")
    missing = str(tmp_path / "nope.yaml")
    assert main(["suite", missing, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"cannot read {missing}: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text((Path(SMOKE).read_text()).replace("orders: 200", "orders: -5"))
    assert main(["suite", str(bad), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("invalid: ")
    assert not (tmp_path / "runs.parquet").exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    import socket

    import twin.fanout as fanout

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(fanout, "DASK_CONNECT_TIMEOUT_S", 2)
    assert main(["suite", SMOKE, "--seeds", "2", "--dask", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"--dask: cannot reach the scheduler at tcp://127.0.0.1:{port}: ")
