"""The metric catalogue and the event-fed registry, on hand-made events."""

from __future__ import annotations

from components.domain.events import EventType, OrderEvent
from components.observability.catalogue import BY_NAME, LATENCY_BUDGETS_MS, budget_buckets
from components.observability.metrics import PlatformMetrics, feed
from reports.latency import BUDGETS_MS

MS = 1_000_000
E = EventType


def ev(kind: EventType, at_ms: int, order_id: str = "ORD-1", **details) -> OrderEvent:
    return OrderEvent(kind, f"{order_id}-{kind.value}-{at_ms}", "tr-1", at_ms * MS, at_ms * MS, order_id, 1,
                      "AC-1", "AAPL", "BUY", 10, "MARKET", None, "DAY", "test", (), details or None)


def value(metrics: PlatformMetrics, name: str, **labels) -> float:
    got = metrics.registry.get_sample_value(name, labels)
    return 0.0 if got is None else got


def test_budgets_are_the_reports_budgets_and_every_budget_is_a_bucket_edge():
    assert {k: tuple(map(float, v)) for k, v in LATENCY_BUDGETS_MS.items()} == {
        k: tuple(map(float, v)) for k, v in BUDGETS_MS.items()}
    edges = budget_buckets()
    for p50, p99 in LATENCY_BUDGETS_MS.values():
        assert p50 / 1000 in edges and p99 / 1000 in edges
    assert BY_NAME["bdt_segment_duration_seconds"].buckets == edges


def test_one_order_path_lands_in_its_segments_and_kpis():
    m = feed(PlatformMetrics(), [
        ev(E.ORDER_RECEIVED, 100, submitted_ns=90 * MS),
        ev(E.ORDER_RECEIVED, 101, submitted_ns=90 * MS),  # a redelivery: counted once
        ev(E.ORDER_VALIDATED, 130),
        ev(E.ORDER_RISK_APPROVED, 200),  # 70 ms: over the 50 ms risk budget
        ev(E.ORDER_ROUTED, 210, children=[{"venue": "XNAS", "child_id": "C1"}, {"venue": "BATS", "child_id": "C2"}]),
        ev(E.CHILD_ORDER_REJECTED, 215, venue="BATS", reason="VENUE_DOWN"),
        ev(E.ORDER_FILLED, 240, venue="XNAS", last_qty=10, last_px=1_900_000),
        ev(E.ORDER_SETTLED, 900),
    ])
    assert value(m, "bdt_orders_received_total") == 1
    assert value(m, "bdt_segment_duration_seconds_count", segment="gateway") == 1
    assert value(m, "bdt_segment_duration_seconds_sum", segment="oms") == 0.030
    assert value(m, "bdt_segment_duration_seconds_bucket", segment="risk", le="0.05") == 0
    assert value(m, "bdt_segment_duration_seconds_bucket", segment="risk", le="0.1") == 1
    assert value(m, "bdt_venue_child_orders_total", venue="XNAS") == 1
    assert value(m, "bdt_venue_child_rejects_total", venue="BATS", reason="VENUE_DOWN") == 1
    assert value(m, "bdt_fill_notional_dollars_total", venue="XNAS") == 1900.0
    assert value(m, "bdt_venue_first_fill_seconds_count", venue="XNAS") == 1
    assert value(m, "bdt_orders_final_total", state="SETTLED") == 1
    assert value(m, "bdt_open_orders") == 0


def test_blocks_allocations_fails_and_flags_are_counted_by_their_reason():
    m = feed(PlatformMetrics(), [
        ev(E.ORDER_RECEIVED, 1, "O1"), ev(E.ORDER_VALIDATED, 2, "O1"),
        ev(E.ORDER_BLOCKED, 3, "O1", reason="CONCENTRATION_LIMIT"),
        ev(E.ORDER_RECEIVED, 1, "O2"),
        ev(E.ORDER_ALLOCATED, 5, "O2", policy="PRO_RATA", allocations=[{"account_id": "A"}, {"account_id": "B"}]),
        ev(E.SETTLEMENT_FAILED, 6, "O2"), ev(E.ORDER_FLAGGED, 7, "O2"),
    ])
    assert value(m, "bdt_risk_blocks_total", reason="CONCENTRATION_LIMIT") == 1
    assert value(m, "bdt_risk_decisions_total", verdict="blocked") == 1
    assert value(m, "bdt_orders_final_total", state="BLOCKED") == 1
    assert value(m, "bdt_block_allocations_total", policy="PRO_RATA") == 2
    assert value(m, "bdt_settlement_fails_total") == 1 and value(m, "bdt_orders_flagged_total") == 1
    assert value(m, "bdt_open_orders") == 1
    assert b"bdt_open_orders 1.0" in m.exposition()


def test_an_order_received_before_a_restart_still_counts_its_final_state_but_not_as_open():
    m = feed(PlatformMetrics(), [ev(E.ORDER_CANCELED, 5, "OLD"), ev(E.ORDER_RECEIVED, 6, "NEW")])
    assert value(m, "bdt_orders_final_total", state="CANCELED") == 1
    assert value(m, "bdt_open_orders") == 1


def test_a_value_on_a_bucket_edge_counts_in_that_bucket_as_prometheus_le_says():
    from components.observability.cells import Family
    from components.observability.catalogue import MetricSpec, Kind

    family = Family(MetricSpec("bdt_x_seconds", Kind.HISTOGRAM, "x", ("a",), (0.01, 0.05)))
    for v in (0.01, 0.05, 0.0501, 0.001):
        family.labels("1").observe(v)
    samples = {(s.name, s.labels.get("le")): s.value for s in family.family().samples}
    assert samples[("bdt_x_seconds_bucket", "0.01")] == 2 and samples[("bdt_x_seconds_bucket", "0.05")] == 3
    assert samples[("bdt_x_seconds_bucket", "+Inf")] == 4 and samples[("bdt_x_seconds_count", None)] == 4


def test_samples_read_from_the_cells_equal_the_registrys_families():
    # samples() skips prometheus-client's families (issue 19): same rows, same order, same label JSON
    m = PlatformMetrics()
    assert m.samples() == m.registry_samples()
    feed(m, [
        ev(E.ORDER_RECEIVED, 100, submitted_ns=90 * MS), ev(E.ORDER_VALIDATED, 130), ev(E.ORDER_RISK_APPROVED, 200),
        ev(E.ORDER_ROUTED, 210, children=[{"venue": "XNAS", "child_id": "C1"}]),
        ev(E.ORDER_FILLED, 240, venue="XNAS", last_qty=10, last_px=1_900_000), ev(E.ORDER_SETTLED, 900),
        ev(E.ORDER_RECEIVED, 5, "O2"), ev(E.ORDER_VALIDATED, 6, "O2"),
        ev(E.ORDER_BLOCKED, 7, "O2", reason="CONCENTRATION_LIMIT"),
    ])
    m.on_handled(object(), 1_500_000)
    samples = m.samples()
    assert samples == m.registry_samples()
    assert any(s.name == "bdt_segment_duration_seconds_bucket" and '"le": "+Inf"' in s.labels for s in samples)
    m.child("bdt_fills", "XNAS").inc()  # a later sample reads the cells as they are now
    assert m.samples() == m.registry_samples() != samples
