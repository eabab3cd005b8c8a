"""Regulatory reports from real twin runs: a blocks day's CAT lifecycle, and the quarter scenario."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from tests.e2e.test_twin_determinism import fingerprint_in_new_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def blocks_run(tmp_path_factory):
    from twin.runner import run_scenario

    out = tmp_path_factory.mktemp("blocks_day")
    run_scenario(load_scenario(SCENARIOS / "blocks_day.yaml"), out_dir=out)
    return out


def test_blocks_day_every_order_event_appears_with_correct_linkage(blocks_run, tmp_path):
    from reports.regulatory.package import prepare_package

    pkg = tmp_path / "pkg"
    summary = prepare_package([blocks_run], "2026Q4", pkg, "2027-01-05T10:00:00Z")
    checks = json.loads((pkg / "checks.json").read_text())
    assert summary["failed_checks"] == 0, [c for c in checks if not c["ok"]]
    names = {c["check"] for c in checks}
    assert "run 0: lifecycle linkage" in names and "run 0: MEOR count = child orders routed" in names
    records = json.loads((pkg / "cat.json").read_text())
    kinds = Counter(r["type"] for r in records)
    assert kinds["MENO"] and kinds["MEOR"] and kinds["MEOC"] and kinds["MEOF"] and kinds["MEPA"]
    blocks = [r for r in records if r["type"] == "MENO" and r["representativeInd"] == "YF"]
    assert blocks and all(r["aggregatedOrders"] for r in blocks)
    routed_blocks = {r["orderID"] for r in records if r["type"] == "MEOR"} & {b["orderID"] for b in blocks}
    assert routed_blocks  # blocks reach venues; their fills reach customer orders through MEOF
    assert {r["firmDetails"]["orderID"] for r in records if r["type"] == "MEOF"} <= {b["orderID"] for b in blocks}


def test_blocks_day_has_partial_fills_and_cancels(blocks_run):
    from components.regulatory.orders import collect_orders
    from reports.regulatory.inputs import read_run_events

    orders = collect_orders(read_run_events(blocks_run)).values()
    assert any(len(o.venue_fills) > 1 for o in orders)  # partial fills
    assert any(o.cancel_event_id and o.routes for o in orders)  # cancels after routing


def test_quarter_scenario_is_deterministic():
    assert_baseline("quarter.yaml", fingerprint_in_new_process("quarter.yaml"))


def test_run_days_then_prepare_fills_the_quarter(tmp_path, capsys):
    from twin.cli import main

    assert main(["reports", "run-days", str(SCENARIOS / "quarter.yaml"), "--date", "2026-11-11",
                 "--out", str(tmp_path / "q")]) == 0
    assert main(["reports", "run-days", str(SCENARIOS / "quarter.yaml"), "--date", "2026-11-14",
                 "--out", str(tmp_path / "x")]) == 2  # a Saturday
    assert "distinct weekdays" in capsys.readouterr().err
    assert main(["reports", "prepare", "--run", str(tmp_path / "q" / "2026-11-11"), "--period", "2026Q4",
                 "--out", str(tmp_path / "pkg")]) == 0
    xml = (tmp_path / "pkg" / "rule606.xml").read_text()
    assert "<mon>11</mon>" in xml and "<rSP500>" in xml and "<rOtherStocks>" in xml and "<mic>WHSL</mic>" in xml
    # The run has its market timeline: 606 marketability from the NBBO at receipt, and Rule 605 files.
    summary = json.loads((tmp_path / "pkg" / "summary.json").read_text())
    assert summary["rule605"] and "for 0 of" not in summary["notes"][0]
    frame = pd.read_parquet(tmp_path / "pkg" / "rule605.parquet")
    assert set(frame["order_type"]) <= {"market", "marketableLimit", "nonMarketableLimit"}
    assert frame["orders"].sum() > 0 and "rule605.csv" in json.loads((tmp_path / "pkg" / "manifest.json").read_text())
