"""Scoring alerts against labelled episodes: precision, recall, F1 and confusion counts per pattern.

An alert matches a label when both name the same pattern and symbol, share an
account, and the alert's time falls inside the episode widened by
``slack_ns`` on each side. Precision counts alerts (a true positive is an
alert that matches some label), recall counts labels (a detected label has at
least one matching alert). There is no true-negative count: "not abusive" has
no natural unit in an order stream; alert volume per 10,000 orders stands in.

A rate that measured nothing is undefined (``None``), never a perfect 1.0:
precision without alerts, recall without labels, F1 when both are undefined
(when only one is, the other is 0 and so is F1). Tuning ranks an undefined F1
below every measured one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .model import Alert, Pattern

DEFAULT_SLACK_NS = 60 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class Label:
    """One labelled episode (``labels.json``)."""

    episode_id: str
    pattern: Pattern
    accounts: tuple[str, ...]
    symbol: str
    start_ns: int
    end_ns: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str = "labels") -> "Label":
        """From a ``labels.json`` episode; ValueError naming the field on bad input."""
        try:
            return cls(str(record["episode_id"]), Pattern(record["pattern"]), tuple(record["accounts"]),
                       str(record["symbol"]), int(record["start_ns"]), int(record["end_ns"]))
        except KeyError as exc:
            raise ValueError(f"{where}: missing field {exc.args[0]!r}") from None
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True, slots=True)
class PatternScore:
    """One pattern's confusion counts and rates."""

    pattern: Pattern
    alerts: int
    true_positives: int
    false_positives: int
    labels: int
    detected: int
    missed: int

    def __post_init__(self) -> None:
        counts = (self.alerts, self.true_positives, self.false_positives, self.labels, self.detected, self.missed)
        # The F1 rule below relies on these: an undefined rate leaves the other at 0 only for real counts.
        if (min(counts) < 0 or self.true_positives + self.false_positives != self.alerts
                or self.detected + self.missed != self.labels
                or (self.true_positives == 0) != (self.detected == 0)):
            raise ValueError(f"{self.pattern.value}: inconsistent counts alerts={self.alerts} "
                             f"tp={self.true_positives} fp={self.false_positives} labels={self.labels} "
                             f"detected={self.detected} missed={self.missed}")

    @property
    def precision(self) -> float | None:
        """Share of alerts that match a label; None (undefined) when there are no alerts."""
        return self.true_positives / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        """Share of labels detected; None (undefined) when there are no labels."""
        return self.detected / self.labels if self.labels else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall; None when both are undefined, 0 when one is (the other is
        then 0: no alert means no detected label, no label means no true positive)."""
        p, r = self.precision, self.recall
        if p is None and r is None:
            return None
        if p is None or r is None:
            return 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_record(self) -> dict[str, Any]:
        """Plain JSON: the counts and the rates rounded to 4 places (null when undefined)."""
        return {"pattern": self.pattern.value, "alerts": self.alerts, "tp": self.true_positives,
                "fp": self.false_positives, "labels": self.labels, "detected": self.detected, "fn": self.missed,
                "precision": _round(self.precision), "recall": _round(self.recall), "f1": _round(self.f1)}


def _round(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def matches(alert: Alert, label: Label, slack_ns: int = DEFAULT_SLACK_NS) -> bool:
    return (alert.pattern is label.pattern and alert.symbol == label.symbol
            and label.start_ns - slack_ns <= alert.at_ns <= label.end_ns + slack_ns
            and not set(alert.accounts).isdisjoint(label.accounts))


def score(alerts: Sequence[Alert], labels: Sequence[Label], pattern: Pattern,
          slack_ns: int = DEFAULT_SLACK_NS, ignored: Sequence[Label] = ()) -> PatternScore:
    """Confusion counts of one pattern. Alerts matching an ``ignored`` label (an episode that only partly
    happened, e.g. some of its orders refused by pre-trade risk) count neither way."""
    mine = [a for a in alerts if a.pattern is pattern and not any(matches(a, lb, slack_ns) for lb in ignored)]
    truth = [lb for lb in labels if lb.pattern is pattern]
    tp = sum(1 for a in mine if any(matches(a, lb, slack_ns) for lb in truth))
    detected = sum(1 for lb in truth if any(matches(a, lb, slack_ns) for a in mine))
    return PatternScore(pattern, len(mine), tp, len(mine) - tp, len(truth), detected, len(truth) - detected)


def score_all(alerts: Sequence[Alert], labels: Sequence[Label], slack_ns: int = DEFAULT_SLACK_NS,
              ignored: Sequence[Label] = ()) -> dict[Pattern, PatternScore]:
    return {p: score(alerts, labels, p, slack_ns, ignored) for p in Pattern}


def combine(scores: Iterable[PatternScore]) -> PatternScore:
    """Sum the counts of several runs of one pattern."""
    scores = list(scores)
    if not scores:
        raise ValueError("nothing to combine")
    return PatternScore(scores[0].pattern, *(sum(getattr(s, f) for s in scores) for f in
                                              ("alerts", "true_positives", "false_positives", "labels", "detected",
                                               "missed")))


SWEEP_GRID: dict[Pattern, tuple[float, ...]] = {
    Pattern.SPOOFING: (1, 2, 3, 4, 5, 6, 8),
    Pattern.WASH_TRADE: (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    Pattern.MARKING_THE_CLOSE: (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5),
    Pattern.FRONT_RUNNING: (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
}
"""Thresholds the backtest sweeps per pattern (the alert ``score`` is compared with them)."""

SWEEP_FLOOR: dict[Pattern, float] = {p: grid[0] for p, grid in SWEEP_GRID.items()}
"""The lowest threshold of each grid: detectors run once at the floor, then alerts are re-cut by score."""


@dataclass(frozen=True, slots=True)
class SweepPoint:
    threshold: float
    score: PatternScore


def sweep(runs: Sequence[tuple[Sequence[Alert], Sequence[Label], Sequence[Label]]], pattern: Pattern,
          grid: Sequence[float] | None = None, slack_ns: int = DEFAULT_SLACK_NS) -> list[SweepPoint]:
    """Counts over several runs (alerts raised at the floor, labels, ignored labels) at each threshold."""
    points = []
    for t in grid or SWEEP_GRID[pattern]:
        per_run = [score([a for a in alerts if a.score >= t], labels, pattern, slack_ns, ignored)
                   for alerts, labels, ignored in runs]
        points.append(SweepPoint(float(t), combine(per_run)))
    return points


def best_threshold(points: Sequence[SweepPoint]) -> float:
    """The threshold with the best F1; a measured F1 (even 0) beats an undefined one (nothing raised and
    nothing labelled); ties go to the higher threshold (fewer alerts for the analysts)."""
    if not points:
        raise ValueError("no sweep points")

    def rank(p: SweepPoint) -> tuple[bool, float, float]:
        f1 = p.score.f1
        return f1 is not None, round(f1 or 0.0, 9), p.threshold

    return max(points, key=rank).threshold
