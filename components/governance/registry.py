"""The model registry: versions, model cards, stages, promotions with an audit trail.

A version moves candidate -> shadow -> production -> retired. ``promote`` needs a passing
shadow verdict for that very version (``ShadowVerdict`` from ``shadow``): a candidate cannot
skip its shadow period and a failed one cannot be promoted. A card with a failed fairness
check needs an explicit, recorded waiver. Every stage change is an audit
record (``GovernanceEvent`` of kind ``stage_changed``: who, when, why, from and to) returned
to the caller and kept in ``audit``.

*Last good version*: a version that served in production and left it by being replaced, not
by an incident. ``rollback`` retires the production version (marked bad, with the reason)
and restores the most recent last good one. A retired version only comes back that way.

Registration refuses a duplicate (model, version) and an artefact whose content hash differs
from the one declared; ``load`` re-checks the hash of what the store returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .fairness import FairnessCheck
from .records import GovernanceEvent, iso
from .shadow import ShadowVerdict
from .store import ModelStore, content_hash


class RegistryError(ValueError):
    """A registry operation refused; the message names the field and the problem."""


class Stage(str, Enum):
    """Where a model version is in its life."""

    CANDIDATE = "candidate"
    SHADOW = "shadow"
    PRODUCTION = "production"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class TrainingScope:
    """What a version was trained on."""

    description: str
    rows: int
    start_ns: int
    end_ns: int
    population: str = ""
    """Which client population (generator and seed), so anyone can rebuild the data."""

    def as_dict(self) -> dict[str, Any]:
        return {"description": self.description, "rows": self.rows, "start": iso(self.start_ns),
                "end": iso(self.end_ns), "population": self.population}


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered, fitted model version (immutable once registered)."""

    name: str
    version: str
    created_at_ns: int
    training: TrainingScope
    features: tuple[str, ...]
    params: tuple[tuple[str, Any], ...]
    metrics: tuple[tuple[str, float], ...]
    content_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "created_at": iso(self.created_at_ns),
                "training": self.training.as_dict(), "features": list(self.features),
                "params": dict(self.params), "metrics": {k: round(v, 6) for k, v in self.metrics},
                "content_hash": self.content_hash}


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What a reader needs before trusting a version: objective, data, use, limits, fairness."""

    objective: str
    intended_use: str
    limits: tuple[str, ...]
    fairness: tuple[FairnessCheck, ...]

    def as_dict(self, version: ModelVersion) -> dict[str, Any]:
        return {**version.as_dict(), "objective": self.objective, "intended_use": self.intended_use,
                "limits": list(self.limits), "fairness": [f.as_dict() for f in self.fairness]}

    def markdown(self, version: ModelVersion, stage: Stage) -> str:
        """The card as a markdown page."""
        t = version.training
        lines = [f"# Model card: {version.name} {version.version} ({stage.value})", "",
                 f"**Objective.** {self.objective}", "", f"**Intended use.** {self.intended_use}", "",
                 "## Training data", "",
                 f"{t.description}: {t.rows} rows, {iso(t.start_ns)} to {iso(t.end_ns)}"
                 + (f", population `{t.population}`" if t.population else "") + ".", "",
                 f"Features: {', '.join(f'`{f}`' for f in version.features)}.", "",
                 f"Parameters: {', '.join(f'{k}={v}' for k, v in version.params)}.", "",
                 f"Created {iso(version.created_at_ns)}; content hash `{version.content_hash}`.", "",
                 "## Metrics (held-out)", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in version.metrics]
        lines += ["", "## Fairness checks", "", "| check | attribute | value | limit | result | by group |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {f.name} | {f.attribute} | {f.value:.4f} | {f.limit} | {'pass' if f.passed else 'FLAG'} | "
                  + ", ".join(f"{g}: {v:.3f}" for g, v in f.by_group) + " |" for f in self.fairness]
        lines += ["", "## Limits", ""] + [f"- {limit}" for limit in self.limits]
        return "\n".join(lines) + "\n"


@dataclass
class _Entry:
    version: ModelVersion
    card: ModelCard
    stage: Stage = Stage.CANDIDATE
    verdict: ShadowVerdict | None = None
    served: bool = False
    bad: str = ""
    """Why it was pulled from production (empty: never was)."""


@dataclass
class ModelRegistry:
    """Every version of every model, its stage, and the audit trail of stage changes."""

    store: ModelStore
    audit: list[GovernanceEvent] = field(default_factory=list)
    _entries: dict[str, dict[str, _Entry]] = field(default_factory=dict)
    _good: dict[str, list[str]] = field(default_factory=dict)
    """Per model, versions that left production by replacement, oldest first."""

    # -- registration ---------------------------------------------------------------------------
    def register(self, version: ModelVersion, artefact: bytes, card: ModelCard, actor: str) -> GovernanceEvent:
        """Add a candidate version; refuses a duplicate version or a content hash mismatch."""
        if not version.name:
            raise RegistryError("name: empty model name")
        if not version.version:
            raise RegistryError("version: empty version")
        if version.version in self._entries.get(version.name, {}):
            raise RegistryError(f"version: {version.name} {version.version} is already registered")
        actual = content_hash(artefact)
        if actual != version.content_hash:
            raise RegistryError(f"content_hash: {version.name} {version.version} declares {version.content_hash}, "
                                f"the artefact hashes to {actual}")
        self.store.put(version.name, version.version, artefact)
        self._entries.setdefault(version.name, {})[version.version] = _Entry(version, card)
        return GovernanceEvent.of(version.created_at_ns, "registered", version.name, version.version, actor,
                                  "new version", content_hash=version.content_hash,
                                  metrics=dict(version.metrics),
                                  fairness_passed=all(f.passed for f in card.fairness))

    def load(self, name: str, version: str) -> bytes:
        """The stored artefact, after checking it still has the registered content hash."""
        entry = self._entry(name, version)
        artefact = self.store.get(name, version)
        actual = content_hash(artefact)
        if actual != entry.version.content_hash:
            raise RegistryError(f"content_hash: stored artefact of {name} {version} hashes to {actual}, "
                                f"registered {entry.version.content_hash}")
        return artefact

    # -- reading --------------------------------------------------------------------------------
    def _entry(self, name: str, version: str) -> _Entry:
        try:
            return self._entries[name][version]
        except KeyError:
            raise RegistryError(f"version: {name} {version} is not registered") from None

    def version(self, name: str, version: str) -> ModelVersion:
        return self._entry(name, version).version

    def card(self, name: str, version: str) -> ModelCard:
        return self._entry(name, version).card

    def stage(self, name: str, version: str) -> Stage:
        return self._entry(name, version).stage

    def versions(self, name: str) -> tuple[str, ...]:
        """Registered versions of ``name`` in registration order."""
        return tuple(self._entries.get(name, {}))

    def models(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def production(self, name: str) -> str | None:
        """The version in production, if any."""
        return next((v for v, e in self._entries.get(name, {}).items() if e.stage is Stage.PRODUCTION), None)

    def last_good(self, name: str) -> str | None:
        """The version a rollback would restore (see the module docstring), if any."""
        good = [v for v in self._good.get(name, []) if not self._entries[name][v].bad]
        return good[-1] if good else None

    # -- stage changes --------------------------------------------------------------------------
    def _move(self, entry: _Entry, to: Stage, at_ns: int, actor: str, reason: str) -> GovernanceEvent:
        if not actor:
            raise RegistryError("actor: a stage change needs who made it")
        if not reason:
            raise RegistryError("reason: a stage change needs why")
        record = GovernanceEvent.of(at_ns, "stage_changed", entry.version.name, entry.version.version, actor,
                                    reason, **{"from": entry.stage.value, "to": to.value})
        entry.stage = to
        self.audit.append(record)
        return record

    def start_shadow(self, name: str, version: str, at_ns: int, actor: str, reason: str) -> GovernanceEvent:
        """candidate -> shadow."""
        entry = self._entry(name, version)
        if entry.stage is not Stage.CANDIDATE:
            raise RegistryError(f"stage: {name} {version} is {entry.stage.value}, only a candidate enters shadow")
        return self._move(entry, Stage.SHADOW, at_ns, actor, reason)

    def record_verdict(self, verdict: ShadowVerdict) -> GovernanceEvent:
        """Keep the verdict of a version's shadow period (what ``promote`` checks)."""
        entry = self._entry(verdict.model, verdict.version)
        if entry.stage is not Stage.SHADOW:
            raise RegistryError(f"stage: {verdict.model} {verdict.version} is {entry.stage.value}, not in shadow")
        entry.verdict = verdict
        return verdict.record()

    def promote(self, name: str, version: str, at_ns: int, actor: str, reason: str,
                fairness_waiver: str = "") -> list[GovernanceEvent]:
        """shadow -> production, only on a passing verdict and a card whose fairness checks pass
        (or a ``fairness_waiver`` saying why not, kept in the audit record); the version it
        replaces is retired and becomes the last good version. Returns the audit records."""
        entry = self._entry(name, version)
        if entry.stage is not Stage.SHADOW:
            raise RegistryError(f"stage: {name} {version} is {entry.stage.value}; "
                                f"only a version that went through shadow can be promoted")
        if entry.verdict is None:
            raise RegistryError(f"verdict: {name} {version} has no shadow verdict yet")
        if not entry.verdict.passed:
            raise RegistryError(f"verdict: {name} {version} failed its shadow period "
                                f"({'; '.join(entry.verdict.reasons)})")
        flagged = [f.name for f in entry.card.fairness if not f.passed]
        if flagged and not fairness_waiver:
            raise RegistryError(f"fairness: {name} {version} fails {', '.join(flagged)} on its card; "
                                f"promotion needs a fairness_waiver saying why")
        if flagged:
            reason = f"{reason} (fairness waiver for {', '.join(flagged)}: {fairness_waiver})"
        records: list[GovernanceEvent] = []
        current = self.production(name)
        if current is not None:
            records.append(self._move(self._entries[name][current], Stage.RETIRED, at_ns, actor,
                                      f"replaced by {version}"))
            self._good.setdefault(name, []).append(current)
        records.append(self._move(entry, Stage.PRODUCTION, at_ns, actor, reason))
        entry.served = True
        return records

    def retire(self, name: str, version: str, at_ns: int, actor: str, reason: str) -> GovernanceEvent:
        """Take a candidate or shadow version out (e.g. a failed shadow period)."""
        entry = self._entry(name, version)
        if entry.stage not in (Stage.CANDIDATE, Stage.SHADOW):
            raise RegistryError(f"stage: {name} {version} is {entry.stage.value}; production leaves by "
                                f"promote or rollback")
        return self._move(entry, Stage.RETIRED, at_ns, actor, reason)

    def flagged(self, name: str, version: str) -> str:
        """Why the version was pulled or flagged by the runbook ('' if never)."""
        return self._entry(name, version).bad

    def mark_bad(self, name: str, version: str, reason: str) -> None:
        """Exclude a version from ever being the last good one (the runbook does this to a
        production version it acted on without rolling it back)."""
        entry = self._entry(name, version)
        entry.bad = entry.bad or reason

    def rollback(self, name: str, at_ns: int, actor: str, reason: str) -> list[GovernanceEvent]:
        """Retire the production version as bad and restore the last good one."""
        current = self.production(name)
        if current is None:
            raise RegistryError(f"rollback: {name} has no production version")
        target = self.last_good(name)
        if target is None:
            raise RegistryError(f"rollback: {name} has no last good version to restore")
        bad = self._entries[name][current]
        records = [self._move(bad, Stage.RETIRED, at_ns, actor, f"rolled back: {reason}")]
        bad.bad = reason
        self._good[name].remove(target)  # in production again: it re-enters the list when replaced
        records.append(self._move(self._entries[name][target], Stage.PRODUCTION, at_ns, actor,
                                  f"restored as last good version: {reason}"))
        return records
