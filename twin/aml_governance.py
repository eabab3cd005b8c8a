"""The AML anomaly model under model governance: registered with a model card, and checked for drift.

A run with money movement trains its IsolationForest (``components.aml.anomaly``) on the
warm-up history (``twin.aml_monitoring``). This module puts that version in a model registry
(``components.governance``: content hash of the fitted forest, training scope, features,
parameters) with its model card, and measures drift between what it was trained on and what it
scored: PSI per feature and on the anomaly score over the same account-window features, with the
governance thresholds (0.1 warning, 0.25 alert) and a KS test per feature. Written to the run
folder as ``aml_model_card.json`` / ``aml_model_card.md``; summary.json's ``aml.governance``
carries the version, its hash and the drift verdict.

The model has no labels to be scored on while it runs, so it has no held-out metric and no shadow
comparison; and accounts carry no protected attribute in the twin, so its card has no fairness
check. The card says both.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from components.aml.anomaly import AnomalyModel
from components.governance.drift import DriftMonitor
from components.governance.registry import ModelCard, ModelRegistry, ModelVersion, TrainingScope
from components.governance.store import InMemoryModelStore, artefact_of, content_hash

MODEL = "aml_anomaly"
ACTOR = "twin-aml-monitoring"

CARD = dict(
    objective=("How unusual an account's transfers are in one monitoring window (counts, amounts, "
               "counterparties, countries, devices, cash share) against the ordinary flow it was trained on."),
    intended_use=("One of three contributions (with the rules and the graph checks) to an account's AML risk "
                  "score; a high score raises an alert for an analyst, never an automatic block or a filing."),
    limits=("Trained on a generated ordinary period of the twin's own clients (no real transfers).",
            "Unsupervised: no labels while it runs, so no held-out metric and no shadow comparison; its "
            "precision is measured only through the combined score against the run's labels.",
            "No fairness check: accounts carry no protected attribute in the twin.",
            "Features describe one window; slow schemes spread over many windows need the rules and graph."),
)


def govern(model: AnomalyModel, train_rows: Sequence[Sequence[float]], scored_rows: Sequence[Sequence[float]],
           train_start_ns: int, train_end_ns: int, checked_at_ns: int, population: str) -> dict[str, Any]:
    """Register ``model`` (trained on ``train_rows``) with its card and check drift on ``scored_rows``.

    Returns ``{"card": dict, "card_markdown": str, "summary": dict, "events": [dict]}``; the events
    are the registry's and the drift check's governance records, in order."""
    registry = ModelRegistry(InMemoryModelStore())
    artefact = artefact_of(model.forest)
    version = ModelVersion(
        name=MODEL, version=model.version, created_at_ns=train_end_ns,
        training=TrainingScope("ordinary transfers of the run's clients before the money window "
                               "(account-window feature rows)", len(train_rows), train_start_ns, train_end_ns,
                               population),
        features=model.features, params=(("algorithm", "IsolationForest"), ("seed", model.seed)),
        metrics=(), content_hash=content_hash(artefact))
    card = ModelCard(fairness=(), **CARD)
    events = [registry.register(version, artefact, card, ACTOR)]
    reference = np.asarray(train_rows, dtype=float)
    monitor = DriftMonitor(MODEL, model.version, {f: reference[:, i] for i, f in enumerate(model.features)},
                           model.score(train_rows))
    summary: dict[str, Any] = {"model": MODEL, "version": model.version, "content_hash": version.content_hash,
                               "training_rows": len(train_rows), "scored_rows": len(scored_rows)}
    if scored_rows:
        current = np.asarray(scored_rows, dtype=float)
        report = monitor.check(checked_at_ns, {f: current[:, i] for i, f in enumerate(model.features)},
                               model.score(scored_rows))
        events += report.records(ACTOR)
        summary["drift"] = {"level": report.level.value, "max_psi": report.max_psi,
                            "psi": {f.feature: f.psi for f in report.features},
                            "ks_flagged": [f.feature for f in report.features if f.ks_flag]}
    stage = registry.stage(MODEL, model.version)
    return {"card": card.as_dict(version), "card_markdown": card.markdown(version, stage), "summary": summary,
            "events": [e.as_dict() for e in events]}
