"""The governance page renders a drift-demo run folder: figures, timeline without routine records, cards."""

from __future__ import annotations

import json

import pytest

from reports.governance_page import write_governance_page

SUMMARY = {"seed": 3, "shift_day": 12, "psi_warning": 0.1, "psi_alert": 0.25, "on_trigger": "rollback",
           "max_psi_before_shift": 0.05, "records_sha256": "ab" * 32,
           "models": {"churn": {"first_alert_day": 12, "detection_delay_days": 0, "psi_at_first_alert": 1.5,
                                "rollbacks": 1, "retrains_requested": 0, "promotions": 3, "production_at_end": "v1",
                                "versions": {"v1": "production", "v2": "retired"}}}}
CARD = {"name": "churn", "version": "v2", "stage": "retired", "objective": "leave <soon>", "intended_use": "calls",
        "training": {"description": "days 0..3", "rows": 10, "start": "s", "end": "e", "population": "p"},
        "created_at": "c", "content_hash": "sha256:ff", "metrics": {"roc_auc": 0.7},
        "fairness": [{"name": "demographic_parity_difference", "value": 0.2, "limit": 0.1, "passed": False,
                      "by_group": {"A": 0.3, "B": 0.1}}], "limits": ["synthetic"]}


def _event(kind, reason="", **detail):
    return {"at": "2026-01-13T21:00:00Z", "at_ns": 1, "kind": kind, "model": "churn", "version": "v2",
            "actor": "runbook", "reason": reason, "detail": detail}


def test_the_page_shows_figures_actions_and_cards(tmp_path):
    (tmp_path / "governance_summary.json").write_text(json.dumps(SUMMARY))
    events = [_event("drift_checked"), _event("drift_alert", "PSI 1.5 >= 0.25"),
              _event("stage_changed", "rolled back: drift alert", **{"from": "production", "to": "retired"}),
              _event("shadow_observed")]
    (tmp_path / "governance_events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "churn-v2.json").write_text(json.dumps(CARD))
    html = write_governance_page(tmp_path).read_text()
    assert "2 actions shown; 2 routine records" in html
    assert "PSI 1.5 &gt;= 0.25" in html and "production &rarr; retired" in html
    assert "leave &lt;soon&gt;" in html  # escaped
    assert '<td class="num fail">0.2000</td>' in html
    assert "No plot" in html


def test_a_missing_input_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        write_governance_page(tmp_path)
    assert "governance_summary.json" in str(err.value)
