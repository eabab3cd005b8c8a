"""HTTP RED metrics and ``GET /metrics`` on the order API.

``instrument(app, live)`` turns on OpenTelemetry tracing when the environment
names an OTLP endpoint or a trace file (``live.observability.tracing``; kept on
``app.state.tracer``), adds one middleware timing every request by its
route template (``/v1/orders/{order_id}``, never the raw path: an account id in
a path must not become a label) and serves the registry of ``live.metrics`` in
the Prometheus text format at ``/metrics``.

``/metrics`` needs no token (a scraper holds none) and is left out of the
OpenAPI document: its body is Prometheus' text format, not the API's JSON, and
schemathesis checks the JSON API. Its labels hold venue names, reason codes,
states, handler names and route templates: no account, client or token.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from fastapi import FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from live.observability.trace_settings import tracing_wanted

UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404): one label, however many paths are probed."""


def instrument(app: FastAPI, live: Any) -> None:
    """Add the HTTP RED middleware and ``GET /metrics`` to ``app`` (``live``: a LiveApp)."""
    app.state.tracer = None  # off unless the environment names OTLP/HTTP and/or $TWIN_TRACES_FILE
    if tracing_wanted(os.environ):
        # Imported only now: the OpenTelemetry SDK costs a start with tracing off ~50 ms for nothing.
        from live.observability.tracing import install_tracing

        app.state.tracer = install_tracing(live)
    metrics = live.metrics
    requests = metrics.metric["bdt_http_requests"]
    durations = metrics.metric["bdt_http_request_duration_seconds"]
    failures_seen = [0]
    dropped_seen = [0]

    @app.middleware("http")
    async def _red(request: Request, call_next: Callable[[Request], Any]) -> Any:
        started = time.perf_counter()
        status = 500  # an exception escaping the app is a 5xx to the client
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            requests.labels(template, request.method, str(status)).inc()
            durations.labels(template, request.method).observe(time.perf_counter() - started)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        with live.runtime.atomic():  # the failure list grows under the runtime's lock
            failures_seen[0] = metrics.on_failures(live.runtime.failures, failures_seen[0])
        tracer = app.state.tracer
        if tracer is not None:  # read at the scrape: nothing on the request path
            dropped_seen[0] = metrics.on_tracer(tracer.dropped, tracer.pending(), dropped_seen[0])
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
