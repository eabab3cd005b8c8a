"""``twin aml score TRANSACTIONS.csv`` and ``twin aml evaluate``: AML monitoring from the command line.

``score`` reads an outside transaction file (``twin.aml_input`` documents the
columns; ``--format ibm-aml`` reads the IBM AML synthetic layout), trains the
anomaly model on the file itself (unsupervised: the file's bulk is taken as
normal; at least 20 account-windows, else the model is left out), runs the
monitor (``components.aml.monitor``) and writes ``alerts.json``,
``scores.csv`` (each account's highest score and its contributions) and
``summary.json`` to ``--out``. With account labels (``--accounts``, or the
ibm-aml file's own "Is Laundering"), it prints account-level precision and
recall: an account is flagged when an alert names it. A bad row stops the
command with one line naming the file, line and column, before anything is
written; the output folder is written whole or not at all.

``evaluate`` is the acceptance measurement on the twin's labelled typologies
(``twin.aml_run.measure``): a generated flow for ``--seed``, the model trained
on a normal period of ``--model-seed``, per-typology precision/recall, the
sweep and the precision-recall plot, and the SAR workflow's funnel; or, with
``--run DIR``, the same over a twin run folder's executed transfers and
labels (the model then trains on the run's own transfers).
Heavy libraries (numpy, scikit-learn, networkx, matplotlib) load only when a
command runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import cli_args
from .run_folders import out_folder


def _write_dir(out: Path, files: dict[str, str]) -> None:
    """Write ``files`` into ``out`` whole: a temporary sibling folder, then renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def account_scores(labels: dict[str, bool], flagged: set[str]) -> dict[str, Any]:
    """Account-level precision and recall of ``flagged`` against ``labels`` (unlisted accounts: negative)."""
    positive = {a for a, bad in labels.items() if bad}
    tp = len(flagged & positive)
    return {"labelled_positive": len(positive), "flagged": len(flagged), "tp": tp, "fp": len(flagged) - tp,
            "fn": len(positive) - tp, "precision": round(tp / len(flagged), 4) if flagged else None,
            "recall": round(tp / len(positive), 4) if positive else None}


def _cmd_score(args: argparse.Namespace) -> int:
    from .aml_input import InputError, read_accounts, read_ibm_aml, read_native

    path = Path(args.transactions)
    try:
        data = read_ibm_aml(path) if args.format == "ibm-aml" else read_native(path)
        labels = read_accounts(Path(args.accounts)) if args.accounts else None
    except InputError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    if labels is None and data.has_labels:
        labels = {a: True for a in data.labelled}
    from components.aml.anomaly import MIN_TRAINING_ROWS, train, training_rows
    from components.aml.findings import firm_accounts
    from components.aml.monitor import MonitorConfig, TransactionMonitor

    config = MonitorConfig()
    if args.threshold is not None:
        config = config.with_score(threshold=args.threshold)
    rows = training_rows(data.transfers, config.window_ns, firm_accounts)
    model = train(rows, args.seed) if len(rows) >= MIN_TRAINING_ROWS else None
    monitor = TransactionMonitor(config, model)
    monitor.run(data.transfers)
    best: dict[str, Any] = {}
    for d in monitor.decisions:
        if d.risk.account not in best or d.risk.score > best[d.risk.account].risk.score:
            best[d.risk.account] = d
    flagged = {a for alert in monitor.alerts for a in alert.accounts}
    summary: dict[str, Any] = {
        "file": str(path), "format": args.format, "transfers": len(data.transfers),
        "skipped_self_transfers": data.skipped_self, "accounts": len(monitor.accounts),
        "alerts": len(monitor.alerts), "flagged_accounts": len(flagged), "threshold": config.score.threshold,
        "model": model.describe() if model else None,
        "alerts_by_typology": _count(a.typology.value if a.typology else "none" for a in monitor.alerts)}
    if labels is not None:
        summary["labels"] = account_scores(labels, flagged)
    scores = _scores_csv(best)
    alerts = json.dumps([a.to_record() for a in monitor.alerts], indent=1, sort_keys=True)
    out = out_folder(args.out, f"aml-score-{path.stem}")
    _write_dir(out, {"alerts.json": alerts, "scores.csv": scores,
                     "summary.json": json.dumps(summary, indent=2, sort_keys=True)})
    _print_score(summary)
    print(f"output: {out}")
    return 0


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def _scores_csv(best: dict[str, Any]) -> str:
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["account", "score", "rule", "graph", "anomaly", "ts_ns", "alerted", "detectors"])
    for account in sorted(best, key=lambda a: (-best[a].risk.score, a)):
        d = best[account]
        c = d.risk.contributions()
        w.writerow([account, round(d.risk.score, 6), c["rule"], c["graph"], c["anomaly"], d.risk.ts_ns,
                    int(d.alerted), ";".join(sorted({f.detector for f in d.findings}))])
    return buf.getvalue()


def _print_score(summary: dict[str, Any]) -> None:
    print(f"{summary['transfers']} transfers, {summary['accounts']} accounts; {summary['alerts']} alerts on "
          f"{summary['flagged_accounts']} accounts at threshold {summary['threshold']}"
          + (f"; {summary['skipped_self_transfers']} self-transfers skipped" if summary["skipped_self_transfers"]
             else ""))
    model = summary["model"]
    print(f"anomaly model: {model['version'] if model else 'none (too few account-windows to train)'}")
    for name, n in summary["alerts_by_typology"].items():
        print(f"  {name:<20} {n:>6} alerts")
    if "labels" in summary:
        s = summary["labels"]
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"labels: {s['labelled_positive']} suspicious accounts; precision {fmt(s['precision'])} "
              f"recall {fmt(s['recall'])} (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .aml_run import measure, write_evaluation

    if args.run:
        result = _evaluate_run(Path(args.run), args.model_seed)
        if result is None:
            return 2
        out = Path(args.out) if args.out else Path(args.run) / "aml"
    else:
        if args.model_seed == args.seed:
            print("invalid: --model-seed must differ from --seed (the model trains on another seed's normal period)",
                  file=sys.stderr)
            return 2
        result = measure(args.seed, args.model_seed, clients=args.clients, days=args.days, episodes=args.episodes,
                         warmup=not args.no_warmup)
        out = out_folder(args.out, f"aml-eval-{args.seed}")
    paths = write_evaluation(result, out)
    r = result["default"]
    model = result["model"]["version"] if result["model"] else "none"
    print(f"{result.get('source', f'seed {args.seed}')}: {result['transfers']} transfers, model {model}, "
          f"threshold {result['threshold']}")
    print(f"  {'typology':<20} {'episodes':>8} {'caught':>6} {'recall':>6} {'alerts':>6} {'precision':>9}")
    for name, p in r["typologies"].items():
        rec = "n/a" if p["recall"] is None else f"{p['recall']:.3f}"
        prec = "n/a" if p["precision"] is None else f"{p['precision']:.3f}"
        print(f"  {name:<20} {p['episodes']:>8} {p['caught']:>6} {rec:>6} {p['alerts']:>6} {prec:>9}")
    print(f"  overall: {r['alerts']} alerts, precision {r['precision']}, recall {r['recall']}")
    print(f"  SAR workflow: {result['workflow']['funnel']}")
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _evaluate_run(run: Path, model_seed: int) -> dict[str, Any] | None:
    """A twin run folder's transfers and labels; the model trains on the run's own transfers (unsupervised:
    the run has no separate normal period)."""
    from components.aml.anomaly import MIN_TRAINING_ROWS, train, training_rows
    from components.aml.findings import firm_accounts
    from components.aml.monitor import MonitorConfig

    from .aml_run import load_run_dir, measure_transfers

    if not (run / "transfers.parquet").exists():
        print(f"invalid: {run}: no transfers.parquet (run a scenario with a money section, e.g. "
              f"scenarios/aml_day.yaml)", file=sys.stderr)
        return None
    transfers, labels = load_run_dir(run)
    rows = training_rows(transfers, MonitorConfig().window_ns, firm_accounts)
    model = train(rows, model_seed) if len(rows) >= MIN_TRAINING_ROWS else None
    return {**measure_transfers(transfers, labels, model, model_seed), "source": f"run {run.name}"}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _unit_float(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    aml = sub.add_parser("aml", help="AML transaction monitoring: score a file, evaluate on labelled typologies")
    verbs = aml.add_subparsers(dest="aml_command", required=True)
    p = verbs.add_parser("score", help="score an outside transaction file; precision/recall with labels")
    p.add_argument("transactions", help="CSV: source,target,amount,timestamp[,transfer_id,kind,country,device]")
    p.add_argument("--accounts", default=None, help="CSV account,label (1/0, true/false or a typology name)")
    p.add_argument("--format", choices=("native", "ibm-aml"), default="native",
                   help="column layout: native (documented columns) or ibm-aml (IBM AML synthetic data)")
    p.add_argument("--threshold", type=_unit_float, default=None, help="alert threshold (default 0.6)")
    p.add_argument("--seed", type=cli_args.seed, default=0, help="anomaly model training seed (default 0)")
    p.add_argument("--out", default=None, help="output folder (default reports/out/aml-score-FILE)")
    p.set_defaults(func=_cmd_score)
    e = verbs.add_parser("evaluate", help="per-typology precision/recall on a generated labelled flow")
    e.add_argument("--seed", type=cli_args.seed, default=301,
                   help="flow seed to measure on (default 301, not used for tuning)")
    e.add_argument("--model-seed", type=int, default=1201, help="seed of the normal period the model trains on (default 1201)")
    e.add_argument("--clients", type=_positive_int, default=1500, help="clients (default 1500)")
    e.add_argument("--days", type=_positive_int, default=7, help="days of money flow (default 7)")
    e.add_argument("--episodes", type=_positive_int, default=8, help="episodes per typology (default 8)")
    e.add_argument("--run", default=None, help="a twin run folder (transfers.parquet, aml_labels.json) instead "
                                               "of a generated flow")
    e.add_argument("--no-warmup", action="store_true",
                   help="start the monitor cold (no history before the window; the measurement before the warm-up)")
    e.add_argument("--out", default=None, help="output folder (default reports/out/aml-eval-SEED, or RUN/aml)")
    e.set_defaults(func=_cmd_evaluate)
