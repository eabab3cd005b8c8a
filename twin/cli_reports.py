"""``twin reports prepare|sign|file``: regulatory report packages with a compliance sign-off gate.

* ``prepare --run RUN_DIR [--run ...] --period 2026Q4 --out PKG``: Rule 606(a)(1) XML + HTML, CAT
  JSON, completeness checks, summary and content hashes, in a PENDING package; refused (exit 2,
  nothing written) when a run is given twice, trades outside the period, or shares a trading day
  with another run;
* ``sign --package PKG --officer NAME``: the officer's sign-off appended to the package's log;
* ``run-days SCENARIO --date D [--date ...] --out DIR``: one run of SCENARIO per date (the twin
  runs one session day per run), seed = the scenario's (or ``--seed``) + the date's index, into
  ``DIR/<date>/``: the run folders a quarter's ``prepare`` takes;
* ``file --package PKG``: marks a SIGNED, unchanged package filed (refused otherwise). Nothing is
  ever sent anywhere by the platform: filing is done by a person; this records that it was.

Exit codes: 0 done, 1 refused by the gate (the reason code is printed), 2 bad input.
The wall clock is read here, at the command-line edge, for the events' times.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import cli_args


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def register(subparsers) -> None:
    cmd = subparsers.add_parser("reports", help="regulatory reports (606, CAT): prepare, sign, file")
    sub = cmd.add_subparsers(dest="reports_command", required=True)
    prep = sub.add_parser("prepare", help="build a pending report package from run folders")
    prep.add_argument("--run", action="append", required=True,
                      help="run folder (repeat: one per trading day, each once, all inside --period)")
    prep.add_argument("--period", required=True, help="quarter, e.g. 2026Q4")
    prep.add_argument("--out", required=True, help="package folder to create")
    prep.add_argument("--bd", default="Twin Securities LLC", help="broker-dealer name on the 606 report")
    prep.add_argument("--reporter", default="TWIN", help="CAT reporter IMID")
    prep.add_argument("--sp500", default=None, help="S&P 500 membership file (default: the small bundled one)")
    prep.add_argument("--venues", default=None, help="venue names/MICs/material aspects CSV (default: bundled)")
    prep.set_defaults(func=_prepare)
    sign = sub.add_parser("sign", help="record a compliance officer's sign-off")
    sign.add_argument("--package", required=True)
    sign.add_argument("--officer", required=True)
    sign.set_defaults(func=_sign)
    days = sub.add_parser("run-days", help="run a scenario once per trading date (the days of a quarter)")
    days.add_argument("scenario")
    days.add_argument("--date", action="append", required=True, help="trade date YYYY-MM-DD (repeat)")
    days.add_argument("--seed", type=cli_args.seed, default=None, help="base seed (default: the scenario's)")
    days.add_argument("--out", required=True, help="folder for one run folder per date")
    days.set_defaults(func=_run_days)
    fil = sub.add_parser("file", help="mark a signed package as filed (refuses unsigned or changed packages)")
    fil.add_argument("--package", required=True)
    fil.add_argument("--by", default="compliance", help="who filed it")
    fil.set_defaults(func=_file)


def _prepare(args: argparse.Namespace) -> int:
    from reports.regulatory.package import prepare_package

    try:
        summary = prepare_package([Path(r) for r in args.run], args.period, Path(args.out), _now(), bd=args.bd,
                                  reporter=args.reporter, sp500=args.sp500, venues=args.venues)
    except (ValueError, OSError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    print(f"package {args.out}: PENDING  orders {summary['orders']}  CAT records {summary['cat_records']}  "
          f"checks {summary['checks']} ({summary['failed_checks']} failed)")
    return 0


def _run_days(args: argparse.Namespace) -> int:
    import dataclasses
    from datetime import date

    from components.config.schema import ScenarioError
    from scenarios.config import load_scenario

    from .invariants import InvariantViolation
    from .runner import run_scenario

    try:
        scenario = load_scenario(args.scenario)
        dates = [date.fromisoformat(d) for d in args.date]
    except (ScenarioError, ValueError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    if len(set(dates)) != len(dates) or any(d.weekday() >= 5 for d in dates):
        print("invalid: --date values must be distinct weekdays", file=sys.stderr)
        return 2
    base = scenario.seed if args.seed is None else args.seed
    for n, day in enumerate(dates):
        day_scenario = dataclasses.replace(scenario, session=dataclasses.replace(scenario.session, date=day))
        out = Path(args.out) / day.isoformat()
        try:
            result = run_scenario(day_scenario, base + n, out)
        except InvariantViolation as exc:
            print(f"{day}: FAILED: {exc}", file=sys.stderr)
            return 1
        failed = [r.name for r in result.invariants if not r.passed]
        print(f"{day}: seed {base + n}  fingerprint {result.fingerprint}  {out}"
              + (f"  FAILED {failed}" if failed else ""))
        if failed:
            return 1
    return 0


def _decided(decision) -> int:
    from components.regulatory.signoff import Refusal

    if isinstance(decision, Refusal):
        print(f"refused: {decision.reason}: {decision.message}", file=sys.stderr)
        return 1
    print(f"{decision.kind.value} by {decision.actor} at {decision.at} (manifest {decision.manifest_sha256[:16]})")
    return 0


def _sign(args: argparse.Namespace) -> int:
    from reports.regulatory.package import sign_package

    try:
        return _decided(sign_package(Path(args.package), args.officer, _now()))
    except (ValueError, OSError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2


def _file(args: argparse.Namespace) -> int:
    from reports.regulatory.package import file_package

    try:
        return _decided(file_package(Path(args.package), args.by, _now()))
    except (ValueError, OSError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
