"""One trace per order from its events: handler spans, venue client spans, a span event per policy decision."""

from __future__ import annotations

import json
import re

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.observability.traces import order_spans, otlp_json, render_tree, trace_id_of, traces

MS = 1_000_000
E = EventType
DECISIONS = (PolicyDecision("buying_power", "1.0", Outcome.PASS),
             PolicyDecision("max_order_notional", "2.1", Outcome.FAIL, "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                            (("limit", 100), ("value", 250))))


def ev(kind, at_ms, order_id="ORD-1", decisions=(), **details) -> OrderEvent:
    return OrderEvent(kind, f"{order_id}-{kind.value}", "TRC-1" if order_id == "ORD-1" else "TRC-2",
                      at_ms * MS, at_ms * MS, order_id, 1, "AC-1", "AAPL", "BUY", 10, "MARKET", None, "DAY",
                      "test", decisions, details or None)


FILLED = [ev(E.ORDER_RECEIVED, 100, submitted_ns=95 * MS), ev(E.ORDER_VALIDATED, 102),
          ev(E.ORDER_RISK_APPROVED, 105, decisions=DECISIONS[:1]),
          ev(E.ORDER_ROUTED, 106, children=[{"child_id": "C1", "venue": "XNAS"}, {"child_id": "C2", "venue": "BATS"}]),
          ev(E.CHILD_ORDER_REJECTED, 107, child_id="C2", venue="BATS", reason="VENUE_DOWN"),
          ev(E.ORDER_FILLED, 109, child_id="C1", venue="XNAS"), ev(E.ORDER_ALLOCATED, 120),
          ev(E.ORDER_CONFIRMED, 121), ev(E.ORDER_SETTLED, 5000)]


def test_a_filled_order_has_every_step_and_its_venue_round_trips():
    spans = order_spans(FILLED)
    root = spans[0]
    assert root.parent_id == "" and root.start_ns == 95 * MS and root.end_ns == 5000 * MS
    assert {s.trace_id for s in spans} == {trace_id_of("TRC-1")} and re.fullmatch("[0-9a-f]{32}", root.trace_id)
    names = [s.name for s in spans]
    assert names == ["order ORD-1", "order_entry.receive", "oms.validate", "risk.check", "router.route",
                     "post_trade.allocate", "confirmations.confirm", "clearing.settle", "venue XNAS", "venue BATS"]
    by = {s.name: s for s in spans}
    assert (by["risk.check"].start_ns, by["risk.check"].end_ns) == (102 * MS, 105 * MS)
    assert by["venue XNAS"].parent_id == by["router.route"].span_id and by["venue XNAS"].end_ns == 109 * MS
    assert by["venue BATS"].error and not by["venue XNAS"].error
    assert len({s.span_id for s in spans}) == len(spans)
    assert order_spans(FILLED) == spans  # deterministic ids


def test_each_risk_policy_decision_is_a_span_event_with_code_version_verdict_and_params():
    blocked = [ev(E.ORDER_RECEIVED, 1, "ORD-2"), ev(E.ORDER_VALIDATED, 2, "ORD-2"),
               ev(E.ORDER_BLOCKED, 3, "ORD-2", decisions=DECISIONS)]
    risk = next(s for s in order_spans(blocked) if s.name == "risk.check")
    assert risk.error
    events = [dict(attrs) for _name, _t, attrs in risk.events]
    assert events[1] == {"policy.code": "max_order_notional", "policy.version": "2.1", "policy.verdict": "FAIL",
                         "policy.reason_code": "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
                         "policy.params": json.dumps({"limit": 100, "value": 250})}
    assert "policy max_order_notional v2.1: FAIL NOTIONAL_EXCEEDS_MAX_PER_ORDER" in render_tree(order_spans(blocked))


def test_otlp_json_has_the_export_request_shape():
    doc = otlp_json(traces(FILLED + [ev(E.ORDER_RECEIVED, 1, "ORD-2")]), runtime="twin")
    (resource,) = doc["resourceSpans"]
    service = {"key": "service.name", "value": {"stringValue": "broker-dealer-platform"}}
    assert service in resource["resource"]["attributes"]
    spans = resource["scopeSpans"][0]["spans"]
    assert len({s["traceId"] for s in spans}) == 2
    risk = next(s for s in spans if s["name"] == "risk.check")
    assert risk["kind"] == 1 and risk["startTimeUnixNano"] == str(102 * MS) and risk["events"][0]["name"] == \
        "policy buying_power"
    assert next(s for s in spans if s["name"] == "venue BATS")["status"] == {"code": 2}
    assert order_spans([ev(E.ORDER_VALIDATED, 1)]) == []  # no receipt, no trace


# -- otlp_spans_json: the bytes json.dumps gives, made with msgspec (issue 19) ---------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from components.observability.traces import Span, otlp_spans_json  # noqa: E402


def _reference(spans) -> bytes:
    return json.dumps(otlp_json(spans)["resourceSpans"][0]["scopeSpans"][0]["spans"], separators=(",", ":")).encode()


def test_spans_json_is_the_standard_librarys_bytes_for_real_traces():
    blocked = [ev(E.ORDER_RECEIVED, 1, "ORD-2"), ev(E.ORDER_VALIDATED, 2, "ORD-2"),
               ev(E.ORDER_BLOCKED, 3, "ORD-2", decisions=DECISIONS)]
    spans = traces(FILLED + blocked)
    assert otlp_spans_json(spans) == _reference(spans)
    assert otlp_spans_json(spans) == _reference(spans)  # again, from the caches
    assert otlp_spans_json([]) == b"[]"


_text = st.text(st.characters(max_codepoint=0x2FF), max_size=6)
_value = st.one_of(st.booleans(), st.integers(-10, 10), _text, st.floats(allow_nan=False), st.none(),
                   st.just(-0.0), st.just(0.0))
_attrs = st.lists(st.tuples(_text, _value), max_size=3).map(tuple)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_text, _text, st.sampled_from(["internal", "server", "client"]), st.integers(0, 10**19),
                          _attrs, st.lists(st.tuples(_text, st.integers(0, 10**19), _attrs), max_size=2),
                          st.booleans()), max_size=4))
def test_spans_json_equals_json_dumps_for_any_text_and_value(rows):
    # non-ASCII and DEL (which msgspec leaves raw), 1/True/1.0 and -0.0/0.0 (equal keys, different text)
    spans = [Span("t" * 32, "s" * 16, parent, name, kind, start, start + 1, attrs,
                  tuple((n, t, a) for n, t, a in events), error)
             for name, parent, kind, start, attrs, events, error in rows]
    assert otlp_spans_json(spans) == _reference(spans)
    assert otlp_spans_json(spans) == _reference(spans)
