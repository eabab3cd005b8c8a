"""The risk score: rules, graph findings and the anomaly model combined, each contribution recorded.

For one account at one evaluation::

    rule    = weight_rule  * max severity of its rule findings
    graph   = weight_graph * max severity of its graph findings
    anomaly = weight_anomaly * max(0, (s - anomaly_floor) / (1 - anomaly_floor))   (s: forest score)
    score   = min(1, rule + graph + anomaly)

Defaults (``ScoreParams``): a single rule or graph finding of severity 1 scores
0.7, over the 0.6 alert threshold on its own; the anomaly model alone tops at
0.4 and never alerts by itself, but lifts a weak signal (``large_cash`` at
0.3 severity scores 0.21, plus a clearly unusual account crosses 0.6).
``weights_per_detector`` scales single detectors (the disposition feedback
loop, ``feedback``, sets them). The :class:`RiskScore` keeps every term, and
the typology hint is the strongest finding's typology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .findings import Finding, Source
from .transfers import Typology


@dataclass(frozen=True, slots=True)
class ScoreParams:
    """How the three families combine, and the alert threshold."""

    weight_rule: float = 0.7
    weight_graph: float = 0.7
    weight_anomaly: float = 0.4
    anomaly_floor: float = 0.55
    """Forest scores at or below this add nothing (about 0.5 is an ordinary account)."""
    threshold: float = 0.6
    """An account scoring at or above this raises an alert."""
    detector_weights: tuple[tuple[str, float], ...] = ()
    """Per-detector multipliers (``"rule:velocity"`` -> 0.8), 1.0 when absent; set by ``feedback``."""

    def detector_weight(self, detector: str) -> float:
        for name, w in self.detector_weights:
            if name == detector:
                return w
        return 1.0


@dataclass(frozen=True, slots=True)
class RiskScore:
    """One account's score at one evaluation, with each family's contribution."""

    account: str
    ts_ns: int
    score: float
    rule: float
    graph: float
    anomaly: float
    anomaly_raw: float | None
    """The forest's own score (None: no model in force)."""
    typology: Typology | None
    """The strongest finding's typology (None: anomaly or a plain threshold only)."""

    def contributions(self) -> dict[str, float]:
        return {"rule": round(self.rule, 6), "graph": round(self.graph, 6), "anomaly": round(self.anomaly, 6)}


def _weighted(findings: Sequence[Finding], params: ScoreParams) -> list[tuple[float, Finding]]:
    return [(f.severity * params.detector_weight(f.detector), f) for f in findings]


def risk_score(account: str, ts_ns: int, findings: Sequence[Finding], anomaly_raw: float | None,
               params: ScoreParams) -> RiskScore:
    """Combine ``findings`` (this account's) and the forest score into a :class:`RiskScore`."""
    weighted = _weighted(findings, params)
    rule = max((w for w, f in weighted if f.source is Source.RULE), default=0.0) * params.weight_rule
    graph = max((w for w, f in weighted if f.source is Source.GRAPH), default=0.0) * params.weight_graph
    anomaly = 0.0
    if anomaly_raw is not None and anomaly_raw > params.anomaly_floor:
        anomaly = params.weight_anomaly * (anomaly_raw - params.anomaly_floor) / (1.0 - params.anomaly_floor)
    typed = [(w, f.detector, f) for w, f in weighted if f.typology is not None]
    typology = max(typed, key=lambda x: (x[0], x[1]))[2].typology if typed else None
    return RiskScore(account, ts_ns, min(1.0, rule + graph + anomaly), rule, graph, anomaly, anomaly_raw, typology)


def score_params_from(mapping: Mapping[str, Any]) -> ScoreParams:
    """A ``ScoreParams`` from a plain mapping (unknown keys refused, naming the key)."""
    known = set(ScoreParams.__dataclass_fields__)
    for key in mapping:
        if key not in known:
            raise ValueError(f"score params: unknown key {key!r} (known: {', '.join(sorted(known))})")
    values = dict(mapping)
    if "detector_weights" in values:
        values["detector_weights"] = tuple(sorted((str(k), float(v)) for k, v in dict(values["detector_weights"]).items()))
    return ScoreParams(**values)
