"""``twin gameday JOURNAL [--out DIR]``: a Chaos Toolkit journal as an HTML game-day report.

The journal is what ``chaos run --journal-path FILE chaos/experiments/NAME.json`` writes; the page
(``reports.gameday``) shows the timeline of faults and probe results, the hypothesis before and
after, RPO/RTO and the orders affected when the runs report them, and the verdict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path



def register(sub) -> None:
    """Add the ``gameday`` subcommand."""
    parser = sub.add_parser("gameday", help="turn a Chaos Toolkit journal.json into an HTML game-day report")
    parser.add_argument("journal", help="journal.json written by `chaos run`")
    parser.add_argument("--out", default=None, help="folder for gameday.html (default: the journal's folder)")
    parser.set_defaults(func=_cmd_gameday)


def _cmd_gameday(args: argparse.Namespace) -> int:
    from reports.gameday import JournalError, read_journal, write_gameday  # matplotlib: only when asked

    try:
        day = read_journal(args.journal)
    except JournalError as exc:
        print(f"gameday: {exc}", file=sys.stderr)
        return 2
    path = write_gameday(day, Path(args.out) if args.out else Path(args.journal).parent)
    print(f"{day.verdict}; report: {path}")
    return 0  # the report was written; the verdict is in it (``chaos run`` already exited non-zero)
