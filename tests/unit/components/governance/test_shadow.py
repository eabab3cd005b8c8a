"""Shadow deployment: production decides, the candidate is only recorded; the verdict's criteria."""

from __future__ import annotations

import numpy as np
import pytest

from components.governance.shadow import ShadowCriteria, ShadowRun


def decide(s):
    return np.asarray(s) >= 0.5


def accuracy(y, s):
    return float(np.mean(decide(s) == np.asarray(y)))


Y = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
PROD = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.4, 0.6])  # 6 of 8 right
CAND = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4])  # 8 of 8 right, disagrees on 2


def run(production="v1", **criteria):
    c = ShadowCriteria(**({"min_days": 2, "min_samples": 10, "min_agreement": 0.7} | criteria))
    return ShadowRun("churn", "v2", production, c, decide, accuracy)


def test_production_decides_and_the_candidate_is_only_recorded():
    r = run()
    decisions, record = r.observe(1, CAND, Y, PROD)
    assert list(decisions) == list(decide(PROD))  # what is acted on is production's, not the candidate's
    assert record.kind == "shadow_observed" and record.version == "v2"
    assert record.get("agreement") == 0.75 and record.get("candidate_metric") == 1.0
    assert record.get("production_metric") == 0.75 and record.get("metric_delta") == 0.25


def test_a_period_meeting_every_criterion_passes():
    r = run()
    r.observe(1, CAND, Y, PROD)
    r.observe(2, CAND, Y, PROD)
    v = r.verdict(3)
    assert v.passed and v.reasons == () and (v.days, v.samples, v.agreement) == (2, 16, 0.75)
    assert v.record().get("passed") is True


def test_each_missed_criterion_is_a_reason():
    r = run(min_agreement=0.9, min_days=3, min_samples=100, metric_floor=1.1)
    r.observe(1, PROD, Y, CAND)  # roles swapped: the candidate is the worse one now
    v = r.verdict(2)
    assert not v.passed
    assert v.reasons == ("days 1 < 3", "samples 8 < 100", "metric 0.7500 < floor 1.1", "agreement 0.750 < 0.9",
                         "metric 0.7500 below production 1.0000 by more than 0.01")


def test_agreement_is_waived_when_production_is_flagged():
    r = ShadowRun("churn", "v2", "v1", ShadowCriteria(min_days=1, min_samples=1, min_agreement=0.99),
                  decide, accuracy, waive_agreement=True)
    r.observe(1, CAND, Y, PROD)
    v = r.verdict(2)
    assert v.passed and v.agreement_waived and v.agreement == 0.75


def test_a_first_version_checks_absolute_criteria_only():
    r = run(production=None, min_days=1, min_samples=8, metric_floor=0.9)
    decisions, record = r.observe(1, CAND, Y)
    assert decisions is None and record.get("agreement") is None
    assert r.verdict(2).passed
    with pytest.raises(ValueError, match=r"^production_scores: given iff"):
        r.observe(2, CAND, Y, PROD)


@pytest.mark.parametrize("kwargs, message", [({"min_days": 0}, "min_days: must be >= 1"),
                                             ({"min_samples": 0}, "min_samples: must be >= 1"),
                                             ({"min_agreement": 1.5}, "min_agreement: must be within [0, 1]"),
                                             ({"max_metric_drop": -0.1}, "max_metric_drop: must be >= 0")])
def test_bad_criteria_name_the_field(kwargs, message):
    with pytest.raises(ValueError) as err:
        ShadowCriteria(**kwargs)
    assert str(err.value).startswith(message)


def test_misaligned_batches_are_refused():
    with pytest.raises(ValueError, match=r"^labels: 7 labels for 8 candidate scores$"):
        run().observe(1, CAND, Y[:7], PROD)
    with pytest.raises(ValueError, match=r"^production_scores: 7 scores for 8 inputs$"):
        run().observe(1, CAND, Y, PROD[:7])
