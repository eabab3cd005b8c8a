"""``twin market import FORMAT SOURCE... --out DAY`` and ``twin market summary DAY``.

Import turns a recorded day in one of the formats people have (one-sided
venue quotes, consolidated NBBO with holder venues, Databento DBN, LOBSTER,
plain CSV) into the replay venue's parquet day (``venues_sim.importers``,
``docs/importers.md``) and prints the day summary; a scenario then points at
``DAY/quotes.parquet`` and ``DAY/trades.parquet``. A bad file is one line,
``invalid: FILE:LINE: COLUMN: problem``, and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date


def register(subparsers) -> None:
    from venues_sim.importers import FORMATS, Action

    market = subparsers.add_parser("market", help="import and summarise recorded market days")
    verbs = market.add_subparsers(dest="market_command", required=True)
    imp = verbs.add_parser("import", help="import a recorded day into the replay format (docs/importers.md)")
    imp.add_argument("format", choices=sorted(FORMATS), help="source format")
    imp.add_argument("sources", nargs="+", help="source files (lobster: MESSAGE ORDERBOOK)")
    imp.add_argument("--out", required=True, help="day folder to write (quotes.parquet, trades.parquet, import.json)")
    imp.add_argument("--trades", default=None, help="trades CSV for the one-sided, nbbo and csv formats")
    imp.add_argument("--symbol", action="append", default=[], help="keep only this symbol (repeatable); "
                     "names the symbol of a LOBSTER file")
    imp.add_argument("--date", default=None, help="New York trading date YYYY-MM-DD: rows of other days are left "
                     "out (and counted); required for LOBSTER unless its file name has it")
    imp.add_argument("--venue", default=None, help="venue code for single-venue sources (LOBSTER, DBN)")
    choices = [a.value for a in Action]
    imp.add_argument("--crossed", choices=choices, default=Action.CLEAR_OLDER.value,
                     help="a venue's own crossed quote (default clear-older)")
    imp.add_argument("--locked", choices=choices, default=Action.CLEAR_OLDER.value,
                     help="a venue's own locked quote (default clear-older)")
    imp.add_argument("--stale-after", type=float, default=None, metavar="SECONDS",
                     help="a carried side older than this becomes unknown (default: never)")
    imp.set_defaults(func=_cmd_import)
    summary = verbs.add_parser("summary", help="rows, venues, time span, crossed/locked share, gaps of a day")
    summary.add_argument("day", help="day folder written by `twin market import`")
    summary.set_defaults(func=_cmd_summary)


def _cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from venues_sim.importers import Action, Options, Policy, format_summary, import_day
    from venues_sim.replay_format import ReplayFormatError

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print(f"invalid: --date: must be YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return 2
    if args.stale_after is not None and not 0 < args.stale_after < 86_400:
        print(f"invalid: --stale-after: must be between 0 and 86400 seconds, got {args.stale_after}", file=sys.stderr)
        return 2
    if args.trades and args.format in ("dbn", "lobster"):
        print(f"invalid: --trades: {args.format} files carry their own trades", file=sys.stderr)
        return 2
    options = Options(symbols=tuple(args.symbol), date=day, venue=args.venue,
                      trades=Path(args.trades) if args.trades else None)
    policy = Policy(Action(args.crossed), Action(args.locked),
                    None if args.stale_after is None else int(args.stale_after * 1e9))
    try:
        meta = import_day(args.format, args.sources, args.out, options, policy)
    except ReplayFormatError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}/quotes.parquet and trades.parquet")
    print(format_summary(meta["summary"], meta))
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from venues_sim.importers import format_summary, read_meta, summarize
    from venues_sim.replay_format import ReplayFormatError

    try:
        print(format_summary(summarize(args.day), read_meta(args.day)))
    except ReplayFormatError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    return 0
