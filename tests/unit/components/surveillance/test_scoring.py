"""Matching alerts to labels, the counts, the sweep and the tuning rule."""

from __future__ import annotations

import pytest

from components.surveillance import Alert, Pattern
from components.surveillance.scoring import Label, best_threshold, combine, score, sweep

S = 1_000_000_000


def alert(at: int, score_: float = 1.0, account: str = "A1", symbol: str = "AAPL",
          pattern: Pattern = Pattern.WASH_TRADE) -> Alert:
    return Alert(pattern, "d", "1", "o", (account,), symbol, at, score_, (), (), ())


LABEL = Label("EP-1", Pattern.WASH_TRADE, ("A1", "A2"), "AAPL", 100 * S, 110 * S)


def test_counts_precision_recall_f1():
    alerts = [alert(105 * S), alert(160 * S), alert(500 * S), alert(105 * S, account="B"),
              alert(105 * S, symbol="MSFT"), alert(105 * S, pattern=Pattern.SPOOFING)]
    s = score(alerts, [LABEL, Label("EP-2", Pattern.WASH_TRADE, ("C",), "AAPL", 0, S)], Pattern.WASH_TRADE)
    assert (s.alerts, s.true_positives, s.false_positives, s.labels, s.detected, s.missed) == (5, 2, 3, 2, 1, 1)
    assert s.precision == pytest.approx(0.4) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)


def test_alerts_on_an_ignored_episode_count_neither_way():
    s = score([alert(105 * S)], [], Pattern.WASH_TRADE, ignored=[LABEL])
    assert (s.alerts, s.false_positives, s.precision, s.recall) == (0, 0, None, None)  # measured nothing


def test_sweep_recuts_by_score_and_tuning_prefers_the_higher_threshold_on_ties():
    runs = [([alert(105 * S, 0.9), alert(500 * S, 0.3)], [LABEL], [])]
    points = sweep(runs, Pattern.WASH_TRADE, grid=(0.1, 0.5, 0.9, 1.0))
    assert [p.score.alerts for p in points] == [2, 1, 1, 0]
    assert best_threshold(points) == 0.9
    assert combine([points[0].score, points[1].score]).alerts == 3


@pytest.mark.parametrize("record,problem", [({"episode_id": "x"}, "missing field 'pattern'"),
                                            ({"episode_id": "x", "pattern": "nope", "accounts": [], "symbol": "A",
                                              "start_ns": 0, "end_ns": 1}, "nope")])
def test_bad_label_records_name_the_problem(record, problem):
    with pytest.raises(ValueError, match=problem):
        Label.from_record(record, "labels.json[0]")
