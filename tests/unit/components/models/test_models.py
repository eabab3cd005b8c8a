"""The client models: feature builder, profile validation, both families of both models."""

from __future__ import annotations

import numpy as np
import pytest

from components.models.churn import AT_RISK, ChurnModel
from components.models.features import FEATURES, ClientProfile, columns, feature_matrix
from components.models.next_best_action import ACTIONS, NextBestActionModel


def client(**over) -> ClientProfile:
    base = dict(client_id="CL-1", name="Ann Lee", age=60, tenure_years=12.5, aum_dollars=1_000_000, accounts=2,
                trades_90d=4, logins_30d=3, advisor_contacts_90d=2, cash_share=0.1, risk_profile="moderate",
                group="A")
    return ClientProfile(**(base | over))


def test_the_feature_row_follows_FEATURES():
    row = dict(zip(FEATURES, client().features()))
    assert row == {"age": 60.0, "tenure_years": 12.5, "log10_aum": 6.0, "accounts": 2.0, "trades_90d": 4.0,
                   "logins_30d": 3.0, "advisor_contacts_90d": 2.0, "cash_share": 0.1, "risk_profile": 1.0}
    m = feature_matrix([client(), client(age=30)])
    assert m.shape == (2, len(FEATURES)) and list(columns(m)["age"]) == [60.0, 30.0]


@pytest.mark.parametrize("over, message", [({"age": 12}, "CL-1.age: must be >= 18"),
                                           ({"aum_dollars": 0}, "CL-1.aum_dollars: must be > 0"),
                                           ({"cash_share": 1.5}, "CL-1.cash_share: must be within [0, 1]"),
                                           ({"risk_profile": "yolo"}, "CL-1.risk_profile: must be one of")])
def test_a_bad_profile_names_the_client_and_field(over, message):
    with pytest.raises(ValueError, match=f"^{message.replace('[', '.').replace(']', '.')}"):
        client(**over)


def _data(n=600, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    churn = (x[:, 0] + 0.5 * rng.normal(size=n)) > 0.8
    action = np.digitize(x[:, 1], [-0.7, 0.0, 0.7])
    return x, churn, action


@pytest.mark.parametrize("family", ChurnModel.families)
def test_churn_families_learn_a_planted_signal(family):
    x, y, _ = _data()
    m = ChurnModel()
    model, params = m.fit(x[:400], y[:400], family, seed=3)
    scores = m.scores(model, x[400:])
    assert params["family"] == family and scores.shape == (200,)
    assert m.metric(y[400:], scores) > 0.8
    assert list(m.decide(np.array([AT_RISK - 0.01, AT_RISK]))) == [False, True]


@pytest.mark.parametrize("family", NextBestActionModel.families)
def test_next_best_action_families_learn_a_planted_signal(family):
    x, _, y = _data()
    m = NextBestActionModel()
    model, _ = m.fit(x[:400], y[:400], family, seed=3)
    scores = m.scores(model, x[400:])
    assert scores.shape == (200, len(ACTIONS)) and np.allclose(scores.sum(axis=1), 1.0)
    assert m.metric(y[400:], scores) > 0.7
    assert np.all(m.drift_score(scores) == scores.max(axis=1))


def test_an_unknown_family_is_refused():
    x, y, _ = _data(50)
    with pytest.raises(ValueError, match=r"^family: 'gbm' is not one of logistic, forest$"):
        ChurnModel().fit(x, y, "gbm", 1)
