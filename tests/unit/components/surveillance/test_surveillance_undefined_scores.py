"""Scores that measured nothing are undefined (None), never a perfect 1.0: precision without alerts, recall
without labels, F1 without either; aggregation and tuning follow the same rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.surveillance import Alert, Pattern
from components.surveillance.scoring import Label, PatternScore, SweepPoint, best_threshold, combine, score

S = 1_000_000_000
WASH = Pattern.WASH_TRADE
LABEL = Label("EP-1", WASH, ("A1",), "AAPL", 100 * S, 110 * S)


def alert(at: int, account: str = "A1") -> Alert:
    return Alert(WASH, "d", "1", "o", (account,), "AAPL", at, 1.0, (), (), ())


@st.composite
def counts(draw) -> PatternScore:
    """Any consistent confusion counts: a true positive exists exactly when a label was detected."""
    tp = draw(st.integers(0, 20))
    detected = draw(st.integers(1, 20)) if tp else 0
    fp, missed = draw(st.integers(0, 20)), draw(st.integers(0, 20))
    return PatternScore(WASH, tp + fp, tp, fp, detected + missed, detected, missed)


def test_nothing_raised_and_nothing_labelled_is_undefined_not_perfect():
    s = score([], [], WASH)
    assert (s.precision, s.recall, s.f1) == (None, None, None)
    rec = s.to_record()
    assert set(rec) == {"pattern", "alerts", "tp", "fp", "labels", "detected", "fn", "precision", "recall", "f1"}
    assert (rec["precision"], rec["recall"], rec["f1"]) == (None, None, None)


def test_episodes_but_no_alerts_is_recall_zero_and_f1_zero():
    s = score([], [LABEL], WASH)
    assert (s.precision, s.recall, s.f1) == (None, 0.0, 0.0)


def test_alerts_but_no_episodes_is_precision_zero_and_f1_zero():
    s = score([alert(500 * S)], [], WASH)
    assert (s.precision, s.recall, s.f1) == (0.0, None, 0.0)


def test_alerts_only_on_an_ignored_episode_measure_nothing():
    s = score([alert(105 * S)], [], WASH, ignored=[LABEL])
    assert (s.alerts, s.precision, s.recall, s.f1) == (0, None, None, None)


@given(counts())
def test_score_rules(s: PatternScore):
    assert (s.precision is None) == (s.alerts == 0) and (s.recall is None) == (s.labels == 0)
    if s.precision is not None:
        assert s.precision == pytest.approx(s.true_positives / s.alerts)
    if s.recall is not None:
        assert s.recall == pytest.approx(s.detected / s.labels)
    if s.precision is None and s.recall is None:
        assert s.f1 is None
    elif s.precision is None or s.recall is None:
        assert s.f1 == 0.0
    elif s.precision + s.recall == 0:
        assert s.f1 == 0.0
    else:
        assert s.f1 == pytest.approx(2 * s.precision * s.recall / (s.precision + s.recall))
    rec = s.to_record()
    for key in ("precision", "recall", "f1"):
        value = getattr(s, key)
        assert rec[key] == (None if value is None else round(value, 4))


@given(st.lists(counts(), min_size=1, max_size=5))
def test_combine_applies_the_rule_to_summed_counts(scores: list[PatternScore]):
    total = combine(scores)
    assert total.alerts == sum(s.alerts for s in scores) and total.labels == sum(s.labels for s in scores)
    assert (total.precision is None) == all(s.precision is None for s in scores)
    assert (total.recall is None) == all(s.recall is None for s in scores)
    if total.alerts:
        assert total.precision == pytest.approx(sum(s.true_positives for s in scores) / total.alerts)


def test_combining_alerts_only_and_episodes_only_runs_measures_both():
    total = combine([score([alert(500 * S)], [], WASH), score([], [LABEL], WASH), score([], [], WASH)])
    assert (total.precision, total.recall, total.f1) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("fields", [(1, 0, 0, 0, 0, 0), (1, 1, 0, 0, 0, 0), (0, 0, 0, 1, 1, 0),
                                    (2, 1, 1, 2, 0, 2), (1, -1, 2, 0, 0, 0)])
def test_inconsistent_counts_are_refused(fields):
    with pytest.raises(ValueError):
        PatternScore(WASH, *fields)


def point(threshold: float, alerts: int, tp: int, labels: int, detected: int) -> SweepPoint:
    return SweepPoint(threshold, PatternScore(WASH, alerts, tp, alerts - tp, labels, detected, labels - detected))


def test_tuning_never_prefers_an_undefined_score_to_a_measured_one():
    # no labels on the training seeds: the low thresholds raise false positives (F1 0), the high ones nothing
    points = [point(0.1, 3, 0, 0, 0), point(0.5, 1, 0, 0, 0), point(0.9, 0, 0, 0, 0), point(1.0, 0, 0, 0, 0)]
    assert best_threshold(points) == 0.5


def test_tuning_with_nothing_measured_takes_the_highest_threshold():
    assert best_threshold([point(t, 0, 0, 0, 0) for t in (0.1, 0.5, 0.9)]) == 0.9


def test_tuning_picks_the_best_measured_f1():
    # episodes everywhere: at 0.9 no alert (precision undefined, recall 0, F1 0) must not win
    points = [point(0.1, 4, 2, 2, 2), point(0.5, 2, 2, 2, 2), point(0.9, 0, 0, 2, 0)]
    assert best_threshold(points) == 0.5
