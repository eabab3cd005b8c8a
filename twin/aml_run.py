"""AML monitoring over a money flow: run the monitor, score it per typology, sweep, SAR workflow.

Shared by ``twin aml score`` (``twin.cli_aml``), the benchmark and the
acceptance measurement (docs/aml_monitoring.md).

- ``evaluate``: per typology, recall = labelled episodes caught (an alert
  names one of the episode's accounts between its start and its end plus
  ``grace_ns``, or cites one of its transfers) / episodes; precision = alerts
  matching an episode of the typology / alerts attributed to it (a matching
  alert is attributed to the typology it matched, one that matches nothing to
  the typology its strongest finding pointed to, or to ``none``).
- ``sweep``: the same at other score thresholds, from the recorded decisions
  (``components.aml.monitor.gate``), for the precision-recall plot.
- ``simulate_workflow``: cases from the alerts, a seeded analyst (who knows
  the labels, with an error rate) disposes each alert, and a seeded BSA
  officer signs SARs off (or declines) after a random delay, so the SAR
  workflow runs inside the twin.
- ``flow_for_seed`` / ``normal_model``: a labelled flow from
  ``scenarios.money_flow`` for a seed, and the anomaly model trained on a
  normal period (a flow with no typologies, from its own seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from components.aml.anomaly import AnomalyModel, train, training_rows
from components.aml.findings import firm_accounts
from components.aml.monitor import Alert, MonitorConfig, ScoreDecision, TransactionMonitor, gate
from components.aml.rules import DAY_NS
from components.aml.transfers import Transfer, Typology, TypologyLabel

GRACE_NS = DAY_NS
"""How long after an episode's last transfer an alert still counts as catching it (the monitor
evaluates on a tick, and a shape may only complete in the window after the episode)."""
NONE = "none"
"""Where alerts that match nothing and point to no typology are counted."""
SWEEP_THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.1, 1.001, 0.05))


def matches(alert_account_set: set[str], alert_ts: int, evidence: set[str], label: TypologyLabel,
            grace_ns: int = GRACE_NS) -> bool:
    """Whether an alert (its named accounts, time and evidence) catches ``label``."""
    if evidence.intersection(label.transfer_ids):
        return True
    return (label.start_ns <= alert_ts <= label.end_ns + grace_ns
            and not alert_account_set.isdisjoint(label.accounts))


@dataclass(frozen=True, slots=True)
class _AlertRef:
    """What matching needs of an alert (an :class:`Alert` or a gated decision)."""

    accounts: frozenset[str]
    ts_ns: int
    evidence: frozenset[str]
    hint: str


def _ref_of_alert(a: Alert) -> _AlertRef:
    return _AlertRef(frozenset(a.accounts), a.ts_ns, frozenset(a.evidence), a.typology.value if a.typology else NONE)


def _ref_of_decision(d: ScoreDecision, known: set[str]) -> _AlertRef:
    named, evidence = {d.risk.account}, set()
    for f in d.findings:
        named.update(p for p in f.accounts if p in known)
        evidence.update(f.evidence)
    return _AlertRef(frozenset(named), d.risk.ts_ns, frozenset(evidence),
                     d.risk.typology.value if d.risk.typology else NONE)


def _score(refs: Sequence[_AlertRef], labels: Sequence[TypologyLabel], grace_ns: int) -> dict[str, Any]:
    typologies = [t.value for t in Typology]
    caught: set[str] = set()
    tp = {t: 0 for t in typologies}
    fp = {t: 0 for t in [*typologies, NONE]}
    for ref in refs:
        hit = [lab for lab in labels if matches(set(ref.accounts), ref.ts_ns, set(ref.evidence), lab, grace_ns)]
        if hit:
            caught.update(lab.episode_id for lab in hit)
            same = [lab for lab in hit if lab.typology.value == ref.hint]
            tp[(same or hit)[0].typology.value] += 1
        else:
            fp[ref.hint] += 1
    per: dict[str, Any] = {}
    for t in typologies:
        episodes = [lab for lab in labels if lab.typology.value == t]
        n_caught = sum(1 for lab in episodes if lab.episode_id in caught)
        alerts = tp[t] + fp[t]
        per[t] = {"episodes": len(episodes), "caught": n_caught,
                  "recall": round(n_caught / len(episodes), 4) if episodes else None,
                  "alerts": alerts, "tp": tp[t], "fp": fp[t],
                  "precision": round(tp[t] / alerts, 4) if alerts else None}
    total_tp = sum(tp.values())
    return {"typologies": per, "alerts": len(refs), "unattributed_fp": fp[NONE],
            "episodes": len(labels), "caught": len(caught),
            "recall": round(len(caught) / len(labels), 4) if labels else None,
            "precision": round(total_tp / len(refs), 4) if refs else None}


def evaluate(alerts: Sequence[Alert], labels: Sequence[TypologyLabel], grace_ns: int = GRACE_NS) -> dict[str, Any]:
    """Per-typology and overall precision and recall of ``alerts`` against ``labels``."""
    return _score([_ref_of_alert(a) for a in alerts], labels, grace_ns)


def sweep(monitor: TransactionMonitor, labels: Sequence[TypologyLabel],
          thresholds: Iterable[float] = SWEEP_THRESHOLDS, grace_ns: int = GRACE_NS) -> list[dict[str, Any]]:
    """Precision and recall per typology at each score threshold, re-gating the monitor's decisions."""
    points = []
    for thr in thresholds:
        gated = gate(monitor.decisions, thr, monitor.config.cooldown_ns)
        result = _score([_ref_of_decision(d, monitor.accounts) for d in gated], labels, grace_ns)
        points.append({"threshold": float(thr), **result})
    return points


def pr_curves(points: Sequence[Mapping[str, Any]], at: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sweep reshaped for ``reports.surveillance.plot_precision_recall``: one curve per typology."""
    out: dict[str, dict[str, Any]] = {}
    for t, p in at["typologies"].items():
        if not p["episodes"]:
            continue
        # A threshold with no alert of the typology has no precision: left out, not drawn as 1.0.
        curve = [{"threshold": pt["threshold"], "labels": p["episodes"],
                  "precision": pt["typologies"][t]["precision"], "recall": pt["typologies"][t]["recall"]}
                 for pt in points if pt["typologies"][t]["precision"] is not None]
        # the threshold in force raised no alert: no precision, so no dot (reports.surveillance's plot says so)
        out[t] = {"sweep": curve, "precision": p["precision"], "recall": p["recall"]}
    return out


def run_monitor(transfers: Iterable[Transfer], config: MonitorConfig | None = None,
                model: AnomalyModel | None = None, history: Iterable[Transfer] = ()) -> TransactionMonitor:
    """A monitor warmed up on ``history`` (not scored), fed every transfer (in time order) and flushed."""
    monitor = TransactionMonitor(config, model)
    monitor.warm(history)
    monitor.run(transfers)
    return monitor


def normal_model(transfers: Sequence[Transfer], seed: int, exclude: Iterable[str] = (),
                 window_ns: int | None = None) -> AnomalyModel:
    """The anomaly model trained on ``transfers`` less the ``exclude`` transfer ids (a normal period)."""
    drop = set(exclude)
    normal = [t for t in transfers if t.transfer_id not in drop]
    return train(training_rows(normal, window_ns or MonitorConfig().window_ns, firm_accounts), seed)


# ---------------------------------------------------------------------- flows for a seed


def synthetic_accounts(n_clients: int, seed: int) -> list:
    """``n_clients`` clients, about 30% with a second account (the twin's population shape, without
    the trading side): the accounts a standalone money flow runs on."""
    from components.reference.accounts import Account

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_clients):
        out.append(Account(f"ACC-{i:05d}", f"CL-{i:05d}", f"Client {i}", f"ADV-{i % 20:03d}", 0))
        if rng.random() < 0.3:
            out.append(Account(f"ACC-{i:05d}B", f"CL-{i:05d}", f"Client {i}", f"ADV-{i % 20:03d}", 0))
    return out


FLOW_START_NS = 1_780_012_800 * 1_000_000_000
"""A fixed midnight UTC (2026-05-29) the standalone flows start at."""


HISTORY_STREAM = 0x41_4D_4C_48
"""Mixed into a seed for a history period's ordinary draws (its own stream: the flow's draws do not change)."""


def history_for_seed(seed: int, clients: int = 800, days: int = 7):
    """The ``days`` before ``flow_for_seed(seed, clients)``'s window: the same clients' ordinary flow
    (``scenarios.money_flow.generate_history``), the monitor's warm-up history."""
    from scenarios.config_money import MoneyFlowConfig
    from scenarios.money_flow import generate_history

    return generate_history(MoneyFlowConfig(days=days), synthetic_accounts(clients, seed), seed,
                            np.random.default_rng([seed, HISTORY_STREAM]), FLOW_START_NS - days * DAY_NS,
                            FLOW_START_NS)


def flow_for_seed(seed: int, clients: int = 800, days: int = 7, episodes: int = 4):
    """A labelled flow from ``scenarios.money_flow``: ``episodes`` of every typology (0: a normal period)."""
    from scenarios.config_money import MoneyFlowConfig, TypologyCounts
    from scenarios.money_flow import generate_money_flow

    config = MoneyFlowConfig(days=days, typologies=TypologyCounts(**{t.value: episodes for t in Typology}))
    return generate_money_flow(config, synthetic_accounts(clients, seed), seed, FLOW_START_NS,
                               FLOW_START_NS + days * DAY_NS)


def load_run_dir(run_dir) -> tuple[list[Transfer], list[TypologyLabel]]:
    """A twin run folder's executed transfers (``transfers.parquet``) and labels (``aml_labels.json``, optional)."""
    import json
    from pathlib import Path

    import pandas as pd

    folder = Path(run_dir)
    frame = pd.read_parquet(folder / "transfers.parquet")
    if "executed" in frame.columns:  # a transfer the desk blocked never moved money
        frame = frame[frame["executed"].astype(bool)]
    keep = [c for c in ("transfer_id", "ts_ns", "kind", "source", "target", "amount", "device_id", "country",
                        "beneficiary_name") if c in frame.columns]
    transfers = [Transfer.from_record({k: ("" if v is None else v) for k, v in row.items()})
                 for row in frame[keep].to_dict("records")]
    labels_file = folder / "aml_labels.json"
    labels = []
    if labels_file.exists():
        labels = [TypologyLabel.from_record(r) for r in json.loads(labels_file.read_text())["labels"]]
    return transfers, labels


# ---------------------------------------------------------------------- the SAR workflow in the twin


@dataclass(frozen=True, slots=True)
class WorkflowParams:
    """The simulated people of the SAR workflow (seeded)."""

    analyst_error: float = 0.05
    """Chance the analyst's disposition is wrong (a true alert cleared, a false one confirmed)."""
    analyst_delay_ns: int = DAY_NS
    """Mean delay from alert to disposition (exponential)."""
    officer_approval: float = 0.9
    """Chance the BSA officer approves a requested SAR."""
    officer_delay_ns: int = 2 * DAY_NS
    """Mean delay from SAR request to the officer's decision (exponential)."""


def simulate_workflow(alerts: Sequence[Alert], labels: Sequence[TypologyLabel], seed: int,
                      params: WorkflowParams | None = None, transfers: Mapping[str, Transfer] | None = None,
                      grace_ns: int = GRACE_NS) -> dict[str, Any]:
    """Cases, dispositions, SAR requests, sign-offs and filings for ``alerts``; returns the book and a summary.

    The analyst knows the labels (the twin's ground truth) but errs with
    ``analyst_error``; the BSA officer approves with ``officer_approval``.
    Filing is attempted only after the officer's decision: a declined SAR
    is not filed (the case book would refuse it anyway).
    """
    from components.aml.cases import AmlCaseBook, Disposition, SignOffRequired

    p = params or WorkflowParams()
    rng = np.random.default_rng(seed)
    book = AmlCaseBook()
    disposed: list[tuple[Alert, Disposition]] = []
    for alert in alerts:
        book.add(alert)
    for alert in alerts:
        true = any(matches(set(alert.accounts), alert.ts_ns, set(alert.evidence), lab, grace_ns) for lab in labels)
        if rng.random() < p.analyst_error:
            true = not true
        disposition = Disposition.SUSPICIOUS if true else Disposition.FALSE_POSITIVE
        at = alert.ts_ns + int(rng.exponential(p.analyst_delay_ns))
        book.close_alert(alert.alert_id, disposition, "sim-analyst", "labelled ground truth (simulated review)", at)
        disposed.append((alert, disposition))
    refused = 0
    for case_id in sorted(book.cases):
        case = book.cases[case_id]
        if case.status.value != "open" or Disposition.SUSPICIOUS not in case.dispositions.values():
            continue
        at = max(a.ts_ns for a in case.alerts) + int(rng.exponential(p.analyst_delay_ns))
        book.request_sar(case_id, "sim-analyst", at)
        at += int(rng.exponential(p.officer_delay_ns))
        approved = bool(rng.random() < p.officer_approval)
        book.sign_off(case_id, "sim-bsa-officer", approved, at, "simulated BSA officer")
        try:
            book.file_sar(case_id, at, transfers)
        except SignOffRequired:
            refused += 1
    filed = [e for e in book.events if type(e).__name__ == "SarFiled"]
    return {"book": book, "disposed": disposed,
            "summary": {"alerts": len(alerts), "cases": len(book.cases), "funnel": book.funnel(),
                        "sars_filed": len(filed), "declined_not_filed": refused,
                        "example_narrative": filed[0].narrative if filed else None}}


# ---------------------------------------------------------------------- measurement


def measure(seed: int, model_seed: int, clients: int = 800, days: int = 7, episodes: int = 4,
            config: MonitorConfig | None = None, warmup: bool = True) -> dict[str, Any]:
    """The acceptance measurement on one seed: default settings, per-typology scores, the sweep, the SAR workflow.

    The anomaly model trains on a normal period: a flow of ``model_seed``
    with no typologies (so nothing of the measured seed is seen in training).
    With ``warmup`` the monitor first takes the ``days`` before the window
    (``history_for_seed``) as unscored history; without, it starts cold.
    """
    flow = flow_for_seed(seed, clients, days, episodes)
    normal = flow_for_seed(model_seed, clients, days, 0)
    model = normal_model(normal.transfers, model_seed)
    history = history_for_seed(seed, clients, days).transfers if warmup else ()
    return {**measure_transfers(flow.transfers, flow.labels, model, seed, config, history), "clients": clients,
            "days": days, "warmup_transfers": len(history)}


def measure_transfers(transfers: Sequence[Transfer], labels: Sequence[TypologyLabel], model: AnomalyModel | None,
                      seed: int, config: MonitorConfig | None = None,
                      history: Sequence[Transfer] = ()) -> dict[str, Any]:
    """Monitoring (warmed up on ``history``), per-typology scores, the sweep and the simulated SAR workflow."""
    monitor = run_monitor(transfers, config, model, history)
    workflow = simulate_workflow(monitor.alerts, labels, seed, transfers={t.transfer_id: t for t in transfers})
    return {"seed": seed, "model": model.describe() if model else None, "transfers": len(transfers),
            "threshold": monitor.config.score.threshold, "default": evaluate(monitor.alerts, labels),
            "sweep": sweep(monitor, labels), "workflow": workflow["summary"]}


def feedback_experiment(train_seed: int, eval_seed: int, model_seed: int, clients: int = 800, days: int = 7,
                        episodes: int = 4) -> dict[str, Any]:
    """The disposition loop: dispositions on ``train_seed`` tune weights and retrain the model; both
    the default and the tuned monitor are then measured on the later ``eval_seed``."""
    from components.aml.feedback import retrain_with_cleared, tune_weights
    from components.aml.anomaly import training_rows

    normal = flow_for_seed(model_seed, clients, days, 0)
    rows = training_rows(normal.transfers, MonitorConfig().window_ns, firm_accounts)
    model = train(rows, model_seed)
    first = flow_for_seed(train_seed, clients, days, episodes)
    monitor = run_monitor(first.transfers, None, model)
    disposed = simulate_workflow(monitor.alerts, first.labels, train_seed)["disposed"]
    base = MonitorConfig()
    tuned_config = MonitorConfig(score=tune_weights(base.score, disposed))
    retrained = retrain_with_cleared(rows, disposed, model_seed + 1)
    later = flow_for_seed(eval_seed, clients, days, episodes)
    before = evaluate(run_monitor(later.transfers, base, model).alerts, later.labels)
    after = evaluate(run_monitor(later.transfers, tuned_config, retrained).alerts, later.labels)
    return {"train_seed": train_seed, "eval_seed": eval_seed, "detector_weights": dict(tuned_config.score.detector_weights),
            "retrained_model": retrained.describe(), "before": before, "after": after}


def write_evaluation(result: Mapping[str, Any], out) -> list:
    """``aml_eval.json`` and ``aml_pr.png`` (precision-recall per typology) in ``out``; the paths written."""
    import json
    from pathlib import Path

    from reports.surveillance import plot_precision_recall

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "aml_eval.json"
    data.write_text(json.dumps(result, indent=2, sort_keys=True, default=str), encoding="utf-8")
    fig = plot_precision_recall(pr_curves(result["sweep"], result["default"]),
                                title=f"AML precision-recall by typology ({result.get('source', 'seed ' + str(result['seed']))})")
    png = folder / "aml_pr.png"
    fig.savefig(png, format="png", metadata={"Software": None})
    return [data, png]
