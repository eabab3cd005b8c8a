"""One trace per client order, built from its events, written as OTLP JSON.

The event contract's ``trace_id`` is the trace: every event of an order carries
it. ``order_spans`` turns one order's events into spans (a root span for the
order, one span per handler step, a client span per venue child order, and a
span event per risk policy decision with its code, version, verdict and
parameters), timed by the events' business timestamps (simulated time in the
twin, wall time live). ``otlp_json`` renders spans in the OTLP/JSON encoding
(``resourceSpans``), which OTLP-compatible viewers and collectors import.

Spans are derived after the fact from what was recorded, not opened and closed
around handler calls: nothing runs on the order path, and the twin's run and
its fingerprint are untouched. Ids are deterministic: the trace id is the
event ``trace_id`` when it is already 32 hex digits, else the first 32 hex
digits of its SHA-256; span ids hash the trace id and the span's name and place.
The live stack hands these spans (plus ``handler_span``s it measured) to the
OpenTelemetry SDK (``live.observability.tracing``), which exports them over
OTLP/HTTP or to a file; this module stays free of OpenTelemetry.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from components.domain.events import EventType, OrderEvent

E = EventType
_HEX32 = re.compile(r"^(?:[A-Z]+-)?([0-9a-f]{32})$")  # live ids: TRC-<uuid4 hex>
_STEP = {
    E.ORDER_VALIDATED: "oms.validate",
    E.ORDER_RISK_APPROVED: "risk.check",
    E.ORDER_BLOCKED: "risk.check",
    E.ORDER_ROUTED: "router.route",
    E.ORDER_ALLOCATED: "post_trade.allocate",
    E.ORDER_CONFIRMED: "confirmations.confirm",
    E.ORDER_SETTLED: "clearing.settle",
    E.ORDER_CANCELED: "oms.cancel",
    E.ORDER_EXPIRED: "oms.expire",
    E.ORDER_REJECTED: "oms.reject",
}
"""Event -> the handler step that produced it (its span runs from the previous step's end)."""
_CHILD_END = (E.ORDER_PARTIALLY_FILLED, E.ORDER_FILLED, E.CHILD_ORDER_REJECTED)
SPAN_KIND = {"internal": 1, "server": 2, "client": 3}
SERVICE_NAME = "broker-dealer-platform"


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: str
    start_ns: int
    end_ns: int
    attributes: tuple[tuple[str, Any], ...] = ()
    events: tuple[tuple[str, int, tuple[tuple[str, Any], ...]], ...] = ()
    error: bool = False


def trace_id_of(event_trace_id: str) -> str:
    """The OTLP trace id (32 hex digits) of an event ``trace_id``: its own 32 hex digits when it
    has them (live: ``TRC-`` and a uuid4's hex), else the first 32 of its SHA-256 (the twin's
    sequential ids)."""
    match = _HEX32.match(event_trace_id)
    if match:
        return match.group(1)
    return hashlib.sha256(event_trace_id.encode()).hexdigest()[:32]


def _span_id(trace: str, key: str) -> str:
    return hashlib.sha256(f"{trace}/{key}".encode()).hexdigest()[:16]


def _decisions(event: OrderEvent) -> tuple[tuple[str, int, tuple[tuple[str, Any], ...]], ...]:
    return tuple(
        (f"policy {d.policy}", event.timestamp_utc, (
            ("policy.code", d.policy), ("policy.version", d.version), ("policy.verdict", d.outcome.value),
            ("policy.reason_code", d.reason_code), ("policy.params", json.dumps(dict(d.params), sort_keys=True))))
        for d in event.policy_decisions)


def handler_span(trace: str, index: int, service: str, handler: str, start_ns: int, end_ns: int) -> Span:
    """The ``index``-th measured handler run of an order's trace (live: the runtime's wall time of one
    handler), a child of the order's root span, named ``<service> <message type>``."""
    return Span(trace, _span_id(trace, f"handler/{index}"), _span_id(trace, "order"), f"{service} {handler}",
                "internal", start_ns, end_ns, (("service", service), ("handler", handler)))


def order_spans(events: list[OrderEvent]) -> list[Span]:
    """The spans of one order's events (in their recorded order); [] without an OrderReceived."""
    received = next((e for e in events if e.event_type is E.ORDER_RECEIVED), None)
    if received is None:
        return []
    trace = trace_id_of(received.trace_id)
    root_id = _span_id(trace, "order")
    start = int(received.detail("submitted_ns", received.timestamp_utc))
    spans = [Span(trace, _span_id(trace, "receive"), root_id, "order_entry.receive", "server", start,
                  received.timestamp_utc, (("actor", received.actor),))]
    last, seen, children = received.timestamp_utc, set(), {}
    for event in events:
        kind = event.event_type
        step = _STEP.get(kind)
        if step is not None and kind not in seen:
            seen.add(kind)
            spans.append(Span(trace, _span_id(trace, kind.value), root_id, step, "internal", last,
                              event.timestamp_utc, (("event", kind.value), ("actor", event.actor)),
                              _decisions(event), error=kind in (E.ORDER_BLOCKED, E.ORDER_REJECTED)))
            last = event.timestamp_utc
        if kind in (E.ORDER_ROUTED, E.ORDER_REROUTED):
            for child in event.detail("children", ()) or ():
                children[child["child_id"]] = [child.get("venue", ""), event.timestamp_utc, None, False]
        elif kind in _CHILD_END and event.detail("child_id") in children:
            child = children[event.detail("child_id")]
            child[2] = event.timestamp_utc
            child[3] = child[3] or kind is E.CHILD_ORDER_REJECTED
    router = _span_id(trace, E.ORDER_ROUTED.value)
    for child_id, (venue, sent, answered, rejected) in children.items():
        spans.append(Span(trace, _span_id(trace, child_id), router, f"venue {venue}", "client", sent,
                          answered if answered is not None else sent,
                          (("venue", venue), ("child_id", child_id), ("answered", answered is not None)),
                          error=rejected))
    end = max(e.timestamp_utc for e in events)
    root = Span(trace, root_id, "", f"order {received.order_id}", "server", start, end,
                (("order_id", received.order_id), ("symbol", received.symbol), ("side", received.side),
                 ("quantity", received.quantity)))
    return [root, *spans]


def traces(events: Iterable[OrderEvent]) -> list[Span]:
    """Every order's spans, orders in the order of their first event."""
    by_order: dict[str, list[OrderEvent]] = {}
    for event in events:
        if event.order_id:
            by_order.setdefault(event.order_id, []).append(event)
    return [span for order_events in by_order.values() for span in order_spans(order_events)]


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": str(v)}


def _attrs(pairs: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in pairs]


def otlp_json(spans: Iterable[Span], service: str = SERVICE_NAME, **resource: Any) -> dict[str, Any]:
    """The OTLP/JSON ``ExportTraceServiceRequest`` of ``spans`` (one resource, one scope)."""
    return {"resourceSpans": [{
        "resource": {"attributes": _attrs([("service.name", service), *sorted(resource.items())])},
        "scopeSpans": [{"scope": {"name": "components.observability.traces"}, "spans": [{
            "traceId": s.trace_id, "spanId": s.span_id, "parentSpanId": s.parent_id, "name": s.name,
            "kind": SPAN_KIND[s.kind], "startTimeUnixNano": str(s.start_ns), "endTimeUnixNano": str(s.end_ns),
            "attributes": _attrs(s.attributes),
            "events": [{"name": n, "timeUnixNano": str(t), "attributes": _attrs(a)} for n, t, a in s.events],
            "status": {"code": 2 if s.error else 1},
        } for s in spans]}],
    }]}


_KIND_OF_CODE = {code: name for name, code in SPAN_KIND.items()}


def _scalar(value: dict[str, Any]) -> Any:
    if "intValue" in value:
        return int(value["intValue"])
    for key in ("boolValue", "doubleValue", "stringValue"):
        if key in value:
            return value[key]
    return ""


def spans_from_otlp_json(document: dict[str, Any]) -> list[Span]:
    """The spans of an OTLP/JSON ``ExportTraceServiceRequest`` (what ``otlp_json`` writes, the twin's
    ``traces.json`` and each line of a live trace file); ValueError naming what is missing."""
    out = []
    try:
        for resource in document["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for s in scope["spans"]:
                    attrs = lambda items: tuple((a["key"], _scalar(a["value"])) for a in items or ())  # noqa: E731
                    out.append(Span(
                        s["traceId"], s["spanId"], s.get("parentSpanId", ""), s["name"],
                        _KIND_OF_CODE.get(int(s.get("kind", 1)), "internal"), int(s["startTimeUnixNano"]),
                        int(s["endTimeUnixNano"]), attrs(s.get("attributes")),
                        tuple((e["name"], int(e["timeUnixNano"]), attrs(e.get("attributes")))
                              for e in s.get("events") or ()),
                        error=(s.get("status") or {}).get("code") == 2))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an OTLP/JSON trace export: {type(exc).__name__} {exc}") from None
    return out


def render_tree(spans: list[Span]) -> str:
    """One trace as indented text: each span's start (ms after the trace's first span), duration (ms),
    kind when not internal, and its policy decisions."""
    by_parent: dict[str, list[Span]] = {}
    for s in spans:
        by_parent.setdefault(s.parent_id, []).append(s)
    lines: list[str] = []
    ids = {s.span_id for s in spans}
    roots = [s.parent_id for s in spans if s.parent_id not in ids]  # "" or a parent outside these spans
    first = min((s.start_ns for s in spans), default=0)

    def walk(parent: str, depth: int) -> None:
        for s in sorted(by_parent.get(parent, []), key=lambda x: (x.start_ns, x.end_ns)):
            flag = " ERROR" if s.error else ""
            kind = f" [{s.kind}]" if s.kind != "internal" else ""
            lines.append(f"{'  ' * depth}{s.name}{kind}  +{(s.start_ns - first) / 1e6:.3f} ms  "
                         f"{(s.end_ns - s.start_ns) / 1e6:.3f} ms{flag}")
            for name, _t, attrs in s.events:
                a = dict(attrs)
                lines.append(f"{'  ' * (depth + 1)}- {name} v{a['policy.version']}: {a['policy.verdict']}"
                             f"{' ' + a['policy.reason_code'] if a['policy.reason_code'] else ''} {a['policy.params']}")
            walk(s.span_id, depth + 1)

    for root in dict.fromkeys(roots):
        walk(root, 0)
    return "\n".join(lines)
