"""How far one day's stylised facts are from another's: the moments and the objective of ``twin calibrate-market``.

Input is two ``reports.stylized_facts.day_facts`` dicts (a simulated day and
the recorded day it is fitted to); nothing here computes a fact again. Each
``Moment`` reads one number (or one vector: the intraday volume profile) from
such a dict and turns the gap between simulated and target values into a
dimensionless distance:

* ``absolute`` moments (ACFs, kurtosis, the median spread in ticks):
  ``(simulated - target) / scale``, so ``scale`` is "one unit of misfit"
  (0.1 of autocorrelation, 1 of excess kurtosis, 1 tick);
* ``relative`` moments (trades per minute, return std, top depth):
  ``ln(simulated / target) / scale``, so a scale of 0.1 makes 10% too many
  (or too few) one unit;
* ``profile`` (the volume share per 30-minute bucket): the sum of the
  absolute share differences over the buckets, divided by ``scale``; only
  when both days have the same buckets, at least two (one bucket always holds
  the whole day).

The objective is the weighted mean of the squared distances over the moments
both days define (``objective``): the method of simulated moments with a
diagonal weighting matrix whose entries are ``weight / scale**2``. A moment
undefined on either day (too few returns, no trades) is left out and
reported as such, never counted as zero. Pure analytics on floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .stylized_facts import NS

Kind = str  # "absolute", "relative" or "profile"


@dataclass(frozen=True, slots=True)
class Moment:
    """One fact compared between two days: its name, how to read it, how to scale the gap, its weight."""

    name: str
    description: str
    kind: Kind
    scale: float
    weight: float
    read: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class MomentFit:
    """One moment's fit: target and simulated values, the scaled distance (None when undefined on either
    day) and its weighted share of the objective."""

    name: str
    target: Any
    simulated: Any
    distance: float | None
    weight: float
    contribution: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"fact": self.name, "target": self.target, "simulated": self.simulated, "distance": self.distance,
                "weight": self.weight, "contribution": self.contribution}


def _get(facts: Mapping[str, Any], *path: Any) -> Any:
    node: Any = facts
    for key in path:
        if node is None:
            return None
        node = node[key]
    return node


def _acf(kind: str, lag: int) -> Callable[[Mapping[str, Any]], Any]:
    return lambda f: _get(f, "returns", "1min", kind, "values", lag - 1)


def trades_per_minute(facts: Mapping[str, Any]) -> float | None:
    """Trades in the session over the session's minutes."""
    session = facts["session"]
    minutes = (session["close_ns"] - session["open_ns"]) / (60 * NS)
    count = _get(facts, "trades", "count")
    return count / minutes if count is not None and minutes > 0 else None


def _std_bps(facts: Mapping[str, Any]) -> float | None:
    std = _get(facts, "returns", "1min", "std")
    return None if std is None else std * 1e4


MOMENTS: tuple[Moment, ...] = (
    Moment("kurtosis_1min", "excess kurtosis of 1-minute log returns", "absolute", 1.0, 1.0,
           lambda f: _get(f, "returns", "1min", "excess_kurtosis")),
    Moment("acf_1min_lag1", "1-minute return autocorrelation, lag 1", "absolute", 0.1, 1.0, _acf("acf", 1)),
    Moment("acf_1min_lag5", "1-minute return autocorrelation, lag 5", "absolute", 0.1, 1.0, _acf("acf", 5)),
    Moment("abs_acf_1min_lag1", "1-minute |return| autocorrelation, lag 1", "absolute", 0.1, 1.0,
           _acf("abs_acf", 1)),
    Moment("abs_acf_1min_lag5", "1-minute |return| autocorrelation, lag 5", "absolute", 0.1, 1.0,
           _acf("abs_acf", 5)),
    Moment("std_1min_bps", "standard deviation of 1-minute log returns, bps", "relative", 0.1, 1.0, _std_bps),
    Moment("spread_median_ticks", "median quoted spread, ticks", "absolute", 1.0, 1.0,
           lambda f: _get(f, "spread_ticks", "p50")),
    Moment("spread_mean_ticks", "mean quoted spread, ticks", "relative", 0.1, 1.0,
           lambda f: _get(f, "spread_ticks", "mean")),
    Moment("top_depth_median", "median shares at the best bid plus the best ask", "relative", 0.2, 1.0,
           lambda f: _get(f, "top_depth", "p50")),
    Moment("trades_per_minute", "trades per minute of the session", "relative", 0.1, 1.0, trades_per_minute),
    Moment("volume_profile", "volume share per 30-minute bucket (sum of absolute differences)", "profile", 0.1,
           1.0, lambda f: _get(f, "intraday", "volume_share")),
)
"""The moments of the objective, in report order (docs/market_calibration.md explains each choice)."""

MOMENT_NAMES = tuple(m.name for m in MOMENTS)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def distance(moment: Moment, simulated: Any, target: Any) -> float | None:
    """The scaled gap of one moment (see the module docstring); None when either value is undefined."""
    if moment.kind == "profile":
        if not simulated or not target or len(simulated) != len(target) or len(target) < 2 or not any(target):
            return None
        return sum(abs(float(s) - float(t)) for s, t in zip(simulated, target)) / moment.scale
    s, t = _number(simulated), _number(target)
    if s is None or t is None:
        return None
    if moment.kind == "relative":
        if s <= 0.0 or t <= 0.0:
            return None if t <= 0.0 else -math.inf  # nothing simulated where the target has some: worst fit
        return math.log(s / t) / moment.scale
    return (s - t) / moment.scale


def fact_values(facts: Mapping[str, Any], moments: Sequence[Moment] = MOMENTS) -> dict[str, Any]:
    """Each moment's value on one day (a float, a list for the profile, or None)."""
    out: dict[str, Any] = {}
    for m in moments:
        value = m.read(facts)
        out[m.name] = [float(v) for v in value] if m.kind == "profile" and value is not None else _number(value)
    return out


def mean_values(days: Sequence[Mapping[str, Any]], moments: Sequence[Moment] = MOMENTS) -> dict[str, Any]:
    """The mean of each moment over several days' ``fact_values`` (days where it is undefined left out):
    how simulated moments are averaged over the seeds of one candidate."""
    out: dict[str, Any] = {}
    for m in moments:
        values = [d[m.name] for d in days if d[m.name] is not None]
        if not values:
            out[m.name] = None
        elif m.kind == "profile":
            same = [v for v in values if len(v) == len(values[0])]
            out[m.name] = [sum(col) / len(same) for col in zip(*same)]
        else:
            out[m.name] = sum(values) / len(values)
    return out


def fit(simulated: Mapping[str, Any], target: Mapping[str, Any], moments: Sequence[Moment] = MOMENTS,
        weights: Mapping[str, float] | None = None) -> list[MomentFit]:
    """Per moment, the fit of ``simulated`` to ``target`` (both ``fact_values``). ``weights`` overrides
    moments' weights by name (0 leaves a moment out of the objective but keeps it in the report)."""
    weights = weights or {}
    total = sum(weights.get(m.name, m.weight) for m in moments if _defined(m, simulated, target))
    rows = []
    for m in moments:
        w = weights.get(m.name, m.weight)
        d = distance(m, simulated[m.name], target[m.name])
        if d is not None and not math.isfinite(d):
            d = math.copysign(100.0, d)  # a day with no trades at all: far, but a number the optimiser can use
        share = None if d is None or not total else w * d * d / total
        rows.append(MomentFit(m.name, target[m.name], simulated[m.name], d, w, share))
    return rows


def _defined(moment: Moment, simulated: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    return distance(moment, simulated[moment.name], target[moment.name]) is not None


def objective(rows: Sequence[MomentFit]) -> float:
    """The weighted mean squared distance: the sum of the rows' contributions (inf when none is defined,
    so an empty simulated day never looks like a perfect fit)."""
    parts = [r.contribution for r in rows if r.contribution is not None]
    return float(sum(parts)) if parts else math.inf


NOISE_FLOOR = 0.1
"""The least noise (in distance units) a moment is credited with when weights come from the seeds'
spread: a moment that never moves between seeds (a median spread of 1 tick) weighs at most 1/0.1**2 = 100
times a moment whose seed-to-seed spread is one unit."""


def noise_weights(days: Sequence[Mapping[str, Any]], moments: Sequence[Moment] = MOMENTS,
                  floor: float = NOISE_FLOOR, base: Mapping[str, float] | None = None) -> dict[str, float]:
    """Inverse-variance weights from several days of one candidate (``fact_values`` of different seeds):
    each moment's weight (``base`` by name, else its own) divided by the mean squared distance of the days from their mean (floored at
    ``floor``), so moments the seeds alone move a lot (kurtosis of a short day) count less than those
    the parameters move (the diagonal of the method of simulated moments' efficient weighting matrix).
    A moment defined on fewer than two days is credited with a noise of one unit (its fixed scale)."""
    mean = mean_values(days, moments)
    out = {}
    for m in moments:
        gaps = [distance(m, d[m.name], mean[m.name]) for d in days]
        gaps = [g for g in gaps if g is not None and math.isfinite(g)]
        noise = math.sqrt(sum(g * g for g in gaps) / len(gaps)) if len(gaps) >= 2 else 1.0
        out[m.name] = (base or {}).get(m.name, m.weight) / max(noise, floor) ** 2
    return out
