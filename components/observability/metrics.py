"""The platform's metrics, fed by events and handler timings, exposed through prometheus-client.

``PlatformMetrics`` owns one ``CollectorRegistry`` (never the global one: a
test, a twin run and a live process each get their own) exposing every metric
of the catalogue, kept in plain cells (``cells``: no lock per update). Two feeds, the same in both runtimes:

- ``on_event(event)``: every stored event (live: an OMS listener; twin: the
  run's log replayed in time order after the run) -> path segment latencies,
  venue RED, business KPIs;
- ``on_handled(message, ns)``: a handler's wall time (live: the runtime's
  observer). The twin's handlers run in zero simulated time, so it has none.

``samples()`` flattens the registry to (name, labels, value) rows: the
twin's time series and the SLO evaluator read those, and ``exposition()`` is
the text a Prometheus scrape gets.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, NamedTuple

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.utils import floatToGoString

from components.domain.events import STATUS_OF, EventType, OrderEvent
from components.domain.money import PRICE_SCALE

from .catalogue import FINAL_STATES, METRICS, Kind, MetricSpec
from .cells import Family, FamilyCollector

E = EventType
# Members bound once: Enum class attribute access is slow on Python 3.11, and on_event runs for
# every stored event on the live hot path (see components.platform).
_RECEIVED, _VALIDATED, _ROUTED, _REROUTED = E.ORDER_RECEIVED, E.ORDER_VALIDATED, E.ORDER_ROUTED, E.ORDER_REROUTED
_CHILD_REJECTED, _BLOCKED, _ALLOCATED = E.CHILD_ORDER_REJECTED, E.ORDER_BLOCKED, E.ORDER_ALLOCATED
_SETTLEMENT_FAILED, _FLAGGED = E.SETTLEMENT_FAILED, E.ORDER_FLAGGED
_FILLS = frozenset((E.ORDER_PARTIALLY_FILLED, E.ORDER_FILLED))
_RISK = {E.ORDER_RISK_APPROVED: "approved", E.ORDER_BLOCKED: "blocked"}
_FINAL_OF = {kind: status.value for kind, status in STATUS_OF.items() if status.value in FINAL_STATES}
"""Event type -> the final state it moves an order to (SETTLED, BLOCKED, ...)."""
_NS = 1e9


class Sample(NamedTuple):
    """One exposed sample: its name (``..._total``, ``..._bucket``), labels as sorted JSON, value."""

    name: str
    labels: str
    value: float


class _Stamps:
    """One open order's first stamps (ns) of the events that bound its path segments."""

    __slots__ = ("received", "validated", "decided", "routed", "filled")

    def __init__(self) -> None:
        self.received = self.validated = self.decided = self.routed = 0
        self.filled = False


class PlatformMetrics:
    """Every catalogue metric in one registry, and the two feeds that move them."""

    def __init__(self) -> None:
        self.metric: dict[str, Family] = {spec.name: Family(spec) for spec in METRICS}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FamilyCollector(list(self.metric.values())))
        m = self.metric
        self._children: dict[tuple[str, ...], Any] = {}
        self._segment = {s: self.child("bdt_segment_duration_seconds", s)
                         for s in ("gateway", "oms", "risk", "routing")}
        self._received = m["bdt_orders_received"]
        self._open = m["bdt_open_orders"]
        for state in FINAL_STATES:  # exposed at 0 from the start: rate() over a fresh series sees its first rise
            self.child("bdt_orders_final", state)
        self._handlers: dict[type, Any] = {}  # message type -> its duration child's observe
        self._stamps: dict[str, _Stamps] = {}
        self._series: dict[tuple, list[tuple[str, str]]] = {}  # (metric, label values) -> (sample name, labels)

    def child(self, name: str, *labels: str) -> Any:
        """The labelled cell of metric ``name``, cached by (name, labels)."""
        key = (name, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = self.metric[name].labels(*labels)
        return found

    # -- feeds -------------------------------------------------------------------------------
    def on_handled(self, message: object, ns: int) -> None:
        """A handler took ``ns`` of wall time for ``message`` (the live runtime's observer)."""
        observe = self._handlers.get(type(message))
        if observe is None:
            name = type(message).__name__
            observe = self._handlers[type(message)] = self.child("bdt_handler_duration_seconds", name).observe
        observe(ns / _NS)

    def on_failures(self, failures: list[tuple[str, str]], seen: int) -> int:
        """Count ``failures[seen:]`` (the live runtime's (message type, repr(error)) list) as handler
        errors by handler and exception type; the new ``seen``."""
        errors = self.metric["bdt_handler_errors"]
        for handler, error in failures[seen:]:
            errors.labels(handler, error.partition("(")[0]).inc()
        return len(failures)

    def on_tracer(self, dropped: int, pending: int, seen: int) -> int:
        """The live tracer's queue at a scrape: traces dropped since ``seen`` (its ``dropped`` count at the last
        scrape) counted, the orders waiting for their spans as a gauge; the new ``seen``."""
        if dropped > seen:
            self.metric["bdt_traces_dropped"].inc(dropped - seen)
        self.metric["bdt_traces_pending"].set(pending)
        return max(dropped, seen)

    def on_event(self, event: OrderEvent, _order: object = None) -> None:
        """One stored event (the OMS listener's signature: ``(event, order)``)."""
        kind, at = event.event_type, event.timestamp_utc
        stamps = self._stamps.get(event.order_id) if event.order_id else None
        if kind is _RECEIVED:
            if stamps is not None:
                return  # a redelivered receipt: its first stamp counted
            stamps = self._stamps[event.order_id] = _Stamps()
            stamps.received = at
            self._received.inc()
            self._open.inc()
            submitted = event.detail("submitted_ns")
            if submitted is not None:
                self._segment["gateway"].observe((at - int(submitted)) / _NS)
            return
        if stamps is not None:
            self._segment_stamp(kind, at, stamps, event)
        self._kpi(kind, event)
        final = _FINAL_OF.get(kind)
        if final is not None:
            self.child("bdt_orders_final", final).inc()
            if stamps is not None:  # an order received before this process started was never counted open
                del self._stamps[event.order_id]
                self._open.dec()

    def _segment_stamp(self, kind: EventType, at: int, stamps: _Stamps, event: OrderEvent) -> None:
        if kind is _VALIDATED and not stamps.validated:
            stamps.validated = at
            self._segment["oms"].observe((at - stamps.received) / _NS)
        elif kind in _RISK and not stamps.decided and stamps.validated:
            stamps.decided = at
            self._segment["risk"].observe((at - stamps.validated) / _NS)
            self.child("bdt_risk_decisions", _RISK[kind]).inc()
        elif kind is _ROUTED and not stamps.routed and stamps.decided:
            stamps.routed = at
            self._segment["routing"].observe((at - stamps.decided) / _NS)
        elif kind in _FILLS and not stamps.filled and stamps.routed:
            stamps.filled = True
            self.child("bdt_venue_first_fill_seconds", str(event.detail("venue", ""))).observe(
                (at - stamps.routed) / _NS)

    def _kpi(self, kind: EventType, event: OrderEvent) -> None:
        m = self.metric
        if kind in _FILLS:
            venue = str(event.detail("venue", ""))
            self.child("bdt_fills", venue).inc()
            qty, px = event.detail("last_qty", 0), event.detail("last_px", 0)
            self.child("bdt_fill_notional_dollars", venue).inc(int(qty) * int(px) / PRICE_SCALE)
        elif kind is _ROUTED or kind is _REROUTED:
            for child in event.detail("children", ()) or ():
                self.child("bdt_venue_child_orders", str(child.get("venue", ""))).inc()
        elif kind is _CHILD_REJECTED:
            self.child("bdt_venue_child_rejects", str(event.detail("venue", "")),
                       str(event.detail("reason", ""))).inc()
        elif kind is _BLOCKED:
            self.child("bdt_risk_blocks", str(event.detail("reason", ""))).inc()
        elif kind is _ALLOCATED:
            self.child("bdt_block_allocations", str(event.detail("policy", ""))).inc(
                len(event.detail("allocations", ()) or ()))
        elif kind is _SETTLEMENT_FAILED:
            m["bdt_settlement_fails"].inc()
        elif kind is _FLAGGED:
            m["bdt_orders_flagged"].inc()

    # -- reading -----------------------------------------------------------------------------
    def samples(self) -> list[Sample]:
        """Every sample now, in the registry's order (``_created`` samples left out: wall time).

        Read from the cells directly, each series' sample names and labels JSON made once: the rows
        ``registry_samples()`` reads through prometheus-client's metric families (a test keeps the two
        equal), at a fraction of the cost; the twin takes them every simulated minute (issue 19)."""
        rows: list[Sample] = []
        add = rows.append
        series = self._series
        for family in self.metric.values():  # FamilyCollector's order: the catalogue's
            histogram = family.spec.kind is Kind.HISTOGRAM
            for values, cell in list(family.cells.items()):
                names = series.get((family.spec.name, values))
                if names is None:
                    names = series[(family.spec.name, values)] = _series_names(family.spec, values)
                if not histogram:
                    add(Sample(names[0][0], names[0][1], float(cell.value)))
                    continue
                running = 0
                for (name, labels), n in zip(names, cell.counts):  # cumulative, as Family.family exposes them
                    running += n
                    add(Sample(name, labels, float(running)))
                if len(names) > len(cell.counts):  # _count and _sum (left out when a bucket edge is negative)
                    add(Sample(names[-2][0], names[-2][1], float(running)))
                    add(Sample(names[-1][0], names[-1][1], float(cell.sum)))
        return rows

    def registry_samples(self) -> list[Sample]:
        """``samples()`` read through the registry (prometheus-client's metric families): the reference."""
        rows = []
        for family in self.registry.collect():
            for s in family.samples:
                if s.name.endswith("_created"):
                    continue
                rows.append(Sample(s.name, json.dumps(s.labels, sort_keys=True), float(s.value)))
        return rows

    def exposition(self) -> bytes:
        """The Prometheus text exposition format (what ``GET /metrics`` returns)."""
        return generate_latest(self.registry)


def _series_names(spec: MetricSpec, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """One labelled cell's samples as prometheus-client's families name them, with their labels as sorted
    JSON: a counter ``<name>_total`` (a name ending in ``_total`` is not doubled), a gauge ``<name>``, a
    histogram a ``<name>_bucket`` per edge (``le``, then ``+Inf``) and, unless the first edge is
    negative, ``<name>_count`` and ``<name>_sum``."""
    labels = dict(zip(spec.labels, values))
    plain = json.dumps(labels, sort_keys=True)
    if spec.kind is Kind.COUNTER:
        return [((spec.name[:-6] if spec.name.endswith("_total") else spec.name) + "_total", plain)]
    if spec.kind is not Kind.HISTOGRAM:
        return [(spec.name, plain)]
    les = [floatToGoString(e) for e in spec.buckets] + ["+Inf"]
    names = [(f"{spec.name}_bucket", json.dumps({**labels, "le": le}, sort_keys=True)) for le in les]
    if float(les[0]) >= 0:
        names += [(f"{spec.name}_count", plain), (f"{spec.name}_sum", plain)]
    return names


def feed(metrics: PlatformMetrics, events: Iterable[OrderEvent]) -> PlatformMetrics:
    """Feed ``events`` in order; return ``metrics``."""
    for event in events:
        metrics.on_event(event)
    return metrics
