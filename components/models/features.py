"""The client profile the models read, and the feature builder.

A ``ClientProfile`` is what the firm knows of a client at scoring time (money in whole
dollars, counts as integers). ``feature_matrix`` turns profiles into the float matrix the
models see, one column per name in ``FEATURES`` (AUM enters as log10, since its effect is on
the order of magnitude). ``group`` is a synthetic protected attribute: never a feature, used
only by the fairness checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from components.governance.fairness import FairnessCheck

RISK_PROFILES = ("conservative", "moderate", "aggressive")

FEATURES: tuple[str, ...] = ("age", "tenure_years", "log10_aum", "accounts", "trades_90d", "logins_30d",
                             "advisor_contacts_90d", "cash_share", "risk_profile")
"""Model inputs, in column order."""


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """One client as the models see them."""

    client_id: str
    name: str
    age: int
    tenure_years: float
    aum_dollars: int
    accounts: int
    trades_90d: int
    logins_30d: int
    advisor_contacts_90d: int
    cash_share: float
    """Share of the client's assets held in cash, 0..1."""
    risk_profile: str
    group: str
    """Synthetic protected attribute (fairness checks only)."""

    def __post_init__(self) -> None:
        if self.age < 18:
            raise ValueError(f"{self.client_id}.age: must be >= 18, got {self.age}")
        if self.aum_dollars <= 0:
            raise ValueError(f"{self.client_id}.aum_dollars: must be > 0, got {self.aum_dollars}")
        if not 0.0 <= self.cash_share <= 1.0:
            raise ValueError(f"{self.client_id}.cash_share: must be within [0, 1], got {self.cash_share}")
        if self.risk_profile not in RISK_PROFILES:
            raise ValueError(f"{self.client_id}.risk_profile: must be one of {', '.join(RISK_PROFILES)}, "
                             f"got {self.risk_profile!r}")

    def features(self) -> tuple[float, ...]:
        """This client's row, in ``FEATURES`` order."""
        return (float(self.age), self.tenure_years, math.log10(self.aum_dollars), float(self.accounts),
                float(self.trades_90d), float(self.logins_30d), float(self.advisor_contacts_90d),
                self.cash_share, float(RISK_PROFILES.index(self.risk_profile)))


def feature_matrix(clients: Sequence[ClientProfile]) -> np.ndarray:
    """(clients x FEATURES) float matrix."""
    if not clients:
        raise ValueError("clients: empty")
    return np.array([c.features() for c in clients], dtype=float)


def columns(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """A feature matrix as {feature name: column}, what the drift monitor compares."""
    return {name: matrix[:, i] for i, name in enumerate(FEATURES)}


class ModelSpec(Protocol):
    """What governance needs of a model kind (``churn.ChurnModel``, ``next_best_action.NextBestActionModel``)."""

    name: str
    objective: str
    intended_use: str
    limits: tuple[str, ...]
    metric_name: str
    families: tuple[str, ...]

    def fit(self, x: np.ndarray, y: np.ndarray, family: str, seed: int) -> tuple[object, dict]:
        """A fitted model and its parameters."""

    def scores(self, model: object, x: np.ndarray) -> np.ndarray:
        """The model's output per row."""

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Decisions from scores."""

    def metric(self, y: np.ndarray, scores: np.ndarray) -> float:
        """Higher is better."""

    def drift_score(self, scores: np.ndarray) -> np.ndarray:
        """One number per row, watched for drift."""

    def fairness(self, scores: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[FairnessCheck, ...]:
        """The checks shown on the model card."""


FAMILIES = ("logistic", "forest")
"""The estimator families every model kind offers (``fit_family``)."""


def fit_family(x: np.ndarray, y: np.ndarray, family: str, params: dict, seed: int) -> tuple[object, dict]:
    """Fit a classifier of ``family`` with ``params`` (the estimator's own keyword arguments) on ``x``, ``y``.

    ``logistic``: scaled logistic regression. ``forest``: a seeded random forest on one thread
    (gradient boosting's OpenMP threads crawl on a shared box). Returns the fitted model and the
    parameters recorded in the registry (the family, the estimator's arguments, the seed for a forest).
    """
    if family == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), LogisticRegression(**params))
        recorded = {"family": family, **params}
    elif family == "forest":
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(**params, random_state=seed, n_jobs=1)
        recorded = {"family": family, **params, "random_state": seed, "n_jobs": 1}
    else:
        raise ValueError(f"family: {family!r} is not one of {', '.join(FAMILIES)}")
    return model.fit(x, y.astype(int)), recorded
