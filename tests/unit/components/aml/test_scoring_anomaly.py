"""The anomaly model (trained, versioned, deterministic) and the risk score's recorded contributions."""

from __future__ import annotations

import numpy as np
import pytest

from components.aml.anomaly import FEATURES, account_features, train
from components.aml.findings import Finding, Source
from components.aml.scoring import ScoreParams, risk_score, score_params_from
from components.aml.transfers import Typology

from .aml_kit import tr


def rows(seed, n=200):
    rng = np.random.default_rng(seed)
    return [tuple(rng.normal(1.0, 0.1, len(FEATURES))) for _ in range(n)]


def test_features_of_an_account_window():
    ts = [tr(1, "X", "A", 100), tr(2, "A", "Y", 50, device="D1", country="US"), tr(3, "A", "Z", 50)]
    f = dict(zip(FEATURES, account_features("A", ts)))
    assert f["n_in"] == 1 and f["n_out"] == 2 and f["distinct_out"] == 2 and f["countries"] == 1
    assert f["in_out_balance"] == 1.0 and f["round_share"] == pytest.approx(1 / 3)  # $100 is round, $50 is not


def test_model_is_versioned_and_deterministic_for_its_seed():
    a, b = train(rows(1), seed=7), train(rows(1), seed=7)
    assert a.version == "iforest-1.0/seed=7/n=200" and a.features == FEATURES and a.seed == 7
    odd = [tuple([9.0] * len(FEATURES))]
    assert a.score(odd) == b.score(odd)
    assert a.score(odd)[0] > max(a.score(rows(2, 20)))  # far from the training data is more anomalous


def test_model_refuses_too_little_or_misshapen_data():
    with pytest.raises(ValueError, match="training rows"):
        train(rows(1, 5), seed=1)
    with pytest.raises(ValueError, match="features"):
        train(rows(1), 1).score([(1.0, 2.0)])


def finding(source, severity=1.0, typology=Typology.CYCLE, detector="graph:cycle"):
    return Finding(detector, source, "1.0", "A", 0, typology, severity, (), ())


def test_score_records_each_contribution_and_the_strongest_typology():
    p = ScoreParams()
    s = risk_score("A", 0, [finding(Source.GRAPH), finding(Source.RULE, 0.3, None, "rule:large_cash")], 0.775, p)
    assert s.graph == pytest.approx(0.7) and s.rule == pytest.approx(0.21)
    assert s.anomaly == pytest.approx(0.4 * (0.775 - 0.55) / 0.45)
    assert s.score == 1.0 and s.typology is Typology.CYCLE


def test_anomaly_alone_never_reaches_the_default_threshold():
    s = risk_score("A", 0, [], 1.0, ScoreParams())
    assert s.score == pytest.approx(0.4) and s.score < ScoreParams().threshold


def test_detector_weights_scale_one_detector():
    p = ScoreParams(detector_weights=(("graph:cycle", 0.5),))
    assert risk_score("A", 0, [finding(Source.GRAPH)], None, p).score == pytest.approx(0.35)


def test_score_params_from_mapping_names_an_unknown_key():
    assert score_params_from({"threshold": 0.5}).threshold == 0.5
    with pytest.raises(ValueError, match="'treshold'"):
        score_params_from({"treshold": 0.5})
