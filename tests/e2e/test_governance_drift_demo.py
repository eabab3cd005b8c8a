"""`twin governance drift-demo` end to end (issue 21, model governance acceptance).

The client population shifts from day 12: PSI crosses the 0.25 alert after the shift and not
before, the alert is raised and the runbook rolls back (then retrains: the version it rolled
back to drifts too); the records, cards and plot land in the run folder; the same seed gives
the same records byte for byte, in a new process and in this one.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from components.governance.store import InMemoryModelStore
from tests.conftest import ROOT
from twin.governance_demo import BASE_NS, DAY_NS, DemoConfig, records_sha256, run_demo

pytestmark = pytest.mark.slow


def _twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin.cli", "governance", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("gov") / "run"
    done = _twin("drift-demo", "--seed", "7", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_psi_crosses_the_alert_after_the_shift_and_not_before_and_the_runbook_acts(run_dir):
    rows = list(csv.DictReader((run_dir / "psi_over_time.csv").open()))
    figures = [k for k in rows[0] if k not in ("day", "model", "version", "shift")]
    before = [max(float(r[k]) for k in figures) for r in rows if int(r["day"]) < 12]
    after = [max(float(r[k]) for k in figures) for r in rows if int(r["day"]) >= 12]
    assert before and max(before) < 0.25
    assert max(after) >= 0.25
    events = [json.loads(line) for line in (run_dir / "governance_events.jsonl").read_text().splitlines()]
    alerts = [e for e in events if e["kind"] == "drift_alert"]
    assert alerts and min(e["at_ns"] for e in alerts) >= BASE_NS + 12 * DAY_NS
    rollbacks = [e for e in events if e["kind"] == "rollback"]
    assert rollbacks and all(e["actor"] == "runbook" and e["reason"].startswith("drift alert: PSI") for e in rollbacks)
    assert any(e["kind"] == "retrain_requested" for e in events)
    summary = json.loads((run_dir / "governance_summary.json").read_text())
    for name, m in summary["models"].items():
        assert m["first_alert_day"] >= 12 and m["production_at_end"] is not None, name
        # after retraining the production version is one trained on the shifted population
        assert int(m["production_at_end"][1:]) >= 3, name
    assert (run_dir / "psi_over_time.png").stat().st_size > 10_000
    assert "Governance timeline" in (run_dir / "governance.html").read_text()
    assert (run_dir / "cards" / "churn-v1.md").read_text().startswith("# Model card: churn v1")


def test_the_same_seed_gives_the_same_records(run_dir):
    result = run_demo(DemoConfig(seed=7), InMemoryModelStore())
    written = (run_dir / "governance_events.jsonl").read_text()
    assert records_sha256(result.events) == json.loads((run_dir / "governance_summary.json").read_text())["records_sha256"]
    assert "".join(json.dumps(e.as_dict(), sort_keys=True) + "\n" for e in result.events) == written


def test_cards_lists_and_shows_the_run_cards(run_dir):
    listed = _twin("cards", str(run_dir))
    assert listed.returncode == 0, listed.stderr
    assert "churn" in listed.stdout and "next_best_action" in listed.stdout and "production" in listed.stdout
    shown = _twin("cards", str(run_dir), "--show", "next_best_action-v1")
    assert shown.returncode == 0 and "## Fairness checks" in shown.stdout
    missing = _twin("cards", str(run_dir), "--show", "churn-v99")
    assert missing.returncode == 2 and missing.stderr.startswith("--show: no card 'churn-v99'")


def test_bad_arguments_are_one_line_errors(tmp_path):
    done = _twin("drift-demo", "--shift-day", "2", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stderr.strip().startswith("invalid: shift_day: must be after")
    done = _twin("cards", str(tmp_path))
    assert done.returncode == 2 and done.stderr.strip() == f"cards: no model cards in {tmp_path / 'cards'}"
