"""``twin realism SOURCE [SOURCE ...] [--symbol S] --out report.html``: stylised facts side by side.

Each SOURCE is a run folder (``twin run --out``) or a recorded day in the replay
format (``quotes.parquet`` and ``trades.parquet``), told apart by their files
(``reports.realism_sources``). Writes one HTML page with the facts of every
source in one table and their plots, and ``realism.json`` beside it
(``docs/realism.md``). A source that cannot be read is one line on stderr and
exit status 2. numpy, pyarrow and matplotlib load only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import time
from pathlib import Path


def register(subparsers) -> None:
    cmd = subparsers.add_parser("realism", help="stylised facts of simulated and recorded days side by side")
    cmd.add_argument("sources", nargs="+", metavar="SOURCE",
                     help="run folder or recorded day folder (quotes.parquet, trades.parquet)")
    cmd.add_argument("--symbol", default=None,
                     help="symbol in every source (default: each source's most-quoted symbol)")
    cmd.add_argument("--session", default="09:30-16:00", metavar="HH:MM-HH:MM",
                     help="a recorded day's session, New York time (runs carry their own; default 09:30-16:00)")
    cmd.add_argument("--out", required=True, help="HTML page to write; realism.json goes beside it")
    cmd.set_defaults(func=_cmd_realism)


def parse_session(text: str) -> tuple[time, time]:
    """``"09:30-16:00"`` -> (09:30, 16:00); ``ValueError`` naming the problem otherwise."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"--session: expected HH:MM-HH:MM, got {text!r}") from None
    if start >= end:
        raise ValueError(f"--session: the open must be before the close, got {text!r}")
    return start, end


def _cmd_realism(args: argparse.Namespace) -> int:
    from reports.realism_sources import SourceError, load_source
    from venues_sim.replay_format import ReplayFormatError

    try:
        session = parse_session(args.session)
        sources = [load_source(path, args.symbol, session) for path in args.sources]
    except (SourceError, ValueError) as exc:  # ReplayFormatError is a ValueError: file, row and column
        prefix = "invalid" if isinstance(exc, ReplayFormatError) else "realism"
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 2
    from reports.realism_page import realism_report, write_realism

    report = realism_report(sources)
    html, json_path = write_realism(report, Path(args.out))
    for s in report["sources"]:
        r = s["facts"]["returns"]["1min"]
        acf, abs_acf = r["acf"], r["abs_acf"]
        lag1 = "-" if acf["values"][0] is None else f"{acf['values'][0]:+.2f}"
        kurt = "-" if r["excess_kurtosis"] is None else f"{r['excess_kurtosis']:.1f}"
        abs1 = "-" if abs_acf["values"][0] is None else f"{abs_acf['values'][0]:+.2f}"
        print(f"{s['label']} ({s['kind']}, {s['symbol']}): 1-min returns {r['count']}, ACF lag 1 {lag1} "
              f"({acf['outside_band']} of 10 lags outside the band), |r| ACF lag 1 {abs1}, excess kurtosis {kurt}")
    print(f"report: {html}\nnumbers: {json_path}")
    return 0
