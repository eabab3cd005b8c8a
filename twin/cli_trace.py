"""``twin trace ORDER_ID (--run DIR | --file TRACES)``: one order's trace as a span tree.

Reads OTLP/JSON trace exports: a twin run folder's ``traces.json`` (``--run``), or
a live trace file (``--file``: ``$TWIN_TRACES_FILE`` of ``twin serve``, one export
per line; a twin ``traces.json`` works too). Prints the order's trace: every span
(the order's root, each service's step, each measured handler run in live traces,
a CLIENT span per venue child order) with its start after the trace's first span
and its duration, and under ``risk.check`` each risk policy's decision (code,
version, verdict, reason code, parameters). Exit codes: 0 printed, 2 unreadable
file or no trace for that order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.observability.traces import Span, render_tree, spans_from_otlp_json


def register(subparsers) -> None:
    """Add ``trace`` to the ``twin`` command line."""
    cmd = subparsers.add_parser("trace", help="one order's trace (service spans, policy decisions) as text")
    cmd.add_argument("order_id", help="the order, e.g. ORD-0000001")
    where = cmd.add_mutually_exclusive_group(required=True)
    where.add_argument("--run", help="run folder written by `twin run` (reads its traces.json)")
    where.add_argument("--file", help="an OTLP/JSON trace file (one export per line, or one document)")
    cmd.set_defaults(func=_cmd_trace)


def read_spans(path: Path) -> list[Span]:
    """Every span of an OTLP/JSON file: one document, or one document per line; ValueError naming
    the file (and line) when a part is not an OTLP/JSON export."""
    text = path.read_text(encoding="utf-8")
    try:
        return spans_from_otlp_json(json.loads(text))
    except json.JSONDecodeError:
        pass  # one export per line
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    spans: list[Span] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                spans += spans_from_otlp_json(json.loads(line))
            except ValueError as exc:  # JSONDecodeError is one
                raise ValueError(f"{path}: line {number}: {exc}") from None
    return spans


def order_trace(spans: list[Span], order_id: str) -> list[Span]:
    """The spans of the trace whose root names ``order_id`` ([] if none does)."""
    roots = {s.trace_id for s in spans
             if s.name == f"order {order_id}" or dict(s.attributes).get("order_id") == order_id}
    return [s for s in spans if s.trace_id in roots]


def _cmd_trace(args: argparse.Namespace) -> int:
    path = Path(args.run) / "traces.json" if args.run else Path(args.file)
    try:
        spans = read_spans(path)
    except OSError as exc:
        hint = ""
        folder = Path(args.run) if args.run else None
        if folder and (folder / "events.sqlite").exists() and not (folder / "summary.json").exists():  # live's
            hint = (" (a live run folder: its traces go to $TWIN_TRACES_FILE of `twin serve`; give that file "
                    "with --file)")
        print(f"cannot read {path}: {exc.strerror}{hint}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    mine = order_trace(spans, args.order_id)
    if not mine:
        print(f"{path}: no trace for order {args.order_id!r}", file=sys.stderr)
        return 2
    print(f"trace {mine[0].trace_id}: order {args.order_id}, {len(mine)} spans ({path})")
    print(render_tree(mine))
    return 0
