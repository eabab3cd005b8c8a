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
and the batch processor's thread exports them. An order still open at shutdown has
its trace so far exported by ``shutdown()`` (the root span then ends at its last
event). A final event raised outside any handler (a timer) is handed over at the next
handler's end or at shutdown.

Why spans are built off the request path: a final order's SDK spans cost about
1.6 ms of CPU here (a blocked order's 7 spans and 11 policy events), which a blocked
order's ``POST /v1/orders`` paid in full (``bench_hot_path --tail``; 1.8 ms CPU per
blocked order against 0.18 ms with metrics only). The handler that makes an order
final only moves its records to a queue; the tracer's builder thread turns them into
SDK spans, giving the interpreter back (``time.sleep(0)``) once it has held it for
``SLICE_NS``, so a request waiting for it waits at most about that long, not a thread
switch interval (5 ms). ``flush`` and ``shutdown`` build what is queued first
(``build_pending``). The queue holds at most ``MAX_PENDING`` orders: when the process
is saturated the builder only runs in slices between requests and falls behind, and
past that a final order's trace is dropped and counted (``dropped``), as the SDK's
batch processor drops spans when its own queue is full.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Mapping, Sequence

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from components.domain.events import STATUS_OF, OrderEvent
from components.observability.catalogue import FINAL_STATES
from components.observability.traces import SERVICE_NAME, Span, handler_span, order_spans, otlp_json
from components.platform import SERVICE_OF

# The environment's reading lives apart, so http.py can decide without importing the SDK.
from live.observability.trace_settings import otlp_endpoint, trace_file

log = logging.getLogger("live")

_FINAL_KINDS = frozenset(kind for kind, status in STATUS_OF.items() if status.value in FINAL_STATES)
_KIND = {"internal": SpanKind.INTERNAL, "server": SpanKind.SERVER, "client": SpanKind.CLIENT}
_KIND_NAME = {v: k for k, v in _KIND.items()}
_SAMPLED = trace_api.TraceFlags(trace_api.TraceFlags.SAMPLED)

SLICE_NS = 200_000
"""How long the builder thread makes spans before it gives the interpreter back to a waiting request."""
MAX_PENDING = 10_000
"""Final orders waiting for the builder at most (about 1 kB of records each); past it, traces are dropped."""


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

    def __init__(self, provider: TracerProvider, ids: _GivenIds, background: bool = True) -> None:
        """``background``: a builder thread makes the SDK spans of final orders (the default); without it
        they wait for ``build_pending`` (``flush`` and ``shutdown`` call it): tests that read spans at once."""
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
        # Final orders' (events, handler runs), handed over by the hot path, built into SDK spans off it
        self._finished: deque[tuple[list[OrderEvent], list]] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._builder: threading.Thread | None = None
        self.dropped = 0
        """Final orders whose trace was dropped because ``MAX_PENDING`` were already waiting."""
        # First of the provider's processors (add exporters' after it): a flush or shutdown of the provider,
        # the SDK's own at exit included, builds what waits here before the exporters flush or stop.
        provider.add_span_processor(_BuildPendingFirst(self))
        if background:
            self._builder = threading.Thread(target=self._build_forever, name="live-trace-builder", daemon=True)
            self._builder.start()

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
        """A handler took ``ns`` for ``message`` (the runtime's observer); hands over orders it finished."""
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
                self._hand_over(oid)

    def _hand_over(self, order_id: str) -> None:
        """Queue a final order's records for the builder (O(1) here: no span is made on the request path)."""
        events = self._events.pop(order_id, None)
        runs = self._handled.pop(order_id, [])
        if not events:
            return
        if len(self._finished) >= MAX_PENDING:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("traces: %d final orders wait for their spans; dropping traces until the builder "
                            "catches up (counted in LiveTracer.dropped)", MAX_PENDING)
            return
        self._finished.append((events, runs))
        self._wake.set()

    # -- off the submit path -------------------------------------------------------------------
    def spans_of(self, order_id: str) -> list[Span]:
        """The order's spans so far: the event-derived ones and one per handler run."""
        return _spans(self._events.get(order_id, []), self._handled.get(order_id, []))

    def pending(self) -> int:
        """Final orders handed over whose spans are not made yet."""
        return len(self._finished)

    def build_pending(self, pause: bool = False) -> int:
        """Make the SDK spans of every final order handed over so far; how many spans. ``pause``: give the
        interpreter back every ``SLICE_NS`` (the builder thread: a request waiting for it waits about that)."""
        made = 0
        clock = time.perf_counter_ns
        slice_end = clock() + SLICE_NS
        while True:
            with self._lock:  # one order at a time, whole: after an empty look here, nothing is half built
                try:
                    events, runs = self._finished.popleft()
                except IndexError:
                    return made
                for span in _spans(events, runs):
                    self._start_and_end(span)
                    made += 1
                    if pause and clock() >= slice_end:
                        time.sleep(0)  # releases the GIL: a waiting request thread takes it now
                        slice_end = clock() + SLICE_NS

    def _build_forever(self) -> None:
        while not self._stopping:
            self._wake.wait()
            self._wake.clear()
            try:
                self.build_pending(pause=True)
            except Exception:  # one order's spans failing must not stop the traces of every later order
                log.exception("traces: making an order's spans failed; its trace is lost")

    def export(self, order_id: str) -> int:
        """Hand the order's spans to the SDK now, on this thread (its batch processor exports them); forget
        the order. How many spans. (Open orders at shutdown, benchmarks; final orders go through the builder.)"""
        with self._lock:  # as the builder: the span renderers' caches are not shared between threads
            spans = self.spans_of(order_id)
            self._events.pop(order_id, None)
            self._handled.pop(order_id, None)
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
        """Build the final orders' spans handed over, then export what the batch processor holds (not the
        open orders)."""
        self.build_pending()
        return self.provider.force_flush(timeout_ms)

    def shutdown(self) -> None:
        """Stop the builder, build what it was handed, export every open order's trace so far, flush and
        stop the exporters."""
        self.stop_builder()
        for order_id in list(self._events):
            self.export(order_id)
        self.provider.shutdown()

    def stop_builder(self) -> None:
        """Stop the builder thread and build what it was handed (also when the provider is shut down)."""
        self._stopping = True
        self._wake.set()
        if self._builder is not None and self._builder is not threading.current_thread():
            self._builder.join(10)
        self.build_pending()


class _BuildPendingFirst(SpanProcessor):
    """The tracer's hook in its provider: ``force_flush`` and ``shutdown`` (``provider.shutdown()``, which
    the SDK also runs at interpreter exit) build the final orders' spans still waiting for the builder, so
    the exporters' processors after this one get them. Spans themselves pass through untouched."""

    def __init__(self, tracer: LiveTracer) -> None:
        self._tracer = tracer

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        self._tracer.build_pending()
        return True

    def shutdown(self) -> None:
        self._tracer.stop_builder()


def _spans(events: list[OrderEvent], runs: list) -> list[Span]:
    """An order's spans: the event-derived ones and one per handler run ([message type, start, end, ...])."""
    spans = order_spans(events)
    if not spans:
        return []
    trace = spans[0].trace_id
    for i in range(0, len(runs), 3):
        kind, start, end = runs[i:i + 3]
        spans.append(handler_span(trace, i // 3, SERVICE_OF.get(kind, "platform"), kind.__name__, start, end))
    return spans


def build_tracer(exporters: Sequence[SpanExporter], background: bool = True, **resource: str) -> LiveTracer:
    """A ``LiveTracer`` on its own ``TracerProvider``, one ``BatchSpanProcessor`` per exporter
    (``background``: see ``LiveTracer``)."""
    ids = _GivenIds()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME, "runtime": "live",
                                                         **resource}), id_generator=ids)
    tracer = LiveTracer(provider, ids, background)  # its processor first, then the exporters' (LiveTracer)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return tracer


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
