"""Live traces through the OpenTelemetry SDK: one trace per client order, exported over OTLP/HTTP or to a file.

Off by default. ``install_tracing(live)`` turns it on when the environment of
``twin serve`` names a destination (environment variables, not live.toml keys:
they are OpenTelemetry's standard knobs, read the same way by every OTel process):

- ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (used as is) or ``OTEL_EXPORTER_OTLP_ENDPOINT``
  (``/v1/traces`` appended): the SDK's OTLP/HTTP protobuf exporter
  (opentelemetry-exporter-otlp-proto-http) sends the spans to a collector;
- ``TWIN_TRACES_FILE=PATH``: ``OtlpJsonFileExporter`` appends each export batch as one
  OTLP/JSON ``ExportTraceServiceRequest`` line (tests, or a collector's file receiver).

Both sit behind a ``BatchSpanProcessor`` of one ``TracerProvider`` (never the global
one). What a trace holds (``LiveTracer``): the order's root span, its trace id the event
contract's ``trace_id``; a span per handler run per service (``<service> <message
type>``, the runtime's measured wall time); a span per lifecycle step timed by the
events (``risk.check`` carries one span event per risk policy decision: code, version,
verdict, reason code and parameters); a CLIENT span per venue child order (routing to
the venue's answer). The spans are the twin's (``components.observability.traces``)
plus the measured handler spans.

Why spans are recorded lazily: opening and closing SDK spans around each handler costs
tens of microseconds per order on the submit path. The hot path only appends to two
lists (the order's events, and (message type, start, end) per handler run); the SDK
spans are created, with those recorded times and the deterministic span ids of
``traces``, once the order is final (SETTLED, BLOCKED, REJECTED, CANCELED, EXPIRED),
at the end of the handler that made it final, and the batch processor's thread
exports them. An order still open at shutdown has its trace so far exported by
``shutdown()`` (the root span then ends at its last event). A final event raised
outside any handler (a timer) is exported at the next handler's end or at shutdown.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from components.domain.events import STATUS_OF, OrderEvent
from components.observability.catalogue import FINAL_STATES
from components.observability.traces import SERVICE_NAME, Span, handler_span, order_spans, otlp_json
from components.platform import SERVICE_OF

# The environment's reading lives apart, so http.py can decide without importing the SDK.
from live.observability.trace_settings import otlp_endpoint, trace_file

_FINAL_KINDS = frozenset(kind for kind, status in STATUS_OF.items() if status.value in FINAL_STATES)
_KIND = {"internal": SpanKind.INTERNAL, "server": SpanKind.SERVER, "client": SpanKind.CLIENT}
_KIND_NAME = {v: k for k, v in _KIND.items()}
_SAMPLED = trace_api.TraceFlags(trace_api.TraceFlags.SAMPLED)


class _GivenIds(IdGenerator):
    """The SDK's id source, told each span's id before it is started: trace ids are the event
    contract's, span ids the deterministic ones of ``traces`` (so a file and a collector agree)."""

    def __init__(self) -> None:
        self.trace_id = self.span_id = 0
        self._random = RandomIdGenerator()

    def generate_span_id(self) -> int:
        return self.span_id or self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        return self.trace_id or self._random.generate_trace_id()


def _attr(value: Any) -> Any:
    """An OpenTelemetry attribute value (str, bool, int, float): anything else as text."""
    return value if isinstance(value, (str, bool, int, float)) else ("" if value is None else str(value))


def to_span(span: ReadableSpan) -> Span:
    """An SDK span back as the plain ``traces.Span`` (for the OTLP/JSON file and ``render_tree``)."""
    ctx, parent = span.context, span.parent
    return Span(f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", f"{parent.span_id:016x}" if parent else "",
                span.name, _KIND_NAME.get(span.kind, "internal"), span.start_time or 0, span.end_time or 0,
                tuple((span.attributes or {}).items()),
                tuple((e.name, e.timestamp, tuple((e.attributes or {}).items())) for e in span.events),
                error=span.status.status_code is StatusCode.ERROR)


class OtlpJsonFileExporter(SpanExporter):
    """A ``SpanExporter`` appending each batch as one OTLP/JSON ``ExportTraceServiceRequest`` line."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:  # (this runs on the batch processor's thread, off the order path)
            return SpanExportResult.SUCCESS
        resource = dict(spans[0].resource.attributes)
        service = str(resource.pop("service.name", SERVICE_NAME))
        line = json.dumps(otlp_json([to_span(s) for s in spans], service, **resource), separators=(",", ":"))
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


class LiveTracer:
    """OMS listener and runtime observer recording each order's path; SDK spans once it is final."""

    def __init__(self, provider: TracerProvider, ids: _GivenIds) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("live.observability.tracing")
        self._ids = ids
        self._events: dict[str, list[OrderEvent]] = {}
        # order -> [message type, start, end, message type, start, end, ...]: flat, no tuple per handler run
        # (fewer allocations on the hot path, so fewer garbage collections landing on a request)
        self._handled: dict[str, list] = {}
        self._touched: list[str] = []  # orders whose events the running handler emitted
        self._done: list[str] = []  # final orders waiting for their last handler to end
        self._lock = threading.Lock()  # span creation: the id generator's slots are shared

    # -- the hot path: appends only ------------------------------------------------------------
    def on_event(self, event: OrderEvent, _order: object = None) -> None:
        """One stored event (the OMS listener's signature)."""
        order_id = event.order_id
        if not order_id:
            return
        events = self._events.get(order_id)
        if events is None:
            events = self._events[order_id] = []
        events.append(event)
        self._touched.append(order_id)
        if event.event_type in _FINAL_KINDS:
            self._done.append(order_id)

    def on_handled(self, message: object, ns: int) -> None:
        """A handler took ``ns`` for ``message`` (the runtime's observer); exports orders it finished."""
        end = time.time_ns()
        order_id = getattr(message, "order_id", None)
        touched, handled, open_orders = self._touched, self._handled, self._events
        for oid in (order_id,) if order_id is not None else dict.fromkeys(touched):  # SubmitOrder: its new order
            if oid not in open_orders:
                continue  # a late report for an order already exported (or never seen): nothing to keep
            runs = handled.get(oid)
            if runs is None:
                runs = handled[oid] = []
            runs += (type(message), end - ns, end)
        if touched:
            touched.clear()
        if self._done:
            done, self._done = self._done, []
            for oid in done:
                self.export(oid)

    # -- off the submit path -------------------------------------------------------------------
    def spans_of(self, order_id: str) -> list[Span]:
        """The order's spans so far: the event-derived ones and one per handler run."""
        spans = order_spans(self._events.get(order_id, []))
        if not spans:
            return []
        trace = spans[0].trace_id
        runs = self._handled.get(order_id, [])
        for i in range(0, len(runs), 3):
            kind, start, end = runs[i:i + 3]
            spans.append(handler_span(trace, i // 3, SERVICE_OF.get(kind, "platform"), kind.__name__, start, end))
        return spans

    def export(self, order_id: str) -> int:
        """Hand the order's spans to the SDK (its batch processor exports them); forget the order.
        How many spans."""
        spans = self.spans_of(order_id)
        self._events.pop(order_id, None)
        self._handled.pop(order_id, None)
        with self._lock:
            for span in spans:
                self._start_and_end(span)
        return len(spans)

    def _start_and_end(self, span: Span) -> None:
        trace_id = int(span.trace_id, 16)
        context = Context()
        if span.parent_id:
            parent = trace_api.SpanContext(trace_id, int(span.parent_id, 16), is_remote=False, trace_flags=_SAMPLED)
            context = trace_api.set_span_in_context(trace_api.NonRecordingSpan(parent))
        self._ids.trace_id, self._ids.span_id = trace_id, int(span.span_id, 16)
        try:
            sdk = self._tracer.start_span(span.name, context=context, kind=_KIND[span.kind],
                                          attributes={k: _attr(v) for k, v in span.attributes},
                                          start_time=span.start_ns)
        finally:
            self._ids.trace_id = self._ids.span_id = 0
        for name, at, attrs in span.events:
            sdk.add_event(name, {k: _attr(v) for k, v in attrs}, timestamp=at)
        if span.error:
            sdk.set_status(Status(StatusCode.ERROR))
        sdk.end(end_time=max(span.end_ns, span.start_ns))

    def flush(self, timeout_ms: int = 10_000) -> bool:
        """Export what the batch processor holds (not the open orders)."""
        return self.provider.force_flush(timeout_ms)

    def shutdown(self) -> None:
        """Export every open order's trace so far, flush and stop the exporters."""
        for order_id in list(self._events):
            self.export(order_id)
        self.provider.shutdown()


def build_tracer(exporters: Sequence[SpanExporter], **resource: str) -> LiveTracer:
    """A ``LiveTracer`` on its own ``TracerProvider``, one ``BatchSpanProcessor`` per exporter."""
    ids = _GivenIds()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME, "runtime": "live",
                                                         **resource}), id_generator=ids)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return LiveTracer(provider, ids)


def install_tracing(live, environ: Mapping[str, str] | None = None) -> LiveTracer | None:
    """Subscribe a ``LiveTracer`` to ``live`` (OMS listener, runtime observer beside the metrics) when
    the environment names an OTLP endpoint or ``$TWIN_TRACES_FILE``; None (off) otherwise."""
    env = os.environ if environ is None else environ
    exporters: list[SpanExporter] = []
    endpoint = otlp_endpoint(env)
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter(endpoint=endpoint))
    path = trace_file(env)
    if path:
        exporters.append(OtlpJsonFileExporter(Path(path)))
    if not exporters:
        return None
    tracer = build_tracer(exporters)
    live.platform.oms.subscribe(tracer.on_event)
    metrics_observer = live.metrics.on_handled

    def observe(message: object, ns: int) -> None:
        metrics_observer(message, ns)
        tracer.on_handled(message, ns)

    live.runtime.set_observer(observe)
    return tracer
