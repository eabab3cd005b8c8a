"""Evaluate the generated SLO rules over sampled counters, as Prometheus would.

The twin samples its metrics over simulated time (every ``interval``); this
module answers, for those samples, what Prometheus answers for the rules of
``slo.prometheus_rules``: each window's error ratio, which alerts fired and
when, and how much of each SLO's error budget burned. Tests run it beside
``promtool test rules`` on the same synthetic series and require the same
verdicts.

Semantics kept from Prometheus 2.x: a range ``[w]`` at time t holds the
samples with time in [t - w, t]; a window with fewer than two samples, or no
increase of ``total``, has no ratio (NaN) and so no alert; a ``bad`` series
that does not exist counts as zero (the rule's ``or vector(0)``). The ratio of
two ``rate``s of series sampled at the same instants equals the ratio of
their increases (Prometheus' extrapolation factor cancels), so increases are
used. ``for:`` as in Prometheus: an alert is pending from the first evaluation
whose windows all exceed the threshold (``activeAt``) and firing from the first
evaluation at least ``for`` after that, while it stays active; it resolves at
the first evaluation that does not exceed (a pending alert is then dropped).
Counter resets are not handled (the twin's counters never reset).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .slo import AlertRule, Selector, Slo, alert_rules, duration_s, windows_of


@dataclass
class Series:
    """Cumulative samples: ``times_s`` ascending; per (name, labels JSON) the values at those times."""

    times_s: np.ndarray
    values: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[float, str, str, float]],
                  times_s: Iterable[float] | None = None) -> "Series":
        """Rows (time_s, name, labels JSON, value) -> Series on ``times_s`` (default: the rows' times).

        Counters only: a series keeps its last value until its next row, and is 0 before its
        first (in the twin a labelled counter appears at its first increment, from zero)."""
        rows = list(rows)
        times = np.array(sorted({r[0] for r in rows}) if times_s is None else list(times_s), dtype=np.float64)
        at = np.searchsorted(times, np.array([r[0] for r in rows], dtype=np.float64))
        values: dict[tuple[str, str], np.ndarray] = {}
        for i, (_t, name, labels, value) in zip(at.tolist(), rows):
            arr = values.get((name, labels))
            if arr is None:
                arr = values[(name, labels)] = np.zeros(len(times))
            arr[i] = value
        for arr in values.values():
            np.maximum.accumulate(arr, out=arr)
        return cls(times, values)

    def total(self, selector: Selector) -> np.ndarray | None:
        """Sum of the selected series at each time; None when none is selected."""
        picked = [v for (name, labels), v in self.values.items() if selector.matches(name, json.loads(labels))]
        return np.sum(picked, axis=0) if picked else None


def _increase(cum: np.ndarray, start: np.ndarray) -> np.ndarray:
    return cum - cum[start]


def error_ratio(series: Series, slo: Slo, window: str) -> np.ndarray:
    """The SLO's error ratio over ``window`` at every sample time (NaN where Prometheus has none)."""
    times = series.times_s
    start = np.searchsorted(times, times - duration_s(window), side="left")  # first sample in [t-w, t]
    total = series.total(slo.total)
    ratio = np.full(len(times), np.nan)
    if total is None:
        return ratio
    d_total = _increase(total, start)
    valid = (start < np.arange(len(times))) & (d_total > 0)
    if slo.bad is not None:
        bad = series.total(slo.bad)
        d_bad = np.zeros(len(times)) if bad is None else _increase(bad, start)
        ratio[valid] = d_bad[valid] / d_total[valid]
    else:
        good = series.total(slo.good) if slo.good is not None else None
        d_good = np.zeros(len(times)) if good is None else _increase(good, start)
        ratio[valid] = 1.0 - d_good[valid] / d_total[valid]
    return ratio


@dataclass(frozen=True)
class Firing:
    """One alert's firing interval: from ``start_s`` to ``end_s`` (None: still firing at the end),
    pending since ``pending_s`` (``start_s`` when the rule has no ``for:``)."""

    alert: str
    labels: tuple[tuple[str, str], ...]
    start_s: float | None  # None only in ``pendings``: never fired
    end_s: float | None
    peak_ratio: float
    pending_s: float | None = None

    def to_record(self) -> dict:
        return {"alert": self.alert, "labels": dict(self.labels), "start_s": self.start_s,
                "end_s": self.end_s, "peak_error_ratio": self.peak_ratio,
                "pending_s": self.start_s if self.pending_s is None else self.pending_s}


def _active(ratios: dict[str, np.ndarray], rule: AlertRule) -> np.ndarray:
    active = np.ones(len(next(iter(ratios.values()))), dtype=bool)
    for window in rule.windows:
        with np.errstate(invalid="ignore"):
            active &= np.nan_to_num(ratios[window], nan=-1.0) > rule.threshold
    return active


def firings(series: Series, slo: Slo, time_scale: int = 1) -> list[Firing]:
    """Every firing interval of every alert of ``slo`` over the samples (``time_scale``: the rules'
    test variant, ``slo.alert_rules``). An active spell shorter than the rule's ``for:`` never fires
    and is left out (``pendings`` has it)."""
    return [f for f in _spells(series, slo, time_scale) if f.start_s is not None]


def pendings(series: Series, slo: Slo, time_scale: int = 1) -> list[Firing]:
    """Every active spell that ended (or the samples did) before its ``for:`` ran out:
    ``start_s`` None, ``pending_s`` when it became pending."""
    return [f for f in _spells(series, slo, time_scale) if f.start_s is None]


def _spells(series: Series, slo: Slo, time_scale: int) -> list[Firing]:
    ratios = {w: error_ratio(series, slo, w) for w in windows_of(slo, time_scale)}
    times = series.times_s
    out = []
    for rule in alert_rules(slo, time_scale):
        active = _active(ratios, rule)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
        for begin, end in zip(edges[::2], edges[1::2]):
            fire = begin + int(np.searchsorted(times[begin:end] - times[begin], rule.for_s, side="left"))
            peak = float(np.nanmax(ratios[rule.windows[0]][begin:end]))
            end_s = float(times[end]) if end < len(times) else None
            start_s = float(times[fire]) if fire < end else None
            out.append(Firing(rule.alert, rule.labels, start_s, end_s, peak, float(times[begin])))
    return out


def budget_burned(series: Series, slo: Slo) -> np.ndarray:
    """Fraction of the window's error budget burned at each time (error ratio over the SLO window / budget)."""
    return error_ratio(series, slo, slo.window) / slo.budget
