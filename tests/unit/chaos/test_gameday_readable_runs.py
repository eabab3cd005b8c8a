"""What a twin run records for a readable game-day report: each fault's kind, parameters, New York
start and seconds; the order-path p99 per simulated minute; and, from ``run_twin_scenario``, the
fault-free baseline beside the faulted run."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pandas as pd

from chaos.faults.control_plane import ControlPlaneOutage
from chaos.faults.venues import VenueDown
from chaos.toolkit.actions import run_twin_scenario
from chaos.toolkit.twin_runs import fault_record
from reports.gameday import order_path_by_minute, read_journal, write_gameday
from scenarios.config import load_scenario

ROOT = Path(__file__).resolve().parents[3]
SMOKE_PATH = ROOT / "scenarios" / "smoke.yaml"
SMOKE = load_scenario(SMOKE_PATH)
NS, MS = 1_000_000_000, 1_000_000


def at(text: str) -> int:
    return SMOKE.session.at_ns(time.fromisoformat(text))


def test_a_fault_record_carries_its_parameters_new_york_start_and_seconds():
    record = fault_record(VenueDown("XNAS", at("09:30"), 300 * NS))
    assert (record["kind"], record["at"], record["duration_s"], record["params"]) == \
        ("venue_down", "09:30:00", 300.0, {"venue": "XNAS"})
    assert record["at_ns"] == at("09:30") and record["duration_ns"] == 300 * NS  # what probes and plots use
    outage = fault_record(ControlPlaneOutage(at("09:35:30"), 900 * NS))
    assert (outage["at"], outage["duration_s"], outage["params"]) == ("09:35:30", 900.0, {})


def test_the_order_path_p99_is_given_per_simulated_minute_of_receipt():
    rows = []
    for i, (received, routed) in enumerate([(at("09:30:10"), 10), (at("09:30:50"), 30), (at("09:32:00"), 5)]):
        oid = f"O-{i}"
        rows += [(oid, "OrderReceived", received, json.dumps({"submitted_ns": received})),
                 (oid, "OrderValidated", received, "{}"), (oid, "OrderRiskApproved", received, "{}"),
                 (oid, "OrderRouted", received + routed * MS, "{}")]
    frame = pd.DataFrame(rows, columns=["order_id", "event_type", "timestamp_utc", "details"])
    assert order_path_by_minute(frame) == [{"t_ns": at("09:30"), "count": 2, "p99_ms": 29.8},
                                           {"t_ns": at("09:32"), "count": 1, "p99_ms": 5.0}]


def test_run_twin_scenario_reports_the_fault_free_baseline_beside_the_faulted_run(tmp_path):
    out = run_twin_scenario(str(tmp_path), str(SMOKE_PATH),
                            faults=[{"kind": "venue_down", "venue": "XNAS", "at": "09:30", "duration_s": 300}])
    base = json.loads((tmp_path / "baseline" / "chaos.json").read_text())
    assert out["baseline"]["fingerprint"] == base["fingerprint"] != out["fingerprint"]
    assert out["baseline"]["orders"] == base["orders"]
    assert out["baseline"]["orders_difference"] == {s: out["orders"][s] - base["orders"][s] for s in out["orders"]}
    # the baseline's orders entered in the fault's window: what the day does there without the fault
    assert 0 < out["baseline"]["affected"]["count"] and sum(out["baseline"]["affected"]["ended"].values()) == \
        out["baseline"]["affected"]["count"]
    assert out["order_path_by_minute"] and out["baseline"]["order_path_by_minute"]
    assert sum(m["count"] for m in out["order_path_by_minute"]) == out["order_path"]["count"]
    assert json.loads((tmp_path / "faulted" / "chaos.json").read_text())["baseline"] == out["baseline"]


def test_the_venue_outage_changes_no_final_status_and_the_report_says_so(tmp_path):
    """The finding behind the comparison: XNAS down for the open ends every order as the fault-free
    run does (BLOCKED 44 in both), so the blocks are the day's, not the fault's."""
    out = run_twin_scenario(str(tmp_path), str(SMOKE_PATH),
                            faults=[{"kind": "venue_down", "venue": "XNAS", "at": "09:30", "duration_s": 300}])
    assert set(out["baseline"]["orders_difference"].values()) == {0}
    journal = {"experiment": {"title": "t"}, "status": "completed", "deviated": False,
               "start": "2026-12-05T06:00:00+00:00",
               "run": [{"activity": {"type": "action", "name": "xnas-down"}, "output": out}]}
    (tmp_path / "journal.json").write_text(json.dumps(journal))
    html = write_gameday(read_journal(tmp_path / "journal.json"), tmp_path / "page").read_text()
    assert html.count("no difference from the fault-free baseline") == 2  # affected orders, every order
