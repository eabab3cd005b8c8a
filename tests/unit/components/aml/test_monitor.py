"""The streaming monitor: time order, ticks, decision records, alerts with evidence, per-detector cooldown."""

from __future__ import annotations

import pytest

from components.aml.monitor import MonitorConfig, TransactionMonitor, gate
from components.aml.transfers import TransferKind

from .aml_kit import HOUR, tr

D = TransferKind.DEPOSIT


def structuring(start_h=0.0, account="A"):
    return [tr(start_h + h, "BR-1", account, 9_400, D) for h in (0, 20, 40)]


def test_out_of_order_transfer_is_refused():
    m = TransactionMonitor()
    m.ingest(tr(5, "A", "B", 10))
    with pytest.raises(ValueError, match="time order"):
        m.ingest(tr(1, "A", "B", 10))


def test_every_evaluation_is_a_decision_and_a_high_score_an_alert():
    m = TransactionMonitor()
    noise = [tr(h, "C", "D", 20) for h in (1.5, 21.5)]
    m.run(structuring() + noise)
    assert len(m.alerts) == 1
    alert = m.alerts[0]
    assert alert.account == "A" and alert.score >= 0.6 and alert.model_version == "none"
    assert [f.detector for f in alert.findings] == ["rule:structuring"]
    assert set(alert.evidence) <= {t.transfer_id for t in structuring()} or len(alert.evidence) >= 2
    decided = {d.risk.account for d in m.decisions}
    assert {"A", "C", "D"} <= decided  # quiet accounts get a decision record too
    quiet = [d for d in m.decisions if d.risk.account == "C"]
    assert all(not d.alerted and d.reason == "BELOW_THRESHOLD" for d in quiet)
    assert dict(alert.features)["n_in"] >= 2


def test_the_same_detector_does_not_alert_again_within_the_cooldown_but_a_new_one_does():
    m = TransactionMonitor()
    later = [tr(45 + h, "BR-1", "A", 9_300, D) for h in (0, 1)]
    mules = [tr(50 + i * 0.1, f"M{i}", "A", 4_000) for i in range(5)]
    m.run(structuring() + later + mules)
    detectors = [sorted({f.detector for f in a.findings}) for a in m.alerts]
    assert detectors[0] == ["rule:structuring"]
    assert any("graph:fan_in" in d for d in detectors[1:])
    assert any(d.reason == "COOLDOWN" for d in m.decisions)


def test_gate_replays_the_monitors_alerting_from_its_decisions():
    m = TransactionMonitor()
    m.run(structuring() + [tr(45 + h, "BR-1", "A", 9_300, D) for h in (0, 1)] + structuring(10, "B"))
    replay = gate(m.decisions, m.config.score.threshold, m.config.cooldown_ns)
    assert [d.decision_id for d in replay] == [a.decision_id for a in m.alerts]
    assert len(gate(m.decisions, 1.01, m.config.cooldown_ns)) == 0


def test_a_lower_threshold_config_alerts_on_weak_signals():
    big = [tr(1, "A", "BR-1", 15_000, TransferKind.WITHDRAWAL), tr(3, "X", "Y", 1)]
    assert TransactionMonitor().run(big) == []
    assert [a.account for a in TransactionMonitor(MonitorConfig().with_score(threshold=0.2)).run(big)] == ["A"]


def test_run_is_deterministic():
    ts = structuring() + [tr(50 + i * 0.1, f"M{i}", "A", 4_000) for i in range(5)]
    a, b = TransactionMonitor().run(ts), TransactionMonitor().run(ts)
    assert [x.to_record() for x in a] == [x.to_record() for x in b]


def test_alert_carries_a_graph_excerpt():
    mules = [tr(i * 0.1, f"M{i}", "HUB", 4_000) for i in range(5)] + [tr(3 * HOUR / HOUR, "Q", "R", 1)]
    alerts = TransactionMonitor().run(mules)
    hub = [a for a in alerts if a.account == "HUB"][0]
    assert {e["source"] for e in hub.graph_excerpt} == {f"M{i}" for i in range(5)}
    assert set(hub.accounts) >= {"HUB", "M0"}
