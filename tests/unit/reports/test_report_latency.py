"""Latency segments and percentiles from the recorder's events frame."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from reports.latency import BUDGETS_MS, SEGMENTS, latency_table, segment_latencies

MS = 1_000_000
T0 = 1_700_000_000_000_000_000  # a realistic epoch in ns: float64 cannot hold it exactly


def event(event_type: EventType, order_id: str, ts: int, *, seq: int = 1,
          details: dict | None = None, decisions: tuple = ()) -> dict:
    """One recorder row: OrderEvent.to_record() with the two JSON columns encoded."""
    rec = OrderEvent(
        event_type=event_type, event_id=f"{order_id}-{seq}", trace_id=f"t-{order_id}",
        timestamp_utc=ts, recorded_at=ts, order_id=order_id, stream_seq=seq,
        account_id="ACC1", symbol="AAPL", side="BUY", quantity=100, order_type="LIMIT",
        limit_price=1_900_000, time_in_force="DAY", actor="test",
        policy_decisions=decisions, details=details,
    ).to_record()
    rec["policy_decisions"] = json.dumps(rec["policy_decisions"], sort_keys=True)
    rec["details"] = json.dumps(rec["details"], sort_keys=True)
    return rec


def path_events(order_id: str, start: int, gateway: int, oms: int, risk: int,
                routing: int | None, blocked: bool = False) -> list[dict]:
    """Events of one order with the given segment latencies in ns."""
    received = start + gateway
    validated = received + oms
    decided = validated + risk
    rows = [
        event(EventType.ORDER_RECEIVED, order_id, received, seq=1,
              details={"submitted_ns": start}),
        event(EventType.ORDER_VALIDATED, order_id, validated, seq=2),
    ]
    if blocked:
        fail = PolicyDecision("max_notional", "1", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER")
        rows.append(event(EventType.ORDER_BLOCKED, order_id, decided, seq=3, decisions=(fail,)))
        return rows
    rows.append(event(EventType.ORDER_RISK_APPROVED, order_id, decided, seq=3))
    if routing is not None:
        rows.append(event(EventType.ORDER_ROUTED, order_id, decided + routing, seq=4))
    return rows


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows)


def test_segments_exact_per_order_including_blocked_and_unrouted():
    rows = (path_events("O1", T0, 12 * MS, 20 * MS, 30 * MS, 7 * MS)
            + path_events("O2", T0 + 5, 1, 2, 3, None, blocked=True)
            + path_events("O3", T0 + 9, 4 * MS, 5 * MS, 6 * MS, None))
    lat = segment_latencies(frame(rows))
    assert list(lat.columns) == list(SEGMENTS)
    assert list(lat.index) == ["O1", "O2", "O3"]
    assert lat.loc["O1"].tolist() == [12.0, 20.0, 30.0, 7.0]
    # Nanosecond differences survive a 1.7e18 epoch (no float rounding of stamps).
    assert lat.loc["O2", "gateway"] == pytest.approx(1e-6, abs=1e-12)
    assert lat.loc["O2", "risk"] == pytest.approx(3e-6, abs=1e-12)
    assert math.isnan(lat.loc["O2", "routing"])  # blocked: never routed
    assert math.isnan(lat.loc["O3", "routing"])  # approved but not routed yet


def test_percentiles_on_known_values_and_budget_verdict():
    rows = []
    for i in range(1, 101):  # gateway 1..100 ms, oms constant 10 ms, risk 5 ms, routing 2 ms
        rows += path_events(f"O{i:03d}", T0 + i * 1000 * MS, i * MS, 10 * MS, 5 * MS, 2 * MS)
    table = latency_table(frame(rows))
    gw = table["gateway"]
    assert gw["count"] == 100
    assert gw["p50"] == pytest.approx(50.5)
    assert gw["p95"] == pytest.approx(95.05)
    assert gw["p99"] == pytest.approx(99.01)
    assert (gw["budget_p50"], gw["budget_p99"]) == BUDGETS_MS["gateway"]
    assert gw["within_budget"] is False  # p50 50.5 > 15
    oms = table["oms"]
    assert oms["p50"] == oms["p99"] == pytest.approx(10.0)
    assert oms["within_budget"] is True
    assert table["routing"]["count"] == 100 and table["routing"]["within_budget"] is True


def test_p99_over_budget_alone_fails_the_segment():
    rows = []
    for i in range(100):
        routing = 30 * MS if i >= 98 else 5 * MS  # 2% at 30 ms: p50 fine, p99 over 25
        rows += path_events(f"O{i:03d}", T0 + i * MS, MS, MS, MS, routing)
    row = latency_table(frame(rows))["routing"]
    assert row["p50"] == pytest.approx(5.0)
    assert row["p99"] > 25
    assert row["within_budget"] is False


def test_first_stamp_wins_and_platform_events_ignored():
    rows = path_events("O1", T0, 10 * MS, 10 * MS, 10 * MS, 10 * MS)
    rows.append(event(EventType.ORDER_ROUTED, "O1", T0 + 90 * MS, seq=5))  # a re-route
    rows.append(event(EventType.VENUE_STATUS_CHANGED, "", T0, details={"venue": "X"}))
    lat = segment_latencies(frame(rows))
    assert list(lat.index) == ["O1"]
    assert lat.loc["O1", "routing"] == 10.0


def test_empty_inputs():
    for events in (pd.DataFrame(), frame([])):
        lat = segment_latencies(events)
        assert lat.empty and list(lat.columns) == list(SEGMENTS)
        table = latency_table(events)
        assert set(table) == set(SEGMENTS)
        assert all(r["count"] == 0 and r["p50"] is None and r["within_budget"] for r in table.values())


def test_missing_submitted_ns_gives_nan_gateway():
    rows = path_events("O1", T0, MS, MS, MS, MS)
    rows[0] = event(EventType.ORDER_RECEIVED, "O1", T0 + MS, details={})
    lat = segment_latencies(frame(rows))
    assert math.isnan(lat.loc["O1", "gateway"])
    assert lat.loc["O1", "oms"] == 1.0


def test_vectorised_on_100k_orders_is_fast():
    import time

    n = 100_000
    rng = np.random.default_rng(7)
    ids = np.array([f"O{i:06d}" for i in range(n)], dtype=object)
    start = T0 + np.arange(n, dtype=np.int64) * MS
    gw, oms, risk, route = (rng.integers(1, 40 * MS, n) for _ in range(4))
    recv = start + gw
    val = recv + oms
    appr = val + risk
    routed = appr + route
    details = [json.dumps({"submitted_ns": int(s)}) for s in start]
    parts = []
    for et, ts, det in ((EventType.ORDER_RECEIVED, recv, details),
                        (EventType.ORDER_VALIDATED, val, ["{}"] * n),
                        (EventType.ORDER_RISK_APPROVED, appr, ["{}"] * n),
                        (EventType.ORDER_ROUTED, routed, ["{}"] * n)):
        parts.append(pd.DataFrame({"event_type": et.value, "order_id": ids,
                                   "timestamp_utc": ts, "details": det,
                                   "policy_decisions": "[]"}))
    events = pd.concat(parts, ignore_index=True)
    t = time.perf_counter()
    table = latency_table(events)
    elapsed = time.perf_counter() - t
    assert table["routing"]["count"] == n
    assert table["gateway"]["p50"] == pytest.approx(float(np.percentile(gw, 50)) / MS)
    assert elapsed < 10.0, elapsed
