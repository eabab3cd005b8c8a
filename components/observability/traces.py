"""One trace per client order, built from its events, written as OTLP JSON.

The event contract's ``trace_id`` is the trace: every event of an order carries
it. ``order_spans`` turns one order's events into spans (a root span for the
order, one span per handler step, a client span per venue child order, and a
span event per risk policy decision with its code, version, verdict and
parameters), timed by the events' business timestamps (simulated time in the
twin, wall time live). ``otlp_json`` renders spans in the OTLP/JSON encoding
(``resourceSpans``), which OTLP-compatible viewers and collectors import;
``order_spans_json`` writes the same bytes for one order straight from its
events (the twin's ``traces.json``), without span objects.

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
from typing import Any, Iterable, NamedTuple

import msgspec

from components.domain.events import EventType, OrderEvent, PolicyDecision
from components.domain.identity_cache import IdentityCache

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
    at = event.timestamp_utc
    return tuple((name, at, attrs) for name, attrs in map(_decision_attrs, event.policy_decisions))


_CACHE_MAX = 4_096
_DECISION_ATTRS: IdentityCache[tuple[str, tuple[tuple[str, Any], ...]]] = IdentityCache(maxsize=_CACHE_MAX)
_SCALARS = frozenset({str, int, bool, float, type(None)})


def _decision_attrs(d: PolicyDecision) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """A decision's span event name and attributes, made once per decision object: decisions are frozen
    and shared (a policy's one PASS verdict sits on every approval), and their params' JSON was most of
    the cost of building a run's traces. The entry holds the object, so its id is not reused while cached;
    a decision whose params hold a mutable value (a list) is not cached."""
    made = _DECISION_ATTRS.get(d)
    if made is not None:
        return made
    made = (f"policy {d.policy}", (
        ("policy.code", d.policy), ("policy.version", d.version), ("policy.verdict", d.outcome.value),
        ("policy.reason_code", d.reason_code), ("policy.params", json.dumps(dict(d.params), sort_keys=True))))
    if _SCALARS.issuperset(type(value) for _, value in d.params):
        _DECISION_ATTRS.put(d, made)
    return made


def handler_span(trace: str, index: int, service: str, handler: str, start_ns: int, end_ns: int) -> Span:
    """The ``index``-th measured handler run of an order's trace (live: the runtime's wall time of one
    handler), a child of the order's root span, named ``<service> <message type>``."""
    return Span(trace, _span_id(trace, f"handler/{index}"), _span_id(trace, "order"), f"{service} {handler}",
                "internal", start_ns, end_ns, (("service", service), ("handler", handler)))


class _Plan(NamedTuple):
    """What ``order_spans`` draws for one order, before any span is made (``order_spans`` makes ``Span``s of it,
    ``order_spans_json`` writes their JSON straight away: one reading of the events for both)."""
    received: OrderEvent
    trace: str
    root_id: str
    start: int
    steps: list[tuple[str, EventType, OrderEvent, int]]
    """Per handler step, at its first event: the step, the event's type, the event, the span's start."""
    children: dict[Any, list[Any]]
    """child id -> [venue, sent, answered (None until a fill or rejection), rejected]."""
    end: int


def _order_plan(events: list[OrderEvent]) -> _Plan | None:
    received = next((e for e in events if e.event_type is E.ORDER_RECEIVED), None)
    if received is None:
        return None
    trace = trace_id_of(received.trace_id)
    start = int(received.detail("submitted_ns", received.timestamp_utc))
    last, seen, children, steps = received.timestamp_utc, set(), {}, []
    for event in events:
        kind = event.event_type
        step = _STEP.get(kind)
        if step is not None and kind not in seen:
            seen.add(kind)
            steps.append((step, kind, event, last))
            last = event.timestamp_utc
        if kind in _ROUTING:
            for child in event.detail("children", ()) or ():
                children[child["child_id"]] = [child.get("venue", ""), event.timestamp_utc, None, False]
        elif kind in _CHILD_END and event.detail("child_id") in children:
            child = children[event.detail("child_id")]
            child[2] = event.timestamp_utc
            child[3] = child[3] or kind is E.CHILD_ORDER_REJECTED
    end = max(e.timestamp_utc for e in events)
    return _Plan(received, trace, _span_id(trace, "order"), start, steps, children, end)


_ROUTING = (E.ORDER_ROUTED, E.ORDER_REROUTED)
_ERROR_STEPS = (E.ORDER_BLOCKED, E.ORDER_REJECTED)


def order_spans(events: list[OrderEvent]) -> list[Span]:
    """The spans of one order's events (in their recorded order); [] without an OrderReceived."""
    plan = _order_plan(events)
    if plan is None:
        return []
    received, trace, root_id, start = plan.received, plan.trace, plan.root_id, plan.start
    spans = [Span(trace, _span_id(trace, "receive"), root_id, "order_entry.receive", "server", start,
                  received.timestamp_utc, (("actor", received.actor),))]
    for step, kind, event, began in plan.steps:
        spans.append(Span(trace, _span_id(trace, kind.value), root_id, step, "internal", began,
                          event.timestamp_utc, (("event", kind.value), ("actor", event.actor)),
                          _decisions(event), error=kind in _ERROR_STEPS))
    router = _span_id(trace, E.ORDER_ROUTED.value)
    for child_id, (venue, sent, answered, rejected) in plan.children.items():
        spans.append(Span(trace, _span_id(trace, child_id), router, f"venue {venue}", "client", sent,
                          answered if answered is not None else sent,
                          (("venue", venue), ("child_id", child_id), ("answered", answered is not None)),
                          error=rejected))
    root = Span(trace, root_id, "", f"order {received.order_id}", "server", start, plan.end,
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


def otlp_spans_json(spans: Iterable[Span]) -> bytes:
    """The compact JSON (UTF-8) of the ``spans`` list of ``otlp_json(spans)``: the same bytes as
    ``json.dumps(otlp_json(spans)["resourceSpans"][0]["scopeSpans"][0]["spans"], separators=(",", ":"))``.

    Made with msgspec around cached fragments instead of a dict tree and the standard library's encoder
    (the traces of a run were ~20% of writing its folder; issue 19): each distinct attribute list and
    each policy decision's event is rendered once, by the standard library, and spliced in. msgspec
    writes what is left (ids, names, times) as the standard library does except for non-ASCII text and
    DEL, which it leaves raw: output holding either is made again the standard library's way."""
    spans = spans if isinstance(spans, list) else list(spans)
    out = _encode([_span_record(s) for s in spans])
    if out.isascii() and b"\x7f" not in out:
        return out
    return json.dumps(otlp_json(spans)["resourceSpans"][0]["scopeSpans"][0]["spans"],
                      separators=(",", ":")).encode("utf-8")


_encode = msgspec.json.Encoder().encode
_compact = json.JSONEncoder(separators=(",", ":")).encode
_STATUS = {False: msgspec.Raw(b'{"code":1}'), True: msgspec.Raw(b'{"code":2}')}
_NO_EVENTS = msgspec.Raw(b"[]")
_ATTRS_JSON: dict[tuple, msgspec.Raw] = {}
_EVENT_JSON: dict[int, tuple[tuple, str, bytes, bytes]] = {}


def _span_record(s: Span) -> dict[str, Any]:
    """One span of ``otlp_json``, keys in its order, with its attributes and events as cached JSON."""
    return {"traceId": s.trace_id, "spanId": s.span_id, "parentSpanId": s.parent_id, "name": s.name,
            "kind": SPAN_KIND[s.kind], "startTimeUnixNano": str(s.start_ns), "endTimeUnixNano": str(s.end_ns),
            "attributes": _attrs_json(s.attributes),
            "events": msgspec.Raw(b"[" + b",".join(map(_event_json, s.events)) + b"]") if s.events else _NO_EVENTS,
            "status": _STATUS[bool(s.error)]}


_KEYABLE = frozenset({str, int, bool, type(None)})
"""Value types whose equal values of the same type render alike (not float: -0.0 == 0.0; not Decimal)."""


def _attrs_json(pairs: tuple[tuple[str, Any], ...]) -> msgspec.Raw:
    """``_attrs(pairs)`` as JSON, cached by the pairs and their values' types (1 and True are equal keys
    but render differently); pairs holding any other type of value are rendered each time."""
    types = tuple(type(v) for _, v in pairs)
    if not _KEYABLE.issuperset(types):
        return msgspec.Raw(_compact(_attrs(pairs)).encode("utf-8"))
    key = (pairs, types)
    found = _ATTRS_JSON.get(key)
    if found is None:
        found = msgspec.Raw(_compact(_attrs(pairs)).encode("utf-8"))
        if len(_ATTRS_JSON) >= _CACHE_MAX:
            _ATTRS_JSON.clear()
        _ATTRS_JSON[key] = found
    return found


def _event_json(event: tuple[str, int, tuple[tuple[str, Any], ...]]) -> bytes:
    """One span event as JSON; its name and attributes are cached by the attribute tuple's identity
    (a decision's, shared by every event of that decision: ``_decision_attrs``). The entry holds the
    tuple, so its id is not reused while cached."""
    name, at, attrs = event
    entry = _EVENT_JSON.get(id(attrs))
    if entry is None or entry[0] is not attrs or entry[1] != name:
        entry = (attrs, name, _compact(name).encode("utf-8"), bytes(_attrs_json(attrs)))
        if len(_EVENT_JSON) >= _CACHE_MAX:
            _EVENT_JSON.clear()
        _EVENT_JSON[id(attrs)] = entry
    stamp = b'"%d"' % at if type(at) is int else _compact(str(at)).encode("utf-8")
    return b'{"name":' + entry[2] + b',"timeUnixNano":' + stamp + b',"attributes":' + entry[3] + b"}"


# -- one order's spans straight to JSON (traces.json: issue 19) ---------------------------------------------

_esc = json.encoder.encode_basestring_ascii
"""The JSON text ``json.dumps`` writes for a str (quoted, ASCII: non-ASCII and DEL as ``\\uXXXX``)."""
_SPAN_JSON = ('{"traceId":"%s","spanId":"%s","parentSpanId":"%s","name":%s,"kind":%d,"startTimeUnixNano":%s,'
              '"endTimeUnixNano":%s,"attributes":%s,"events":%s,"status":{"code":%d}}')
"""One span of ``otlp_json`` (its ids are hex digits, written as they are; every text is ``_esc``'d)."""
_STEP_JSON: dict[tuple[EventType, str], tuple[str, str]] = {}
_DECISION_JSON: IdentityCache[tuple[str, str]] = IdentityCache(maxsize=_CACHE_MAX)


def _value_json(v: Any) -> str:
    """``_value(v)`` as compact JSON; the usual exact types written directly, any other the standard library's way."""
    t = type(v)
    if t is str:
        return '{"stringValue":' + _esc(v) + "}"
    if t is int:
        return '{"intValue":"%d"}' % v
    if t is bool:
        return '{"boolValue":true}' if v else '{"boolValue":false}'
    return _compact(_value(v))


def _pairs_json(pairs: Iterable[tuple[str, Any]]) -> str:
    """``_attrs(pairs)`` as compact JSON (keys are the module's own attribute names: text)."""
    return "[" + ",".join('{"key":' + _esc(k) + ',"value":' + _value_json(v) + "}" for k, v in pairs) + "]"


def _time_json(at: Any) -> str:
    """``str(at)`` as JSON text, as ``otlp_json`` writes a span's and a span event's times."""
    return '"%d"' % at if type(at) is int else _esc(str(at))


def _decision_json(d: PolicyDecision) -> tuple[str, str]:
    """A decision's span event as JSON, before and after its time (which is the event's)."""
    made = _DECISION_JSON.get(d)
    if made is not None:
        return made
    name, attrs = _decision_attrs(d)
    made = ('{"name":' + _esc(name) + ',"timeUnixNano":', ',"attributes":' + _pairs_json(attrs) + "}")
    if _SCALARS.issuperset(type(value) for _, value in d.params):  # as _decision_attrs: no mutable params
        _DECISION_JSON.put(d, made)
    return made


def _step_json(kind: EventType, actor: Any) -> tuple[str, str]:
    """A handler step span's id key (its event type's value) and attributes' JSON, cached per type and actor."""
    key = (kind, actor)
    found = _STEP_JSON.get(key) if type(actor) is str else None
    if found is None:
        found = (kind.value, _pairs_json((("event", kind.value), ("actor", actor))))
        if type(actor) is str:
            if len(_STEP_JSON) >= _CACHE_MAX:
                _STEP_JSON.clear()
            _STEP_JSON[key] = found
    return found


def order_spans_json(events: list[OrderEvent]) -> bytes:
    """The JSON of one order's spans, comma-separated (no brackets): the bytes of
    ``otlp_spans_json(order_spans(events))[1:-1]``; b"" without an OrderReceived.

    Written from the order's plan (``_order_plan``, which ``order_spans`` reads too) without making ``Span``
    objects, attribute tuples or dicts: per span one format of cached pieces (each step's attributes per event
    type and actor, each policy decision's span event per decision object), every text through the standard
    library's own string encoder, so the bytes are ``json.dumps``'s for any text (issue 19: traces.json was
    the largest part of writing the observability outputs)."""
    plan = _order_plan(events)
    if plan is None:
        return b""
    received, trace, root_id, start = plan.received, plan.trace, plan.root_id, plan.start
    start_json = _time_json(start)
    spans = [
        _SPAN_JSON % (trace, root_id, "", _esc(f"order {received.order_id}"), 2, start_json, _time_json(plan.end),
                      _pairs_json((("order_id", received.order_id), ("symbol", received.symbol),
                                   ("side", received.side), ("quantity", received.quantity))), "[]", 1),
        _SPAN_JSON % (trace, _span_id(trace, "receive"), root_id, '"order_entry.receive"', 2, start_json,
                      _time_json(received.timestamp_utc), _pairs_json((("actor", received.actor),)), "[]", 1)]
    for step, kind, event, began in plan.steps:
        id_key, attrs = _step_json(kind, event.actor)
        at = _time_json(event.timestamp_utc)
        decisions = event.policy_decisions
        if decisions:
            events_json = "[" + ",".join(before + at + after for before, after in map(_decision_json, decisions)) + "]"
        else:
            events_json = "[]"
        spans.append(_SPAN_JSON % (trace, _span_id(trace, id_key), root_id, _esc(step), 1, _time_json(began), at,
                                   attrs, events_json, 2 if kind in _ERROR_STEPS else 1))
    if plan.children:
        router = _span_id(trace, E.ORDER_ROUTED.value)
        for child_id, (venue, sent, answered, rejected) in plan.children.items():
            spans.append(_SPAN_JSON % (
                trace, _span_id(trace, child_id), router, _esc(f"venue {venue}"), 3, _time_json(sent),
                _time_json(answered if answered is not None else sent),
                _pairs_json((("venue", venue), ("child_id", child_id), ("answered", answered is not None))),
                "[]", 2 if rejected else 1))
    return ",".join(spans).encode("ascii")


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
    kind when not internal, and its policy decisions (money in dollars: ``components.risk.policies.params_text``)."""
    from components.risk.policies import params_text  # only readers of traces need the risk vocabulary

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
                params = params_text(a["policy.code"], a["policy.reason_code"],
                                     json.loads(a["policy.params"] or "{}"))
                lines.append(f"{'  ' * (depth + 1)}- {name} v{a['policy.version']}: {a['policy.verdict']}"
                             f"{' ' + a['policy.reason_code'] if a['policy.reason_code'] else ''} {params}")
            walk(s.span_id, depth + 1)

    for root in dict.fromkeys(roots):
        walk(root, 0)
    return "\n".join(lines)
