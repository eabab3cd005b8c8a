"""Churn propensity: the probability a client leaves within 90 days.

Decision: clients at or above ``AT_RISK`` get an advisor retention call. Metric: ROC AUC on
labelled outcomes. Families: ``logistic`` (scaled logistic regression) and ``forest``
(a seeded random forest, one thread: gradient boosting's OpenMP threads crawl on a shared box).
"""

from __future__ import annotations

import numpy as np

from components.governance.fairness import FairnessCheck, demographic_parity, equal_opportunity

from .features import FAMILIES, fit_family

AT_RISK = 0.3
"""Churn probability from which a client is flagged for a retention call."""

_PARAMS = {"logistic": {"C": 1.0, "max_iter": 500},
           "forest": {"n_estimators": 80, "max_depth": 6, "min_samples_leaf": 20}}
"""Each family's estimator arguments (``features.fit_family``)."""


class ChurnModel:
    """The churn propensity model kind (a ``features.ModelSpec``)."""

    name = "churn"
    objective = "Probability that a client closes or transfers out all accounts within 90 days."
    intended_use = ("Ranks clients for proactive advisor retention calls; clients at or above "
                    f"{AT_RISK} are flagged. A prompt for a person, never an automatic action on an account.")
    limits = ("Trained on synthetic clients (scenarios/clients_synth.py); no real outcome data.",
              "Outcomes are observed 90 days late in reality; the twin labels a batch the day it is scored.",
              "Not calibrated for populations far from the training scope: watch the drift monitor.",
              "The protected attribute is synthetic; fairness figures show the mechanism only.")
    metric_name = "roc_auc"
    families = FAMILIES

    def fit(self, x: np.ndarray, y: np.ndarray, family: str, seed: int) -> tuple[object, dict]:
        return fit_family(x, y, family, _PARAMS.get(family, {}), seed)

    def scores(self, model: object, x: np.ndarray) -> np.ndarray:
        return model.predict_proba(x)[:, 1]  # type: ignore[attr-defined]

    def decide(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= AT_RISK

    def metric(self, y: np.ndarray, scores: np.ndarray) -> float:
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(np.asarray(y).astype(int), scores))

    def drift_score(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores)

    def fairness(self, scores: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[FairnessCheck, ...]:
        decisions = self.decide(scores)
        return (demographic_parity(decisions, groups), equal_opportunity(decisions, y, groups))
