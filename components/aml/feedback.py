"""The disposition feedback loop: analysts' decisions adjust detector weights and retrain the model.

Two levers, both pure functions of recorded dispositions:

1. :func:`tune_weights`: per detector, the share of its alerts analysts
   confirmed suspicious is its observed precision. A detector below
   ``target_precision`` (with at least ``min_alerts`` disposed) gets its
   weight multiplied by ``precision / target_precision`` (never below
   ``floor``); one at or above target keeps 1.0. The result is a new
   ``ScoreParams.detector_weights`` (a single detector's alert scores
   ``weight_x * multiplier``: below the threshold its lone hits stop
   alerting, while corroborated hits still do).
2. :func:`retrain_with_cleared`: the anomaly model is refitted on the
   normal-period rows plus the feature rows of alerts cleared as false
   positives (what analysts say is normal), with a new seed recorded in its
   version.
``twin.aml_run.feedback_experiment`` runs the loop on one seed and measures
the result on a later one (docs/aml_monitoring.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from .anomaly import AnomalyModel, train
from .cases import Disposition
from .monitor import Alert, detectors_of
from .scoring import ScoreParams


def observed_precision(disposed: Iterable[tuple[Alert, Disposition]]) -> dict[str, tuple[int, int]]:
    """Per detector: (alerts confirmed suspicious, alerts disposed)."""
    out: dict[str, tuple[int, int]] = {}
    for alert, disposition in disposed:
        for d in detectors_of(alert.findings):
            good, n = out.get(d, (0, 0))
            out[d] = (good + (disposition is Disposition.SUSPICIOUS), n + 1)
    return out


def tune_weights(params: ScoreParams, disposed: Iterable[tuple[Alert, Disposition]],
                 target_precision: float = 0.8, floor: float = 0.5, min_alerts: int = 5) -> ScoreParams:
    """``params`` with per-detector weights set from analysts' dispositions (see the module docstring)."""
    weights = dict(params.detector_weights)
    for detector, (good, n) in sorted(observed_precision(disposed).items()):
        if n < min_alerts:
            continue
        precision = good / n
        weights[detector] = 1.0 if precision >= target_precision else max(floor, precision / target_precision)
    return replace(params, detector_weights=tuple(sorted(weights.items())))


def retrain_with_cleared(normal_rows: Sequence[Sequence[float]], disposed: Iterable[tuple[Alert, Disposition]],
                         seed: int) -> AnomalyModel:
    """The anomaly model refitted on the normal rows plus the cleared alerts' feature rows."""
    cleared = [tuple(v for _, v in a.features) for a, d in disposed if d is Disposition.FALSE_POSITIVE]
    return train([*map(tuple, normal_rows), *cleared], seed)
