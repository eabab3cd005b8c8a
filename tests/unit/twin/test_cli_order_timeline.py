"""twin.cli_order_timeline: one order's events with children, decisions and related orders; errors."""

from __future__ import annotations

import pytest

from twin import cli_order_timeline as tl


def _rec(kind, order_id, t, details=None, decisions=None, trace="T1", actor="oms"):
    return {"event_type": kind, "order_id": order_id, "timestamp_utc": t, "trace_id": trace, "actor": actor,
            "details": details or {}, "policy_decisions": decisions or []}


EVENTS = [
    _rec("OrderReceived", "ORD-1", 1_000_000_000, {"submitted_ns": 999}),
    _rec("OrderReceived", "ORD-10", 1_000_000_500, trace="T10"),  # "ORD-1" must not match "ORD-10"
    _rec("OrderRiskApproved", "ORD-1", 1_002_000_000, decisions=[
        {"policy": "price_collar", "version": "1.0", "outcome": "PASS", "reason_code": "", "params": {}},
        {"policy": "reservation", "version": "1.0", "outcome": "PASS", "reason_code": "", "params": {"notional": 5}}]),
    _rec("OrderRouted", "ORD-1", 1_003_000_000, {"children": [
        {"child_id": "CH-1", "venue": "XNAS", "quantity": 60, "limit_price": None},
        {"child_id": "CH-2", "venue": "BATS", "quantity": 40, "limit_price": 1_900_100}]}, actor="router"),
    _rec("OrderPartiallyFilled", "ORD-1", 1_004_000_000, {"child_id": "CH-1", "last_qty": 60, "last_px": 1_900_000,
                                                          "fee": 180, "venue": "XNAS"}, actor="venue:XNAS"),
    _rec("OrderFilled", "ORD-1", 1_005_000_000, {"child_id": "CH-2", "last_qty": 40, "last_px": 1_900_100,
                                                 "fee": -80, "venue": "BATS"}, actor="venue:BATS"),
    _rec("OrderAllocated", "ORD-1", 1_006_000_000, {"allocations": [{"account_id": "AC-1", "quantity": 70},
                                                                    {"account_id": "AC-2", "quantity": 30}]}),
    _rec("BlockFormed", "BLK-1", 1_007_000_000, {"members": ["ORD-1", "ORD-10"]}, trace="TB"),
]


def test_the_order_its_children_and_what_names_it():
    rows, children = tl.order_timeline(EVENTS, "ORD-1")
    own = [r for r in rows if r.relation == "order"]
    assert [r.event_type for r in own] == ["OrderReceived", "OrderRiskApproved", "OrderRouted",
                                           "OrderPartiallyFilled", "OrderFilled", "OrderAllocated"]
    assert own[0].time_utc == "1970-01-01T00:00:01.000000000Z" and own[3].since_ms == 4.0
    assert own[2].venue == "XNAS,BATS" and "CH-2 40 @ BATS limit 190.0100" in own[2].facts
    assert "last_px=190.0000" in own[3].facts and "fee=0.0180" in own[3].facts and own[3].venue == "XNAS"
    assert own[1].decisions == "price_collar v1.0 PASS; reservation v1.0 PASS {notional=0.0005}"  # dollars
    assert "allocations=AC-1 70; AC-2 30" in own[5].facts
    assert children == [
        {"child_id": "CH-1", "venue": "XNAS", "quantity": 60, "filled": 60, "fills": 1, "routed_ns": 1_003_000_000},
        {"child_id": "CH-2", "venue": "BATS", "quantity": 40, "filled": 40, "fills": 1, "routed_ns": 1_003_000_000}]
    related = [(r.order_id, r.relation) for r in rows if r.relation != "order"]
    assert related == [("BLK-1", "names this order")]  # ORD-10 is another order, not a relation


def test_an_unknown_order_is_named():
    with pytest.raises(KeyError, match="'ORD-9' is not in this run's event log"):
        tl.order_timeline(EVENTS, "ORD-9")


def test_the_command_refuses_a_folder_without_events(tmp_path, capsys):
    from twin.cli import main

    assert main(["order-timeline", str(tmp_path), "ORD-1"]) == 2
    err = capsys.readouterr().err
    assert "no events.sqlite or events.parquet" in err and err.count("\n") == 1
