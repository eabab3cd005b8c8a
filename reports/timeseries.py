"""The run report's time series over the simulated day: per service (arrivals, queue length,
utilisation) from ``service_timeseries.parquet``, and latency per path segment from the events.

The service series are written by ``twin.service_timeseries`` (one row per service and sampling
interval). Latency over time buckets each order by the time it was received and takes the p50 and
p99 of every segment (``reports.latency.segment_latencies``) per bucket. Times are drawn in New
York time, the session's clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from components.domain.events import EventType

from .figure_pool import FigureJob
from .frames import events_of
from .latency import SEGMENTS, segment_latencies
from .plots import new_figure, _none_note

FILE = "service_timeseries.parquet"
TZ = "America/New_York"
_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
            "#ccb974", "#64b5cd")


def read_service_timeseries(run_dir: str | Path) -> pd.DataFrame | None:
    """The run's service series, or None when the run folder has none (older runs)."""
    path = Path(run_dir) / FILE
    return pd.read_parquet(path) if path.exists() else None


def _clock(t_ns: pd.Series) -> pd.Series:
    """UTC nanoseconds to naive New York wall times (matplotlib draws naive datetimes as given)."""
    return pd.to_datetime(t_ns.astype("int64"), unit="ns", utc=True).dt.tz_convert(TZ).dt.tz_localize(None)


def _time_axis(ax: Any) -> None:
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_xlabel(f"time of day ({TZ})")


def plot_service_timeseries(frame: pd.DataFrame | None) -> Figure:
    """Three panels sharing the time axis: arrivals per second, queue length and utilisation, one line per
    service. Services that handled nothing in the session are left out (named in the title)."""
    fig = new_figure(10.0, 8.0)
    axes = fig.subplots(3, 1, sharex=True)
    panels = (("arrivals_per_s", "arrivals per second", "Arrivals per service"),
              ("queue_length", "messages in service", "Queue length (waiting + in service) at each sample"),
              ("utilisation", "busy fraction", "Utilisation per interval"))
    if frame is None or frame.empty:
        for ax, (_, _, title) in zip(axes, panels):
            _none_note(ax, title)
        return fig
    active = frame.groupby("service", sort=False)["handled"].sum()
    shown = [s for s in active.index if active[s] > 0]
    idle = [s for s in active.index if active[s] == 0]
    for ax, (column, ylabel, title) in zip(axes, panels):
        for k, service in enumerate(shown):
            rows = frame[frame["service"] == service]
            ax.plot(_clock(rows["t_ns"]), rows[column], label=service, color=_COLOURS[k % len(_COLOURS)],
                    linewidth=1.2, drawstyle="steps-pre" if column != "queue_length" else "default")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[2].set_ylim(0, max(0.05, float(frame["utilisation"].max()) * 1.15))
    axes[0].legend(fontsize=8, ncols=min(5, max(1, len(shown))), loc="upper left")
    _time_axis(axes[2])
    interval = float(frame["interval_s"].iloc[0])
    fig.suptitle(f"Services over the session (sampled every {interval:g} s of simulated time)"
                 + (f"; idle: {', '.join(idle)}" if idle else ""))
    fig.tight_layout()
    return fig


def latency_over_time(events: pd.DataFrame | None, interval_s: float) -> pd.DataFrame:
    """Per time bucket (by each order's receipt) and segment: orders, p50 and p99 in ms. Columns:
    ``t_ns`` (bucket start, UTC ns), ``segment``, ``orders``, ``p50``, ``p99``."""
    columns = ["t_ns", "segment", "orders", "p50", "p99"]
    received = events_of(events, (EventType.ORDER_RECEIVED.value,), ("order_id", "timestamp_utc"))
    if received.empty or interval_s <= 0:
        return pd.DataFrame(columns=columns)
    received = received[received["order_id"].astype(str) != ""]
    first = received.groupby("order_id")["timestamp_utc"].min().astype("int64")
    per_order = segment_latencies(events).join(first.rename("received_ns"), how="inner")
    step = int(interval_s * 1e9)
    per_order["t_ns"] = (per_order["received_ns"] // step) * step
    rows = []
    for t_ns, bucket in per_order.groupby("t_ns", sort=True):
        for segment in SEGMENTS:
            values = bucket[segment].dropna().to_numpy()
            if values.size:
                p50, p99 = np.quantile(values, [0.5, 0.99])
                rows.append({"t_ns": int(t_ns), "segment": segment, "orders": int(values.size),
                             "p50": float(p50), "p99": float(p99)})
    return pd.DataFrame(rows, columns=columns)


def plot_latency_over_time(frame: pd.DataFrame, interval_s: float) -> Figure:
    """p50 (dashed) and p99 (solid) of each segment per time bucket."""
    fig = new_figure(10.0, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    title = f"Latency per segment over the day (orders bucketed by receipt, {interval_s:g} s buckets)"
    if frame.empty:
        _none_note(ax, title)
        return fig
    for k, segment in enumerate(SEGMENTS):
        rows = frame[frame["segment"] == segment]
        if rows.empty:
            continue
        colour = _COLOURS[k % len(_COLOURS)]
        times = _clock(rows["t_ns"])
        ax.plot(times, rows["p99"], color=colour, linewidth=1.3, label=f"{segment} p99")
        ax.plot(times, rows["p50"], color=colour, linewidth=1.0, linestyle="--", label=f"{segment} p50")
    ax.set_ylabel("ms")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=4, loc="upper left")
    ax.margins(y=0.25)
    ax.set_ylim(bottom=0)
    _time_axis(ax)
    fig.tight_layout()
    return fig


def latency_bucket_s(sample_interval_s: float | None, session_s: float) -> float:
    """Latency buckets: at least a minute and about 30 over the session, so each holds enough orders for a
    p99 to mean something; on the service grid when it is coarser."""
    return max(60.0, float(sample_interval_s or 0), round(session_s / 30 / 60) * 60.0)


def service_figures(section: dict[str, Any] | None, events: pd.DataFrame | None,
                    run_dir: str | Path) -> list[FigureJob]:
    """The report's time-series figures (each a title, its plot function and the small frame it draws) for a
    run whose summary has a ``services`` section and whose folder has the series; none otherwise. The
    frames are read and computed here, so that drawing needs neither the events nor the run folder."""
    if not section:
        return []
    frame = read_service_timeseries(run_dir)
    if frame is None:
        return []
    bucket = latency_bucket_s(section.get("interval_s"), float(section.get("session_s") or 0))
    return [FigureJob("Services over the session", plot_service_timeseries, (frame,)),
            FigureJob("Latency per segment over the day", plot_latency_over_time,
                      (latency_over_time(events, bucket), bucket))]
