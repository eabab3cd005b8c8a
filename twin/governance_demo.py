"""The model-drift demo: a client population shifts mid-run and model governance reacts.

Day 0 trains version 1 of each model (``components.models``: churn propensity, next best
action) on synthetic clients (``scenarios.clients_synth``); it shadows for ``shadow.min_days``
days and is promoted. Version 2 (the other model family, trained on more days) shadows against
it and is promoted if its shadow period meets the criteria. Every day a fresh batch of clients
is scored by the production version (through the model-serving copy of the control plane),
its drift checked against that version's training reference (PSI per feature and on the
score, KS per feature) and its metric checked on the day's outcomes. From ``shift_day`` the
population moves (``shift`` ramps to 1 over ``ramp_days``); the runbook
(``components.governance.rollback``) rolls back to the last good version, or requests a
retraining (on days collected after the request), whose result goes through shadow again.

Promotions and rollbacks reach the scoring path as ``Setting.MODEL`` changes of
``twin.control_plane`` folded into a ``ConfigVersion`` and offered to a ``DataPlaneCopy``
("model-serving"), which validates them against the registry (the version is in production
and its artefact still has its content hash) and only then swaps the model. There is no
trading world here, so changes apply at once (no propagation delay is simulated).

Why a command and not a trading scenario: the models are advisor-facing, off the order path,
and the story needs weeks of client batches where a trading scenario is one day of orders.
Nothing here touches a trading run, so no scenario fingerprint moves.

Everything is a pure function of the config: same seed, same records (byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from components.governance.drift import PSI_ALERT, PSI_WARNING, SCORE, DriftMonitor
from components.governance.records import NS, GovernanceEvent
from components.governance.registry import ModelCard, ModelRegistry, ModelVersion, RegistryError, Stage, TrainingScope
from components.governance.rollback import OnTrigger, Runbook, RunbookConfig, check_metric
from components.governance.shadow import ShadowCriteria, ShadowRun
from components.governance.store import ModelStore, artefact_of, content_hash
from components.models.churn import ChurnModel
from components.models.features import FEATURES, ModelSpec, columns, feature_matrix
from components.models.next_best_action import NextBestActionModel
from scenarios.clients_synth import ClientBatch, generate_clients

from .control_plane import ConfigChange, ConfigVersion, DataPlaneCopy, Setting

DAY_NS = 86_400 * NS
BASE_NS = 20_454 * DAY_NS + 21 * 3_600 * NS
"""Day 0 of the demo: 2026-01-01, 21:00 UTC (after the close, when a day's batch is scored)."""
HOLDOUT = 0.25
"""Share of a training set kept out of fitting, for the card's metrics and fairness figures."""


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """The demo's settings (defaults: the documented run, docs/model_governance.md)."""

    seed: int = 7
    days: int = 24
    shift_day: int = 12
    ramp_days: int = 2
    train_clients: int = 2_000
    daily_clients: int = 500
    second_version_day: int = 3
    """End of this day: version 2 is trained (on day 0 and days 1..this) and enters shadow."""
    retrain_days: int = 3
    """A retraining waits for this many days of batches after the request, and trains on them."""
    on_trigger: OnTrigger = OnTrigger.ROLLBACK
    shadow: ShadowCriteria = ShadowCriteria(min_days=3, min_samples=1_000, min_agreement=0.8, max_metric_drop=0.02)
    metric_floors: tuple[tuple[str, float], ...] = (("churn", 0.6), ("next_best_action", 0.6))

    def __post_init__(self) -> None:
        for name in ("days", "train_clients", "daily_clients", "ramp_days", "retrain_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not self.second_version_day < self.shift_day <= self.days:
            raise ValueError(f"shift_day: must be after second_version_day ({self.second_version_day}) "
                             f"and at most days ({self.days}), got {self.shift_day}")

    def shift(self, day: int) -> float:
        """The population shift on ``day``: 0 before ``shift_day``, then a linear ramp to 1."""
        return 0.0 if day < self.shift_day else min(1.0, (day - self.shift_day + 1) / self.ramp_days)


def at_ns(day: int) -> int:
    return BASE_NS + day * DAY_NS


def _labels(spec: ModelSpec, batch: ClientBatch) -> np.ndarray:
    return batch.churned if spec.name == "churn" else batch.best_action


@dataclass
class _Lane:
    """One model's state in the demo."""

    spec: ModelSpec
    monitors: dict[str, DriftMonitor] = field(default_factory=dict)
    shadow: ShadowRun | None = None
    retrain_from: int | None = None
    count: int = 0
    fitted: dict[str, Any] = field(default_factory=dict)
    """Each version's fitted model, for its shadow scoring (production is served by the copy)."""


@dataclass
class DemoResult:
    """What a demo run produced: the records in order, PSI per day, the registry, figures."""

    config: DemoConfig
    events: list[GovernanceEvent]
    psi_rows: list[dict[str, Any]]
    registry: ModelRegistry
    figures: dict[str, Any]


class _Demo:
    def __init__(self, config: DemoConfig, store: ModelStore):
        self.cfg = config
        self.registry = ModelRegistry(store)
        self.runbook = Runbook(self.registry, RunbookConfig(on_trigger=config.on_trigger))
        self.events: list[GovernanceEvent] = []
        self.psi_rows: list[dict[str, Any]] = []
        self.lanes = [_Lane(ChurnModel()), _Lane(NextBestActionModel())]
        self.batches: dict[int, ClientBatch] = {}
        self.serving: dict[str, tuple[str, Any]] = {}
        self.config_version = ConfigVersion(0, frozenset())
        self.copy = DataPlaneCopy("model-serving", self.config_version, self._validate, self._apply)

    # -- the control plane's model-serving copy -------------------------------------------------
    def _validate(self, version: ConfigVersion) -> str | None:
        for name, ver in version.models:
            if self.registry.production(name) != ver:
                return f"model {name}: {ver} is not in production"
            try:
                self.registry.load(name, ver)
            except RegistryError as exc:
                return str(exc)
        return None

    def _apply(self, version: ConfigVersion) -> None:
        for name, ver in version.models:
            if self.serving.get(name, ("",))[0] != ver:  # hash verified by load; pickle only then
                self.serving[name] = (ver, pickle.loads(self.registry.load(name, ver)))

    def _publish(self, at: int, name: str, ver: str) -> None:
        self.config_version = self.config_version.with_change(ConfigChange(at, Setting.MODEL, name, ver))
        problem = self.copy.offer(self.config_version)
        self.events.append(GovernanceEvent.of(at, "config_refused" if problem else "config_applied", name, ver,
                                              "control-plane", problem or "model-serving copy swapped the model",
                                              config_version=self.config_version.version))

    # -- training -------------------------------------------------------------------------------
    def _train(self, lane: _Lane, family: str, days: list[int], at: int) -> None:
        spec, cfg = lane.spec, self.cfg
        batches = [self.batches[d] for d in days]
        x = np.vstack([feature_matrix(b.clients) for b in batches])
        y = np.concatenate([_labels(spec, b) for b in batches])
        groups = np.concatenate([b.groups for b in batches])
        cut = int(len(y) * (1 - HOLDOUT))  # batches are i.i.d. within a day: the tail is a fair hold-out
        lane.count += 1
        version = f"v{lane.count}"
        model, params = spec.fit(x[:cut], y[:cut], family, cfg.seed + lane.count)
        held = spec.scores(model, x[cut:])
        artefact = artefact_of(model)
        shifts = sorted({b.shift for b in batches})
        scope = TrainingScope(f"synthetic clients of days {days[0]}..{days[-1]} (shift {shifts[0]:g}..{shifts[-1]:g}), "
                              f"{int(HOLDOUT * 100)}% held out", cut, at_ns(days[0]), at_ns(days[-1]),
                              f"scenarios.clients_synth seed {cfg.seed}")
        mv = ModelVersion(spec.name, version, at, scope, FEATURES, tuple(sorted(params.items())),
                          ((spec.metric_name, spec.metric(y[cut:], held)),), content_hash(artefact))
        card = ModelCard(spec.objective, spec.intended_use, spec.limits, spec.fairness(held, y[cut:], groups[cut:]))
        self.events.append(self.registry.register(mv, artefact, card, "trainer"))
        # Score reference from the hold-out: on its own training rows a model is over-confident
        # (a forest most of all), which would read as drift on the first fresh batch.
        lane.monitors[version] = DriftMonitor(spec.name, version, columns(x[:cut]), spec.drift_score(held))
        self.events.append(self.registry.start_shadow(spec.name, version, at, "trainer", "new version: shadow period"))
        lane.shadow = self._shadow_run(spec, version, cfg.shadow)
        lane.fitted[version] = model

    def _shadow_run(self, spec: ModelSpec, candidate: str, criteria: ShadowCriteria) -> ShadowRun:
        production = self.registry.production(spec.name)
        # Agreement with a production version the runbook has flagged is no virtue: waived then.
        flagged = production is not None and bool(self.registry.flagged(spec.name, production))
        return ShadowRun(spec.name, candidate, production, criteria, spec.decide, spec.metric,
                         waive_agreement=flagged)

    # -- one day --------------------------------------------------------------------------------
    def _day(self, day: int) -> None:
        cfg, at = self.cfg, at_ns(day)
        batch = self.batches[day] = generate_clients(cfg.seed, day, cfg.daily_clients, cfg.shift(day))
        x = feature_matrix(batch.clients)
        for lane in self.lanes:
            spec = lane.spec
            y = _labels(spec, batch)
            served = self.serving.get(spec.name)
            prod_scores = spec.scores(served[1], x) if served else None
            if served is not None:  # first the version that scored today, then the shadow's verdict
                self._monitor(lane, day, at, served[0], x, y, prod_scores)
            if lane.shadow is not None:
                self._shadow_day(lane, at, x, y, prod_scores if self.serving.get(spec.name) is served else None)
            if lane.retrain_from is not None and lane.shadow is None \
                    and day - lane.retrain_from + 1 >= cfg.retrain_days:
                family = self.registry.version(spec.name, served[0]).params if served else ()
                self._train(lane, dict(family).get("family", spec.families[0]),
                            list(range(lane.retrain_from, day + 1)), at)
                lane.retrain_from = None
            if day == cfg.second_version_day:
                self._train(lane, spec.families[1], list(range(0, day + 1)), at)

    def _shadow_day(self, lane: _Lane, at: int, x: np.ndarray, y: np.ndarray, prod_scores: np.ndarray | None) -> None:
        spec, run = lane.spec, lane.shadow
        assert run is not None
        production = self.registry.production(spec.name)
        if run.production != production:  # a rollback changed production under the shadow: start over
            lane.shadow = self._shadow_run(spec, run.candidate, run.criteria)
            self.events.append(GovernanceEvent.of(at, "shadow_restarted", spec.name, run.candidate, "shadow",
                                                  f"production is now {production}"))
            return  # today's production scores came from the version rolled back
        _, record = run.observe(at, spec.scores(lane.fitted[run.candidate], x), y, prod_scores)
        self.events.append(record)
        if run.days < run.criteria.min_days:
            return
        verdict = run.verdict(at)
        self.events.append(self.registry.record_verdict(verdict))
        lane.shadow = None
        unfair = [f"{f.name} {f.value:.3f} > {f.limit}" for f in self.registry.card(spec.name, run.candidate).fairness
                  if not f.passed]
        if verdict.passed and unfair:  # the board grants no waivers in the demo
            self.events.append(self.registry.retire(spec.name, run.candidate, at, "governance-board",
                                                    "fairness check flagged on the card: " + "; ".join(unfair)))
        elif verdict.passed:
            self.events.extend(self.registry.promote(spec.name, run.candidate, at, "governance-board",
                                                     "shadow period met its criteria"))
            self._publish(at, spec.name, run.candidate)
        else:
            self.events.append(self.registry.retire(spec.name, run.candidate, at, "governance-board",
                                                    "failed shadow period: " + "; ".join(verdict.reasons)))

    def _monitor(self, lane: _Lane, day: int, at: int, version: str, x: np.ndarray, y: np.ndarray,
                 prod_scores: np.ndarray) -> None:
        spec = lane.spec
        report = lane.monitors[version].check(at, columns(x), spec.drift_score(prod_scores))
        self.events.extend(report.records())
        self.psi_rows.append({"day": day, "model": spec.name, "version": version, "shift": self.cfg.shift(day),
                              **{f.feature: round(f.psi, 6) for f in report.features}})
        action = self.runbook.on_drift(report)
        if action.kind == "none":
            value = spec.metric(y, prod_scores)
            breach = check_metric(at, spec.name, version, spec.metric_name, value, dict(self.cfg.metric_floors)[spec.name])
            if breach is not None:
                self.events.append(breach.record())
                action = self.runbook.on_breach(breach)
        self.events.extend(action.records)
        if action.kind == "rollback" and action.to_version is not None:
            self._publish(at, spec.name, action.to_version)
        if any(r.kind == "retrain_requested" for r in action.records) and lane.retrain_from is None:
            lane.retrain_from = day + 1  # train on what comes after the trigger, not on the mixed past

    def run(self) -> DemoResult:
        cfg = self.cfg
        self.batches[0] = generate_clients(cfg.seed, 0, cfg.train_clients, cfg.shift(0))
        for lane in self.lanes:
            self._train(lane, lane.spec.families[0], [0], at_ns(0))
        for day in range(1, cfg.days + 1):
            self._day(day)
        return DemoResult(cfg, self.events, self.psi_rows, self.registry, self._figures())

    def _figures(self) -> dict[str, Any]:
        cfg = self.cfg
        metrics = [k for k in self.psi_rows[0] if k in FEATURES or k == SCORE] if self.psi_rows else []
        before = [r for r in self.psi_rows if r["day"] < cfg.shift_day]
        out: dict[str, Any] = {
            "seed": cfg.seed, "shift_day": cfg.shift_day, "on_trigger": cfg.on_trigger.value,
            "psi_warning": PSI_WARNING, "psi_alert": PSI_ALERT,
            "max_psi_before_shift": max((max(r[m] for m in metrics) for r in before), default=None),
            "models": {}}
        for lane in self.lanes:
            name = lane.spec.name
            alerts = [e for e in self.events if e.model == name and e.kind == "drift_alert"]
            first = alerts[0] if alerts else None
            first_day = None if first is None else (first.at_ns - BASE_NS) // DAY_NS
            out["models"][name] = {
                "first_alert_day": first_day,
                "detection_delay_days": None if first_day is None else first_day - cfg.shift_day,
                "detection_samples": None if first_day is None else (first_day - cfg.shift_day + 1) * cfg.daily_clients,
                "psi_at_first_alert": None if first is None else first.get("max_psi"),
                "shift_at_first_alert": None if first_day is None else cfg.shift(first_day),
                "max_psi": max((max(r[m] for m in metrics) for r in self.psi_rows if r["model"] == name), default=None),
                "rollbacks": sum(1 for e in self.events if e.model == name and e.kind == "rollback"),
                "retrains_requested": sum(1 for e in self.events if e.model == name and e.kind == "retrain_requested"),
                "promotions": sum(1 for e in self.events if e.model == name and e.kind == "stage_changed"
                                  and e.get("to") == Stage.PRODUCTION.value),
                "production_at_end": self.registry.production(name),
                "versions": {v: self.registry.stage(name, v).value for v in self.registry.versions(name)},
            }
        out["records_sha256"] = records_sha256(self.events)
        return out


def records_sha256(events: list[GovernanceEvent]) -> str:
    """SHA-256 of the records as written (the demo's fingerprint)."""
    return hashlib.sha256(_jsonl(events).encode()).hexdigest()


def _jsonl(events: list[GovernanceEvent]) -> str:
    return "".join(json.dumps(e.as_dict(), sort_keys=True) + "\n" for e in events)


def run_demo(config: DemoConfig, store: ModelStore) -> DemoResult:
    """Run the demo (see the module docstring); artefacts go to ``store``."""
    return _Demo(config, store).run()


def write_demo(result: DemoResult, out_dir: Path, plot: bool = True) -> list[Path]:
    """governance_events.jsonl, cards/ (JSON and markdown per version), psi_over_time.csv,
    governance_summary.json, psi_over_time.png and governance.html into ``out_dir``; the paths
    written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "governance_events.jsonl", out_dir / "psi_over_time.csv", out_dir / "governance_summary.json"]
    written[0].write_text(_jsonl(result.events))
    keys = list(result.psi_rows[0]) if result.psi_rows else ["day"]
    written[1].write_text(",".join(keys) + "\n" + "".join(",".join(str(r[k]) for k in keys) + "\n"
                                                      for r in result.psi_rows))
    written[2].write_text(json.dumps(result.figures, indent=2, sort_keys=True) + "\n")
    cards = out_dir / "cards"
    cards.mkdir(exist_ok=True)
    reg = result.registry
    for name in reg.models():
        for ver in reg.versions(name):
            mv, card, stage = reg.version(name, ver), reg.card(name, ver), reg.stage(name, ver)
            (cards / f"{name}-{ver}.json").write_text(
                json.dumps({**card.as_dict(mv), "stage": stage.value}, indent=2, sort_keys=True) + "\n")
            (cards / f"{name}-{ver}.md").write_text(card.markdown(mv, stage))
            written += [cards / f"{name}-{ver}.json", cards / f"{name}-{ver}.md"]
    if plot:
        written.append(plot_psi(result, out_dir / "psi_over_time.png"))
    from reports.governance_page import write_governance_page

    written.append(write_governance_page(out_dir))
    return written


def plot_psi(result: DemoResult, path: Path) -> Path:
    """PSI over time per model: the worst feature, the score, the thresholds, shift and actions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [lane_name for lane_name in dict.fromkeys(r["model"] for r in result.psi_rows)]
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 3.2 * len(names)), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        rows = [r for r in result.psi_rows if r["model"] == name]
        days = [r["day"] for r in rows]
        ax.plot(days, [max(r[f] for f in FEATURES) for r in rows], marker="o", label="worst feature PSI")
        ax.plot(days, [r[SCORE] for r in rows], marker="s", label="score PSI")
        ax.axhline(PSI_ALERT, color="red", linestyle="--", label=f"alert {PSI_ALERT}")
        ax.axhline(PSI_WARNING, color="orange", linestyle=":", label=f"warning {PSI_WARNING}")
        ax.axvline(result.config.shift_day - 0.5, color="grey", label="shift starts")
        for e in result.events:
            if e.model == name and e.kind in ("rollback", "retrain_requested"):
                ax.axvline((e.at_ns - BASE_NS) / DAY_NS, color="purple" if e.kind == "rollback" else "green",
                           linestyle="-." , label=e.kind)
        for e in result.events:
            if e.model == name and e.kind == "stage_changed" and e.get("to") == Stage.PRODUCTION.value:
                ax.axvline((e.at_ns - BASE_NS) / DAY_NS, color="teal", linestyle=":", alpha=0.6, label="promotion")
        top = max(max(max(r[f] for f in FEATURES), r[SCORE]) for r in rows)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_ylim(0, max(top, PSI_ALERT) * 1.5)
        ax.set_title(f"{name}: PSI against the production version's training data")
        ax.set_ylabel("PSI")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel("day")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
