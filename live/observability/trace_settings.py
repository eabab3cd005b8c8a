"""Whether live tracing is on, read from the environment without importing the OpenTelemetry SDK.

The variables are documented in ``live.observability.tracing``, which builds the tracer; this
module only answers "is a destination named?", so a start with tracing off never pays for the
SDK's imports (``tests/unit/live/test_lazy_start.py``).
"""

from __future__ import annotations

from typing import Mapping

FILE_ENV = "TWIN_TRACES_FILE"
ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACES_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def otlp_endpoint(environ: Mapping[str, str]) -> str | None:
    """The OTLP/HTTP traces URL the standard variables name, or None (tracing to a collector off)."""
    url = environ.get(TRACES_ENDPOINT_ENV, "").strip()
    if url:
        return url
    base = environ.get(ENDPOINT_ENV, "").strip()
    return f"{base.rstrip('/')}/v1/traces" if base else None


def trace_file(environ: Mapping[str, str]) -> str:
    """The ``$TWIN_TRACES_FILE`` path, or '' (no trace file)."""
    return environ.get(FILE_ENV, "").strip()


def tracing_wanted(environ: Mapping[str, str]) -> bool:
    """True when the environment names an OTLP endpoint or a trace file."""
    return otlp_endpoint(environ) is not None or bool(trace_file(environ))
