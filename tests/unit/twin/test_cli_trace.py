"""``twin trace ORDER_ID``: one order's span tree from a run's traces.json or a live trace file."""

from __future__ import annotations

import json

from components.domain.events import EventType as E, OrderEvent, Outcome, PolicyDecision
from components.observability.traces import order_spans, otlp_json
from twin.cli import main

MS = 1_000_000
DECISIONS = (PolicyDecision("buying_power", "1.0", Outcome.PASS),
             PolicyDecision("price_collar", "1.2", Outcome.PASS, "", (("band_bps", 500),)))


def ev(kind, at_ms, order_id, **details) -> OrderEvent:
    return OrderEvent(kind, f"{order_id}-{kind.value}", f"TRC-{order_id}", at_ms * MS, at_ms * MS, order_id, 1, "AC-1",
                      "AAPL", "BUY", 10, "MARKET", None, "DAY", "ADV-1",
                      DECISIONS if kind is E.ORDER_RISK_APPROVED else (), details or None)


def settled(order_id: str) -> list[OrderEvent]:
    return [ev(E.ORDER_RECEIVED, 100, order_id, submitted_ns=95 * MS), ev(E.ORDER_VALIDATED, 102, order_id),
            ev(E.ORDER_RISK_APPROVED, 105, order_id),
            ev(E.ORDER_ROUTED, 106, order_id, children=[{"child_id": f"{order_id}-C1", "venue": "XNAS"}]),
            ev(E.ORDER_FILLED, 109, order_id, child_id=f"{order_id}-C1", venue="XNAS"),
            ev(E.ORDER_ALLOCATED, 120, order_id), ev(E.ORDER_CONFIRMED, 121, order_id),
            ev(E.ORDER_SETTLED, 5000, order_id)]


def test_prints_every_span_and_each_policy_decision_of_the_order(tmp_path, capsys):
    spans = order_spans(settled("ORD-1")) + order_spans(settled("ORD-2"))
    (tmp_path / "traces.json").write_text(json.dumps(otlp_json(spans)))
    assert main(["trace", "ORD-2", "--run", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("trace ") and "order ORD-2, 9 spans" in lines[0]
    assert lines[1].startswith("order ORD-2 [server]  +0.000 ms  4905.000 ms")
    for step in ("order_entry.receive", "oms.validate", "risk.check", "router.route", "venue XNAS [client]",
                 "post_trade.allocate", "confirmations.confirm", "clearing.settle"):
        assert any(line.strip().startswith(step) for line in lines), step
    assert "- policy price_collar v1.2: PASS {band_bps=500}" in out and "ORD-1" not in out


def test_reads_a_live_trace_file_of_one_export_per_line(tmp_path, capsys):
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(json.dumps(otlp_json(order_spans(settled(o)))) for o in ("ORD-1", "ORD-2")) + "\n")
    assert main(["trace", "ORD-1", "--file", str(path)]) == 0
    assert "order ORD-1 [server]" in capsys.readouterr().out


def test_unknown_order_or_bad_file_exits_2_naming_it(tmp_path, capsys):
    (tmp_path / "traces.json").write_text(json.dumps(otlp_json(order_spans(settled("ORD-1")))))
    assert main(["trace", "ORD-9", "--run", str(tmp_path)]) == 2
    assert "no trace for order 'ORD-9'" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x"}]}]}]}\n')
    assert main(["trace", "ORD-1", "--file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "not an OTLP/JSON trace export" in err
    assert main(["trace", "ORD-1", "--run", str(tmp_path / "missing")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_live_run_folder_points_to_the_trace_file(tmp_path, capsys):
    """A live run folder has its event log and no traces.json (traces go to $TWIN_TRACES_FILE): say so."""
    (tmp_path / "events.sqlite").write_bytes(b"")
    assert main(["trace", "ORD-1", "--run", str(tmp_path)]) == 2
    assert "a live run folder: its traces go to $TWIN_TRACES_FILE" in capsys.readouterr().err
    (tmp_path / "summary.json").write_text("{}")  # a twin run folder (written before traces.json existed)
    assert main(["trace", "ORD-1", "--run", str(tmp_path)]) == 2
    assert "live run folder" not in capsys.readouterr().err
