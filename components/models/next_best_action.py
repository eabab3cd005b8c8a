"""Next best action: which advisor action fits a client best right now.

Classes are ``ACTIONS`` (label = index). Scores are the class probabilities (rows x actions);
the decision is the most probable action; the metric is accuracy; the drift monitor watches
the top probability (the model's confidence). Families: ``logistic`` (multinomial, scaled)
and ``forest`` (a seeded random forest).
"""

from __future__ import annotations

import numpy as np

from components.governance.fairness import FairnessCheck, multiclass_parity

from .features import FAMILIES, fit_family

ACTIONS = ("rebalance", "tax_loss_harvest", "cash_sweep", "retirement_review")

_PARAMS = {"logistic": {"C": 1.0, "max_iter": 800}, "forest": {"n_estimators": 60, "max_depth": 8}}
"""Each family's estimator arguments (``features.fit_family``)."""


class NextBestActionModel:
    """The next-best-action model kind (a ``features.ModelSpec``)."""

    name = "next_best_action"
    objective = ("The advisor action most likely to suit the client: " + ", ".join(ACTIONS) + ".")
    intended_use = "Orders the suggestions on an advisor's client page; the advisor chooses. Never acts alone."
    limits = ("Trained on synthetic clients with rule-generated best actions plus 15% label noise.",
              "Accuracy is capped by that noise; a real deployment needs outcome-based labels.",
              "The protected attribute is synthetic; fairness figures show the mechanism only.")
    metric_name = "accuracy"
    families = FAMILIES

    def fit(self, x: np.ndarray, y: np.ndarray, family: str, seed: int) -> tuple[object, dict]:
        return fit_family(x, y, family, _PARAMS.get(family, {}), seed)

    def scores(self, model: object, x: np.ndarray) -> np.ndarray:
        proba = model.predict_proba(x)  # type: ignore[attr-defined]
        full = np.zeros((len(x), len(ACTIONS)))  # a class absent from training still gets a column
        full[:, model.classes_.astype(int)] = proba  # type: ignore[attr-defined]
        return full

    def decide(self, scores: np.ndarray) -> np.ndarray:
        return np.argmax(scores, axis=1)

    def metric(self, y: np.ndarray, scores: np.ndarray) -> float:
        return float(np.mean(self.decide(scores) == np.asarray(y).astype(int)))

    def drift_score(self, scores: np.ndarray) -> np.ndarray:
        return np.max(scores, axis=1)

    def fairness(self, scores: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[FairnessCheck, ...]:
        names = np.array(ACTIONS)[self.decide(scores)]
        return (multiclass_parity(names, groups),)
