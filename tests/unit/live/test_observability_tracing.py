"""Live tracing through the OpenTelemetry SDK: what ``LiveTracer`` hands the SDK, the OTLP/JSON file
exporter, and when tracing is on."""

from __future__ import annotations

import json
import time

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from components.domain.commands import CheckRisk, SubmitOrder, ValidateOrder
from components.domain.events import EventType as E, OrderEvent, Outcome, PolicyDecision
from components.observability.traces import render_tree, spans_from_otlp_json
from live.observability.tracing import OtlpJsonFileExporter, build_tracer, otlp_endpoint, to_span

MS = 1_000_000
T0 = 1_700_000_000_000 * MS
TRACE = "TRC-" + "ab" * 16
DECISIONS = (PolicyDecision("buying_power", "1.0", Outcome.PASS),
             PolicyDecision("max_order_notional", "2.1", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                            (("limit", 100), ("value", 250))))


def ev(kind, at_ms, decisions=(), **details) -> OrderEvent:
    return OrderEvent(kind, f"E-{kind.value}", TRACE, T0 + at_ms * MS, T0 + at_ms * MS, "ORD-1", 1, "AC-1", "AAPL",
                      "BUY", 10, "MARKET", None, "DAY", "ADV-1", decisions, details or None)


def tracer_with_memory():
    memory = InMemorySpanExporter()
    tracer = build_tracer([], background=False)  # spans made when the test says (build_pending)
    tracer.provider.add_span_processor(SimpleSpanProcessor(memory))  # synchronous: the test reads at once
    return tracer, memory


def blocked_order(tracer) -> None:
    """What the runtime does for a blocked order: the events of each handler, then its observation."""
    tracer.on_event(ev(E.ORDER_RECEIVED, 1, submitted_ns=T0))
    tracer.on_handled(SubmitOrder({}, T0), 200_000)
    tracer.on_event(ev(E.ORDER_VALIDATED, 2))
    tracer.on_handled(ValidateOrder("ORD-1"), 100_000)
    tracer.on_event(ev(E.ORDER_BLOCKED, 3, DECISIONS, reason="NOTIONAL_EXCEEDS_MAX_PER_ORDER"))
    tracer.on_handled(CheckRisk("ORD-1"), 150_000)


def test_a_final_order_becomes_sdk_spans_with_the_event_trace_id_handlers_and_policy_events():
    tracer, memory = tracer_with_memory()
    tracer.on_event(ev(E.ORDER_RECEIVED, 1, submitted_ns=T0))
    tracer.on_handled(SubmitOrder({}, T0), 200_000)
    assert memory.get_finished_spans() == ()  # nothing made while the order is open
    tracer.on_event(ev(E.ORDER_VALIDATED, 2))
    tracer.on_handled(ValidateOrder("ORD-1"), 100_000)
    tracer.on_event(ev(E.ORDER_BLOCKED, 3, DECISIONS, reason="NOTIONAL_EXCEEDS_MAX_PER_ORDER"))
    assert memory.get_finished_spans() == ()  # final, but its last handler has not ended yet
    tracer.on_handled(CheckRisk("ORD-1"), 150_000)
    # The handler that made it final only handed its records over: no span is made on the request path.
    assert memory.get_finished_spans() == () and tracer.pending() == 1
    assert tracer.build_pending() > 0 and tracer.pending() == 0
    spans = memory.get_finished_spans()
    assert {f"{s.context.trace_id:032x}" for s in spans} == {"ab" * 16}
    by = {s.name: s for s in spans}
    root = by["order ORD-1"]
    assert root.parent is None and root.kind is SpanKind.SERVER
    assert {s.parent.span_id for s in spans if s is not root} <= {s.context.span_id for s in spans}
    assert {"gateway SubmitOrder", "oms ValidateOrder", "risk CheckRisk"} <= set(by)
    handler = by["risk CheckRisk"]
    assert handler.end_time - handler.start_time == 150_000 and handler.attributes["service"] == "risk"
    risk = by["risk.check"]
    assert risk.status.status_code is StatusCode.ERROR
    decisions = [dict(e.attributes) for e in risk.events]
    assert decisions[1] == {"policy.code": "max_order_notional", "policy.version": "2.1", "policy.verdict": "FAIL",
                            "policy.reason_code": "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                            "policy.params": json.dumps({"limit": 100, "value": 250})}
    tracer.on_handled(ValidateOrder("ORD-1"), 1)
    assert len(memory.get_finished_spans()) == len(spans)  # exported once, then forgotten


def test_venue_round_trips_are_client_spans_and_shutdown_exports_open_orders():
    tracer, memory = tracer_with_memory()
    tracer.on_event(ev(E.ORDER_RECEIVED, 1))
    tracer.on_event(ev(E.ORDER_VALIDATED, 2))
    tracer.on_event(ev(E.ORDER_RISK_APPROVED, 3, DECISIONS[:1]))
    tracer.on_event(ev(E.ORDER_ROUTED, 4, children=[{"child_id": "C1", "venue": "XNAS"}]))
    tracer.on_event(ev(E.ORDER_FILLED, 9, child_id="C1", venue="XNAS"))
    assert memory.get_finished_spans() == ()
    tracer.shutdown()  # FILLED is not final: the open order's trace so far goes out at shutdown
    venue = next(s for s in memory.get_finished_spans() if s.name == "venue XNAS")
    assert venue.kind is SpanKind.CLIENT and venue.end_time - venue.start_time == 5 * MS


def test_the_file_exporter_writes_otlp_json_lines_that_read_back(tmp_path):
    path = tmp_path / "traces.jsonl"
    tracer = build_tracer([OtlpJsonFileExporter(path)])
    blocked_order(tracer)
    assert tracer.flush()
    (line,) = path.read_text().splitlines()
    document = json.loads(line)
    resource = {a["key"]: a["value"]["stringValue"] for a in document["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == "broker-dealer-platform" and resource["runtime"] == "live"
    spans = spans_from_otlp_json(document)
    assert {s.trace_id for s in spans} == {"ab" * 16}
    text = render_tree(spans)
    assert text.splitlines()[0].startswith("order ORD-1 [server]")
    assert "policy max_order_notional v2.1: FAIL NOTIONAL_EXCEEDS_MAX_PER_ORDER" in text
    tracer.provider.shutdown()


def test_to_span_keeps_ids_kind_times_and_error():
    tracer, memory = tracer_with_memory()
    blocked_order(tracer)
    tracer.build_pending()
    plain = {s.name: s for s in map(to_span, memory.get_finished_spans())}
    assert plain["risk.check"].error and not plain["oms.validate"].error
    assert plain["order ORD-1"].parent_id == "" and plain["order ORD-1"].kind == "server"
    assert plain["oms.validate"].parent_id == plain["order ORD-1"].span_id


def test_tracing_is_off_unless_an_otlp_endpoint_or_a_trace_file_is_named():
    assert otlp_endpoint({}) is None
    assert otlp_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}) == "http://c:4318/v1/traces"
    assert otlp_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/x"}) == "http://t:1/x"
    from live.observability.tracing import install_tracing

    assert install_tracing(object(), {"TWIN_TRACES_FILE": " ", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}) is None


def test_a_late_report_for_an_exported_order_keeps_nothing():
    tracer, memory = tracer_with_memory()
    blocked_order(tracer)
    tracer.build_pending()
    exported = len(memory.get_finished_spans())
    tracer.on_handled(ValidateOrder("ORD-1"), 10)  # e.g. a redelivered message after the order went final
    tracer.on_handled(ValidateOrder("ORD-UNKNOWN"), 10)
    assert tracer._handled == {} and tracer._events == {}
    tracer.shutdown()
    assert len(memory.get_finished_spans()) == exported


def test_the_builder_thread_makes_a_final_orders_spans_off_the_request_path():
    memory = InMemorySpanExporter()
    tracer = build_tracer([])  # the default: a builder thread
    tracer.provider.add_span_processor(SimpleSpanProcessor(memory))
    blocked_order(tracer)
    deadline = time.monotonic() + 10
    while tracer.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tracer.flush()  # anything the builder had not reached is built by flush
    reference, reference_memory = tracer_with_memory()
    blocked_order(reference)
    reference.build_pending()
    def shape(spans):  # handler spans end at the wall time of their observation: compare all but times
        return sorted((s.span_id, s.parent_id, s.name, s.kind, s.error, len(s.events), str(s.attributes))
                      for s in map(to_span, spans))
    assert shape(memory.get_finished_spans()) == shape(reference_memory.get_finished_spans()) != []
    tracer.shutdown()
    assert not tracer._builder.is_alive()


def test_shutdown_builds_what_was_handed_over_and_the_open_orders():
    tracer, memory = tracer_with_memory()
    blocked_order(tracer)  # final: handed over, not built
    tracer.on_event(ev(E.ORDER_RECEIVED, 1)._replace(order_id="ORD-2", trace_id="TRC-" + "cd" * 16))
    tracer.shutdown()
    assert {f"{s.context.trace_id:032x}" for s in memory.get_finished_spans()} == {"ab" * 16, "cd" * 16}


def test_past_max_pending_a_final_orders_trace_is_dropped_and_counted(monkeypatch, caplog):
    import live.observability.tracing as tracing

    monkeypatch.setattr(tracing, "MAX_PENDING", 1)
    tracer, memory = tracer_with_memory()
    blocked_order(tracer)
    second = {"order_id": "ORD-2", "trace_id": "TRC-" + "cd" * 16}
    tracer.on_event(ev(E.ORDER_RECEIVED, 1)._replace(**second))
    tracer.on_event(ev(E.ORDER_BLOCKED, 2, DECISIONS)._replace(**second))
    tracer.on_handled(CheckRisk("ORD-2"), 10)
    assert tracer.pending() == 1 and tracer.dropped == 1 and tracer._events == {}
    assert "dropping traces" in caplog.text
    tracer.build_pending()
    assert {f"{s.context.trace_id:032x}" for s in memory.get_finished_spans()} == {"ab" * 16}


def test_the_builder_outlives_an_order_whose_spans_fail(monkeypatch, caplog):
    memory = InMemorySpanExporter()
    tracer = build_tracer([])
    tracer.provider.add_span_processor(SimpleSpanProcessor(memory))
    real = tracer._start_and_end
    calls = {"n": 0}

    def failing_once(span):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("exporter down")
        real(span)

    monkeypatch.setattr(tracer, "_start_and_end", failing_once)
    blocked_order(tracer)  # its first span fails: the order's trace is lost, logged
    deadline = time.monotonic() + 10
    while tracer.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = {"order_id": "ORD-2", "trace_id": "TRC-" + "cd" * 16}
    tracer.on_event(ev(E.ORDER_RECEIVED, 1)._replace(**second))
    tracer.on_event(ev(E.ORDER_BLOCKED, 2, DECISIONS)._replace(**second))
    tracer.on_handled(CheckRisk("ORD-2"), 10)
    deadline = time.monotonic() + 10
    while not memory.get_finished_spans() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tracer._builder.is_alive() and "trace is lost" in caplog.text
    assert "cd" * 16 in {f"{s.context.trace_id:032x}" for s in memory.get_finished_spans()}
    tracer.shutdown()


def test_final_orders_waiting_for_the_builder_are_exported_when_the_provider_shuts_down(tmp_path):
    """A provider shut down directly (or by the SDK at interpreter exit), not through ``tracer.shutdown``,
    still builds and exports the final orders' spans waiting for the builder thread."""
    from components.domain.events import EventType, OrderEvent
    from live.observability.tracing import OtlpJsonFileExporter, build_tracer

    path = tmp_path / "traces.jsonl"
    tracer = build_tracer([OtlpJsonFileExporter(path)], background=False)  # nothing builds until flushed
    for n in range(3):
        order_id = f"ORD-{n}"
        for seq, kind in enumerate((EventType.ORDER_RECEIVED, EventType.ORDER_BLOCKED)):
            tracer.on_event(OrderEvent(kind, f"E{n}-{seq}", f"{n:032x}", 1_000 + seq, 1_000 + seq, order_id, seq,
                                       "AC-1", "AAPL", "BUY", 100, "MARKET", None, "DAY", "risk", (), {}))
        tracer.on_handled(type("SubmitOrder", (), {"order_id": order_id})(), 10_000)
    assert tracer.pending() == 3
    tracer.provider.shutdown()
    assert tracer.pending() == 0
    exported = path.read_text()
    assert all(f"ORD-{n}" in exported for n in range(3)), exported[:500]
