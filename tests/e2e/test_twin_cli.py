"""The `twin` command line as a user runs it."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq

from components.domain.money import PRICE_SCALE

from tests.conftest import SCENARIOS
from twin.cli import main


def test_run_writes_the_four_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "smoke.yaml"), "--seed", "3", "--out", str(out), "--quiet"]) == 0
    for name in ("summary.json", "events.parquet", "orders.parquet", "report.html"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["all_invariants_passed"] is True
    assert set(summary["latency"]) == {"gateway", "oms", "risk", "routing"}
    events = pd.read_parquet(out / "events.parquet")
    orders = pd.read_parquet(out / "orders.parquet")
    assert len(events) == summary["event_count"]
    assert sum(summary["order_counts"].values()) == len(orders)
    printed = capsys.readouterr().out
    assert "fingerprint" in printed
    # The wall time is the whole run a user waits for, phase by phase, not the simulation alone.
    assert all(f"{phase} " in printed for phase in ("load", "build", "simulate", "invariants", "outputs"))
    assert "whole process" in printed and "peak memory" in printed
    timing = summary["timing"]
    assert set(timing["phases_s"]) == {"load", "build", "simulate", "invariants", "outputs"}  # keys sorted in the file
    assert timing["whole_process_wall_s"] >= sum(timing["phases_s"].values()) - 0.01  # phases cover the process
    assert timing["peak_rss_mib"] > 0 and timing["whole_process_cpu_s"] > 0
    # Units travel with the data; the exact average price is recoverable.
    metadata = pq.read_schema(out / "orders.parquet").metadata
    assert metadata[b"twin.price_scale"] == str(PRICE_SCALE).encode()
    assert b"UTC" in pq.read_schema(out / "events.parquet").metadata[b"twin.time"]
    filled = orders[orders.filled_qty > 0]
    assert len(filled) and ((filled.avg_price - filled.filled_notional / filled.filled_qty).abs() <= 0.5).all()


def test_validate_accepts_the_shipped_scenarios(capsys):
    for name in ("smoke.yaml", "trading_day.yaml"):
        assert main(["validate", str(SCENARIOS / name)]) == 0
    assert "ok:" in capsys.readouterr().out


def test_validate_names_the_bad_field_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nvenues:\n  - {name: XNAS, taker_fee: abc}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "venues[0].taker_fee" in err and ":3:" in err


def test_run_refuses_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\norder_flow:\n  orderz: 5\n")
    assert main(["run", str(bad), "--quiet"]) == 2
    assert "order_flow.orderz" in capsys.readouterr().err
