"""``twin gameday JOURNAL [--out DIR]``: a Chaos Toolkit journal as an HTML game-day report.

The journal is what ``chaos run --journal-path FILE chaos/experiments/NAME.json`` writes; the page
(``reports.gameday``) shows the timeline of faults and probe results, the hypothesis before and
after, RPO/RTO and the orders affected when the runs report them, and the verdict.

Exit codes, for CI (the report is written in both of the first two cases):

* 0: the experiment completed and the steady state held;
* 1: the steady state DEVIATED, or the experiment did not complete (failed, aborted, interrupted);
* 2: the file is not a readable Chaos Toolkit journal (no report).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELD, DEVIATED, NOT_A_JOURNAL = 0, 1, 2


def register(sub) -> None:
    """Add the ``gameday`` subcommand."""
    parser = sub.add_parser("gameday", help="turn a Chaos Toolkit journal.json into an HTML game-day report",
                            epilog="exit status: 0 the steady state held; 1 it DEVIATED or the experiment did not "
                                   "complete (the report is written either way); 2 not a journal")
    parser.add_argument("journal", help="journal.json written by `chaos run`")
    parser.add_argument("--out", default=None, help="folder for gameday.html (default: the journal's folder)")
    parser.set_defaults(func=_cmd_gameday)


def _cmd_gameday(args: argparse.Namespace) -> int:
    from reports.gameday import JournalError, read_journal, write_gameday  # matplotlib: only when asked

    try:
        day = read_journal(args.journal)
    except JournalError as exc:
        print(f"gameday: {exc}", file=sys.stderr)
        return NOT_A_JOURNAL
    path = write_gameday(day, Path(args.out) if args.out else Path(args.journal).parent)
    print(f"{day.verdict}; report: {path}")
    # a CI job gating on the game day fails on a deviation, as ``chaos run`` itself does
    return HELD if day.status == "completed" and not day.deviated else DEVIATED
