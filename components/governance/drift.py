"""Drift monitoring: PSI per feature and on the score, KS per feature, alerts as records.

PSI (population stability index) compares how a current sample falls into bins fixed from the
training *reference*: ``sum((a - e) * ln(a / e))`` over bins, ``e`` the reference share of a bin
and ``a`` the current one. Bins are the reference deciles (fewer when the reference has ties;
a feature with few distinct values gets one bin per value, edges halfway between them), open at
both ends so nothing falls outside. An empty bin's share is floored at ``EPSILON`` so the log is
finite. The seed's thresholds: PSI >= 0.1 is a warning, >= 0.25 an alert.

KS (two-sample Kolmogorov-Smirnov, ``scipy.stats.ks_2samp``) is computed per feature and
recorded beside PSI; with daily samples of hundreds of clients it flags even harmless
differences, so it raises a warning at most and never an alert on its own (the seed's alert is
PSI-based).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Sequence

import numpy as np

from .records import GovernanceEvent

PSI_WARNING = 0.1
"""The seed's PSI warning threshold."""
PSI_ALERT = 0.25
"""The seed's PSI alert threshold: drift that triggers the runbook."""
KS_ALPHA = 0.001
"""KS p-value below which a feature's distribution is called different (a warning)."""
EPSILON = 1e-4
"""Floor for a bin share, so an empty bin gives a large but finite PSI term."""
DEFAULT_BINS = 10
SCORE = "score"
"""The name the model's output goes under in a drift report, beside the features."""


class DriftLevel(str, Enum):
    """How far one distribution moved."""

    OK = "ok"
    WARNING = "warning"
    ALERT = "alert"


def _as_sample(values: Sequence[float] | np.ndarray, field: str) -> np.ndarray:
    """A finite, non-empty 1-d float array, or a one-line ValueError naming ``field``."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: values must be numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{field}: expected a 1-d sample, got {arr.ndim} dimensions")
    if arr.size == 0:
        raise ValueError(f"{field}: empty sample")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{field}: contains NaN or infinity")
    return arr


def reference_edges(reference: Sequence[float] | np.ndarray, bins: int = DEFAULT_BINS,
                    field: str = "reference") -> np.ndarray:
    """Inner bin edges fixed from the reference (see the module docstring); may be empty
    (one bin) when the reference is constant."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins: must be an integer >= 2, got {bins!r}")
    ref = _as_sample(reference, field)
    distinct = np.unique(ref)
    if distinct.size <= bins:  # few values: one bin each, edges halfway between neighbours
        return (distinct[:-1] + distinct[1:]) / 2.0
    inner = np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def bin_shares(sample: Sequence[float] | np.ndarray, edges: np.ndarray, field: str = "sample") -> np.ndarray:
    """Share of ``sample`` in each bin (len(edges) + 1 bins; a value on an edge goes right)."""
    arr = _as_sample(sample, field)
    counts = np.bincount(np.searchsorted(edges, arr, side="right"), minlength=len(edges) + 1)
    return counts / arr.size


def psi_from_shares(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray) -> float:
    """PSI between two vectors of bin shares (each summing to 1); shares floored at EPSILON."""
    e = _as_sample(expected, "expected")
    a = _as_sample(actual, "actual")
    if e.size != a.size:
        raise ValueError(f"actual: {a.size} bins, expected has {e.size}")
    for name, shares in (("expected", e), ("actual", a)):
        if np.any(shares < 0) or not math.isclose(float(shares.sum()), 1.0, abs_tol=1e-6):
            raise ValueError(f"{name}: bin shares must be >= 0 and sum to 1, sum is {float(shares.sum()):.6f}")
    e, a = np.maximum(e, EPSILON), np.maximum(a, EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray,
        bins: int = DEFAULT_BINS, edges: np.ndarray | None = None) -> float:
    """PSI of ``current`` against ``reference``, with bins from the reference (or ``edges``)."""
    edges = reference_edges(reference, bins) if edges is None else edges
    return psi_from_shares(bin_shares(reference, edges, "reference"), bin_shares(current, edges, "current"))


def ks(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Two-sample KS (statistic, p-value) between the reference and the current sample."""
    from scipy.stats import ks_2samp  # scipy only where KS is needed: importing drift stays light

    result = ks_2samp(_as_sample(reference, "reference"), _as_sample(current, "current"))
    return float(result.statistic), float(result.pvalue)


def level_of(psi_value: float, warning: float = PSI_WARNING, alert: float = PSI_ALERT) -> DriftLevel:
    """The seed's reading of a PSI value."""
    if psi_value >= alert:
        return DriftLevel.ALERT
    return DriftLevel.WARNING if psi_value >= warning else DriftLevel.OK


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """One feature's (or the score's) drift on one check; KS is None for the score."""

    feature: str
    psi: float
    level: DriftLevel
    ks_statistic: float | None = None
    ks_pvalue: float | None = None

    @property
    def ks_flag(self) -> bool:
        """The KS test calls the distributions different (p < KS_ALPHA)."""
        return self.ks_pvalue is not None and self.ks_pvalue < KS_ALPHA


@dataclass(frozen=True, slots=True)
class DriftReport:
    """One drift check of one model version: every feature and the score."""

    at_ns: int
    model: str
    version: str
    samples: int
    features: tuple[FeatureDrift, ...]

    @property
    def level(self) -> DriftLevel:
        """The worst level over features and score (KS can only make it a warning)."""
        worst = DriftLevel.OK
        for f in self.features:
            lvl = DriftLevel.WARNING if f.level is DriftLevel.OK and f.ks_flag else f.level
            if lvl is DriftLevel.ALERT:
                return lvl
            if lvl is DriftLevel.WARNING:
                worst = lvl
        return worst

    @property
    def max_psi(self) -> float:
        return max(f.psi for f in self.features)

    def psi_of(self, feature: str) -> float:
        """PSI of one feature (or ``SCORE``); KeyError if not checked."""
        for f in self.features:
            if f.feature == feature:
                return f.psi
        raise KeyError(feature)

    def records(self, actor: str = "drift-monitor") -> list[GovernanceEvent]:
        """``drift_checked`` with every figure, then one ``drift_warning``/``drift_alert`` naming
        the features over threshold, if any."""
        figures = {f.feature: {"psi": f.psi, "level": f.level.value, "ks_statistic": f.ks_statistic,
                               "ks_pvalue": f.ks_pvalue} for f in self.features}
        out = [GovernanceEvent.of(self.at_ns, "drift_checked", self.model, self.version, actor,
                                  samples=self.samples, level=self.level.value, max_psi=self.max_psi,
                                  features=figures)]
        if self.level is not DriftLevel.OK:
            over = [f.feature for f in self.features if f.level is self.level
                    or (self.level is DriftLevel.WARNING and f.ks_flag)]
            threshold = PSI_ALERT if self.level is DriftLevel.ALERT else PSI_WARNING
            out.append(GovernanceEvent.of(
                self.at_ns, f"drift_{self.level.value}", self.model, self.version, actor,
                f"PSI {self.max_psi:.3f} >= {threshold}" if self.max_psi >= threshold else "KS test flags a feature",
                features=over, max_psi=self.max_psi))
        return out


class DriftMonitor:
    """Drift of one model version against its training reference.

    The bins are fixed once, from the reference features and the reference scores (the model's
    outputs on its own training data), so every check is measured on the same grid.
    """

    def __init__(self, model: str, version: str, reference: Mapping[str, Sequence[float] | np.ndarray],
                 reference_scores: Sequence[float] | np.ndarray, bins: int = DEFAULT_BINS,
                 warning: float = PSI_WARNING, alert: float = PSI_ALERT):
        if not reference:
            raise ValueError("reference: no features given")
        if not 0 < warning < alert:
            raise ValueError(f"warning: must be > 0 and below alert ({alert}), got {warning}")
        self.model, self.version = model, version
        self.warning, self.alert = warning, alert
        self._reference = {name: _as_sample(values, f"reference.{name}") for name, values in reference.items()}
        self._ref_scores = _as_sample(reference_scores, "reference_scores")
        self._edges = {name: reference_edges(values, bins, f"reference.{name}")
                       for name, values in self._reference.items()}
        self._score_edges = reference_edges(self._ref_scores, bins, "reference_scores")

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self._reference)

    def check(self, at_ns: int, current: Mapping[str, Sequence[float] | np.ndarray],
              scores: Sequence[float] | np.ndarray) -> DriftReport:
        """PSI and KS of every reference feature in ``current``, and PSI of ``scores``."""
        missing = [name for name in self._reference if name not in current]
        if missing:
            raise ValueError(f"current.{missing[0]}: feature missing from the sample")
        rows: list[FeatureDrift] = []
        samples = 0
        for name, ref in self._reference.items():
            cur = _as_sample(current[name], f"current.{name}")
            samples = cur.size
            value = psi_from_shares(bin_shares(ref, self._edges[name]), bin_shares(cur, self._edges[name]))
            stat, p = ks(ref, cur)
            rows.append(FeatureDrift(name, value, level_of(value, self.warning, self.alert), stat, p))
        cur_scores = _as_sample(scores, "scores")
        value = psi_from_shares(bin_shares(self._ref_scores, self._score_edges),
                                bin_shares(cur_scores, self._score_edges))
        rows.append(FeatureDrift(SCORE, value, level_of(value, self.warning, self.alert)))
        return DriftReport(at_ns, self.model, self.version, samples, tuple(rows))
