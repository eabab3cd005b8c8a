"""Fairness checks for the model card: outcome gaps across a protected attribute.

Two standard gaps, both "largest minus smallest over groups" (0 is parity):

* demographic parity difference: the share of positive decisions per group;
* equal opportunity difference: the true-positive rate per group (positive decisions among
  those whose label is positive).

For a multi-class model (next best action) the parity gap is taken per action, one-vs-rest,
and the worst action reported. The protected attribute in this project is synthetic (a
generated ``group`` column); the checks are the mechanism, not a claim about real clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

FAIRNESS_LIMIT = 0.1
"""Default largest acceptable gap between groups (a card shows each check against it)."""


@dataclass(frozen=True, slots=True)
class FairnessCheck:
    """One check as shown on a model card: the gap, the limit, the per-group figures."""

    name: str
    attribute: str
    value: float
    limit: float
    by_group: tuple[tuple[str, float], ...]

    @property
    def passed(self) -> bool:
        return self.value <= self.limit

    def as_dict(self) -> dict:
        return {"name": self.name, "attribute": self.attribute, "value": round(self.value, 6),
                "limit": self.limit, "passed": self.passed,
                "by_group": {g: round(v, 6) for g, v in self.by_group}}


def _aligned(decisions: Sequence, groups: Sequence, labels: Sequence | None = None) -> tuple[np.ndarray, ...]:
    d, g = np.asarray(decisions), np.asarray(groups)
    if d.shape != g.shape or d.ndim != 1:
        raise ValueError(f"groups: {g.size} values for {d.size} decisions")
    if d.size == 0:
        raise ValueError("decisions: empty sample")
    if labels is None:
        return d, g
    y = np.asarray(labels)
    if y.shape != d.shape:
        raise ValueError(f"labels: {y.size} values for {d.size} decisions")
    return d, g, y


def _gap(name: str, attribute: str, rates: dict[str, float], limit: float) -> FairnessCheck:
    values = list(rates.values())
    return FairnessCheck(name, attribute, float(max(values) - min(values)), limit,
                         tuple(sorted((str(k), float(v)) for k, v in rates.items())))


def demographic_parity(decisions: Sequence, groups: Sequence, attribute: str = "group",
                       limit: float = FAIRNESS_LIMIT) -> FairnessCheck:
    """Gap in positive-decision rate (decisions are 0/1 or bool) across groups."""
    d, g = _aligned(decisions, groups)
    rates = {str(k): float(np.mean(d[g == k].astype(float))) for k in np.unique(g)}
    return _gap("demographic_parity_difference", attribute, rates, limit)


def equal_opportunity(decisions: Sequence, labels: Sequence, groups: Sequence, attribute: str = "group",
                      limit: float = FAIRNESS_LIMIT) -> FairnessCheck:
    """Gap in true-positive rate across groups; a group with no positive label is left out."""
    d, g, y = _aligned(decisions, groups, labels)
    rates = {}
    for k in np.unique(g):
        positive = (g == k) & (y.astype(bool))
        if positive.any():
            rates[str(k)] = float(np.mean(d[positive].astype(float)))
    if not rates:
        raise ValueError("labels: no positive label in any group")
    return _gap("equal_opportunity_difference", attribute, rates, limit)


def multiclass_parity(decisions: Sequence, groups: Sequence, attribute: str = "group",
                      limit: float = FAIRNESS_LIMIT) -> FairnessCheck:
    """Worst one-vs-rest demographic parity gap over the decided classes; the check's name
    says which class."""
    d, g = _aligned(decisions, groups)
    worst: FairnessCheck | None = None
    for cls in np.unique(d):
        check = demographic_parity(d == cls, g, attribute, limit)
        if worst is None or check.value > worst.value:
            worst = FairnessCheck(f"demographic_parity_difference[{cls}]", attribute, check.value, limit,
                                  check.by_group)
    assert worst is not None  # d is non-empty
    return worst
