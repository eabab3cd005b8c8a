"""Per-service time series over the trading session: queue length, utilisation and arrivals.

Sampling is on a coarse grid of simulated time (``sample_interval_ns``: the
smallest of ``STEPS_S`` giving at most ``MAX_SAMPLES`` points over the session,
5 s for a half-hour session, 60 s for a full day), never per message. At each
grid point one timer snapshots, for every service, four counters it already
keeps: the time, messages in the service (``SimService.depth``), messages
handled so far and busy nanoseconds so far, into ``ServiceStats.samples``.
Per-interval figures are differences of consecutive snapshots:

* ``handled``: messages whose service finished in the interval;
* ``arrivals``: ``handled`` plus the change in queue length (what came in is
  what went out plus what stayed), so arrivals need no per-message hook;
* ``utilisation``: busy time / (interval length x replicas). A service time is counted in
  the interval it starts in (``ServiceStats.busy_ns`` is added at start), so a
  service time straddling a grid point is booked to the earlier interval; with
  millisecond service times and intervals of seconds the error is tiny, and the
  value is capped at 1.

The sampler draws no random number and changes no state a component reads, so
a run's events, and its fingerprint, are the same with and without it; it runs
only when the run's outputs are written (``twin.runner.simulate``). A region
failover (``twin.regions``) hosts new service objects under the same names:
they are sampled from then on, and the old region's samples are not kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .clock import SimClock, Timer
from .services import SimService

if TYPE_CHECKING:  # pandas is imported where the series are written, not by the runner that samples them
    import pandas as pd

STEPS_S: tuple[int, ...] = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_SAMPLES = 400
FILE = "service_timeseries.parquet"
COLUMNS = ("service", "t_ns", "interval_s", "arrivals", "handled", "arrivals_per_s", "utilisation", "queue_length")
NS = 1_000_000_000


def sample_interval_ns(open_ns: int, close_ns: int) -> int:
    """The grid step: the smallest of ``STEPS_S`` with at most ``MAX_SAMPLES`` steps from open to close."""
    span_s = max(0, close_ns - open_ns) / NS
    return next((s for s in STEPS_S if span_s / s <= MAX_SAMPLES), STEPS_S[-1]) * NS


def start_sampling(clock: SimClock, services: dict[str, SimService], open_ns: int, close_ns: int) -> int:
    """Snapshot every service in ``services`` (read at each tick, so services attached later count too) at
    open, every interval, and at the last grid point not after close; returns the interval in ns."""
    interval = sample_interval_ns(open_ns, close_ns)

    def tick(_timer: Timer) -> None:
        now = clock.now_ns()
        for service in services.values():
            stats = service.stats
            stats.samples.append((now, service.depth, stats.handled, stats.busy_ns))
        if now + interval <= close_ns:
            clock.schedule(interval, tick)

    if open_ns < close_ns:
        clock.schedule(max(0, open_ns - clock.now_ns()), tick)
    return interval


def timeseries_frame(services: Iterable[SimService]) -> pd.DataFrame:
    """One row per service and interval (``COLUMNS``): ``t_ns`` is the interval's end (UTC ns),
    ``queue_length`` the messages in the service at that moment (waiting plus in service)."""
    import pandas as pd  # here, not at the top: a run's simulation should not carry pandas (~50 MiB)

    rows: list[dict[str, Any]] = []
    for service in services:
        samples = service.stats.samples
        servers = getattr(service, "replicas", 1)  # a ServicePool's utilisation is per replica
        for (t0, depth0, handled0, busy0), (t1, depth1, handled1, busy1) in zip(samples, samples[1:]):
            span = t1 - t0
            handled = handled1 - handled0
            arrivals = max(0, handled + depth1 - depth0)  # a crash empties the queue: never below zero
            rows.append({"service": service.name, "t_ns": t1, "interval_s": span / NS, "arrivals": arrivals,
                         "handled": handled, "arrivals_per_s": arrivals * NS / span,
                         "utilisation": min(1.0, (busy1 - busy0) / (span * servers)), "queue_length": depth1})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"t_ns": "int64", "arrivals": "int64", "handled": "int64", "queue_length": "int64"})


def service_table(frame: pd.DataFrame, session_s: float, totals: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Per service, the report's table: handled and max queue over the run (``totals``), utilisation over
    the session (per replica), and from the series the peak interval utilisation, peak arrivals per second and the
    mean queue length."""
    table: dict[str, Any] = {}
    for name, total in totals.items():
        rows = frame[frame["service"] == name]
        table[name] = {
            "handled": total["handled"],
            "max_queue": total["max_queue"],
            "session_utilisation": round(total["busy_ns"] / NS / session_s, 6) if session_s > 0 else None,
            "peak_utilisation": round(float(rows["utilisation"].max()), 6) if len(rows) else None,
            "peak_arrivals_per_s": round(float(rows["arrivals_per_s"].max()), 3) if len(rows) else None,
            "mean_queue": round(float(rows["queue_length"].mean()), 3) if len(rows) else None,
        }
    return table


def write_service_timeseries(services: dict[str, SimService], out_dir: Path, session_s: float) -> dict[str, Any]:
    """Write ``service_timeseries.parquet`` (``timeseries_frame``, with the run's units in its metadata);
    return the summary section: the interval, the file name and ``service_table``."""
    from .recorder import write_parquet  # pandas and pyarrow: see timeseries_frame

    frame = timeseries_frame(services.values())
    write_parquet(frame, Path(out_dir) / FILE)
    totals = {name: {"handled": s.stats.handled, "max_queue": s.stats.max_queue,
                     "busy_ns": s.stats.busy_ns // getattr(s, "replicas", 1)} for name, s in services.items()}
    interval = float(frame["interval_s"].iloc[0]) if len(frame) else None
    return {"file": FILE, "interval_s": interval, "session_s": session_s,
            "services": service_table(frame, session_s, totals)}
