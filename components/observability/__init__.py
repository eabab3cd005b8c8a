"""Observability shared by both runtimes: the metric catalogue, the event-driven
metrics (prometheus-client) and the SLO model with its Prometheus rule generator.

No production component imports this package: handlers return what they
decided, and each runtime feeds those outcomes and the events it stores to
``EventMetrics`` (live as it happens, the twin after a run over simulated time).
The catalogue and the SLO model are plain data, so the core stays free of
prometheus-client and OpenTelemetry; only ``metrics`` and ``cells`` import prometheus-client
(for its exposition format and collector interface).
"""
