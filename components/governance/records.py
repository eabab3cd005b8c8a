"""The governance event record: what every governance step returns and a run writes out.

One flat, JSON-ready shape for registrations, stage changes, shadow observations and verdicts,
drift checks and alerts, metric breaches and runbook actions, so a run's
``governance_events.jsonl`` is one record per line in the order things happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

NS = 1_000_000_000


def iso(at_ns: int) -> str:
    """Epoch ns as an ISO-8601 UTC timestamp (seconds precision), for records and cards."""
    return datetime.fromtimestamp(at_ns // NS, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """A JSON-ready copy: floats rounded so records compare across processes, tuples as lists."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _plain(value.item())
    return value


@dataclass(frozen=True, slots=True)
class GovernanceEvent:
    """One governance step: ``kind`` says what (registered, stage_changed, shadow_observed,
    shadow_verdict, drift_checked, drift_warning, drift_alert, metric_breach, rollback,
    retrain_requested, escalated), ``actor`` who, ``reason`` why, ``detail`` the figures."""

    at_ns: int
    kind: str
    model: str
    version: str
    actor: str
    reason: str = ""
    detail: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, at_ns: int, kind: str, model: str, version: str, actor: str, reason: str = "",
           **detail: Any) -> "GovernanceEvent":
        """Build one with ``detail`` given as keywords (stored sorted, JSON-ready)."""
        return cls(at_ns, kind, model, version, actor, reason,
                   tuple(sorted((k, _plain(v)) for k, v in detail.items())))

    def get(self, key: str, default: Any = None) -> Any:
        """One detail value."""
        return dict(self.detail).get(key, default)

    def as_dict(self) -> dict[str, Any]:
        """The record as written to governance_events.jsonl."""
        return {"at": iso(self.at_ns), "at_ns": self.at_ns, "kind": self.kind, "model": self.model,
                "version": self.version, "actor": self.actor, "reason": self.reason,
                "detail": dict(self.detail)}
