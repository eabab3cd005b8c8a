"""Capacity sweeps: a scenario at increasing arrival rates, the knee per component, the bottleneck.

``sweep`` runs the scenario at each rate (client orders per second; the order count is
``rate x session length``) with the given replicas per service, ``seeds`` times each, fanned
out with ``twin.fanout.run_many`` (a local process pool, or Dask). Each run is one row
(``run_point``): throughput, per service its utilisation (busy time / (session x replicas)),
its queue (depth sampled over the session, mean and max; the mean wait by Little's law) and
per path segment p50/p95/p99 against the blueprint budgets (``reports.latency``, the metric
catalogue's one copy). ``summarise`` pools the seeds: the mean of every figure and its 95%
confidence half-width (Student t over the seeds).

The knee. A service's utilisation grows linearly with the arrival rate until it saturates
(``rho = rate x D / c``, with D its busy time per client order and c its replicas), and its
queueing delay bends upwards as rho approaches 1. ``knees`` fits D by least squares through
the origin on the unsaturated runs and names the rate where rho reaches ``KNEE_UTILISATION``
(0.8: past it an M/G/c queue's wait grows faster than the load) as the service's knee, with
the saturation rate (rho = 1) beside it; where the sweep has a segment for the service, the
first swept rate whose p95 exceeds ``KNEE_LATENCY_FACTOR`` times the lowest rate's is shown
too (the knee as seen on the latency curve). The bottleneck is the service with the lowest
knee. ``search_replicas`` answers "what do we need for N x volume": from the given replicas
it adds one replica at a time to the bottleneck until every segment is within its budgets and
no service saturates, and returns that configuration (greedy: the smallest it finds by
relieving one bottleneck at a time, not an exhaustive search).

Arrivals are flat over the session by default (``u_shape = 1``: the rate is the rate all
day); ``keep_shape`` keeps the scenario's U-shaped day, where the rate is the day's mean and
the open and close run hotter.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from components.platform import SERVICES
from reports.latency import BUDGETS_MS, PERCENTILES, SEGMENTS, segment_latencies
from scenarios.config import Replicas, Scenario

from .bootstrap import build_twin
from .fingerprint import fingerprint
from .recorder import events_frame
from .runner import evidence_of, simulate

SEGMENT_OF: dict[str, str | None] = {"gateway": "gateway", "oms": "oms", "risk": "risk", "router": "routing",
                                     "post_trade": None}
"""The path segment that ends with each service's work (post-trade has none: it follows the fills)."""
KNEE_UTILISATION = 0.8
"""A service's knee: the arrival rate at which its utilisation reaches this."""
KNEE_LATENCY_FACTOR = 2.0
"""On a latency curve: the first rate whose p95 is this many times the lowest rate's."""
RELIEF_UTILISATION = 0.5
"""``search_replicas`` stops adding replicas when even the busiest service is below this."""
DEPTH_SAMPLES = 2_000
"""Queue depth samples per service over the session."""
_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Point:
    """One run of a sweep: the scenario at ``rate_per_s`` with ``replicas``, seed ``seed``."""

    scenario: Scenario
    rate_per_s: float
    seed: int
    replicas: tuple[tuple[str, int], ...]
    keep_shape: bool = False


def config_label(replicas: Mapping[str, int]) -> str:
    """``gateway=1,oms=2,...`` in the platform's service order."""
    return ",".join(f"{name}={replicas.get(name, 1)}" for name in SERVICES)


def parse_replicas(text: str, base: Mapping[str, int] | None = None) -> dict[str, int]:
    """``"risk=3,oms=2"`` over ``base`` (default 1 each); ValueError naming the bad item."""
    out = {name: 1 for name in SERVICES} if base is None else dict(base)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, count = item.partition("=")
        if not sep or name.strip() not in SERVICES:
            raise ValueError(f"--replicas: {item!r}: expected SERVICE=N with SERVICE one of {', '.join(SERVICES)}")
        try:
            value = int(count)
        except ValueError:
            raise ValueError(f"--replicas: {item!r}: N must be a whole number, got {count!r}") from None
        if not 1 <= value <= 1024:
            raise ValueError(f"--replicas: {item!r}: N must be in 1..1024, got {value}")
        out[name.strip()] = value
    return out


def session_seconds(scenario: Scenario) -> float:
    return (scenario.session_close_ns - scenario.session_open_ns) / _NS


def scenario_at(scenario: Scenario, rate_per_s: float, replicas: Mapping[str, int],
                keep_shape: bool = False) -> Scenario:
    """The scenario with ``rate_per_s`` client orders a second over its session, and ``replicas``."""
    orders = max(1, round(rate_per_s * session_seconds(scenario)))
    flow = replace(scenario.order_flow, orders=orders, u_shape=scenario.order_flow.u_shape if keep_shape else 1.0)
    return replace(scenario, order_flow=flow, replicas=Replicas(**{n: replicas.get(n, 1) for n in SERVICES}))


def scenario_rate(scenario: Scenario) -> float:
    """The scenario's own mean client order rate (orders a second over its session)."""
    return scenario.order_flow.orders / session_seconds(scenario)


def _sample_depths(world, interval_ns: int, until_ns: int) -> dict[str, list[int]]:
    """Every ``interval_ns`` until ``until_ns``, each service's depth (waiting + in service)."""
    services = world.network.services
    depths: dict[str, list[int]] = {name: [] for name in services}
    clock = world.clock

    def sample(_timer) -> None:
        for name, service in services.items():
            depths[name].append(service.depth)
        if clock.now_ns() + interval_ns < until_ns:
            clock.schedule(interval_ns, sample)

    clock.call_at(world.scenario.session_open_ns, lambda: clock.schedule(0, sample))
    return depths


def run_point(point: Point) -> dict[str, Any]:
    """One run; its row of the results table (module-level so a process pool or Dask can run it)."""
    started = time.perf_counter()
    replicas = dict(point.replicas)
    scenario = scenario_at(point.scenario, point.rate_per_s, replicas, point.keep_shape)
    world = build_twin(scenario, point.seed)
    window_s = session_seconds(scenario)
    interval = max(1_000_000, int(window_s * _NS / DEPTH_SAMPLES))
    depths = _sample_depths(world, interval, scenario.session_close_ns)
    simulate(world, record_market=False)
    evidence = evidence_of(world)
    row: dict[str, Any] = {
        "scenario": scenario.name, "config": config_label(replicas), "rate_per_s": float(point.rate_per_s),
        "seed": point.seed, "orders": scenario.order_flow.orders, "session_s": window_s,
        "fingerprint": fingerprint(evidence.events),
    }
    per_order = segment_latencies(events_frame(evidence.events))
    row["throughput_per_s"] = len(world.platform.oms.orders) / window_s
    for segment in SEGMENTS:
        values = per_order[segment].dropna() if segment in per_order else pd.Series(dtype=float)
        row[f"{segment}_count"] = int(values.size)
        qs = values.quantile([q for _, q in PERCENTILES]).to_numpy() if values.size else [math.nan] * 3
        for (name, _), value in zip(PERCENTILES, qs):
            row[f"{segment}_{name}_ms"] = float(value)
    for name, service in world.network.services.items():
        stats, c = service.stats, replicas.get(name, 1)
        sampled = depths.get(name) or [0]
        arrivals_per_s = stats.handled / window_s
        service_ms = stats.busy_ns / stats.handled / 1e6 if stats.handled else 0.0
        mean_depth = float(np.mean(sampled))
        sojourn_ms = mean_depth / arrivals_per_s * 1000 if arrivals_per_s else 0.0  # Little: L = lambda W
        row[f"{name}_replicas"] = c
        row[f"{name}_handled"] = stats.handled
        row[f"{name}_utilisation"] = stats.busy_ns / (window_s * _NS * c)
        row[f"{name}_service_ms"] = service_ms
        row[f"{name}_mean_depth"] = mean_depth
        row[f"{name}_max_depth"] = int(max(sampled))
        row[f"{name}_wait_ms"] = max(0.0, sojourn_ms - service_ms)
    row["wall_s"] = time.perf_counter() - started
    return row


def sweep(scenario: Scenario, rates: Sequence[float], replicas: Mapping[str, int] | None = None, seeds: int = 1,
          *, first_seed: int | None = None, keep_shape: bool = False, workers: int | None = None,
          dask: str | None = None, progress: str | None = None) -> pd.DataFrame:
    """One row per run: every rate x seed with ``replicas`` (default 1 each); see the module docstring."""
    from .fanout import run_many

    if not rates:
        raise ValueError("rates: give at least one arrival rate")
    bad = [r for r in rates if not (isinstance(r, (int, float)) and math.isfinite(r) and r > 0)]
    if bad:
        raise ValueError(f"rates: every rate must be a number > 0 (orders a second), got {bad[0]!r}")
    if seeds < 1:
        raise ValueError(f"seeds: must be >= 1, got {seeds}")
    base = scenario.seed if first_seed is None else first_seed
    chosen = tuple(sorted((replicas or {n: 1 for n in SERVICES}).items()))
    points = [Point(scenario, float(rate), base + k, chosen, keep_shape) for rate in rates for k in range(seeds)]
    return pd.DataFrame(run_many(run_point, points, workers=workers, dask=dask, progress=progress))


def _ci95(values: np.ndarray) -> float:
    """Half-width of the 95% confidence interval of the mean (Student t); 0 with one value."""
    values = values[~np.isnan(values)]
    if values.size < 2:
        return 0.0
    from scipy.stats import t

    return float(t.ppf(0.975, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (config, rate): the mean of every numeric figure over the seeds and its ``_ci95`` half-width."""
    numeric = [c for c in runs.columns if c not in ("scenario", "config", "fingerprint", "rate_per_s", "seed")
               and pd.api.types.is_numeric_dtype(runs[c])]
    rows = []
    for (config, rate), group in runs.groupby(["config", "rate_per_s"], sort=True):
        row: dict[str, Any] = {"config": config, "rate_per_s": rate, "seeds": len(group)}
        for column in numeric:
            values = group[column].to_numpy(dtype=float)
            row[column] = float(np.nanmean(values)) if not np.isnan(values).all() else math.nan
            row[f"{column}_ci95"] = _ci95(values)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True, slots=True)
class Knee:
    """Where one service bends: from its utilisation and, if it has a segment, its latency curve."""

    service: str
    demand_ms: float
    """Busy time per client order, ms (the fitted slope of utilisation x replicas against rate)."""
    knee_rate: float
    """Orders a second at which utilisation reaches ``KNEE_UTILISATION`` (inf: it never works)."""
    saturation_rate: float
    """Orders a second at which utilisation reaches 1."""
    latency_knee_rate: float | None
    """First swept rate whose segment p95 is ``KNEE_LATENCY_FACTOR`` x the lowest rate's (None: none did)."""
    peak_utilisation: float
    knee_interval: tuple[float, float] | None = None
    """95% interval of ``knee_rate`` from the demand fit's scatter (``knee_interval``); None with fewer than
    three swept rates below saturation, where the scatter cannot be measured."""


def utilisation_knee(rates: Sequence[float], utilisation: Sequence[float], replicas: int = 1,
                     knee_at: float = KNEE_UTILISATION) -> tuple[float, float, float]:
    """(demand per order in s, knee rate, saturation rate) from a utilisation curve.

    Utilisation is ``rate x demand / replicas`` until the service saturates; the demand is
    fitted by least squares through the origin on the points below 0.95 (all of them if
    none is). A service that does no work has infinite knee and saturation rates.
    """
    r = np.asarray(rates, dtype=float)
    u = np.asarray(utilisation, dtype=float) * replicas
    keep = np.asarray(utilisation, dtype=float) < 0.95
    if keep.any():
        r, u = r[keep], u[keep]
    denominator = float(np.dot(r, r))
    demand = float(np.dot(r, u)) / denominator if denominator else 0.0
    if demand <= 0:
        return 0.0, math.inf, math.inf
    return demand, knee_at * replicas / demand, replicas / demand


def knee_interval(rates: Sequence[float], utilisation: Sequence[float], replicas: int = 1,
                  knee_at: float = KNEE_UTILISATION, confidence: float = 0.95) -> tuple[float, float] | None:
    """The ``confidence`` interval of ``utilisation_knee``'s knee rate: the demand's Student-t interval from
    the least-squares fit through the origin (its residuals' scatter: each run's service times are one
    draw), turned into rates (the knee is ``knee_at x replicas / demand``; an interval reaching a demand of
    0 has no upper end: inf). None with fewer than three points below saturation (no scatter to measure)
    or for a service that does no work."""
    from scipy import stats

    r = np.asarray(rates, dtype=float)
    u = np.asarray(utilisation, dtype=float) * replicas
    keep = np.asarray(utilisation, dtype=float) < 0.95
    r, u = r[keep], u[keep]
    n = len(r)
    denominator = float(np.dot(r, r))
    if n < 3 or not denominator:
        return None
    demand = float(np.dot(r, u)) / denominator
    if demand <= 0:
        return None
    scatter = float(np.dot(u - demand * r, u - demand * r)) / (n - 1)  # n-1: one fitted parameter
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(scatter / denominator)
    low_demand, high_demand = demand - half, demand + half
    return knee_at * replicas / high_demand, (knee_at * replicas / low_demand if low_demand > 0 else math.inf)


def latency_knee(rates: Sequence[float], p95_ms: Sequence[float], factor: float = KNEE_LATENCY_FACTOR) -> float | None:
    """The first rate whose p95 is at least ``factor`` times the lowest rate's; None if none is."""
    pairs = sorted((float(r), float(v)) for r, v in zip(rates, p95_ms) if not math.isnan(v))
    if len(pairs) < 2 or pairs[0][1] <= 0:
        return None
    baseline = pairs[0][1]
    return next((r for r, v in pairs[1:] if v >= factor * baseline), None)


def knees(summary: pd.DataFrame) -> list[Knee]:
    """The knee of every service over one configuration's summary rows, lowest knee first."""
    if summary["config"].nunique() != 1:
        raise ValueError("knees: give the summary of one replica configuration")
    rows = summary.sort_values("rate_per_s")
    rates = rows["rate_per_s"].to_numpy(dtype=float)
    out = []
    for name in SERVICES:
        if f"{name}_utilisation" not in rows:
            continue
        util = rows[f"{name}_utilisation"].to_numpy(dtype=float)
        replicas = int(rows[f"{name}_replicas"].iloc[0])
        demand, knee_rate, saturation = utilisation_knee(rates, util, replicas)
        segment = SEGMENT_OF[name]
        lat = latency_knee(rates, rows[f"{segment}_p95_ms"].to_numpy(dtype=float)) if segment else None
        out.append(Knee(name, demand * 1000, knee_rate, saturation, lat, float(np.nanmax(util)),
                        knee_interval(rates, util, replicas)))
    return sorted(out, key=lambda k: (k.knee_rate, -k.peak_utilisation))


def meets_slo(row: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether one summary row meets the SLO: every segment's p50 and p99 within the blueprint
    budgets and no service saturated; the breaches, named."""
    breaches = []
    for segment in SEGMENTS:
        budget_p50, budget_p99 = BUDGETS_MS[segment]
        p50, p99 = row.get(f"{segment}_p50_ms", math.nan), row.get(f"{segment}_p99_ms", math.nan)
        if not math.isnan(p50) and p50 > budget_p50:
            breaches.append(f"{segment} p50 {p50:.1f} ms > {budget_p50} ms")
        if not math.isnan(p99) and p99 > budget_p99:
            breaches.append(f"{segment} p99 {p99:.1f} ms > {budget_p99} ms")
    for name in SERVICES:
        u = row.get(f"{name}_utilisation", 0.0)
        if u >= 1.0:
            breaches.append(f"{name} saturated (utilisation {u:.2f})")
    return not breaches, breaches


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The outcome of ``search_replicas``: the configuration, whether it met the SLO, and the steps."""

    rate_per_s: float
    replicas: dict[str, int]
    met: bool
    steps: tuple[tuple[str, tuple[str, ...]], ...]
    """Each configuration tried and its breaches (empty for the one that met the SLO)."""
    runs: pd.DataFrame


def search_replicas(scenario: Scenario, target_multiple: float, replicas: Mapping[str, int] | None = None, *,
                    seeds: int = 1, max_steps: int = 12, keep_shape: bool = False, workers: int | None = None,
                    dask: str | None = None, progress: Callable[[str], None] | None = None) -> Recommendation:
    """The smallest replica configuration (greedy, see the module docstring) meeting the SLO at
    ``target_multiple`` x the scenario's own order volume."""
    if not target_multiple > 0:
        raise ValueError(f"target_multiple: must be > 0, got {target_multiple}")
    rate = scenario_rate(scenario) * target_multiple
    current = {n: 1 for n in SERVICES} if replicas is None else dict(replicas)
    steps: list[tuple[str, tuple[str, ...]]] = []
    frames = []
    for _ in range(max_steps + 1):
        runs = sweep(scenario, [rate], current, seeds, keep_shape=keep_shape, workers=workers, dask=dask)
        frames.append(runs)
        row = summarise(runs).iloc[0].to_dict()
        ok, breaches = meets_slo(row)
        steps.append((config_label(current), tuple(breaches)))
        if progress is not None:
            progress(f"{config_label(current)}: {'meets the SLO' if ok else '; '.join(breaches)}")
        if ok:
            return Recommendation(rate, current, True, tuple(steps), pd.concat(frames, ignore_index=True))
        busiest = max(SERVICES, key=lambda n: row.get(f"{n}_utilisation", 0.0))
        if row.get(f"{busiest}_utilisation", 0.0) < RELIEF_UTILISATION:
            break  # nothing is busy: the breach is a service time itself, which no replica shortens
        current = {**current, busiest: current[busiest] + 1}
    return Recommendation(rate, current, False, tuple(steps), pd.concat(frames, ignore_index=True))
