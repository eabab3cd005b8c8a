"""Fairness checks: hand-computed gaps and bad input."""

from __future__ import annotations

import pytest

from components.governance.fairness import demographic_parity, equal_opportunity, multiclass_parity

G = ["A", "A", "A", "A", "B", "B", "B", "B"]


def test_demographic_parity_is_the_gap_in_positive_rates():
    check = demographic_parity([1, 1, 1, 0, 1, 0, 0, 0], G)
    assert check.value == pytest.approx(0.5) and dict(check.by_group) == {"A": 0.75, "B": 0.25}
    assert not check.passed and check.as_dict()["passed"] is False


def test_equal_opportunity_is_the_gap_in_true_positive_rates():
    labels = [1, 1, 0, 0, 1, 1, 0, 0]
    decisions = [1, 1, 1, 0, 1, 0, 0, 0]  # A: 2 of 2 positives caught; B: 1 of 2
    check = equal_opportunity(decisions, labels, G)
    assert check.value == pytest.approx(0.5) and dict(check.by_group) == {"A": 1.0, "B": 0.5}
    assert equal_opportunity(decisions, labels, G, limit=0.6).passed


def test_multiclass_parity_reports_the_worst_action():
    actions = ["x", "x", "y", "y", "x", "y", "y", "y"]  # x: A 0.5, B 0.25 -> 0.25; y: same gap
    check = multiclass_parity(actions, G)
    assert check.name == "demographic_parity_difference[x]" and check.value == pytest.approx(0.25)


@pytest.mark.parametrize("call, message", [
    (lambda: demographic_parity([1, 0], ["A"]), "groups: 1 values for 2 decisions"),
    (lambda: demographic_parity([], []), "decisions: empty sample"),
    (lambda: equal_opportunity([1, 0], [1], ["A", "B"]), "labels: 1 values for 2 decisions"),
    (lambda: equal_opportunity([1, 0], [0, 0], ["A", "B"]), "labels: no positive label in any group"),
])
def test_bad_input_names_the_field(call, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        call()
