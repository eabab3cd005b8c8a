"""``twin calibrate``: measure each handler's cost and write a service-time profile (``twin.calibrate``).

    twin calibrate                                   # smoke scenario, 3 days, CPU clock
    twin calibrate scenarios/trading_day.yaml --orders 2000 --repeat 2 --out my_machine.json

The profile is what a scenario names with ``service_times: FILE``; docs/capacity.md says
how to read it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from components.config.schema import ScenarioError
from scenarios.config import builtin_scenario_path, load_scenario

from . import cli_args
from .run_folders import OUT_ROOT

DEFAULT_OUT = OUT_ROOT / "service_times.json"


def register(subparsers) -> None:
    cmd = subparsers.add_parser("calibrate", help="measure each handler's CPU cost; write a service-time profile")
    cmd.add_argument("scenario", nargs="?", default=None,
                     help="scenario whose day drives the handlers (default: the built-in smoke scenario)")
    cmd.add_argument("--seed", type=cli_args.seed, default=None, help="first seed (default: the scenario's)")
    cmd.add_argument("--repeat", type=int, default=3, help="days run, seeds seed..seed+N-1, samples pooled (default 3)")
    cmd.add_argument("--orders", type=int, default=None, help="client orders per day (default: the scenario's)")
    cmd.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                     help="cpu: process CPU time (default; not inflated by other processes); wall: perf_counter")
    cmd.add_argument("--note", default="", help="free text stored with the profile (the machine's state, say)")
    cmd.add_argument("--out", default=str(DEFAULT_OUT), help=f"profile file (default {DEFAULT_OUT})")
    cmd.set_defaults(func=_cmd_calibrate)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate, write_calibration

    if args.repeat < 1:
        print(f"--repeat: must be >= 1, got {args.repeat}", file=sys.stderr)
        return 2
    if args.orders is not None and args.orders < 1:
        print(f"--orders: must be >= 1, got {args.orders}", file=sys.stderr)
        return 2
    path = args.scenario or builtin_scenario_path("smoke")
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.orders is not None:
        scenario = replace(scenario, order_flow=replace(scenario.order_flow, orders=args.orders))
    calibration = calibrate(scenario, args.seed, repeat=args.repeat, clock=args.clock)
    out = write_calibration(calibration, Path(args.out), args.note)
    print(f"{'service':<11} {'calls':>7} {'p50 us':>8} {'p95 us':>8} {'p99 us':>8} {'max us':>9}")
    from .calibrate import profile_entries

    for name, entry in profile_entries(calibration).items():
        q = entry["quantiles_us"]
        print(f"{name:<11} {entry['count']:>7} {q['p50']:>8.1f} {q['p95']:>8.1f} {q['p99']:>8.1f} {q['max']:>9.1f}")
    print(f"profile: {out} (clock {args.clock}, clock overhead {calibration.clock_overhead_ns} ns subtracted)")
    return 0
