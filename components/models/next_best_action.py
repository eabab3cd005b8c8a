"""Next best action: which advisor action fits a client best right now.

Classes are ``ACTIONS`` (label = index). Scores are the class probabilities (rows x actions);
the decision is the most probable action; the metric is accuracy; the drift monitor watches
the top probability (the model's confidence). Families: ``logistic`` (multinomial, scaled)
and ``forest`` (a seeded random forest).
"""

from __future__ import annotations

import numpy as np

from components.governance.fairness import FairnessCheck, multiclass_parity

ACTIONS = ("rebalance", "tax_loss_harvest", "cash_sweep", "retirement_review")


class NextBestActionModel:
    """The next-best-action model kind (a ``features.ModelSpec``)."""

    name = "next_best_action"
    objective = ("The advisor action most likely to suit the client: " + ", ".join(ACTIONS) + ".")
    intended_use = "Orders the suggestions on an advisor's client page; the advisor chooses. Never acts alone."
    limits = ("Trained on synthetic clients with rule-generated best actions plus 15% label noise.",
              "Accuracy is capped by that noise; a real deployment needs outcome-based labels.",
              "The protected attribute is synthetic; fairness figures show the mechanism only.")
    metric_name = "accuracy"
    families = ("logistic", "forest")

    def fit(self, x: np.ndarray, y: np.ndarray, family: str, seed: int) -> tuple[object, dict]:
        if family == "logistic":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            params = {"family": family, "C": 1.0, "max_iter": 800}
            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=800))
        elif family == "forest":
            from sklearn.ensemble import RandomForestClassifier

            params = {"family": family, "n_estimators": 60, "max_depth": 8, "random_state": seed, "n_jobs": 1}
            model = RandomForestClassifier(n_estimators=60, max_depth=8, random_state=seed, n_jobs=1)
        else:
            raise ValueError(f"family: {family!r} is not one of {', '.join(self.families)}")
        return model.fit(x, y.astype(int)), params

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
