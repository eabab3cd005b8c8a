"""Live traces to a file: one OTLP/JSON line per order once it reaches a final state.

``TWIN_TRACES_FILE=PATH`` in the environment of ``twin serve`` turns it on (off
by default): an OMS listener keeps each open order's events and, when the order
is final (SETTLED, BLOCKED, REJECTED, CANCELED, EXPIRED), appends its trace
(``components.observability.traces``: the same spans the twin writes, on wall
time) as one ``ExportTraceServiceRequest`` JSON object per line. An OTLP
collector's file receiver, or ``otel-cli``, can forward the lines. Faked for
now: no OTLP network exporter (the OpenTelemetry SDK's would slot in here).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from components.domain.events import OrderEvent
from components.observability.catalogue import FINAL_STATES
from components.observability.traces import order_spans, otlp_json

ENV = "TWIN_TRACES_FILE"
_FINAL = frozenset(FINAL_STATES)


class TraceFileWriter:
    """OMS listener: buffers each order's events, writes its trace when the order is final."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._open: dict[str, list[OrderEvent]] = {}
        self._lock = threading.Lock()

    def on_event(self, event: OrderEvent, _order: object = None) -> None:
        if not event.order_id:
            return
        events = self._open.setdefault(event.order_id, [])
        events.append(event)
        status = event.status
        if status is not None and status.value in _FINAL:
            del self._open[event.order_id]
            line = json.dumps(otlp_json(order_spans(events), runtime="live"), separators=(",", ":"))
            with self._lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


def install_trace_file(live, environ: dict[str, str] | None = None) -> TraceFileWriter | None:
    """Subscribe a ``TraceFileWriter`` to the OMS when ``$TWIN_TRACES_FILE`` names a file."""
    path = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not path:
        return None
    writer = TraceFileWriter(Path(path))
    live.platform.oms.subscribe(writer.on_event)
    return writer
