"""``twin diff-live RUN_LOG``: replay a live session's order flow in the twin and report where they diverge.

    twin diff-live RUN_DIR/events.sqlite [--config live.toml] [--books books.json] [--out report.html]
    twin diff-live postgresql://user@host/db [--schema S] --out report.html ...

Reads the live session's event log, a SQLite file (the live stack's default)
or a PostgreSQL database (read-only, ``twin.pg_log``), extracts its order flow (``twin.diff_live.flow``: every request with its
send time, and client cancels), builds the twin world the live config
describes (``twin.diff_live.worlds``: same symbols, venues, limits and
generated population) and runs the flow through it (``twin.scripted``).
With ``--books`` the twin's books start with those resting orders and no
market maker quotes (for a session whose venue books are known); without
it the scenario's market makers quote. Then both streams are compared order
by order (``twin.diff_live.compare``): states, risk verdicts, reasons, fills, and
latency per segment. A table goes to stdout and an HTML report next to the
log (``diff-live.html``) or to ``--out``.

Exit status: 0 the streams agree, 1 they diverge, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

NAMES = ("live", "twin")


def register(subparsers) -> None:
    diff = subparsers.add_parser("diff-live", help="replay a live session's order flow in the twin and diff them")
    diff.add_argument("run_log", help="the live session's event log: a run folder or its SQLite file (events.sqlite) "
                                      "or a PostgreSQL URL (postgresql://user@host/db)")
    diff.add_argument("--schema", default=None, help="PostgreSQL: the schema holding the events table")
    diff.add_argument("--config", default=None, help="the live.toml the session ran with (default: embedded defaults)")
    diff.add_argument("--books", default=None,
                      help="JSON list of resting orders {venue, symbol, side, quantity, price} to seed the twin's "
                           "books with (then no market maker quotes)")
    diff.add_argument("--out", default=None,
                      help="HTML report (default: diff-live.html next to RUN_LOG; required for a PostgreSQL URL)")
    diff.add_argument("--settle-s", type=float, default=5.0, help="twin time after the last request (default 5)")
    diff.set_defaults(func=_cmd_diff_live)


def _cmd_diff_live(args: argparse.Namespace) -> int:
    from components.eventstore.sqlite import SqliteEventStore
    from components.config.live import LiveConfigError, load_live_config
    from reports.diff_live import write_diff_report

    from twin.bootstrap import build_twin
    from twin.diff_live.compare import diff_traces, latency_rows, order_traces
    from twin.diff_live.flow import books_from_json, script_of, session_start_ns
    from twin.diff_live.worlds import NoScenarioForConfig, scenario_for, trade_date_of
    from twin.scripted import Cancel, Submit, run_script

    from twin.pg_log import PostgresLogReader, is_dsn

    postgres = is_dsn(args.run_log)
    if postgres and not args.out:
        print("diff-live: --out is required with a PostgreSQL URL (there is no folder to write the report to)",
              file=sys.stderr)
        return 2
    if args.schema and not postgres:
        print("diff-live: --schema applies to a PostgreSQL URL, not to a file", file=sys.stderr)
        return 2
    run_log = Path(args.run_log) if not postgres else None
    if run_log is not None and run_log.is_dir():  # a run folder, as replay-log and order-timeline take: its log
        run_log = run_log / "events.sqlite"
    try:
        config = load_live_config(args.config)
        opened = PostgresLogReader(args.run_log, args.schema) if postgres else SqliteEventStore(run_log, read_only=True)
        with opened as store:
            live_events = list(store.read())
        books = books_from_json(args.books) if args.books else []
    except (LiveConfigError, ValueError, OSError) as exc:
        print(f"diff-live: {exc}", file=sys.stderr)
        return 2
    steps = script_of(live_events)
    start = session_start_ns(live_events)
    try:
        scenario = scenario_for(config, trade_date_of(start) if start is not None else None)
    except NoScenarioForConfig as exc:
        print(f"diff-live: {exc}", file=sys.stderr)
        return 2
    world = run_script(build_twin(scenario, scenario.seed), [*books, *steps],
                       settle_ns=int(args.settle_s * 1e9), liquidity=not books)
    live, twin = order_traces(live_events), order_traces(world.log.read())
    divergences = diff_traces(live, twin, NAMES)
    latency = latency_rows(live, twin, NAMES)
    orders = _order_rows(live, twin, {d.key for d in divergences})
    notes = [f"{sum(isinstance(s, Submit) for s in steps)} requests and "
             f"{sum(isinstance(s, Cancel) for s in steps)} client cancels replayed; "
             + (f"twin books seeded from {args.books}" if books else "twin market: the scenario's market makers")]
    source = opened.source if postgres else str(run_log)
    _print(source, orders, divergences, latency, notes)
    out = Path(args.out) if args.out else run_log.with_name("diff-live.html")
    write_diff_report(out, run_log=source, names=NAMES, orders=orders,
                      divergences=[{"key": d.key, "order": d.order, "aspect": d.aspect, "detail": d.detail}
                                   for d in divergences], latency=latency, notes=notes)
    print(f"report: {out}")
    return 1 if divergences else 0


def _order_rows(live: dict, twin: dict, diverged: set[str]) -> list[dict[str, Any]]:
    rows = []
    for key in list(live) + [k for k in twin if k not in live]:
        a, b = live.get(key), twin.get(key)
        rows.append({"key": key, "order": (a or b).order, "live": a.final if a else "(absent)",
                     "twin": b.final if b else "(absent)", "in_live": a is not None, "in_twin": b is not None,
                     "match": key not in diverged})
    return rows


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print(run_log: str, orders: list, divergences: list, latency: list, notes: list[str]) -> None:
    print(f"live session {run_log}: {sum(o['in_live'] for o in orders)} orders live, "
          f"{sum(o['in_twin'] for o in orders)} in the twin")
    for note in notes:
        print(f"  {note}")
    width = max([len(o["key"]) for o in orders] + [5])
    print(f"\n{'order':<{width}}  {'live final':<22}{'twin final':<22}match")
    for o in orders:
        print(f"{o['key']:<{width}}  {o['live']:<22}{o['twin']:<22}{'yes' if o['match'] else 'NO'}")
    print(f"\n{'segment':<12}{'live n':>8}{'live p50':>11}{'live p99':>11}{'twin n':>8}{'twin p50':>11}{'twin p99':>11}  (ms)")
    for r in latency:
        print(f"{r['segment']:<12}{r['live_count']:>8}{_ms(r['live_p50']):>11}{_ms(r['live_p99']):>11}"
              f"{r['twin_count']:>8}{_ms(r['twin_p50']):>11}{_ms(r['twin_p99']):>11}")
    if divergences:
        print(f"\n{len(divergences)} divergence(s):")
        for d in divergences:
            print(f"  {d}")
    else:
        print("\nthe streams agree: same orders, states, risk verdicts, reasons and fills")
