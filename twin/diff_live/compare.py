"""Compare two runtimes' order streams: what each order went through, in each.

``order_traces`` reduces an event stream to one ``OrderTrace`` per order,
keyed by what both runtimes share, ``account_id/client_order_id`` (order
ids, child ids and exec ids are runtime-made and never compared). A trace
holds the order's event types in order (its states, plus reroutes and child
rejects), every risk verdict (policy, version, outcome, reason code and
parameters, ids left out), the reasons given for refusals and cancels, the
fills as a sorted multiset of (venue, quantity, price, liquidity) (two
venues' reports may interleave either way live), and when each step
happened after the request was sent.

``diff_traces`` lists every ``Divergence``, in order, naming the order, the
aspect (missing, states, risk, reasons, fills) and both sides;
``assert_same`` raises ``ParityError`` with all of them. ``latency_rows``
puts the two runtimes' per-segment latencies side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from components.domain.events import EventType, OrderEvent
from components.domain.money import format_price

_RECEIVED = EventType.ORDER_RECEIVED
_FILLS = (EventType.ORDER_PARTIALLY_FILLED, EventType.ORDER_FILLED)
_RISK = (EventType.ORDER_RISK_APPROVED, EventType.ORDER_BLOCKED)
# Parameters that describe the runtime, not the decision: runtime-made (order) ids, and where the live side
# read its reference price (the twin's market data is its own source and records none).
_RUNTIME_PARAMS = frozenset({"duplicate_of", "members", "reference_source"})

SEGMENTS: tuple[tuple[str, tuple[EventType, ...], tuple[EventType, ...]], ...] = (
    ("gateway", (), (EventType.ORDER_RECEIVED,)),
    ("oms", (EventType.ORDER_RECEIVED,), (EventType.ORDER_VALIDATED,)),
    ("risk", (EventType.ORDER_VALIDATED,), _RISK),
    ("routing", (EventType.ORDER_RISK_APPROVED,), (EventType.ORDER_ROUTED,)),
    ("first_fill", (EventType.ORDER_ROUTED,), _FILLS),
)
"""(name, from, to): ms from the first ``from`` event (the request's send time when empty)
to the first ``to`` event after it, by business time. ``first_fill`` includes any time the
order rested at its venue."""


@dataclass
class OrderTrace:
    key: str
    order: str
    """The request in a line, e.g. ``BUY 100 AAPL LIMIT 190.0500 DAY``."""
    submitted_ns: int = 0
    states: list[str] = field(default_factory=list)
    risk: list[tuple] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    fills: list[tuple[str, int, int, str]] = field(default_factory=list)
    stamps: list[tuple[EventType, int]] = field(default_factory=list)

    @property
    def final(self) -> str:
        return self.states[-1] if self.states else "-"

    def latency_ms(self, segment: str) -> float | None:
        """Milliseconds of one segment of ``SEGMENTS``; None if the order never completed it."""
        _, start_types, end_types = next(s for s in SEGMENTS if s[0] == segment)
        start = self.submitted_ns if not start_types else next(
            (ns for kind, ns in self.stamps if kind in start_types), None)
        if start is None:
            return None
        end = next((ns for kind, ns in self.stamps if kind in end_types and ns >= start), None)
        return None if end is None else (end - start) / 1e6


def _describe(event: OrderEvent) -> str:
    price = "" if event.limit_price is None else f" {format_price(event.limit_price)}"
    return f"{event.side} {event.quantity} {event.symbol} {event.order_type}{price} {event.time_in_force}"


def _risk_record(decision: Any) -> tuple:
    # Sorted: a decoded event (SQLite, bus) has its params in key order, an in-memory one as built.
    params = tuple(sorted((k, v) for k, v in decision.params if k not in _RUNTIME_PARAMS))
    return decision.policy, decision.version, decision.outcome.value, decision.reason_code, params


def order_traces(events: Iterable[OrderEvent]) -> dict[str, OrderTrace]:
    """One trace per order, keyed ``account_id/client_order_id``, in order of receipt."""
    keys: dict[str, str] = {}
    traces: dict[str, OrderTrace] = {}
    for event in events:
        if not event.order_id:
            continue
        if event.event_type is _RECEIVED and event.order_id not in keys:
            key = f"{event.account_id}/{event.detail('client_order_id', event.order_id)}"
            keys[event.order_id] = key
            traces[key] = OrderTrace(key, _describe(event), int(event.detail("submitted_ns", event.timestamp_utc)))
        key = keys.get(event.order_id)
        if key is None:
            continue  # the order's receipt is not in this stream
        trace = traces[key]
        trace.states.append(event.event_type.value)
        trace.stamps.append((event.event_type, event.timestamp_utc))
        if event.event_type in _RISK:
            trace.risk = [_risk_record(d) for d in event.policy_decisions]
        reason = event.detail("reason")
        if reason:
            trace.reasons.append(f"{event.event_type.value}:{reason}")
        if event.event_type in _FILLS:
            trace.fills.append((event.detail("venue", ""), event.detail("last_qty", 0), event.detail("last_px", 0),
                                event.detail("liquidity", "")))
    for trace in traces.values():
        trace.fills.sort()
    return traces


@dataclass(frozen=True, slots=True)
class Divergence:
    key: str
    order: str
    aspect: str
    detail: str

    def __str__(self) -> str:
        return f"order {self.key} ({self.order}): {self.aspect}: {self.detail}"


def _fill_text(fills: Sequence[tuple]) -> str:
    return ", ".join(f"{venue} {qty}@{format_price(px)} {liq}".rstrip() for venue, qty, px, liq in fills) or "none"


def _first_difference(a: Sequence, b: Sequence) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _risk_text(record: tuple | None) -> str:
    if record is None:
        return "no verdict"
    policy, version, outcome, code, params = record
    extra = f" {code} {dict(params)}" if code else ""
    return f"{outcome}{extra}"


def _param_difference(a: tuple, b: tuple, names: tuple[str, str]) -> str:
    da, db = dict(a), dict(b)
    keys = [k for k in dict.fromkeys([*da, *db]) if da.get(k) != db.get(k)]
    return "; ".join(f"{k}: {names[0]} {da.get(k)!r}, {names[1]} {db.get(k)!r}" for k in keys)


def diff_traces(expected: Mapping[str, OrderTrace], actual: Mapping[str, OrderTrace],
                names: tuple[str, str] = ("twin", "live")) -> list[Divergence]:
    """Every way ``actual`` differs from ``expected``, order by order (``expected``'s order first)."""
    a_name, b_name = names
    out: list[Divergence] = []
    for key in list(expected) + [k for k in actual if k not in expected]:
        a, b = expected.get(key), actual.get(key)
        if a is None or b is None:
            have, lack = (a_name, b_name) if b is None else (b_name, a_name)
            present = a or b
            out.append(Divergence(key, present.order, "missing", f"in {have} ({present.final}) but not in {lack}"))
            continue
        if a.states != b.states:
            i = _first_difference(a.states, b.states)
            got_a = a.states[i] if i < len(a.states) else "(no more events)"
            got_b = b.states[i] if i < len(b.states) else "(no more events)"
            out.append(Divergence(key, a.order, "states",
                                  f"step {i + 1} after {a.states[i - 1] if i else 'the request'}: "
                                  f"{a_name} {got_a}, {b_name} {got_b} "
                                  f"({a_name}: {' > '.join(a.states)}; {b_name}: {' > '.join(b.states)})"))
        if a.risk != b.risk:
            policies = list(dict.fromkeys([r[0] for r in a.risk] + [r[0] for r in b.risk]))
            for policy in policies:
                ra = next((r for r in a.risk if r[0] == policy), None)
                rb = next((r for r in b.risk if r[0] == policy), None)
                if ra != rb:
                    # The same verdict with other inputs: say which parameters differ.
                    same_verdict = ra is not None and rb is not None and ra[:4] == rb[:4]
                    detail = (f"{_risk_text(ra)} with {_param_difference(ra[4], rb[4], names)}" if same_verdict
                              else f"{a_name} {_risk_text(ra)}, {b_name} {_risk_text(rb)}")
                    out.append(Divergence(key, a.order, "risk", f"policy {policy}: {detail}"))
        if a.reasons != b.reasons:
            out.append(Divergence(key, a.order, "reasons",
                                  f"{a_name} {', '.join(a.reasons) or 'none'}; {b_name} {', '.join(b.reasons) or 'none'}"))
        if a.fills != b.fills:
            out.append(Divergence(key, a.order, "fills", f"{a_name} {_fill_text(a.fills)}; {b_name} {_fill_text(b.fills)}"))
    return out


class ParityError(AssertionError):
    """The two runtimes' order streams differ; the message lists every divergence."""

    def __init__(self, divergences: Sequence[Divergence]) -> None:
        self.divergences = list(divergences)
        lines = "\n".join(f"  {d}" for d in self.divergences)
        super().__init__(f"{len(self.divergences)} divergence(s) between the runtimes:\n{lines}")


def assert_same(expected: Iterable[OrderEvent], actual: Iterable[OrderEvent],
                names: tuple[str, str] = ("twin", "live")) -> dict[str, OrderTrace]:
    """Raise ``ParityError`` unless both streams have the same orders, states, risk verdicts,
    reasons and fills; return the expected side's traces."""
    a, b = order_traces(expected), order_traces(actual)
    found = diff_traces(a, b, names)
    if found:
        raise ParityError(found)
    return a


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered_values = sorted(values)
    pos = (len(ordered_values) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered_values) - 1)
    return ordered_values[lo] + (ordered_values[hi] - ordered_values[lo]) * (pos - lo)


def latency_rows(expected: Mapping[str, OrderTrace], actual: Mapping[str, OrderTrace],
                 names: tuple[str, str] = ("twin", "live")) -> list[dict[str, Any]]:
    """Per segment: count, p50 and p99 in ms for each runtime (None when nothing was measured)."""
    rows = []
    for segment, _, _ in SEGMENTS:
        row: dict[str, Any] = {"segment": segment}
        for name, traces in zip(names, (expected, actual)):
            values = [v for t in traces.values() if (v := t.latency_ms(segment)) is not None]
            row[f"{name}_count"] = len(values)
            row[f"{name}_p50"] = _percentile(values, 0.50)
            row[f"{name}_p99"] = _percentile(values, 0.99)
        rows.append(row)
    return rows
