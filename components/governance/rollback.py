"""The seed's runbook for a model in trouble, as code.

Triggers: a drift *alert* (PSI >= 0.25 on a feature or the score, ``drift.DriftReport``) or a
*metric breach* (the production metric on labelled outcomes below its floor, ``MetricBreach``).
Warnings are recorded and nothing else happens.

Action, per ``RunbookConfig.on_trigger``:

* ``rollback`` (default): the production version is retired as bad and the last good version
  restored at once, automatically, with an audit record naming the trigger. With no last good
  version the runbook escalates (records ``escalated``; a person decides) and, when
  ``retrain_when_no_last_good`` is set, also requests a retraining.
* ``retrain``: production stays as it is and a retraining is requested (``retrain_requested``);
  the retrained version is a candidate like any other and goes through shadow before it can
  be promoted.

Any version the runbook acts on is marked bad in the registry (``mark_bad``), so it is never
a "last good version" later, whatever was done about it.

One trigger acts once per production version: further alerts on the same version (the
drift persists, the data is what it is) are recorded as ``suppressed`` in the action, not
acted on again, so a persistent shift cannot cause a rollback storm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .drift import DriftLevel, DriftReport
from .records import GovernanceEvent
from .registry import ModelRegistry

ACTOR = "runbook"


class OnTrigger(str, Enum):
    """What the runbook does when a trigger fires."""

    ROLLBACK = "rollback"
    RETRAIN = "retrain"


@dataclass(frozen=True, slots=True)
class RunbookConfig:
    """The runbook's settings (documented in docs/model_governance.md)."""

    on_trigger: OnTrigger = OnTrigger.ROLLBACK
    retrain_when_no_last_good: bool = True


@dataclass(frozen=True, slots=True)
class MetricBreach:
    """A production metric on labelled outcomes below its floor."""

    at_ns: int
    model: str
    version: str
    metric: str
    value: float
    floor: float

    def record(self) -> GovernanceEvent:
        return GovernanceEvent.of(self.at_ns, "metric_breach", self.model, self.version, "metric-monitor",
                                  f"{self.metric} {self.value:.4f} < floor {self.floor}",
                                  metric=self.metric, value=self.value, floor=self.floor)


def check_metric(at_ns: int, model: str, version: str, metric: str, value: float, floor: float) -> MetricBreach | None:
    """A breach when ``value`` is below ``floor``."""
    return MetricBreach(at_ns, model, version, metric, value, floor) if value < floor else None


@dataclass(frozen=True, slots=True)
class RunbookAction:
    """What the runbook did about one trigger: ``kind`` is none, rollback, retrain_requested,
    escalated or suppressed; ``records`` are the governance records it produced."""

    kind: str
    model: str
    from_version: str
    to_version: str | None
    records: tuple[GovernanceEvent, ...]


@dataclass
class Runbook:
    """Applies the runbook to a registry (see the module docstring)."""

    registry: ModelRegistry
    config: RunbookConfig = RunbookConfig()
    _acted: set[tuple[str, str]] = field(default_factory=set)

    def on_drift(self, report: DriftReport) -> RunbookAction:
        """Act on a drift report: only an alert on the production version is a trigger."""
        if report.level is not DriftLevel.ALERT:
            return RunbookAction("none", report.model, report.version, None, ())
        over = [f.feature for f in report.features if f.level is DriftLevel.ALERT]
        return self._trigger(report.at_ns, report.model, report.version,
                             f"drift alert: PSI {report.max_psi:.3f} >= 0.25 on {', '.join(over)}")

    def on_breach(self, breach: MetricBreach) -> RunbookAction:
        """Act on a metric breach of the production version."""
        return self._trigger(breach.at_ns, breach.model, breach.version,
                             f"metric breach: {breach.metric} {breach.value:.4f} < {breach.floor}")

    def _trigger(self, at_ns: int, model: str, version: str, why: str) -> RunbookAction:
        if self.registry.production(model) != version:
            raise ValueError(f"version: {model} {version} is not in production; the runbook acts on production")
        if (model, version) in self._acted:
            return RunbookAction("suppressed", model, version, None, (
                GovernanceEvent.of(at_ns, "suppressed", model, version, ACTOR, f"already acted on: {why}"),))
        self._acted.add((model, version))
        self.registry.mark_bad(model, version, why)  # whatever is done now, it is not a version to return to
        if self.config.on_trigger is OnTrigger.RETRAIN:
            return RunbookAction("retrain_requested", model, version, None, (
                GovernanceEvent.of(at_ns, "retrain_requested", model, version, ACTOR, why),))
        target = self.registry.last_good(model)
        if target is None:
            records = [GovernanceEvent.of(at_ns, "escalated", model, version, ACTOR,
                                          f"no last good version to roll back to: {why}")]
            if self.config.retrain_when_no_last_good:
                records.append(GovernanceEvent.of(at_ns, "retrain_requested", model, version, ACTOR, why))
            return RunbookAction("escalated", model, version, None, tuple(records))
        moves = self.registry.rollback(model, at_ns, ACTOR, why)
        summary = GovernanceEvent.of(at_ns, "rollback", model, target, ACTOR, why, rolled_back=version,
                                     restored=target)
        return RunbookAction("rollback", model, version, target, (*moves, summary))
