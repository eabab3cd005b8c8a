"""The ``twin`` command line.

Each command lives in its own module with a ``register(subparsers)`` function;
``COMMAND_MODULES`` lists them, so adding a command is one new module and one
line here. This module holds ``run`` and ``validate``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from components.config.schema import ScenarioError

from . import cli_args
from .run_folders import out_folder


def _load(path: str):
    """The scenario file at ``path``, or None once a one-line error naming what is wrong is printed."""
    from scenarios.config import load_scenario  # here: ~0.4 s of imports (numpy, yaml) other commands may not need

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
    except OSError as exc:  # missing, a folder, unreadable
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
    return None


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario = _load(args.scenario)
    if scenario is None:
        return 2
    print(f"ok: {args.scenario} (scenario {scenario.name}, {scenario.order_flow.orders} orders, "
          f"{len(scenario.symbols)} symbols, {len(scenario.venues)} venues)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from venues_sim.replay_format import ReplayFormatError

    from .invariants import InvariantViolation
    from .runner import run_scenario

    scenario = _load(args.scenario)
    if scenario is None:
        return 2
    seed = scenario.seed if args.seed is None else args.seed
    out_dir = out_folder(args.out, f"{scenario.name}-{seed}")
    if out_dir.exists() and not out_dir.is_dir():  # before the run, not after it
        print(f"--out: {out_dir} is a file, not a folder", file=sys.stderr)
        return 2
    try:  # made now: a path through a file, or a folder this user may not write, is refused before the day runs
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"--out: cannot make {out_dir}: {exc.strerror}", file=sys.stderr)
        return 2
    try:  # the run's anchors are keyed with $TWIN_ANCHOR_KEY: refuse a bad key before the run, not after
        from components.eventstore.anchorlog import resolve_key

        resolve_key(None, out_dir)
    except ValueError as exc:
        print(f"anchor key: {exc}", file=sys.stderr)
        return 2
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, transient=False, disable=args.quiet) as bar:
        task = bar.add_task(f"{scenario.name} seed {seed}: simulated day", total=1.0)

        def progress(fraction: float) -> None:
            bar.update(task, completed=fraction)
            if fraction >= 1.0:  # the day is simulated: stop the bar's refresh thread before the outputs
                bar.stop()       # fork their workers (a fork must not copy a thread that may hold a lock)

        try:
            result = run_scenario(scenario, seed, out_dir, progress=progress)
        except InvariantViolation as exc:
            print(f"FAILED: {exc}\nevidence written to {out_dir}", file=sys.stderr)
            return 1
        except ReplayFormatError as exc:  # the scenario's recorded day: one line naming file, row and column
            print(f"invalid: {exc}", file=sys.stderr)
            return 2
        except FileNotFoundError as exc:
            print(f"cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
            return 2
    orders = result.world.platform.oms.orders.values()
    counts: dict[str, int] = {}
    for order in orders:
        counts[order.status.value] = counts.get(order.status.value, 0) + 1
    print(f"scenario {scenario.name}  seed {seed}  fingerprint {result.fingerprint}")
    print(f"orders {len(result.world.platform.oms.orders)}  events {len(result.world.log)}  "
          f"simulated {result.sim_seconds / 3600:.1f}h")
    print(result.clock.line())  # the whole process, phase by phase, and peak memory (twin.run_timing)
    print("final states: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("invariants: " + ", ".join(f"{r.name} {'ok' if r.passed else 'FAILED'}" for r in result.invariants))
    print(_slo_line(out_dir))
    print(f"report: {out_dir / 'report.html'}")
    return 0


def _slo_line(out_dir) -> str:
    """The run's SLO alerts in one line (``twin.observability.slo_line``), from the summary just written."""
    import json

    from .observability import slo_line

    try:
        summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "slo: not evaluated (no summary.json)"
    return slo_line(summary.get("slo"))


COMMAND_MODULES: tuple[str, ...] = ("twin.cli_replay_log", "twin.cli_venue", "twin.diff_live.command", "twin.cli_replay",
                                      "twin.cli_market", "twin.cli_reports", "twin.cli_slo", "twin.cli_trace",
                                      "twin.cli_surveil", "twin.cli_review", "twin.cli_order_timeline",
                                      "twin.cli_calibrate", "twin.cli_capacity", "twin.cli_suite",
                                      "twin.cli_swarm", "twin.cli_gameday", "twin.cli_portfolio",
                                      "twin.cli_governance", "twin.cli_aml", "twin.cli_realism",
                                      "twin.cli_calibrate_market")
"""Modules (importable names) that add more subcommands via ``register(subparsers)``."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``twin`` parser. Given ``command`` (the first argument), modules are registered only until one adds
    it: a command does not pay for the imports of the modules after its own (a third of a second); None, an
    unknown command or ``--help``: every module."""
    parser = argparse.ArgumentParser(prog="twin", description="Broker-dealer digital twin")
    sub = parser.add_subparsers(dest="command", required=True)
    _register_core(sub)
    for name in COMMAND_MODULES:
        if command in sub.choices:
            break
        importlib.import_module(name).register(sub)
    return parser


def _register_core(sub) -> None:
    run = sub.add_parser("run", help="run a scenario and write a report")
    run.add_argument("scenario", help="scenario YAML file, e.g. scenarios/trading_day.yaml")
    run.add_argument("--seed", type=cli_args.seed, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", default=None, help="run folder (default: reports/out/SCENARIO-SEED)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_cmd_run)
    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario")
    validate.set_defaults(func=_cmd_validate)
    serve = sub.add_parser("serve", add_help=False, help="run the live stack (hands over to `python -m live`; "
                                                         "`twin serve --help` lists its options)")
    serve.add_argument("options", nargs=argparse.REMAINDER)
    serve.set_defaults(func=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    """Hand the process over to the live runtime (``python -m live``): same pid, so signals reach the
    server. The twin does not import ``live``; the two runtimes meet only in files."""
    os.execv(sys.executable, [sys.executable, "-m", "live", *args.options])
    return 1  # not reached


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # every option is the live runtime's: argparse would claim them here
        return _cmd_serve(argparse.Namespace(options=argv[1:]))
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # inside the try: a reader that went away shows up here, not at exit
    except BrokenPipeError:
        # `twin ... | head`: the reader has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush cannot fail again, and exit as a process killed by SIGPIPE would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    return code


if __name__ == "__main__":
    sys.exit(main())
