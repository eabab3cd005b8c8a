"""build_summary / write_summary on a small synthetic run."""

from __future__ import annotations

import json

import pandas as pd

from components.domain.events import EventType as E, OrderEvent, Outcome, PolicyDecision
from reports.latency import SEGMENTS
from reports.summary import (
    build_summary,
    fills_by_venue,
    lifecycle_funnel,
    risk_blocks_by_reason,
    write_summary,
)

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
FAIL_NOTIONAL = PolicyDecision("max_notional", "1", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                               (("limit", 1_000_000_000), ("value", 2_000_000_000)))
FAIL_RESTRICTED = PolicyDecision("restricted_list", "2", Outcome.FAIL, "SYMBOL_RESTRICTED")
PASS_CASH = PolicyDecision("cash", "1", Outcome.PASS)


def event(event_type: E, order_id: str, ts: int, seq: int, details: dict | None = None,
          decisions: tuple = ()) -> dict:
    """One recorder row: OrderEvent.to_record() with the two JSON columns encoded."""
    rec = OrderEvent(
        event_type=event_type, event_id=f"{order_id}-{seq}", trace_id=f"t-{order_id}",
        timestamp_utc=ts, recorded_at=ts, order_id=order_id, stream_seq=seq,
        account_id="ACC1", symbol="AAPL", side="BUY", quantity=300, order_type="LIMIT",
        limit_price=1_900_000, time_in_force="DAY", actor="test",
        policy_decisions=decisions, details=details,
    ).to_record()
    rec["policy_decisions"] = json.dumps(rec["policy_decisions"], sort_keys=True)
    rec["details"] = json.dumps(rec["details"], sort_keys=True)
    return rec


def fill(et: E, oid: str, ts: int, seq: int, venue: str, qty: int, px: int, fee: int,
         liq: str) -> dict:
    return event(et, oid, ts, seq, {"venue": venue, "last_qty": qty, "last_px": px,
                                    "fee": fee, "liquidity": liq})


def front(oid: str, ts: int) -> list[dict]:
    """Received, validated, approved, routed: 10, 20, 30, 5 ms segments."""
    return [
        event(E.ORDER_RECEIVED, oid, ts + 10 * MS, 1, {"submitted_ns": ts}),
        event(E.ORDER_VALIDATED, oid, ts + 30 * MS, 2),
        event(E.ORDER_RISK_APPROVED, oid, ts + 60 * MS, 3, decisions=(PASS_CASH,)),
        event(E.ORDER_ROUTED, oid, ts + 65 * MS, 4),
    ]


def synthetic_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict] = []
    # O1: two partial fills at two venues, then settled.
    rows += front("O1", T0)
    rows += [
        fill(E.ORDER_PARTIALLY_FILLED, "O1", T0 + 70 * MS, 5, "NYSE", 100, 1_900_000, 30, "TAKER"),
        fill(E.ORDER_FILLED, "O1", T0 + 71 * MS, 6, "IEX", 200, 1_900_100, -20, "MAKER"),
        event(E.ORDER_ALLOCATED, "O1", T0 + 80 * MS, 7),
        event(E.ORDER_CONFIRMED, "O1", T0 + 90 * MS, 8),
        event(E.ORDER_SETTLED, "O1", T0 + 100 * MS, 9),
    ]
    # O2: one taker fill at NYSE, allocated and confirmed, not yet settled.
    rows += front("O2", T0 + 1000 * MS)
    rows += [
        fill(E.ORDER_FILLED, "O2", T0 + 1070 * MS, 5, "NYSE", 300, 1_899_900, 90, "TAKER"),
        event(E.ORDER_ALLOCATED, "O2", T0 + 1080 * MS, 6),
        event(E.ORDER_CONFIRMED, "O2", T0 + 1090 * MS, 7),
    ]
    # O3: blocked by two policies; O4 blocked by one.
    rows += [
        event(E.ORDER_RECEIVED, "O3", T0 + 2010 * MS, 1, {"submitted_ns": T0 + 2000 * MS}),
        event(E.ORDER_VALIDATED, "O3", T0 + 2030 * MS, 2),
        event(E.ORDER_BLOCKED, "O3", T0 + 2040 * MS, 3,
              decisions=(PASS_CASH, FAIL_NOTIONAL, FAIL_RESTRICTED)),
        event(E.ORDER_RECEIVED, "O4", T0 + 3010 * MS, 1, {"submitted_ns": T0 + 3000 * MS}),
        event(E.ORDER_VALIDATED, "O4", T0 + 3030 * MS, 2),
        event(E.ORDER_BLOCKED, "O4", T0 + 3040 * MS, 3, decisions=(FAIL_NOTIONAL,)),
    ]
    # O5: rejected at validation. O6: routed, child rejected, order expired.
    rows += [
        event(E.ORDER_RECEIVED, "O5", T0 + 4010 * MS, 1, {"submitted_ns": T0 + 4000 * MS}),
        event(E.ORDER_REJECTED, "O5", T0 + 4020 * MS, 2, {"reason": "UNKNOWN_SYMBOL"}),
    ]
    rows += front("O6", T0 + 5000 * MS)
    rows += [
        event(E.CHILD_ORDER_REJECTED, "O6", T0 + 5070 * MS, 5, {"venue": "IEX", "reason": "DOWN"}),
        event(E.ORDER_EXPIRED, "O6", T0 + 5100 * MS, 6),
    ]
    events = pd.DataFrame.from_records(rows)
    orders = pd.DataFrame.from_records([
        {"order_id": oid, "account_id": "ACC1", "advisor_id": "ADV1", "symbol": "AAPL",
         "side": "BUY", "quantity": 300, "order_type": "LIMIT", "limit_price": 1_900_000,
         "time_in_force": "DAY", "final_status": st, "filled_qty": fq, "avg_price": 0,
         "fees": 0, "created_ns": T0, "trace_id": f"t-{oid}"}
        for oid, st, fq in [("O1", "SETTLED", 300), ("O2", "CONFIRMED", 300),
                            ("O3", "BLOCKED", 0), ("O4", "BLOCKED", 0),
                            ("O5", "REJECTED", 0), ("O6", "EXPIRED", 0)]
    ])
    return events, orders


INVARIANTS = [
    {"name": "no_event_lost", "passed": True, "detail": ""},
    {"name": "all_terminal", "passed": False, "detail": "O2 is CONFIRMED"},
]


def summary() -> dict:
    events, orders = synthetic_run()
    return build_summary(scenario="smoke", seed=42, fingerprint="ab" * 32, invariants=INVARIANTS,
                         events=events, orders=orders, wall_seconds=1.5, sim_seconds=3600.0,
                         extra={"note": "x"})


def test_identity_invariants_and_counts():
    s = summary()
    assert (s["scenario"], s["seed"], s["fingerprint"]) == ("smoke", 42, "ab" * 32)
    assert s["invariants"] == INVARIANTS
    assert s["all_invariants_passed"] is False
    assert s["order_counts"] == {"BLOCKED": 2, "CONFIRMED": 1, "SETTLED": 1,
                                 "REJECTED": 1, "EXPIRED": 1}
    assert list(s["order_counts"]) == ["BLOCKED", "CONFIRMED", "SETTLED", "REJECTED", "EXPIRED"]
    assert s["event_count"] == len(synthetic_run()[0]) == 30
    assert (s["wall_seconds"], s["sim_seconds"]) == (1.5, 3600.0)
    assert s["extra"] == {"note": "x"}


def test_latency_in_summary():
    lat = summary()["latency"]
    assert set(lat) == set(SEGMENTS)
    assert lat["gateway"]["count"] == 6 and lat["gateway"]["p50"] == 10.0
    assert lat["oms"]["count"] == 5 and lat["oms"]["p50"] == 20.0  # O5 never validated
    # risk: 30 ms for three approvals, 10 ms for two blocks -> p50 is 30.
    assert lat["risk"]["count"] == 5 and lat["risk"]["p50"] == 30.0
    assert lat["routing"]["count"] == 3 and lat["routing"]["p99"] == 5.0


def test_fills_by_venue_exact_money():
    fills = summary()["fills_by_venue"]
    assert list(fills) == ["IEX", "NYSE"]
    assert fills["NYSE"] == {
        "fills": 2, "shares": 400,
        # 100 * 190.0000 + 300 * 189.9900 = 19000 + 56997
        "notional_usd": "75997.0000", "fees_usd": "0.0120",
        "maker_fills": 0, "taker_fills": 2,
    }
    assert fills["IEX"] == {
        "fills": 1, "shares": 200, "notional_usd": "38002.0000", "fees_usd": "-0.0020",
        "maker_fills": 1, "taker_fills": 0,
    }


def test_risk_blocks_by_reason_counts_every_failed_policy():
    blocks = summary()["risk_blocks_by_reason"]
    assert blocks == {"NOTIONAL_EXCEEDS_MAX_PER_ORDER": 2, "SYMBOL_RESTRICTED": 1}
    assert list(blocks) == ["NOTIONAL_EXCEEDS_MAX_PER_ORDER", "SYMBOL_RESTRICTED"]


def test_funnel():
    funnel = summary()["funnel"]
    assert funnel["stages"] == {"NEW": 6, "VALIDATED": 5, "RISK_APPROVED": 3, "ROUTED": 3,
                                "FILLED": 2, "ALLOCATED": 2, "CONFIRMED": 2, "SETTLED": 1}
    assert funnel["exits"] == {"BLOCKED": 2, "REJECTED": 1, "CANCELED": 0, "EXPIRED": 1}


def test_empty_run():
    empty_events = pd.DataFrame()
    s = build_summary(scenario="empty", seed=0, fingerprint="0" * 64, invariants=[],
                      events=empty_events, orders=pd.DataFrame(), wall_seconds=0.0,
                      sim_seconds=0.0)
    assert s["all_invariants_passed"] is True
    assert s["order_counts"] == {} and s["event_count"] == 0
    assert s["fills_by_venue"] == {} and s["risk_blocks_by_reason"] == {}
    assert all(r["count"] == 0 for r in s["latency"].values())
    assert sum(s["funnel"]["stages"].values()) == 0
    assert fills_by_venue(None) == {} and risk_blocks_by_reason(None) == {}
    assert lifecycle_funnel(None)["exits"]["BLOCKED"] == 0


def test_write_summary_is_sorted_indented_json(tmp_path):
    s = summary()
    path = write_summary(s, tmp_path / "out" / "summary.json")
    text = path.read_text()
    assert json.loads(text) == s
    assert text == json.dumps(s, indent=2, sort_keys=True) + "\n"
    assert "NaN" not in text
