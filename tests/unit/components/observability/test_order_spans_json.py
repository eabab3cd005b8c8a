"""``order_spans_json`` writes an order's spans straight from its events: the bytes of the span objects'
JSON (``otlp_spans_json(order_spans(events))``, itself ``json.dumps``'s), for any order a log can hold."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.observability.traces import order_spans, order_spans_json, otlp_json, otlp_spans_json

E = EventType
MS = 1_000_000

# text with non-ASCII, DEL and quotes (the standard library escapes them; msgspec would not)
_text = st.text(st.sampled_from("aZ09 -_/\"\\\x7fé€😀"), max_size=5)
_scalar = st.one_of(st.booleans(), st.integers(-3, 3), st.integers(2**63, 2**64), _text, st.none(),
                    st.floats(allow_nan=False, allow_infinity=False))  # what a decision's params (JSON) hold
_params = st.lists(st.tuples(_text, st.one_of(_scalar, st.lists(st.integers(0, 3), max_size=2))), max_size=3)
_SHARED = [PolicyDecision("buying_power", "1.0", Outcome.PASS),
           PolicyDecision("limit", "2.1", Outcome.FAIL, "TOO_BIG", (("limit", 100), ("value", 250)))]
_decision = st.one_of(st.sampled_from(_SHARED), st.builds(
    PolicyDecision, _text, _text, st.sampled_from(list(Outcome)), _text, _params.map(tuple)))
_child_ids = st.sampled_from(["C1", "C2", "é3", 4])


@st.composite
def order_events(draw, order_id: str = "ORD-1") -> list[OrderEvent]:
    """One order's events in log order: any event types (a receipt or not, steps repeated, children routed,
    filled and rejected, unknown children), odd times, actors, fields and decisions."""
    trace = draw(st.one_of(_text, st.just("TRC-" + "0123456789abcdef" * 2), st.just("TRC-1")))
    kinds = draw(st.lists(st.sampled_from(list(E)), max_size=9))
    if draw(st.booleans()):
        kinds.insert(draw(st.integers(0, len(kinds))), E.ORDER_RECEIVED)
    events = []
    for seq, kind in enumerate(kinds, 1):
        at = draw(st.one_of(st.integers(0, 10**19), st.just(1.5)))  # a float time takes str() like the objects
        details = None
        if kind is E.ORDER_RECEIVED and draw(st.booleans()):
            details = {"submitted_ns": draw(st.one_of(st.integers(0, 10**19), st.just(7.9)))}
        elif kind in (E.ORDER_ROUTED, E.ORDER_REROUTED):
            children = draw(st.lists(st.fixed_dictionaries({"child_id": _child_ids},
                                                           optional={"venue": st.one_of(_text, st.none())}),
                                     max_size=3))
            details = {"children": children} if children or draw(st.booleans()) else None
        elif draw(st.booleans()):
            details = {"child_id": draw(_child_ids)}
        decisions = tuple(draw(st.lists(_decision, max_size=3)))
        events.append(OrderEvent(
            kind, f"EV-{seq}", trace, at, at, order_id, seq, "AC-1", draw(_text), draw(st.sampled_from(["BUY", "é"])),
            draw(st.one_of(st.integers(0, 500), st.booleans(), st.floats(0, 9), st.just(Decimal("10")))),
            "MARKET", None, "DAY", draw(st.one_of(_text, st.sampled_from(["oms", "risk"]))), decisions, details))
    return events


def _reference(events: list[OrderEvent]) -> bytes:
    return json.dumps(otlp_json(order_spans(events))["resourceSpans"][0]["scopeSpans"][0]["spans"],
                      separators=(",", ":")).encode("utf-8")[1:-1]


@settings(max_examples=400, deadline=None)
@given(order_events())
def test_order_spans_json_is_the_span_objects_json(events):
    made = order_spans_json(events)
    assert made == _reference(events)
    assert made == otlp_spans_json(order_spans(events))[1:-1]
    assert order_spans_json(events) == made  # again, from the caches
    assert (made == b"") == (not any(e.event_type is E.ORDER_RECEIVED for e in events))


def test_a_real_order_gives_its_spans_and_a_mutated_decision_is_not_served_stale():
    params = [1]
    decision = PolicyDecision("p", "1", Outcome.PASS, "", (("xs", params),))  # a mutable param: not cached
    events = [OrderEvent(E.ORDER_RECEIVED, "E1", "TRC-1", 100 * MS, 100 * MS, "ORD-1", 1, "AC-1", "AAPL", "BUY", 10,
                         "MARKET", None, "DAY", "advisor", (), {"submitted_ns": 95 * MS}),
              OrderEvent(E.ORDER_RISK_APPROVED, "E2", "TRC-1", 105 * MS, 105 * MS, "ORD-1", 2, "AC-1", "AAPL", "BUY",
                         10, "MARKET", None, "DAY", "risk", (decision,), None)]
    first = order_spans_json(events)
    spans = json.loads(b"[" + first + b"]")
    assert [s["name"] for s in spans] == ["order ORD-1", "order_entry.receive", "risk.check"]
    assert spans[2]["events"][0]["attributes"][-1]["value"]["stringValue"] == '{"xs": [1]}'
    params.append(2)
    assert order_spans_json(events) == _reference(events) != first
