"""``twin suite [SCENARIO ...] --seeds N [--first-seed S] [--workers K] [--dask ADDR] [--out DIR]``.

Runs every scenario with seeds S .. S+N-1 (``twin.suite``) on a local process
pool, in process (``--workers 1``) or on Dask (``--dask local`` or
``--dask tcp://HOST:PORT``), prints each figure's mean with its 95%
confidence interval, and writes runs.parquet, suite_summary.json and
suite.html (``reports.suite``) to ``--out``. Exit 0 when every run passed its
invariants, 1 when one did not or raised (each named with the command that
reproduces it), 2 for bad input. docs/suite.md is the user's page.
"""

from __future__ import annotations

import argparse
import sys
import time

from components.config.schema import ScenarioError
from scenarios.config import load_scenario

from .run_folders import OUT_ROOT

DEFAULT_SCENARIOS = ("scenarios/smoke.yaml",)
DEFAULT_OUT = OUT_ROOT / "suite"


def _whole(minimum: int):
    """An argparse type: a whole number >= ``minimum``; anything else is one line naming what was given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


_positive = _whole(1)
_non_negative = _whole(0)


def register(subparsers) -> None:
    """Add ``suite`` to the ``twin`` command line."""
    cmd = subparsers.add_parser("suite", help="many scenarios x seeds on a process pool or Dask, "
                                              "figures with 95%% confidence intervals")
    cmd.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                     help=f"scenario YAML files (default: {' '.join(DEFAULT_SCENARIOS)})")
    cmd.add_argument("--seeds", type=_positive, default=10, metavar="N", help="runs per scenario (default: 10)")
    cmd.add_argument("--first-seed", type=_non_negative, default=1, metavar="S",
                     help="seeds S .. S+N-1 (default: 1)")
    cmd.add_argument("--workers", type=_positive, default=None, metavar="K",
                     help="processes (default: one per CPU; 1 = in this process; with --dask local: its workers)")
    cmd.add_argument("--dask", default=None, metavar="ADDR",
                     help="run on Dask: 'local' (a LocalCluster on loopback) or a scheduler, tcp://HOST:PORT")
    cmd.add_argument("--out", default=str(DEFAULT_OUT), help="folder for runs.parquet, suite_summary.json, "
                                                             "suite.html (default: %(default)s)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=_cmd_suite)


def _cmd_suite(args: argparse.Namespace) -> int:
    from reports.suite import summarise, write_suite

    from .fanout import FanOutError, check_dask_address
    from .suite import FIGURES, plan_suite, run_suite

    if args.dask is not None:
        try:
            check_dask_address(args.dask)
        except ValueError as exc:
            print(f"--{exc}", file=sys.stderr)
            return 2
    files = args.scenarios or list(DEFAULT_SCENARIOS)
    loaded = []
    for file in files:
        try:
            loaded.append((load_scenario(file), file))
        except ScenarioError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"cannot read {file}: {exc.strerror}", file=sys.stderr)
            return 2
    runs = plan_suite(loaded, args.seeds, args.first_seed)
    where = f"Dask {args.dask}" if args.dask else ("in process" if args.workers == 1 else
                                                   f"worker processes: {args.workers or 'one per CPU'}")
    print(f"suite: {len(runs)} runs ({len(files)} scenario(s) x {args.seeds} seeds from {args.first_seed}), {where}",
          file=sys.stderr)
    started = time.perf_counter()
    try:
        frame = run_suite(runs, workers=args.workers, dask=args.dask, progress=None if args.quiet else "suite")
    except FanOutError as exc:  # run_one records a run's own exception; this is the fan-out failing
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except ConnectionError as exc:  # the --dask scheduler is not there
        print(f"--{exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    summary = summarise(frame, FIGURES)
    summary["elapsed_s"] = elapsed
    paths = write_suite(frame, summary, args.out)
    _print_summary(summary)
    cpu = float(frame["cpu_s"].sum()) if "cpu_s" in frame else 0.0
    print(f"\n{len(frame)} runs in {elapsed:.1f}s wall ({cpu:.1f}s CPU in the runs)")
    print(f"written: {paths['runs']}, {paths['summary']}, {paths['html']}")
    failures = [f for sc in summary["scenarios"].values() for f in sc["failures"]]
    for failure in failures:
        print(f"FAILED seed {failure['seed']}: {failure['problem']}\n  reproduce: {failure['reproduce']}",
              file=sys.stderr)
    return 1 if failures else 0


def _print_summary(summary: dict) -> None:
    """One table per scenario: figure, mean ± half-width, the interval and n. Final statuses that no run
    reached are left out here (they stay in the JSON and the HTML)."""
    from rich.console import Console
    from rich.table import Table

    from reports.suite import figure_label, format_value

    console = Console()
    if not console.is_terminal:  # a pipe or a file: rich would wrap at 80 columns
        console.width = 110
    print("each figure: mean over the runs, with the 95% confidence interval of that mean (Student-t)")
    for name, section in summary["scenarios"].items():
        rate = section["invariants_pass_rate"]
        table = Table(title=f"{name}: {section['runs']} runs, seeds {section['seeds'][0]}-{section['seeds'][1]}, "
                            f"invariants passed {rate['k']}/{rate['n']}", title_justify="left")
        for column, justify in (("figure", "left"), ("mean", "right"), ("± 95%", "right"),
                                ("95% interval", "right"), ("n", "right")):
            table.add_column(column, justify=justify)
        for column, st in section["figures"].items():
            if column.startswith("orders_") and not st["mean"]:
                continue
            table.add_row(figure_label(column), format_value(st["mean"]), format_value(st["half_width"]),
                          f"{format_value(st['ci_low'])}{' (cut)' if st.get('cut_at') is not None else ''} to "
                          f"{format_value(st['ci_high'])}", str(st["n"]))
        console.print(table)
