"""Shadow deployment: a candidate scores the same inputs as production and decides nothing.

``ShadowRun.observe`` takes one batch: production's and the candidate's scores on the same
inputs, and the labels once known. It returns production's decisions (the only ones acted
on) and records the agreement between the two models' decisions and both metrics.
``ShadowRun.verdict`` says whether the shadow period met the stated ``ShadowCriteria``; the
registry promotes a version only with a passing verdict. A first version has no production to
shadow: its period checks the absolute criteria only (days, samples, metric floor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .records import GovernanceEvent

Decide = Callable[[np.ndarray], np.ndarray]
"""Scores (one row per input) to decisions."""
Metric = Callable[[np.ndarray, np.ndarray], float]
"""(labels, scores) to a metric where higher is better (AUC, accuracy)."""


@dataclass(frozen=True, slots=True)
class ShadowCriteria:
    """What a shadow period must show before promotion."""

    min_days: int = 3
    """Batches (days) observed."""
    min_samples: int = 1_000
    """Inputs scored in all."""
    min_agreement: float = 0.8
    """Share of inputs where candidate and production decide the same (skipped with no production)."""
    max_metric_drop: float = 0.01
    """The candidate's metric may be at most this much below production's."""
    metric_floor: float = 0.0
    """The candidate's metric must reach this, production or not."""

    def __post_init__(self) -> None:
        if self.min_days < 1:
            raise ValueError(f"min_days: must be >= 1, got {self.min_days}")
        if self.min_samples < 1:
            raise ValueError(f"min_samples: must be >= 1, got {self.min_samples}")
        if not 0.0 <= self.min_agreement <= 1.0:
            raise ValueError(f"min_agreement: must be within [0, 1], got {self.min_agreement}")
        if self.max_metric_drop < 0:
            raise ValueError(f"max_metric_drop: must be >= 0, got {self.max_metric_drop}")


@dataclass(frozen=True, slots=True)
class ShadowVerdict:
    """The end of a shadow period: passed or not, and why."""

    at_ns: int
    model: str
    version: str
    against: str | None
    """The production version it shadowed (None: the first version)."""
    passed: bool
    reasons: tuple[str, ...]
    """Each criterion missed (empty when passed)."""
    days: int
    samples: int
    agreement: float | None
    candidate_metric: float
    production_metric: float | None
    agreement_waived: bool = False

    def record(self, actor: str = "shadow") -> GovernanceEvent:
        return GovernanceEvent.of(self.at_ns, "shadow_verdict", self.model, self.version, actor,
                                  "; ".join(self.reasons) if self.reasons else "criteria met",
                                  passed=self.passed, against=self.against, days=self.days,
                                  samples=self.samples, agreement=self.agreement,
                                  candidate_metric=self.candidate_metric,
                                  production_metric=self.production_metric,
                                  agreement_waived=self.agreement_waived)


@dataclass
class ShadowRun:
    """One candidate's shadow period against the production version (or none)."""

    model: str
    candidate: str
    production: str | None
    criteria: ShadowCriteria
    decide: Decide
    metric: Metric
    waive_agreement: bool = False
    """Agreement is not required (production is flagged by the runbook: replacing it is the point)."""
    _days: int = 0
    _samples: int = 0
    _agree: int = 0
    _labels: list[np.ndarray] = field(default_factory=list)
    _cand: list[np.ndarray] = field(default_factory=list)
    _prod: list[np.ndarray] = field(default_factory=list)

    @property
    def days(self) -> int:
        """Batches observed so far."""
        return self._days

    def observe(self, at_ns: int, candidate_scores: np.ndarray, labels: np.ndarray,
                production_scores: np.ndarray | None = None) -> tuple[np.ndarray | None, GovernanceEvent]:
        """Record one batch; returns production's decisions (None with no production: nothing
        decides during a first version's shadow period) and the ``shadow_observed`` record."""
        cand = np.asarray(candidate_scores)
        y = np.asarray(labels)
        if len(cand) != len(y) or len(y) == 0:
            raise ValueError(f"labels: {len(y)} labels for {len(cand)} candidate scores")
        if (production_scores is None) != (self.production is None):
            raise ValueError("production_scores: given iff the shadow run has a production version")
        cand_decisions = self.decide(cand)
        self._days += 1
        self._samples += len(y)
        self._labels.append(y)
        self._cand.append(cand)
        detail: dict = {"samples": len(y), "candidate_metric": self.metric(y, cand)}
        prod_decisions = None
        if production_scores is not None:
            prod = np.asarray(production_scores)
            if len(prod) != len(cand):
                raise ValueError(f"production_scores: {len(prod)} scores for {len(cand)} inputs")
            prod_decisions = self.decide(prod)
            agree = int(np.sum(prod_decisions == cand_decisions))
            self._agree += agree
            self._prod.append(prod)
            detail |= {"agreement": agree / len(y), "production_metric": self.metric(y, prod),
                       "against": self.production}
            detail["metric_delta"] = detail["candidate_metric"] - detail["production_metric"]
        return prod_decisions, GovernanceEvent.of(at_ns, "shadow_observed", self.model, self.candidate,
                                                  "shadow", **detail)

    def verdict(self, at_ns: int) -> ShadowVerdict:
        """Whether the period so far meets the criteria (metrics over every batch pooled)."""
        c = self.criteria
        reasons: list[str] = []
        if self._days < c.min_days:
            reasons.append(f"days {self._days} < {c.min_days}")
        if self._samples < c.min_samples:
            reasons.append(f"samples {self._samples} < {c.min_samples}")
        if not self._labels:
            return ShadowVerdict(at_ns, self.model, self.candidate, self.production, False, tuple(reasons),
                                 0, 0, None, float("nan"), None)
        y = np.concatenate(self._labels)
        cand_metric = self.metric(y, np.concatenate(self._cand))
        if cand_metric < c.metric_floor:
            reasons.append(f"metric {cand_metric:.4f} < floor {c.metric_floor}")
        agreement = prod_metric = None
        if self.production is not None:
            agreement = self._agree / self._samples
            prod_metric = self.metric(y, np.concatenate(self._prod))
            if agreement < c.min_agreement and not self.waive_agreement:
                reasons.append(f"agreement {agreement:.3f} < {c.min_agreement}")
            if cand_metric < prod_metric - c.max_metric_drop:
                reasons.append(f"metric {cand_metric:.4f} below production {prod_metric:.4f} "
                               f"by more than {c.max_metric_drop}")
        return ShadowVerdict(at_ns, self.model, self.candidate, self.production, not reasons, tuple(reasons),
                             self._days, self._samples, agreement, cand_metric, prod_metric,
                             self.waive_agreement)
