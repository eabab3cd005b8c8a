"""The runbook: rollback on an alert or a breach, retrain when configured, escalate, no storms."""

from __future__ import annotations

import numpy as np
import pytest

from components.governance.drift import DriftMonitor
from components.governance.rollback import MetricBreach, OnTrigger, Runbook, RunbookConfig, check_metric

T0 = 20_454 * 86_400 * 1_000_000_000  # as in conftest

RNG = np.random.default_rng(5)
REF = {"age": RNG.normal(58, 11, 2_000)}


def report(version="v2", mean=40.0, at=T0):
    monitor = DriftMonitor("churn", version, REF, RNG.random(2_000))
    return monitor.check(at, {"age": RNG.normal(mean, 11, 500)}, RNG.random(500))


def test_an_alert_rolls_back_to_the_last_good_version_with_an_audit_record(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    action = Runbook(gov.registry).on_drift(report())
    assert (action.kind, action.from_version, action.to_version) == ("rollback", "v2", "v1")
    assert gov.registry.production("churn") == "v1"
    kinds = [r.kind for r in action.records]
    assert kinds == ["stage_changed", "stage_changed", "rollback"]
    assert all(r.actor == "runbook" and "drift alert: PSI" in r.reason for r in action.records)
    assert action.records[-1].get("rolled_back") == "v2" and action.records[-1].get("restored") == "v1"


def test_a_warning_or_a_calm_day_does_nothing(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    action = Runbook(gov.registry).on_drift(report(mean=58.0))
    assert action.kind == "none" and action.records == ()
    assert gov.registry.production("churn") == "v2"


def test_retrain_mode_keeps_production_and_requests_a_retraining(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    action = Runbook(gov.registry, RunbookConfig(on_trigger=OnTrigger.RETRAIN)).on_drift(report())
    assert action.kind == "retrain_requested" and [r.kind for r in action.records] == ["retrain_requested"]
    assert gov.registry.production("churn") == "v2"
    assert gov.registry.flagged("churn", "v2")  # never a version to return to


def test_with_no_last_good_version_the_runbook_escalates_and_requests_a_retraining(gov):
    gov.to_production("v1")
    action = Runbook(gov.registry).on_drift(report(version="v1"))
    assert action.kind == "escalated"
    assert [r.kind for r in action.records] == ["escalated", "retrain_requested"]
    assert action.records[0].reason.startswith("no last good version to roll back to: drift alert: PSI")
    quiet = Runbook(gov.registry, RunbookConfig(retrain_when_no_last_good=False))
    gov.to_production("v2")
    gov.registry.mark_bad("churn", "v1", "test")
    assert [r.kind for r in quiet.on_drift(report()).records] == ["escalated"]


def test_a_second_trigger_on_the_same_version_is_suppressed_not_acted_on(gov):
    gov.to_production("v1")
    book = Runbook(gov.registry)
    assert book.on_drift(report(version="v1")).kind == "escalated"
    again = book.on_drift(report(version="v1", at=T0 + 1))
    assert again.kind == "suppressed" and again.records[0].reason.startswith("already acted on: drift alert")


def test_a_metric_breach_triggers_the_runbook(gov):
    gov.to_production("v1")
    gov.to_production("v2")
    assert check_metric(T0, "churn", "v2", "roc_auc", 0.70, 0.6) is None
    breach = check_metric(T0, "churn", "v2", "roc_auc", 0.55, 0.6)
    assert breach == MetricBreach(T0, "churn", "v2", "roc_auc", 0.55, 0.6)
    assert breach.record().reason == "roc_auc 0.5500 < floor 0.6"
    action = Runbook(gov.registry).on_breach(breach)
    assert action.kind == "rollback" and action.records[-1].reason == "metric breach: roc_auc 0.5500 < 0.6"


def test_the_runbook_acts_only_on_production(gov):
    gov.to_production("v1")
    with pytest.raises(ValueError, match=r"^version: churn v2 is not in production"):
        Runbook(gov.registry).on_drift(report(version="v2"))
