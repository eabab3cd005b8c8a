"""``twin calibrate-market RECORDED_DAY --scenario S``: fit the agents to a recorded day's stylised facts.

    twin calibrate-market day/ --scenario scenarios/rmsc_like.yaml --out fitted.yaml
    twin calibrate-market day/ --scenario rmsc_like --param value.mean_wake_s --param market_makers.min_size \\
        --bounds value.mean_wake_s=30:600 --max-evals 80 --method differential-evolution

RECORDED_DAY is a recorded day in the replay format (``quotes.parquet`` and
``trades.parquet``) or a ``twin run`` folder, read by ``reports.realism_sources``.
Writes the fitted scenario (YAML) and ``NAME.calibration.json`` beside it, and
prints the fit per fact with its distance (``docs/market_calibration.md``). Bad
input (a missing folder, an unknown scenario, invalid bounds) is one line on
stderr and exit status 2. The fitting is ``twin.market_calibration``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.config.schema import ScenarioError

from . import cli_args


def register(subparsers) -> None:
    cmd = subparsers.add_parser("calibrate-market",
                                help="fit the agent population so the simulated day's stylised facts match a recorded day")
    cmd.add_argument("day", metavar="RECORDED_DAY", nargs="?", default=None,
                     help="recorded day folder (quotes.parquet, trades.parquet) or a twin run folder")
    cmd.add_argument("--scenario", default=None,
                     help="scenario YAML with an agents section, or a built-in name (rmsc_like)")
    cmd.add_argument("--symbol", default=None, help="the recorded day's symbol (default: its most-quoted)")
    cmd.add_argument("--session", default="09:30-16:00", metavar="HH:MM-HH:MM",
                     help="a recorded day's session, New York time (default 09:30-16:00)")
    cmd.add_argument("--param", action="append", default=None, metavar="SECTION.FIELD",
                     help="a parameter to fit, repeatable (default: value.mean_wake_s, value.horizon_s, "
                          "momentum.long_window, market_makers.min_size; --list-params lists them all)")
    cmd.add_argument("--bounds", action="append", default=[], metavar="NAME=LOWER:UPPER",
                     help="search bounds of a fitted parameter, repeatable (default: its registered bounds)")
    cmd.add_argument("--seed", type=cli_args.seed, default=None, help="first simulation seed (default: the scenario's)")
    cmd.add_argument("--seeds", type=int, default=1,
                     help="days simulated per candidate, seeds SEED..SEED+N-1, the same for every candidate (default 1)")
    cmd.add_argument("--method", default="nelder-mead", help="nelder-mead (default) or differential-evolution")
    cmd.add_argument("--max-evals", type=int, default=60, help="candidates simulated at most (default 60)")
    cmd.add_argument("--weighting", default="variance",
                     help="variance (default: inverse seed-to-seed variance of each fact) or fixed")
    cmd.add_argument("--noise-days", type=int, default=4,
                     help="days of the starting candidate that estimate the variance weights (default 4)")
    cmd.add_argument("--search-seed", type=int, default=0, help="differential evolution's seed (default 0)")
    cmd.add_argument("--out", default=None,
                     help="fitted scenario file (default reports/out/NAME_calibrated.yaml); the report goes beside it")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.add_argument("--list-params", action="store_true", help="list the fittable parameters and exit")
    cmd.add_argument("--sensitivity", action="store_true",
                     help="no fit: print how far each --param (default: all) moves the scenario's own facts at "
                          "x1.2 and /1.2 over --seeds days (at least 2), and exit; RECORDED_DAY is not needed")
    cmd.set_defaults(func=_cmd_calibrate_market)


def _fail(message: str) -> int:
    print(f"calibrate-market: {message}", file=sys.stderr)
    return 2


def _load(name: str):
    from scenarios.config import BUILTIN_SCENARIOS, builtin_scenario_path, load_scenario

    path = Path(name)
    if not path.exists() and name in BUILTIN_SCENARIOS:
        path = builtin_scenario_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"--scenario {name}: no such file (built-in names: {', '.join(BUILTIN_SCENARIOS)})")
    text = path.read_text(encoding="utf-8", errors="replace")  # what the fitted file is written from, later
    return path, text, load_scenario(path)


def _cmd_calibrate_market(args: argparse.Namespace) -> int:
    from .market_calibration import DEFAULT_PARAMETERS, PARAMETERS

    if args.list_params:
        for p in PARAMETERS.values():
            kind = "integer" if p.integer else "number"
            bounds = f"{p.lower:g}:{p.upper:g}{' log' if p.log else ''}"
            print(f"{p.name:32} {kind:7} {bounds:16} moves {p.moves}")
        return 0
    if args.sensitivity:
        return _sensitivity(args)
    if args.day is None or args.scenario is None:
        return _fail("give RECORDED_DAY and --scenario (or --list-params)")
    from reports.realism_sources import SourceError, load_source
    from reports.stylized_facts import day_facts

    from .cli_realism import parse_session
    from .market_calibration import (METHODS, WEIGHTINGS, CalibrationError, check_names, market_only, parse_bound,
                                     resolve_bounds)

    names = tuple(args.param or DEFAULT_PARAMETERS)
    try:  # every argument is checked before the first simulated day
        check_names(names)
        bounds = dict(parse_bound(text) for text in args.bounds)
        resolve_bounds(names, bounds)
        if args.seeds < 1:
            raise CalibrationError(f"--seeds: must be >= 1, got {args.seeds}")
        for flag, value, allowed in (("--method", args.method, METHODS), ("--weighting", args.weighting, WEIGHTINGS)):
            if value not in allowed:
                raise CalibrationError(f"{flag}: expected one of {', '.join(allowed)}, got {value!r}")
        if args.max_evals < 2:
            raise CalibrationError(f"--max-evals: must be >= 2, got {args.max_evals}")
        if args.weighting == "variance" and args.noise_days < 2:
            raise CalibrationError(f"--noise-days: must be >= 2 with variance weighting, got {args.noise_days}")
        session = parse_session(args.session)
        source_path, source_text, scenario = _load(args.scenario)
        market_only(scenario)  # refuses a scenario without agents (or replaying a day) before any work
        source = load_source(args.day, args.symbol, session)
    except (CalibrationError, SourceError, ScenarioError, ValueError) as exc:  # ValueError: --session, replay format
        return _fail(str(exc))
    except (FileNotFoundError, OSError) as exc:
        return _fail(str(exc) if isinstance(exc, FileNotFoundError) and not exc.filename else
                     f"cannot read {exc.filename}: {exc.strerror}")
    target = day_facts(source.book, source.tape, source.open_ns, source.close_ns, orders=source.orders)
    first = scenario.seed if args.seed is None else args.seed
    seeds = tuple(range(first, first + args.seeds))
    out = Path(args.out) if args.out else Path("reports/out") / f"{scenario.name}_calibrated.yaml"
    try:
        result = _fit(args, scenario, target, names, bounds, seeds)
    except CalibrationError as exc:
        return _fail(str(exc))
    from .market_calibration import write_fitted_scenario

    header = [f"Fitted by `twin calibrate-market {args.day} --scenario {args.scenario}` to {source.kind} day "
              f"{source.path} ({source.symbol}), {result.method}, {len(result.evaluations)} candidates, seeds "
              f"{', '.join(map(str, seeds))}.",
              f"Objective {result.start_objective:.4g} at the start, {result.objective:.4g} fitted; "
              f"the fit per fact: {out.stem}.calibration.json (docs/market_calibration.md)."]
    report = out.with_name(f"{out.stem}.calibration.json")  # first: the fit is kept whatever happens next
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({"day": str(source.path), "kind": source.kind, "symbol": source.symbol,
                                  "scenario": str(source_path), "fitted_scenario": str(out), **result.as_dict()},
                                 indent=2, allow_nan=False) + "\n")
    try:
        write_fitted_scenario(source_path, scenario, result, out, header, source_text)
    except CalibrationError as exc:
        return _fail(f"{exc}; the fit is in {report}")
    _print_result(result)
    print(f"fitted scenario: {out}\nreport: {report}")
    return 0


def _fit(args, scenario, target, names, bounds, seeds):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .market_calibration import calibrate_market

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=args.quiet) as bar:
        task = bar.add_task("calibrating", total=args.max_evals)

        def show(e) -> None:
            bar.update(task, completed=e.index, description=f"candidate {e.index}: objective {e.objective:.4g}, "
                                                            f"best {e.best:.4g}")

        return calibrate_market(scenario, target, names, bounds=bounds, seeds=seeds, method=args.method,
                                max_evals=args.max_evals, symbol=None, search_seed=args.search_seed,
                                weighting=args.weighting, noise_days=args.noise_days, on_eval=show)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + " ".join(f"{v:.2f}" for v in value) + "]"
    return f"{value:.4g}"


def _print_result(result) -> None:
    print(f"{'parameter':32} {'start':>12} {'fitted':>12}")
    for n in result.names:
        print(f"{n:32} {result.start[n]:>12.5g} {result.fitted[n]:>12.5g}")
    print(f"\n{'fact':22} {'recorded':>10} {'start':>10} {'fitted':>10} {'distance':>9} {'weight':>8} {'share':>7}")
    for start, row in zip(result.start_fit, result.fit):
        if isinstance(row.target, list):  # the volume profile: one line of shares per day below
            print(f"{row.name:22} {'(below)':>10} {'':>10} {'':>10} {_fmt(row.distance):>9} {row.weight:>8.3g} "
                  f"{_fmt(row.contribution):>7}")
            print(f"  recorded {_fmt(row.target)}\n  fitted   {_fmt(row.simulated)}")
            continue
        print(f"{row.name:22} {_fmt(row.target):>10} {_fmt(start.simulated):>10} {_fmt(row.simulated):>10} "
              f"{_fmt(row.distance):>9} {row.weight:>8.3g} {_fmt(row.contribution):>7}")
    print(f"\nobjective (weighted mean squared distance): {result.start_objective:.4g} at the start, "
          f"{result.objective:.4g} fitted ({len(result.evaluations)} candidates, {result.method}, "
          f"{result.weighting} weights, seeds {', '.join(map(str, result.seeds))})")


def _sensitivity(args: argparse.Namespace) -> int:
    from .market_calibration import PARAMETERS, CalibrationError, check_names, sensitivity

    names = tuple(args.param or PARAMETERS)
    try:
        check_names(names)
        if args.scenario is None:
            raise CalibrationError("--sensitivity needs --scenario")
        if args.seeds < 2:
            raise CalibrationError(f"--seeds: --sensitivity needs at least 2 (the noise weights), got {args.seeds}")
        _, _, scenario = _load(args.scenario)
    except (CalibrationError, ScenarioError, FileNotFoundError) as exc:
        return _fail(str(exc))
    first = scenario.seed if args.seed is None else args.seed
    try:
        table = sensitivity(scenario, names, seeds=tuple(range(first, first + args.seeds)))
    except CalibrationError as exc:
        return _fail(str(exc))
    print(f"{'parameter':32} {'x1.2':>9} {'/1.2':>9}   (objective against the scenario's own day; ~1 = seed noise)")
    for name, row in table.items():
        print(f"{name:32} " + " ".join(f"{v:>9.3f}" for v in row.values()))
    return 0
