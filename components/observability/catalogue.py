"""The metric catalogue: every metric the platform exposes, as plain data.

One list, read by the prometheus-client registry (``metrics``), by the SLO
rule generator (which refuses a query naming a metric not listed here) and by
the Grafana dashboard test. Names follow Prometheus conventions: a ``bdt_``
prefix (broker-dealer twin), ``_total`` on counters, base units (seconds).

Latency histograms use the blueprint's path budgets as bucket edges, so an
SLO "p99 under budget" is a ratio of two series that exist (``le`` = budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PREFIX = "bdt_"

LATENCY_BUDGETS_MS: dict[str, tuple[int, int]] = {
    "gateway": (15, 35),
    "oms": (20, 45),
    "risk": (20, 50),
    "routing": (10, 25),
}
"""(p50, p99) budgets in ms per path segment, from the platform blueprint; the one copy
(``reports.latency.BUDGETS_MS`` is this dictionary)."""


def budget_buckets() -> tuple[float, ...]:
    """Histogram edges in seconds: every budget (p50 and p99 of every segment),
    plus a few edges below and above so a histogram still shows its shape."""
    edges_ms = {0.1, 0.5, 1, 5, 100, 250, 1000, 5000}
    for p50, p99 in LATENCY_BUDGETS_MS.values():
        edges_ms.update((p50, p99))
    return tuple(ms / 1000 for ms in sorted(edges_ms))


HANDLER_BUCKETS: tuple[float, ...] = (
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.010, 0.025, 0.050, 0.1)
"""In-process handler times (live): microseconds matter here; the top edges are the budgets'."""


class Kind(str, Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its name (without ``_total`` for counters, as prometheus-client
    takes it), kind, help text, label names and, for histograms, bucket edges."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()

    def series_names(self) -> tuple[str, ...]:
        """The sample names Prometheus will hold for this metric."""
        if self.kind is Kind.COUNTER:
            return (f"{self.name}_total",)
        if self.kind is Kind.HISTOGRAM:
            return tuple(f"{self.name}_{s}" for s in ("bucket", "count", "sum"))
        return (self.name,)


def _m(name: str, kind: Kind, help_: str, labels: tuple[str, ...] = (),
       buckets: tuple[float, ...] = ()) -> MetricSpec:
    return MetricSpec(PREFIX + name, kind, help_, labels, buckets)


C, H, G = Kind.COUNTER, Kind.HISTOGRAM, Kind.GAUGE
METRICS: tuple[MetricSpec, ...] = (
    # RED per HTTP endpoint (live only: the twin has no HTTP server).
    _m("http_requests", C, "HTTP requests by route template, method and status code",
       ("route", "method", "code")),
    _m("http_request_duration_seconds", H, "HTTP request duration by route template",
       ("route", "method"), budget_buckets()),
    # RED per service handler (live: wall time of each handler in the runtime).
    _m("handler_errors", C, "Handler failures by handler and reason (exception type)", ("handler", "reason")),
    # Its _count is the handler's message count (no separate counter: one lock less per message).
    _m("handler_duration_seconds", H, "In-process handler wall time, by handler (message type)", ("handler",),
       HANDLER_BUCKETS),
    # Path segments from event stamps (both runtimes: business time in the twin, wall time live).
    _m("segment_duration_seconds", H, "Order path segment latency (gateway, oms, risk, routing), from "
       "event timestamps, with the blueprint budgets as bucket edges", ("segment",), budget_buckets()),
    _m("orders_received", C, "Orders received (OrderReceived events)"),
    _m("risk_decisions", C, "Risk decisions by verdict (approved, blocked)", ("verdict",)),
    # RED per venue session.
    _m("venue_child_orders", C, "Child orders routed to a venue", ("venue",)),
    _m("venue_child_rejects", C, "Child orders a venue rejected, by reason", ("venue", "reason")),
    _m("venue_first_fill_seconds", H, "Routing to an order's first fill, by the filling venue",
       ("venue",), budget_buckets()),
    # Business KPIs.
    _m("orders_final", C, "Orders reaching a final state (SETTLED, BLOCKED, REJECTED, CANCELED, EXPIRED)",
       ("state",)),
    _m("risk_blocks", C, "Orders blocked by risk, by reason code", ("reason",)),
    _m("fills", C, "Fills (partial or full) by venue", ("venue",)),
    _m("fill_notional_dollars", C, "Filled notional in US dollars by venue (float: analytics only; the "
       "exact integer notional is in the event log)", ("venue",)),
    _m("block_allocations", C, "Block fills allocated to accounts, by allocation policy", ("policy",)),
    _m("settlement_fails", C, "Settlement attempts that failed"),
    _m("orders_flagged", C, "Orders flagged for attention (stuck in a state past its watchdog)"),
    _m("open_orders", G, "Orders received and not yet final"),
    # The live tracer's own saturation (live only; 0 in the twin, whose traces are written after the run):
    # traces are built off the request path and dropped, not queued without bound, when the builder falls
    # behind (live.observability.tracing.MAX_PENDING). An SRE must see that, not find traces missing later.
    _m("traces_dropped", C, "Final orders whose trace the live tracer dropped because MAX_PENDING orders "
       "already waited for their spans"),
    _m("traces_pending", G, "Final orders waiting for the live tracer to build their spans (at the last scrape)"),
)

BY_NAME: dict[str, MetricSpec] = {m.name: m for m in METRICS}


def series_names() -> frozenset[str]:
    """Every sample name the registry can expose (``_total``, ``_bucket``, ...)."""
    return frozenset(n for m in METRICS for n in m.series_names())


FINAL_STATES: tuple[str, ...] = ("SETTLED", "BLOCKED", "REJECTED", "CANCELED", "EXPIRED")
