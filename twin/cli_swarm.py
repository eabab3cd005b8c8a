"""``twin swarm --seeds N``: swarm testing, many seeds each with its own random fault mix.

``twin swarm --seeds N [--first-seed S] [--scenario FILE] [--workers K] [--dask ADDR]
[--out DIR] [--kinds k1,k2] [--stop-at-first-failure]`` runs seeds S..S+N-1 of the
scenario (default ``scenarios/swarm_day.yaml``), each injecting the fault mix its seed
draws from the registered fault kinds, and checks every run (docs/swarm.md). It prints
every failure with its seed, the commit and the one command that reproduces it, keeps the
failing runs' folders under ``--out``, and writes the summary there as ``summary.json``
and ``seeds.parquet``. Exit 0 when every seed passed, 1 when one failed, 2 on bad input.

The swarm itself lives above the twin (``chaos.swarm`` imports ``twin``); the twin reaches
it by module name only, as ``twin.cli`` reaches its command modules, so no import of the
twin depends on ``chaos.swarm``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from . import cli_args
from .run_folders import out_folder

SWARM_MODULE = "chaos.swarm"
"""Where ``run_swarm`` lives (imported by name when the command runs)."""
DEFAULT_SCENARIO = "scenarios/swarm_day.yaml"


def register(subparsers) -> None:
    """Add ``swarm`` to the ``twin`` command line."""
    cmd = subparsers.add_parser("swarm", help="run many seeds, each with its own random fault mix, "
                                              "and check every run")
    cmd.add_argument("--seeds", type=cli_args.positive, required=True, metavar="N", help="how many seeds to run")
    cmd.add_argument("--first-seed", type=cli_args.seed, default=1, metavar="S",
                     help="the first seed (the swarm runs S..S+N-1; default %(default)s)")
    cmd.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario file (default: %(default)s)")
    cmd.add_argument("--workers", type=cli_args.positive, default=None, metavar="K",
                     help="processes (default: one per core; 1 runs in this process)")
    cmd.add_argument("--dask", default=None, metavar="ADDR",
                     help="run on a Dask cluster: a scheduler address (tcp://HOST:PORT) or 'local'")
    cmd.add_argument("--out", default=None, metavar="DIR",
                     help="summary and failing runs' folders (default: reports/out/swarm-SCENARIO-S-N)")
    cmd.add_argument("--kinds", default="", metavar="K1,K2",
                     help="fault kinds to draw from (default: every registered kind)")
    cmd.add_argument("--stop-at-first-failure", action="store_true",
                     help="stop after the first failing seed (in batches when running on a pool)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=_cmd_swarm)


def _cmd_swarm(args: argparse.Namespace) -> int:
    from components.config.schema import ScenarioError

    swarm = importlib.import_module(SWARM_MODULE)
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    stem = Path(args.scenario).stem
    out = out_folder(args.out, f"swarm-{stem}-{args.first_seed}-{args.seeds}")
    try:
        config = swarm.SwarmConfig(scenario=args.scenario, kinds=kinds, out_dir=str(out),
                                   commit=swarm.git_commit())
        summary = swarm.run_swarm(config, range(args.first_seed, args.first_seed + args.seeds),
                                  workers=args.workers, dask=args.dask,
                                  progress=None if args.quiet else f"swarm {stem}",
                                  stop_at_first_failure=args.stop_at_first_failure)
    except ScenarioError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.scenario}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:  # --kinds, --workers or --dask
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    json_path, parquet_path = summary.write(out)
    for line in swarm.summary_lines(summary):
        print(line)
    print(f"summary: {json_path}  table: {parquet_path}")
    return 1 if summary.failed else 0
