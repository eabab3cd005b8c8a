"""``twin governance drift-demo`` and ``twin governance cards``: model governance from the command line.

``drift-demo [--seed N] [--out DIR] [--on-drift rollback|retrain]`` runs ``twin.governance_demo``
(a client population shifting mid-run; drift detected, alert raised, rollback or retraining)
and writes governance_events.jsonl, cards/, psi_over_time.csv/.png and governance_summary.json.
``cards DIR`` lists the model cards of such a run folder (``--show MODEL-VERSION`` prints one).

numpy, scikit-learn, scipy and matplotlib load only inside the commands, never when the
parser is built.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import cli_args
from .run_folders import out_folder


def register(sub) -> None:
    """Add the ``governance`` subcommand and its verbs."""
    parser = sub.add_parser("governance", help="model governance: the drift demo and model cards")
    verbs = parser.add_subparsers(dest="verb", required=True)
    demo = verbs.add_parser("drift-demo", help="a client population shifts mid-run: drift, alert, rollback/retrain")
    demo.add_argument("--seed", type=cli_args.seed, default=7,
                      help="seed of the synthetic clients and models (default 7)")
    demo.add_argument("--out", default=None, help="run folder (default: reports/out/governance-drift-SEED)")
    demo.add_argument("--on-drift", choices=("rollback", "retrain"), default="rollback",
                      help="the runbook's action on an alert (default rollback to the last good version)")
    demo.add_argument("--days", type=int, default=24, help="days after training (default 24)")
    demo.add_argument("--shift-day", type=int, default=12, help="first day of the population shift (default 12)")
    demo.add_argument("--ramp-days", type=int, default=2,
                      help="days the shift takes to reach its full size (default 2)")
    demo.add_argument("--no-plot", action="store_true", help="skip psi_over_time.png")
    demo.set_defaults(func=_cmd_demo)
    cards = verbs.add_parser("cards", help="list (or --show) the model cards of a drift-demo run folder")
    cards.add_argument("run_dir", help="a run folder written by `twin governance drift-demo`")
    cards.add_argument("--show", default=None, metavar="MODEL-VERSION", help="print one card, e.g. churn-v2")
    cards.set_defaults(func=_cmd_cards)


def _cmd_demo(args: argparse.Namespace) -> int:
    from components.governance.rollback import OnTrigger

    from .governance_demo import DemoConfig, run_demo, write_demo
    from .governance_store import DirectoryModelStore

    try:
        config = DemoConfig(seed=args.seed, days=args.days, shift_day=args.shift_day, ramp_days=args.ramp_days,
                            on_trigger=OnTrigger(args.on_drift))
    except ValueError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    out = out_folder(args.out, f"governance-drift-{args.seed}")
    if (out / "models").exists() and any((out / "models").iterdir()):
        print(f"invalid: {out / 'models'} already holds artefacts; give a fresh --out", file=sys.stderr)
        return 2
    result = run_demo(config, DirectoryModelStore(out / "models"))
    write_demo(result, out, plot=not args.no_plot)
    fig = result.figures
    print(f"governance drift demo  seed {config.seed}  shift from day {config.shift_day}  "
          f"on alert: {config.on_trigger.value}")
    print(f"max PSI before the shift {fig['max_psi_before_shift']:.3f} (alert at {fig['psi_alert']})")
    for name, m in fig["models"].items():
        first = "none" if m["first_alert_day"] is None else (
            f"day {m['first_alert_day']} (+{m['detection_delay_days']} d, PSI {m['psi_at_first_alert']:.3f})")
        print(f"{name}: first alert {first}; rollbacks {m['rollbacks']}, retrains requested "
              f"{m['retrains_requested']}, promotions {m['promotions']}; production at end {m['production_at_end']}")
    print(f"records sha256 {fig['records_sha256']}")
    print(f"records: {out / 'governance_events.jsonl'}  cards: {out / 'cards'}")
    return 0


def _cmd_cards(args: argparse.Namespace) -> int:
    folder = Path(args.run_dir) / "cards"
    paths = sorted(folder.glob("*.json"))
    if not paths:
        print(f"cards: no model cards in {folder}", file=sys.stderr)
        return 2
    if args.show:
        md = folder / f"{args.show}.md"
        if not md.exists():
            names = ", ".join(p.stem for p in paths)
            print(f"--show: no card {args.show!r} in {folder} (have {names})", file=sys.stderr)
            return 2
        print(md.read_text(), end="")
        return 0
    print(f"{'model':<18} {'version':<8} {'stage':<11} {'metric':<18} fairness")
    for path in paths:
        try:
            card = json.loads(path.read_text())
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in card["metrics"].items())
            fairness = ", ".join(f"{f['name']} {f['value']:.3f} {'ok' if f['passed'] else 'FLAG'}"
                                 for f in card["fairness"])
            print(f"{card['name']:<18} {card['version']:<8} {card['stage']:<11} {metrics:<18} {fairness}")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            print(f"cards: {path}: not a model card ({type(exc).__name__}: {exc})", file=sys.stderr)
            return 2
    return 0
