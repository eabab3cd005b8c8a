"""``twin replay-log RUN``: verify a run's event log and rebuild its read models.

RUN is a run folder written by ``twin run`` or ``twin serve`` (its
``events.sqlite``; a folder from before the event store falls back to
``events.parquet``, which has no chain to verify), a ``.sqlite`` event store
file, or a PostgreSQL URL (``postgresql://...``, with ``--schema`` for a log
kept in its own schema; read through ``twin.pg_log``, read-only). The hash chain is checked
first; a break exits 1 naming the first offending offset. Then the anchor log
next to it (``events.anchors``, see ``components.eventstore.anchors``) when
present, with the key from ``--anchor-key-file`` or ``$TWIN_ANCHOR_KEY``:
HMACs, the anchors' own sequence, each anchored record present with the
anchored hash, nothing after the clean stop; this catches what the chain alone
cannot (a cut tail, a forged row appended with its hash recomputed, a whole
log rewritten with a new consistent chain). For PostgreSQL the anchors are
the ``event_anchors`` table's, and with ``--anchors FILE`` (the anchor file
``twin serve`` keeps in its run folder) the file's, compared line by line
with the table's copy. When the folder has a
``summary.json`` its anchor must be the anchor log's last, and the log must
match the run's fingerprint. Every finding is printed as
``TAMPERED: SOURCE: first offending offset N (KIND): REASON``.
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
    cmd.add_argument("run", help="run folder (from `twin run` or `twin serve`), an events .sqlite file, or a "
                                 "PostgreSQL URL (postgresql://user@host/db)")
    cmd.add_argument("--schema", default=None, help="PostgreSQL: the schema holding the events table")
    cmd.add_argument("--anchors", default=None,
                     help="PostgreSQL: the anchor file `twin serve` wrote (RUN_DIR/events.anchors), checked and "
                          "compared with the database's event_anchors table (default: the table alone)")
    cmd.add_argument("--verify-only", action="store_true", help="check the log; do not rebuild projections")
    cmd.add_argument("--anchor-key-file", default=None,
                     help="file holding the anchor key (default: $TWIN_ANCHOR_KEY); not inside the run folder")
    cmd.set_defaults(func=_cmd_replay_log)


def _cmd_replay_log(args: argparse.Namespace) -> int:
    from components.eventstore import InMemoryEventStore, SqliteEventStore
    from components.eventstore.anchors import AnchorKeyError, Finding

    from .pg_log import is_dsn

    if is_dsn(args.run):
        return _replay_postgres(args)
    if args.schema or args.anchors:
        print("--schema and --anchors apply to a PostgreSQL URL, not to a file or folder", file=sys.stderr)
        return 2
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
            print(f"no event log at {path} (expected a run folder, a .sqlite file or a postgresql:// URL)",
                  file=sys.stderr)
            return 2
    except (sqlite3.DatabaseError, OSError) as exc:
        print(f"cannot open {db}: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            if isinstance(store, SqliteEventStore):
                finding, count, anchors = _check_sqlite(store, db, folder, args.anchor_key_file)
            else:
                result = store.verify()
                finding = None if result.ok else Finding(result.offset, result.kind, result.problem)
                count, anchors = result.count, None
        except sqlite3.DatabaseError as exc:
            print(f"cannot read {db}: {exc}", file=sys.stderr)
            return 2
        except AnchorKeyError as exc:
            print(f"anchor key: {exc}", file=sys.stderr)
            return 2
        chain = "hash chain ok" if isinstance(store, SqliteEventStore) else "hash chain computed on load"
        return _report(store, source, finding, count, anchors, chain, folder, args.verify_only)
    finally:
        store.close()


def _report(store, source: str, finding, count: int, anchors: str | None, chain: str, folder: Path | None,
            verify_only: bool) -> int:
    """Print the verdict (and the rebuilt projections): the exit status."""
    from components.eventstore import Projections

    from .fingerprint import fingerprint

    if finding is not None:
        where = f"first offending offset {finding.offset}" if finding.offset is not None else "anchor log"
        print(f"TAMPERED: {source}: {where} ({finding.kind}): {finding.reason}", file=sys.stderr)
        return 1
    print(f"{source}: {count} events, {chain} (head {store.head_hash[:16]})")
    if anchors is not None:
        print(anchors)
    projections = None if verify_only else Projections()
    events = store.read() if projections is None else _applying(store.read(), projections)
    recorded = _recorded_fingerprint(folder)
    actual = fingerprint(events)
    if recorded is not None:
        if actual != recorded:
            print(f"TAMPERED: {source}: log fingerprint {actual[:16]} differs from the run's {recorded[:16]} "
                  f"(summary.json): records cut or the chain rewritten after offset {count - 1}",
                  file=sys.stderr)
            return 1
        print(f"fingerprint matches summary.json ({actual[:16]})")
    if projections is not None:
        _print_projections(projections)
    return 0


def _replay_postgres(args: argparse.Namespace) -> int:
    """``replay-log postgresql://...``: the same checks as for a SQLite file, the anchors from the
    ``event_anchors`` table and, with ``--anchors``, the anchor file (both compared)."""
    import psycopg

    from components.eventstore.anchorlog import read_lines, resolve_key
    from components.eventstore.anchors import AnchorKeyError, Finding, verify_log
    from components.eventstore.pgsql import compare_anchor_copies

    from .pg_log import NoPostgresLog, PostgresLogReader

    try:
        store = PostgresLogReader(args.run, args.schema)
    except NoPostgresLog as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        try:
            anchor_file = Path(args.anchors) if args.anchors else None
            key, key_source = resolve_key(args.anchor_key_file, anchor_file.parent if anchor_file else None)
            table = store.anchor_rows()
            file_lines = read_lines(anchor_file) if anchor_file is not None else None
            if anchor_file is not None and file_lines is None:
                print(f"no anchor file at {anchor_file}", file=sys.stderr)
                return 2
            lines = file_lines if file_lines is not None else ([line for _, line in table] if table else None)
            length = len(store)
            check = verify_log(store.stored_rows, length, store.hash_at, lines, key, full=True)
            finding = check.finding
            notes = list(check.notes)
            if finding is None and file_lines is not None:
                differ, missing = compare_anchor_copies(file_lines, table)
                if differ:
                    finding = Finding(None, "anchor_copies_differ", differ)
                notes += [missing] if missing else []
        except AnchorKeyError as exc:
            print(f"anchor key: {exc}", file=sys.stderr)
            return 2
        except psycopg.Error as exc:
            print(f"cannot read {store.source}: {str(exc).strip()}", file=sys.stderr)
            return 2
        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
        where = "the anchor file and the event_anchors table" if file_lines is not None else (
            "the event_anchors table" if lines is not None else None)
        anchors = (_anchor_summary(check, key, key_source, where) if where is not None
                   else "anchors: none (no event_anchors table rows and no --anchors file)")
        return _report(store, store.source, finding, length, anchors, "hash chain ok", None, args.verify_only)
    finally:
        store.close()


def _anchor_summary(check, key: bytes | None, key_source: str, where: str) -> str:
    """One line on the anchors that checked out."""
    last = check.anchors.last
    kind = "keyed HMAC-SHA-256, checked with the key" if check.anchors.keyed else (
        "keyed, NOT checked (no key given)" if key is None and last is not None and last.alg != "SHA256"
        else "unkeyed SHA-256 (detects a cut tail, not a forgery)")
    at = f", last at record {last.offset} ({last.kind})" if last is not None else ""
    return f"anchors{f' ({where})' if where else ''}: {check.anchors.anchors} ok, {kind}{at}; key: {key_source}"


def _check_sqlite(store, db: Path, folder: Path | None, key_file: str | None):
    """The chain, the anchor log and summary.json's anchor of a SQLite log: (finding, records, anchors line)."""
    from components.eventstore.anchorlog import anchor_path, read_lines, resolve_key
    from components.eventstore.anchors import Finding, verify_log

    key, key_source = resolve_key(key_file, folder if folder is not None else db.parent)
    lines = read_lines(anchor_path(db))
    length = len(store)
    check = verify_log(store.stored_rows, length, store.hash_at, lines, key, full=True)
    for note in check.notes:
        print(f"warning: {note}", file=sys.stderr)
    if not check.ok:
        return check.finding, length, None
    recorded = _recorded(folder, "anchor")
    last = check.anchors.last
    if recorded is not None and (last is None or last.to_record() != recorded):
        offset = recorded.get("offset") if isinstance(recorded, dict) else None
        if isinstance(offset, int) and offset >= length:
            return Finding(length, "cut_tail", f"summary.json's anchor vouches for record {offset} but the log "
                                               f"ends at record {length - 1}"), length, None
        what = "there is no anchor log" if lines is None else "the anchor log does not end with it"
        return Finding(offset if isinstance(offset, int) else None,
                       "anchors_missing" if lines is None else "anchor_deleted",
                       f"summary.json records the run's last anchor but {what}"), length, None
    if lines is None:
        return None, length, "anchors: none (no anchor log next to the events file)"
    return None, length, _anchor_summary(check, key, key_source, "")


def _applying(events, projections):
    for event in events:
        projections.apply(event)
        yield event


def _recorded_fingerprint(folder: Path | None) -> str | None:
    return _recorded(folder, "fingerprint")


def _recorded(folder: Path | None, field: str):
    summary = folder / "summary.json" if folder else None
    if summary is None or not summary.is_file():
        return None
    return json.loads(summary.read_text()).get(field)


def _print_projections(projections) -> None:
    by_status: dict[str, int] = {}
    for view in projections.orders.values():
        by_status[str(view["status"])] = by_status.get(str(view["status"]), 0) + 1
    positions = projections.positions
    print(f"orders {len(projections.orders)}  open orders {len(projections.open_orders())}  "
          f"accounts with positions {len(positions)} (from fills; opening balances are not in the log)")
    print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    from .open_orders import open_order_lines  # the stuck-order list (issue 10)

    for line in open_order_lines(projections):
        print(line)


def _parquet_events(path: Path):
    """Events from a run's events.parquet (decisions and details stored as JSON text)."""
    import pyarrow.parquet as pq

    from components.eventstore.codec import from_record

    for row in pq.read_table(path).to_pylist():
        row["policy_decisions"] = json.loads(row["policy_decisions"] or "[]")
        row["details"] = json.loads(row["details"] or "{}")
        yield from_record(row)
