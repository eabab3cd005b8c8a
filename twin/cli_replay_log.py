"""``twin replay-log RUN``: verify a run's event log and rebuild its read models.

RUN is a run folder written by ``twin run`` (its ``events.sqlite``; a folder
from before the event store falls back to ``events.parquet``, which has no
chain to verify) or a ``.sqlite`` event store file. The hash chain is checked
first; a break exits 1 naming the first offending offset. When the folder has
a ``summary.json`` the log is also checked against the run's fingerprint,
which catches what the chain alone cannot: a cut tail or a rewritten chain.
Exit codes: 0 verified (and rebuilt), 1 tampering found, 2 nothing readable.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path


def register(subparsers) -> None:
    cmd = subparsers.add_parser("replay-log", help="verify a run's event log hash chain and rebuild projections")
    cmd.add_argument("run", help="run folder (from `twin run`) or an events .sqlite file")
    cmd.add_argument("--verify-only", action="store_true", help="check the log; do not rebuild projections")
    cmd.set_defaults(func=_cmd_replay_log)


def _cmd_replay_log(args: argparse.Namespace) -> int:
    from components.eventstore import InMemoryEventStore, Projections, SqliteEventStore

    from .fingerprint import fingerprint

    path = Path(args.run)
    folder = path if path.is_dir() else None
    db = path / "events.sqlite" if folder else path
    try:
        if db.is_file():
            store = SqliteEventStore(db, read_only=True)
            source = str(db)
        elif folder and (folder / "events.parquet").is_file():
            store = InMemoryEventStore()
            store.append_batch(_parquet_events(folder / "events.parquet"))
            source = f"{folder / 'events.parquet'} (no events.sqlite: no stored chain to verify)"
        else:
            print(f"no event log at {path} (expected a run folder or a .sqlite file)", file=sys.stderr)
            return 2
    except (sqlite3.DatabaseError, OSError) as exc:
        print(f"cannot open {db}: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            result = store.verify()
        except sqlite3.DatabaseError as exc:
            print(f"cannot read {db}: {exc}", file=sys.stderr)
            return 2
        if not result.ok:
            print(f"TAMPERED: {source}: first offending offset {result.offset}: {result.problem}", file=sys.stderr)
            return 1
        chain = "hash chain ok" if isinstance(store, SqliteEventStore) else "hash chain computed on load"
        print(f"{source}: {result.count} events, {chain} (head {result.head[:16]})")
        projections = None if args.verify_only else Projections()
        events = store.read() if projections is None else _applying(store.read(), projections)
        recorded = _recorded_fingerprint(folder)
        actual = fingerprint(events)
        if recorded is not None:
            if actual != recorded:
                print(f"TAMPERED: {source}: log fingerprint {actual[:16]} differs from the run's {recorded[:16]} "
                      f"(summary.json): records cut or the chain rewritten after offset {result.count - 1}",
                      file=sys.stderr)
                return 1
            print(f"fingerprint matches summary.json ({actual[:16]})")
        if projections is not None:
            _print_projections(projections)
        return 0
    finally:
        store.close()


def _applying(events, projections):
    for event in events:
        projections.apply(event)
        yield event


def _recorded_fingerprint(folder: Path | None) -> str | None:
    summary = folder / "summary.json" if folder else None
    if summary is None or not summary.is_file():
        return None
    return json.loads(summary.read_text()).get("fingerprint")


def _print_projections(projections) -> None:
    by_status: dict[str, int] = {}
    for view in projections.orders.values():
        by_status[str(view["status"])] = by_status.get(str(view["status"]), 0) + 1
    positions = projections.positions
    print(f"orders {len(projections.orders)}  open orders {len(projections.open_orders())}  "
          f"accounts with positions {len(positions)} (from fills; opening balances are not in the log)")
    print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))


def _parquet_events(path: Path):
    """Events from a run's events.parquet (decisions and details stored as JSON text)."""
    import pyarrow.parquet as pq

    from components.eventstore.codec import from_record

    for row in pq.read_table(path).to_pylist():
        row["policy_decisions"] = json.loads(row["policy_decisions"] or "[]")
        row["details"] = json.loads(row["details"] or "{}")
        yield from_record(row)
