"""``twin surveil-backtest SCENARIO --seeds 1,2,3 [--tune --train-seeds 4,5]``: surveillance on labelled runs.

For each seed the scenario runs in the twin (its bad actors write labelled
episodes), the surveillance engine (``components.surveillance``) reads the
run's event log, and alerts are matched to labels: precision, recall, F1 and
confusion counts per pattern, alert volume per 10,000 orders, and a threshold
sweep with a precision-recall plot (``reports.surveillance``). ``--tune``
picks each pattern's threshold by F1 on the training seeds (``--train-seeds``,
101,102,103 when not given; the command says which it used) and reports on the
``--seeds`` (which must not overlap them). Episodes whose orders pre-trade
risk refused never reached the market; they are counted apart, not as misses.
A rate that measured nothing (precision without alerts, recall without labels)
is undefined: "n/a" on screen, null in ``backtest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from components.surveillance import SurveillanceConfig
from scenarios.config import Scenario, load_scenario

from .run_folders import out_folder
from .surveillance_run import SeedRun, evaluate, labels_of, linkage_of, tune

DEFAULT_TRAIN_SEEDS = "101,102,103"


def run_seed(scenario: Scenario, seed: int, progress: Callable[[float], None] | None = None) -> SeedRun:
    from .runner import run_scenario

    world = run_scenario(scenario, seed, progress=progress).world
    labels, refused = labels_of(world)
    return SeedRun(seed, list(world.log.read()), linkage_of(world), labels, refused,
                   len(world.platform.oms.orders), scenario.session_close_ns)


def parse_seeds(text: str, flag: str) -> list[int]:
    """``"1,2,3"`` or ``"1-5"``; ValueError naming the flag on bad input."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise ValueError(f"{flag}: {part!r} is not a seed or a range like 1-5") from None
    if any(s < 0 for s in seeds):
        raise ValueError(f"{flag}: seeds must be >= 0")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{flag}: a seed is listed twice")
    return seeds


def _cmd(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from reports.surveillance_page import write_backtest_page

    try:
        scenario = load_scenario(args.scenario)
        seeds = parse_seeds(args.seeds, "--seeds")
        train = parse_seeds(DEFAULT_TRAIN_SEEDS if args.train_seeds is None else args.train_seeds,
                            "--train-seeds") if args.tune else []
    except ValueError as exc:  # a ScenarioError (a ValueError) or a bad seed list
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.scenario}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.tune and set(train) & set(seeds):
        print(f"invalid: --train-seeds and --seeds overlap ({sorted(set(train) & set(seeds))}); "
              f"report on seeds not used for tuning", file=sys.stderr)
        return 2
    if args.tune:  # said up front: a default the user did not choose must not pass unnoticed
        print(f"tuning on training seeds {','.join(map(str, train))}"
              f"{' (the --train-seeds default)' if args.train_seeds is None else ''}")
    config = SurveillanceConfig()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    runs: dict[int, SeedRun] = {}
    with Progress(*columns, disable=args.quiet) as bar:
        for seed in [*train, *seeds]:
            task = bar.add_task(f"{scenario.name} seed {seed}{' (train)' if seed in train else ''}", total=1.0)
            runs[seed] = run_seed(scenario, seed, progress=lambda f, task=task: bar.update(task, completed=f))
    result: dict[str, Any] = {"scenario": scenario.name, "default": evaluate([runs[s] for s in seeds], config)}
    if args.tune:
        tuned, chosen = tune([runs[s] for s in train], config)
        for name in _untrained(chosen, [runs[s] for s in train]):
            print(f"warning: {name}: no labelled episode on the training seeds, nothing to tune on: "
                  f"its threshold stays {chosen[name]:g}", file=sys.stderr)
        result["tuning"] = {"train_seeds": train, "thresholds": chosen}
        result["tuned"] = evaluate([runs[s] for s in seeds], tuned)
    out = out_folder(args.out, f"surveil-{scenario.name}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "backtest.json").write_text(json.dumps(result, indent=2, sort_keys=True), encoding="utf-8")
    page = write_backtest_page(result, out)
    _print(result)
    print(f"report: {page}")
    return 0


def _untrained(chosen: dict[str, float], train: list[SeedRun]) -> list[str]:
    """Patterns with no scored episode on the training seeds: F1 there is 0 or undefined at every threshold."""
    labelled = {lb.pattern.value for run in train for lb in run.labels}
    return [name for name in chosen if name not in labelled]


def _rate(value: float | None) -> str:
    """A rate for the console table; "n/a" when it measured nothing (no alerts, or no labels)."""
    return f"{'n/a':>6}" if value is None else f"{value:>6.3f}"


def _print(result: dict[str, Any]) -> None:
    for key in ("default", "tuned"):
        if key not in result:
            continue
        r = result[key]
        print(f"{key} thresholds, seeds {','.join(map(str, r['seeds']))}: {r['orders']} orders, {r['labels']} labelled "
              f"episodes ({r['refused_episodes']} partly refused by pre-trade risk, not scored)")
        print(f"  {'pattern':<18} {'thr':>6} {'alerts':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} "
              f"{'f1':>6} {'per10k':>7}")
        for name, p in r["patterns"].items():
            print(f"  {name:<18} {p['threshold']:>6g} {p['alerts']:>6} {p['tp']:>4} {p['fp']:>4} {p['fn']:>4} "
                  f"{_rate(p['precision'])} {_rate(p['recall'])} {_rate(p['f1'])} {p['alerts_per_10k_orders']:>7.2f}")
    if "tuning" in result:
        t = result["tuning"]
        print(f"tuned on training seeds {','.join(map(str, t['train_seeds']))}: {t['thresholds']}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("surveil-backtest", help="surveillance precision/recall on labelled bad-actor runs")
    p.add_argument("scenario", help="scenario YAML with a bad_actors section, e.g. scenarios/surveillance_day.yaml")
    p.add_argument("--seeds", default="1,2,3", help="seeds to report on: 1,2,3 or 1-5 (default 1,2,3)")
    p.add_argument("--tune", action="store_true",
                   help=f"pick thresholds by F1 on --train-seeds first ({DEFAULT_TRAIN_SEEDS} unless given)")
    p.add_argument("--train-seeds", default=None,
                   help=f"seeds to tune on with --tune (default {DEFAULT_TRAIN_SEEDS}; must not overlap --seeds)")
    p.add_argument("--out", default=None, help="output folder (default reports/out/surveil-SCENARIO)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd)

