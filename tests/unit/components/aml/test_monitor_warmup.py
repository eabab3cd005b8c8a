"""TransactionMonitor.warm: history before the scored stream is learned from, never scored (the cold start)."""

from __future__ import annotations

import pytest

from components.aml.monitor import TransactionMonitor
from components.aml.transfers import TransferKind

from .aml_kit import tr

E = TransferKind.EXTERNAL


def payers_of_a_company():
    return [tr(i, f"P{i}", "EXT-CO", 4_000, E) for i in range(3)]


def history_paying_the_company():
    return [tr(-200 + i, f"Q{i}", "EXT-CO", 500, E) for i in range(2)]


def shared_alerts(monitor):
    return [a for a in monitor.alerts if any(f.detector == "graph:shared_beneficiary" for f in a.findings)]


def test_cold_a_company_several_clients_pay_looks_new_and_alerts():
    cold = TransactionMonitor()
    cold.run(payers_of_a_company())
    assert shared_alerts(cold)


def test_warm_a_company_paid_before_the_window_is_known_and_does_not_alert():
    warm = TransactionMonitor()
    assert warm.warm(history_paying_the_company()) == 2
    assert warm.decisions == [] and warm.alerts == [] and warm.history_seen == 2
    warm.run(payers_of_a_company())
    assert shared_alerts(warm) == [] and warm.transfers_seen == 3


def test_a_new_beneficiary_still_alerts_after_warm_up():
    monitor = TransactionMonitor()
    monitor.warm(history_paying_the_company())
    monitor.run([tr(i, f"P{i}", "EXT-MULE", 4_000, E) for i in range(3)])
    assert {a.account for a in shared_alerts(monitor)} == {"P0", "P1", "P2"}


def test_history_comes_first_and_in_time_order():
    monitor = TransactionMonitor()
    monitor.ingest(tr(0, "A", "B", 100))
    with pytest.raises(ValueError, match="before the first scored transfer"):
        monitor.warm(history_paying_the_company())
    late = TransactionMonitor()
    late.warm([tr(5, "A", "B", 100)])
    with pytest.raises(ValueError, match="before the last one"):
        late.ingest(tr(1, "C", "D", 100))
