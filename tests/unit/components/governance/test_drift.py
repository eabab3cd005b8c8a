"""PSI and KS: hand-computed values, identities, properties (hypothesis) and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.governance.drift import (
    DriftLevel, DriftMonitor, bin_shares, ks, level_of, psi, psi_from_shares, reference_edges)

T = 1_000_000_000


def test_psi_matches_a_hand_computed_value():
    # Reference: 25 each of 1, 2, 3, 4 (four bins, one per value); current: 10, 20, 30, 40.
    ref = np.repeat([1.0, 2.0, 3.0, 4.0], 25)
    cur = np.repeat([1.0, 2.0, 3.0, 4.0], [10, 20, 30, 40])
    # sum((a - e) ln(a / e)) with e = 0.25 each, a = 0.1, 0.2, 0.3, 0.4, by hand:
    # (-0.15)(-0.916291) + (-0.05)(-0.223144) + (0.05)(0.182322) + (0.15)(0.470004) = 0.228217
    assert psi(ref, cur) == pytest.approx(0.228217, abs=1e-6)
    assert level_of(psi(ref, cur)) is DriftLevel.WARNING


def test_an_empty_bin_is_floored_not_infinite():
    ref = np.repeat([1.0, 2.0], 50)
    cur = np.ones(100)
    # bins: e = (0.5, 0.5); a = (1, 0) floored to 1e-4:
    expected = (1 - 0.5) * math.log(1 / 0.5) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    assert psi(ref, cur) == pytest.approx(expected)
    assert level_of(psi(ref, cur)) is DriftLevel.ALERT


def test_psi_is_zero_on_identical_data():
    x = np.random.default_rng(1).normal(size=2_000)
    assert psi(x, x) == 0.0
    assert psi(x, x.copy()[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_bins_are_reference_deciles_or_one_per_value():
    x = np.arange(1_000, dtype=float)
    edges = reference_edges(x, 10)
    assert len(edges) == 9
    assert np.allclose(bin_shares(x, edges), 0.1)
    assert list(reference_edges([0, 1, 1, 2], 10)) == [0.5, 1.5]  # few values: halfway edges
    assert reference_edges([3.0, 3.0], 10).size == 0  # constant: one bin


def test_a_shift_of_the_mean_moves_psi_past_the_alert():
    rng = np.random.default_rng(2)
    ref, same, moved = rng.normal(size=5_000), rng.normal(size=5_000), rng.normal(1.0, 1.0, 5_000)
    assert psi(ref, same) < 0.1
    assert psi(ref, moved) >= 0.25


def test_ks_against_known_values():
    stat, p = ks([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert stat == 1.0 and p == pytest.approx(0.1, abs=1e-9)  # exact two-sided p for n=m=3, D=1: 2/C(6,3)
    stat, p = ks(np.arange(100.0), np.arange(100.0))
    assert stat == 0.0 and p == 1.0


def test_the_monitor_reports_every_feature_and_the_score_and_alerts_on_a_shift():
    rng = np.random.default_rng(3)
    ref = {"age": rng.normal(58, 11, 2_000), "logins": rng.poisson(3, 2_000).astype(float)}
    monitor = DriftMonitor("churn", "v1", ref, rng.random(2_000))
    calm = monitor.check(5 * T, {"age": rng.normal(58, 11, 500), "logins": rng.poisson(3, 500)}, rng.random(500))
    assert calm.level is DriftLevel.OK
    assert [r.kind for r in calm.records()] == ["drift_checked"]
    moved = monitor.check(6 * T, {"age": rng.normal(40, 11, 500), "logins": rng.poisson(3, 500)}, rng.random(500))
    assert moved.level is DriftLevel.ALERT and moved.psi_of("age") >= 0.25 and moved.psi_of("logins") < 0.25
    checked, alert = moved.records()
    assert alert.kind == "drift_alert" and alert.get("features") == ["age"]
    assert checked.get("features")["age"]["ks_pvalue"] < 1e-6


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=200),
       st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200), st.integers(2, 20))
def test_psi_is_never_negative_and_zero_against_itself(ref, cur, bins):
    assert psi(ref, cur, bins) >= 0.0
    assert psi(ref, ref, bins) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=3, max_size=3), st.lists(st.integers(0, 50), min_size=3, max_size=3))
def test_psi_on_fixed_bins_is_symmetric(a, b):
    if sum(a) == 0 or sum(b) == 0:
        return
    ea, eb = np.array(a) / sum(a), np.array(b) / sum(b)
    assert psi_from_shares(ea, eb) == pytest.approx(psi_from_shares(eb, ea))


@pytest.mark.parametrize("call, message", [
    (lambda: psi([], [1.0]), "reference: empty sample"),
    (lambda: psi([1.0, 2.0], [float("nan")]), "current: contains NaN or infinity"),
    (lambda: psi([1.0, 2.0], ["a"]), "current: values must be numbers"),
    (lambda: psi([1.0, 2.0], [1.0], bins=1), "bins: must be an integer >= 2"),
    (lambda: psi_from_shares([0.5, 0.5], [1.0]), "actual: 1 bins, expected has 2"),
    (lambda: psi_from_shares([0.5, 0.6], [0.5, 0.5]), "expected: bin shares must be >= 0 and sum to 1"),
    (lambda: DriftMonitor("m", "v", {"a": [1.0, 2.0]}, [0.1, 0.2]).check(0, {}, [0.1]),
     "current.a: feature missing from the sample"),
    (lambda: DriftMonitor("m", "v", {"a": [1.0, float("inf")]}, [0.1]), "reference.a: contains NaN or infinity"),
    (lambda: DriftMonitor("m", "v", {"a": [1.0]}, [0.1], warning=0.3), "warning: must be > 0 and below alert"),
])
def test_bad_input_is_a_one_line_error_naming_the_field(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3)), min_size=1,
                max_size=20))
def test_user_shaped_bad_samples_name_the_field(values):
    good = [1.0, 2.0, 3.0]
    try:
        psi(good, values)
    except ValueError as exc:
        assert str(exc).startswith("current: ") and "\n" not in str(exc)
    else:  # only finite numbers (or numeric strings numpy reads as numbers) get through
        assert np.all(np.isfinite(np.asarray(values, dtype=float)))


def test_records_are_json_ready_and_rounded():
    from components.governance.records import GovernanceEvent

    e = GovernanceEvent.of(1_767_301_200 * T, "drift_alert", "churn", "v2", "drift-monitor", "PSI high",
                           max_psi=np.float64(0.123456789), features=("age", "score"))
    assert e.as_dict() == {"at": "2026-01-01T21:00:00Z", "at_ns": 1_767_301_200 * T, "kind": "drift_alert",
                           "model": "churn", "version": "v2", "actor": "drift-monitor", "reason": "PSI high",
                           "detail": {"features": ["age", "score"], "max_psi": 0.123457}}
