"""The AML anomaly model under governance: registered with a card, drift measured against its training."""

from __future__ import annotations

import numpy as np

from components.aml.anomaly import FEATURES, train
from twin.aml_governance import MODEL, govern


def _rows(rng: np.random.Generator, n: int, shift: float = 0.0) -> list[tuple[float, ...]]:
    return [tuple(float(v) for v in row) for row in rng.normal(1.0 + shift, 0.5, size=(n, len(FEATURES)))]


def test_a_model_scored_on_its_own_population_does_not_drift_and_a_shifted_one_alerts():
    rng = np.random.default_rng(7)
    train_rows = _rows(rng, 400)
    model = train(train_rows, seed=3)
    same = govern(model, train_rows, _rows(rng, 400), 0, 10, 20, "test")
    assert same["summary"]["drift"]["level"] == "ok", same["summary"]["drift"]
    moved = govern(model, train_rows, _rows(rng, 400, shift=1.0), 0, 10, 20, "test")
    assert moved["summary"]["drift"]["level"] == "alert"
    assert moved["summary"]["drift"]["max_psi"] >= 0.25
    kinds = [e["kind"] for e in moved["events"]]
    assert kinds[0] == "registered" and "drift_alert" in kinds


def test_the_card_names_the_version_its_hash_and_why_it_has_no_metric_or_fairness_check():
    rng = np.random.default_rng(1)
    rows = _rows(rng, 200)
    model = train(rows, seed=5)
    out = govern(model, rows, [], 0, 10, 20, "twin aml_day seed 25")
    card = out["card"]
    assert card["name"] == MODEL and card["version"] == model.version
    assert card["content_hash"].startswith("sha256:") and card["content_hash"] == out["summary"]["content_hash"]
    assert card["features"] == list(FEATURES) and card["training"]["rows"] == 200
    assert any("no fairness check" in limit.lower() for limit in card["limits"])
    assert "drift" not in out["summary"]  # nothing scored: no drift figure is made up
    assert model.version in out["card_markdown"]
