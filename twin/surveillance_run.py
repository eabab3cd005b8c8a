"""Surveillance over a twin run: linkage and labels from the world, detection, scoring, the report section.

Shared by ``twin surveil-backtest`` (``twin.cli_surveil``) and the run folder
writer (``twin.outputs``: ``labels.json``, ``links.json`` and the summary's
``surveillance`` section). Episodes whose orders pre-trade risk refused never
reached the market; they are counted apart, not as misses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.surveillance import (AccountRef, Alert, CaseBook, Linkage, Pattern, SurveillanceConfig,
                                     SurveillanceEngine, threshold_of, with_threshold)
from components.surveillance.scoring import (SWEEP_FLOOR, Label, PatternScore, best_threshold, combine, score_all,
                                             sweep)


if TYPE_CHECKING:  # annotations only (the world module imports pandas; `twin --help` must stay light)
    from .world import TwinWorld

REFUSED = frozenset({"BLOCKED", "REJECTED"})


@dataclass
class SeedRun:
    """What one seed's run gives surveillance."""

    seed: int
    events: list
    linkage: Linkage
    labels: list[Label]
    refused_labels: list[Label]
    """Episodes that only partly happened (some orders refused by pre-trade risk): not scored."""
    orders: int
    close_ns: int


def linkage_of(world: TwinWorld) -> Linkage:
    """Owners and advisor ties of a run: the population's clients plus the bad actors' declared links."""
    plan = world.bad_actor_plan
    refs = [AccountRef(a.account_id, a.client_id, a.advisor_id) for a in world.population.accounts]
    if plan is None:
        return Linkage(refs)
    return Linkage(refs, plan.shared_identifiers, plan.advisor_links)


def labels_of(world: TwinWorld) -> tuple[list[Label], list[Label]]:
    """(labels whose orders all passed pre-trade risk, labels of episodes with an order risk refused)."""
    plan = world.bad_actor_plan
    if plan is None:
        return [], []
    status = {o.spec.client_order_id: o.status.value for o in world.platform.oms.orders.values()}
    labels, refused = [], []
    for ep in plan.episodes:
        label = Label.from_record(ep.to_record(), f"episode {ep.episode_id}")
        refused_any = any(status.get(c, "BLOCKED") in REFUSED for c in ep.client_order_ids)
        (refused if refused_any else labels).append(label)
    return labels, refused


def detect(run: SeedRun, config: SurveillanceConfig) -> list[Alert]:
    """Every alert the engine raises over the run's events at ``config``."""
    return SurveillanceEngine(run.linkage, run.close_ns, config).run(run.events)


def floor_config(config: SurveillanceConfig) -> SurveillanceConfig:
    """``config`` with every threshold at the floor of its sweep grid (alerts are re-cut by score after)."""
    for pattern, floor in SWEEP_FLOOR.items():
        config = with_threshold(config, pattern, floor)
    return config


def evaluate(runs: list[SeedRun], config: SurveillanceConfig) -> dict[str, Any]:
    """Scores at ``config``'s thresholds, volumes, the sweep, and the case funnel."""
    per_pattern: dict[Pattern, list[PatternScore]] = {p: [] for p in Pattern}
    floor_runs = []
    orders = sum(r.orders for r in runs)
    book = CaseBook()
    for run in runs:
        alerts = detect(run, config)
        book.add_all(alerts)
        for p, s in score_all(alerts, run.labels, ignored=run.refused_labels).items():
            per_pattern[p].append(s)
        floor_runs.append((detect(run, floor_config(config)), run.labels, run.refused_labels))
    patterns = {}
    for p in Pattern:
        total = combine(per_pattern[p])
        patterns[p.value] = {**total.to_record(), "threshold": threshold_of(config, p),
                             "alerts_per_10k_orders": round(total.alerts * 10_000 / orders, 3) if orders else 0.0,
                             "sweep": [{"threshold": pt.threshold, **pt.score.to_record()}
                                       for pt in sweep(floor_runs, p)]}
    return {"seeds": [r.seed for r in runs], "orders": orders, "events": sum(len(r.events) for r in runs),
            "labels": sum(len(r.labels) for r in runs), "refused_episodes": sum(len(r.refused_labels) for r in runs),
            "patterns": patterns, "case_funnel": book.funnel(), "cases": len(book.cases)}


def tune(runs: list[SeedRun], config: SurveillanceConfig) -> tuple[SurveillanceConfig, dict[str, float]]:
    """Each pattern's best-F1 threshold on ``runs``; the config carrying them. A pattern with no labelled
    episode on ``runs`` keeps ``config``'s threshold: its F1 is 0 (false alerts only) or undefined (none)
    at every threshold, so there is nothing to learn, and a threshold picked from that would be noise."""
    floor_runs = [(detect(r, floor_config(config)), r.labels, r.refused_labels) for r in runs]
    chosen = {}
    for p in Pattern:
        points = sweep(floor_runs, p)
        if all(point.score.labels == 0 for point in points):
            chosen[p.value] = threshold_of(config, p)
            continue
        chosen[p.value] = best_threshold(points)
        config = with_threshold(config, p, chosen[p.value])
    return config, chosen


def run_report_section(world: TwinWorld, events: list) -> dict[str, Any]:
    """The run report's ``surveillance`` section: alerts by pattern, case funnel, and scores when labelled."""
    from reports.surveillance import run_section

    labels, refused = labels_of(world)
    run = SeedRun(world.seed, events, linkage_of(world), labels, refused, len(world.platform.oms.orders),
                  world.scenario.session_close_ns)
    config = SurveillanceConfig()
    alerts = detect(run, config)
    book = CaseBook()
    book.add_all(alerts)
    by_pattern = {p.value: sum(1 for a in alerts if a.pattern is p) for p in Pattern}
    scores = None
    if world.bad_actor_plan is not None and (labels or refused):
        scores = evaluate([run], config)["patterns"]
    return run_section(by_pattern, book.funnel(), run.orders, scores)


def write_labels(world: TwinWorld, out_dir: Path) -> None:
    """``labels.json`` (the bad actors' episodes) and ``links.json`` (reference links) beside the events."""
    plan = world.bad_actor_plan
    if plan is None:
        return
    (out_dir / "labels.json").write_text(json.dumps({"scenario": world.scenario.name, "seed": world.seed,
                                                     "episodes": [e.to_record() for e in plan.episodes]}, indent=1),
                                         encoding="utf-8")
    (out_dir / "links.json").write_text(json.dumps(plan.links_record(world.population), indent=1), encoding="utf-8")
