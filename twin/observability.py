"""The twin's observability outputs: its metrics over simulated time and the SLO verdicts.

After a run, the run's events are fed in business-time order to the same
``PlatformMetrics`` the live stack serves on ``/metrics``, and the registry is
sampled every ``interval_s`` of simulated time (a sample only where something
changed: a series holds its value until its next row). That gives:

- ``metrics.parquet``: the time series (time_ns, name, labels JSON, value);
- ``metrics.prom``: the final registry in the Prometheus text format;
- ``traces.json``: one trace per order (``components.observability.traces``),
  stamped with simulated time, in the OTLP/JSON encoding;
- ``slo.json``: the SLO rules of ``slo/platform.yaml`` evaluated over those
  samples (``components.observability.slo_eval``: the alerts that fired and
  when, the error budget burned over the day), also returned as the summary's
  ``slo`` section for ``report.html``.

Nothing here runs during the simulation: the event log and the fingerprint are
untouched, and the simulated run pays nothing. Handler wall times
(``bdt_handler_*``) and HTTP metrics stay empty in the twin: its handlers take
zero simulated time and it has no HTTP server (queueing shows in the path
segments instead).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from components.domain.events import OrderEvent
from components.observability.metrics import PlatformMetrics
from components.observability.slo import DEFAULT_SLO_FILE, Slo, load_slos
from components.observability.slo_eval import Series, budget_burned, firings
from components.observability.traces import order_spans_json, otlp_json

from .recorder import write_parquet

DEFAULT_INTERVAL_S = 60
"""Sampling step and alert evaluation interval (Prometheus' usual 1m)."""
BURN_POINTS = 240
"""At most this many points per SLO's budget-burn curve in the summary (the plot's resolution)."""
_NS = 1_000_000_000


def sample_metrics(events: Iterable[OrderEvent], interval_s: int = DEFAULT_INTERVAL_S
                   ) -> tuple[PlatformMetrics, pd.DataFrame, np.ndarray]:
    """Feed ``events`` in business-time order; the final registry, the sampled rows and
    the evaluation grid (every step from the first event's to the last event's, in ns)."""
    ordered = sorted(events, key=lambda e: e.timestamp_utc)  # stable: log order within a stamp
    metrics = PlatformMetrics()
    step = interval_s * _NS
    rows: list[tuple[int, str, str, float]] = []
    if not ordered:
        return metrics, _frame(rows), np.array([], dtype=np.int64)
    first = ordered[0].timestamp_utc // step * step
    boundary, changed = first, False
    for event in ordered:
        while event.timestamp_utc > boundary:
            if changed:
                rows.extend((boundary, *s) for s in metrics.samples())
                changed = False
            boundary += step
        metrics.on_event(event)
        changed = True
    rows.extend((boundary, *s) for s in metrics.samples())
    return metrics, _frame(rows), np.arange(first, boundary + step, step, dtype=np.int64)


def _frame(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["time_ns", "name", "labels", "value"])
    frame["time_ns"] = frame["time_ns"].astype("int64")
    return frame


def series_of(frame: pd.DataFrame, grid_ns: np.ndarray) -> Series:
    """The sampled rows as the evaluator's ``Series`` on ``grid_ns`` (a value holds until its next row)."""
    # whole columns as lists: iterating Arrow-backed string columns reads them a cell at a time
    rows = zip((frame["time_ns"].to_numpy() / _NS).tolist(), frame["name"].tolist(), frame["labels"].tolist(),
               frame["value"].tolist())
    return Series.from_rows(rows, (grid_ns / _NS).tolist())


def _iso(t_s: float | None) -> str | None:
    return None if t_s is None else pd.Timestamp(int(t_s * _NS), tz="UTC").isoformat()


def slo_section(series: Series, slos: list[Slo], interval_s: int) -> dict[str, Any]:
    """Per SLO its budget burned (final and a curve), and every alert firing with UTC times."""
    out: dict[str, Any] = {"interval_s": interval_s, "slos": [], "alerts": []}
    stride = max(1, -(-len(series.times_s) // BURN_POINTS))
    for slo in slos:
        burned = budget_burned(series, slo)
        seen = burned[~np.isnan(burned)]
        curve = [[float(t), round(float(b), 6)] for t, b in zip(series.times_s[::stride], burned[::stride])
                 if not np.isnan(b)]
        out["slos"].append({"name": slo.name, "service": slo.service, "target": slo.target,
                            "window": slo.window, "budget_burned": round(float(seen[-1]), 6) if len(seen) else None,
                            "burn": curve})
        for fired in firings(series, slo):
            record = fired.to_record()
            record["start_utc"], record["end_utc"] = _iso(fired.start_s), _iso(fired.end_s)
            out["alerts"].append(record)
    out["alerts"].sort(key=lambda a: (a["start_s"], a["labels"]["slo"], a["alert"]))
    return out


def slo_line(section: dict[str, Any] | None, tz: str = "America/New_York") -> str:
    """One console line for ``slo_section``'s output: each SLO whose alerts fired, with the share of its
    error budget burned and its worst alert (page over ticket) from when to when, in the session's local
    time (``tz``); or that none fired. How an SRE reading ``twin run``'s console learns that a day paged."""
    if not section:
        return "slo: not evaluated"
    alerts = section.get("alerts") or []
    if not alerts:
        return "slo: no alert fired"
    burned = {s["name"]: s.get("budget_burned") for s in section.get("slos") or []}

    def local(ts: str | None) -> str:
        return "" if ts is None else pd.Timestamp(ts).tz_convert(tz).strftime("%H:%M")

    worst: dict[str, dict[str, Any]] = {}
    for alert in alerts:  # alerts come sorted by start: the first page of an SLO, else its first ticket
        name, kept = alert["labels"]["slo"], worst.get(alert["labels"]["slo"])
        if kept is None or (alert["labels"].get("severity") == "page" and kept["labels"].get("severity") != "page"):
            worst[name] = alert
    parts = []
    for name, alert in worst.items():
        share = burned.get(name)
        spent = "" if share is None else f" {share:.1%} of its budget burned,"
        end = local(alert.get("end_utc"))
        parts.append(f"{name}{spent} {alert['labels'].get('severity', 'alert')} from {local(alert['start_utc'])}"
                     + (f" to {end}" if end else " to the end"))
    pages = sum(1 for a in alerts if a["labels"].get("severity") == "page")
    zone = tz.split("/")[-1].replace("_", " ")
    return f"slo: {len(alerts)} alert(s), {pages} page(s): " + "; ".join(parts) + f" ({zone} time)"


TRACE_BATCH = 500
"""Orders rendered at a time into ``traces.json`` (the file is written in pieces: see ``write_traces``)."""


def write_traces(path: Path, events: Iterable[OrderEvent], batch: int = TRACE_BATCH) -> None:
    """Write ``otlp_json(traces(events), runtime="twin")`` as compact JSON, the same bytes as one
    ``json.dumps`` of the whole document, but rendered ``batch`` orders at a time: the document is about
    7 kB per order, and a 10,000-order replay held whole as dicts and one string took ~400 MiB. Each order's
    spans are written straight from its events (``order_spans_json``: no span objects or dicts)."""
    by_order: dict[str, list[OrderEvent]] = {}  # as ``traces``: orders in the order of their first event
    for event in events:
        if event.order_id:
            by_order.setdefault(event.order_id, []).append(event)
    # json.dumps, not json.dump: dump streams through the pure-Python encoder (3 s of smoke's 4 s here).
    envelope = json.dumps(otlp_json([], runtime="twin"), separators=(",", ":"))
    head, tail = envelope.split('"spans":[]', 1)  # the one list that grows with the orders
    orders = list(by_order.values())
    with path.open("wb") as out:
        out.write((head + '"spans":[').encode("utf-8"))
        first = True
        for start in range(0, len(orders), batch):
            spans = b",".join(filter(None, map(order_spans_json, orders[start:start + batch])))  # these orders'
            if spans:
                out.write((b"" if first else b",") + spans)
                first = False
        out.write(("]" + tail).encode("utf-8"))


def write_observability(out_dir: Path, events: list[OrderEvent], interval_s: int = DEFAULT_INTERVAL_S,
                        slo_file: Path = DEFAULT_SLO_FILE) -> dict[str, Any]:
    """Write metrics.parquet, metrics.prom, traces.json and slo.json into ``out_dir``; return the SLO section."""
    metrics, frame, grid = sample_metrics(events, interval_s)
    write_parquet(frame, out_dir / "metrics.parquet")
    (out_dir / "metrics.prom").write_bytes(metrics.exposition())
    write_traces(out_dir / "traces.json", events)
    section = slo_section(series_of(frame, grid), load_slos(slo_file), interval_s)
    (out_dir / "slo.json").write_text(json.dumps(section, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return section
