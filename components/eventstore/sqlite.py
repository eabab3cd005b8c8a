"""A SQLite event store: one append-only, hash-chained table in a WAL-mode file.

The table holds the canonical payload (the source of truth) plus a few columns
copied out of it so queries need no decoding: ``stream`` (order id),
``stream_seq``, ``business_time`` (timestamp_utc) and ``system_time``
(recorded_at). Triggers make the file refuse UPDATE and DELETE, and refuse an
INSERT that is not the next offset or repeats an event id (which also stops
``INSERT OR REPLACE`` from overwriting a row, since REPLACE's implicit delete
does not fire delete triggers). Anyone can still drop the triggers with raw SQL:
``verify`` recomputes the chain from the stored payloads and checks the copied
columns against them, so such edits are found and located.

One writer per file (this object); readers may open the file concurrently.

Format: the file carries its storage format in ``PRAGMA user_version`` (0, a
file from before the marker, is format 1) and a file of a format this code
does not know is refused. A new file is written in ``NEW_FILE_FORMAT`` unless a
``format`` is asked for; a file is always appended to in its own format.

* Format 1 (this module's ``events`` table, described above): one row per
  record; the payload column holds the canonical JSON text of the event
  (``codec``), and ``hash`` is SHA-256 over the parent hash and exactly those
  bytes, so verifying never decodes a payload.
* Format 2 (``segments``, issue 19; the default for a new file): one row per committed segment of up to
  4,096 records, each record's ``packed`` MessagePack bytes, still one hash
  link per record (over those bytes); an ``event_ids`` table keeps event ids
  unique. About 3x smaller and several times faster to append and replay.

Durability: ``durable=True`` is synchronous=FULL, so each committed batch is on
disk before ``append_batch`` returns; a batch is one transaction, so a crash
leaves whole batches only. ``durable=False`` is synchronous=NORMAL: the same
atomicity, but the last batches may be lost on power loss (not on a crash of
the process).

An ``append_batch`` of more than one chunk commits them on a writer thread
while the calling thread prepares the next (issue 19): the chunks are still
committed one at a time, in order, each with its own synchronous=FULL commit,
nothing after a failed chunk is stored, and the call returns once the last
chunk has committed, so the guarantee above is unchanged; a process killed
mid-append leaves the chunks committed before it, whole
(``tests/unit/components/eventstore/test_eventstore_batches.py``).
"""

from __future__ import annotations

import hashlib
import os
import queue
import sqlite3
import threading
from contextlib import contextmanager
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from components.domain.events import OrderEvent

from . import segments
from .chain import GENESIS, ChainBroken, ChainWalk, VerifyResult, check_head
from .codec import KNOWN_FORMATS, decode, encode, query_columns, stored_columns
from .errors import DuplicateEvent

TRIGGERS = ("events_no_update", "events_no_delete", "events_append_only")
"""Format 1's triggers (``segments.TRIGGERS`` are format 2's; ``TRIGGERS_OF`` by format)."""
TRIGGERS_OF = {1: TRIGGERS, 2: segments.TRIGGERS}
NEW_FILE_FORMAT = 2
"""The format of a new file when none is asked for: format 2 (``codec.FORMAT``, the newest). Format 1 files
are still read and appended to in format 1, and ``format=1`` still writes one (docs/event_store_format.md)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    "offset"      INTEGER PRIMARY KEY,
    event_id      TEXT    NOT NULL UNIQUE,
    stream        TEXT    NOT NULL,
    stream_seq    INTEGER NOT NULL,
    business_time INTEGER NOT NULL,
    system_time   INTEGER NOT NULL,
    payload       TEXT    NOT NULL,
    parent_hash   TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream, stream_seq);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'event store is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'event store is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only BEFORE INSERT ON events
WHEN NEW."offset" IS NOT coalesce((SELECT max("offset") FROM events), -1) + 1
  OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'event store is append-only: not the next offset, or a duplicate event_id'); END;
"""
_INSERT = ('INSERT INTO events ("offset", event_id, stream, stream_seq, business_time, system_time, '
           "payload, parent_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_FETCH = 4096  # rows per fetchmany: bounded memory on a long replay
_ROWS = ('SELECT "offset", {payload}, parent_hash, hash, event_id, stream, stream_seq, business_time, system_time '
         'FROM events WHERE "offset" >= ? ORDER BY "offset"')
_sha256 = hashlib.sha256


class SqliteEventStore:
    """The EventLog port on a SQLite file (created if missing, reopened if present).

    ``durable=True`` syncs every commit to disk (synchronous=FULL): a committed
    event survives power loss. ``durable=False`` (synchronous=NORMAL) is for
    artifacts such as a run folder's copy of the log, where speed matters more.
    ``read_only=True`` opens an existing store for inspection without touching
    it (no schema or trigger re-creation, writes refused by SQLite itself).
    ``format`` is the storage format of a new file (``NEW_FILE_FORMAT`` if None); an existing file keeps its own.
    """

    def __init__(self, path: str | os.PathLike, durable: bool = True, read_only: bool = False,
                 format: int | None = None):  # noqa: A002 - the storage format, as PRAGMA user_version says
        self.path = Path(path)
        if format is not None and format not in KNOWN_FORMATS:
            raise ValueError(f"{self.path}: format {format} is not one this code writes "
                             f"(formats {', '.join(map(str, sorted(KNOWN_FORMATS)))})")
        if read_only:
            if not self.path.is_file():
                raise FileNotFoundError(f"no event store at {self.path}")
            # mode=rw, not ro: a read-only connection could not remove the WAL
            # side files on close; query_only makes SQLite refuse every write.
            self._con = sqlite3.connect(self.path.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None,
                                        check_same_thread=False)
            self._con.execute("PRAGMA query_only=ON")
        else:
            # We BEGIN/COMMIT ourselves; an append's writer thread uses the connection while the appending
            # thread waits for it (never both at once).
            self._con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.format = self._check_format(read_only, NEW_FILE_FORMAT if format is None else format)  # before writing
        # Readers take each payload as the bytes the chain hashed (CAST AS BLOB: SQLite hands over the
        # stored UTF-8 as is) instead of a str that is encoded again for the hash and the decoder.
        # Only in a UTF-8 file (every file this code makes); a UTF-16 one would cast to UTF-16 bytes.
        utf8 = self._con.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
        self._payload_sql = "CAST(payload AS BLOB)" if utf8 else "payload"
        if not read_only:
            if self.format == 2 and self._new:
                self._con.execute(f"PRAGMA page_size = {segments.PAGE_SIZE}")  # only takes on an empty file
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._con.executescript(_SCHEMA if self.format == 1 else segments.SCHEMA)
            if self._con.execute("PRAGMA user_version").fetchone()[0] == 0:
                self._con.execute(f"PRAGMA user_version = {self.format}")
        self._load_head()

    def _check_format(self, read_only: bool = True, new_format: int | None = None) -> int:
        """The file's storage format (0, unmarked, is format 1 if it holds format 1's ``events`` table, else
        a new log of ``new_format``); a one-line error if this code cannot read it."""
        marked = self._con.execute("PRAGMA user_version").fetchone()[0]
        self._new = not read_only and marked == 0 and self._con.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()[0] == 0
        found = (new_format or NEW_FILE_FORMAT) if self._new else marked or 1
        if found not in KNOWN_FORMATS:
            self._con.close()
            raise ValueError(f"{self.path}: event log format {marked} (PRAGMA user_version) is not one this "
                             f"code reads (formats {', '.join(map(str, sorted(KNOWN_FORMATS)))})")
        return found

    def _load_head(self) -> None:
        if self.format == 2:
            self._len, self._head = segments.head(self._con)
            return
        row = self._con.execute('SELECT "offset", hash FROM events ORDER BY "offset" DESC LIMIT 1').fetchone()
        self._len, self._head = (0, GENESIS) if row is None else (row[0] + 1, row[1])

    # -- EventLog port -------------------------------------------------------
    def append(self, event: OrderEvent) -> int:
        """Append and commit one event; returns its offset."""
        return self.append_batch((event,)).start

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        if self.format == 2:
            return segments.read(self._con, start)
        cursor = self._con.execute(f'SELECT {self._payload_sql} FROM events WHERE "offset" >= ? ORDER BY "offset"',
                                   (max(0, start),))
        return _decoded(cursor)

    def __len__(self) -> int:
        return self._len

    # -- beyond the port ---------------------------------------------------
    def append_batch(self, events: Iterable[OrderEvent], batch_size: int | None = None) -> range:
        """Append in order. Each chunk of ``batch_size`` events (all of them if None)
        is one transaction: it is stored whole or not at all. Returns the offsets used.

        With more than one chunk, a writer thread commits each chunk while this thread encodes, hashes and
        packs the next (``_append_pipelined``); the chunks are still committed one after another, in order,
        each with its own durable commit, and this returns once the last has committed. A chunk that fails
        (``DuplicateEvent``) is rolled back and no later chunk is stored, as before."""
        start = self._len
        chunks = _chunks(events, batch_size)
        first = next(chunks, None)
        try:
            second = next(chunks, None) if first else None
        except BaseException:  # the events ran out with an error: store the whole chunk read before it, as ever
            self._commit_chunk(first)
            raise
        if second is None:
            if first:
                self._commit_chunk(first)
        else:
            self._append_pipelined(chain((first, second), chunks))
        return range(start, self._len)

    def _prepare(self, chunk: list[OrderEvent], first: int, parent: str) -> tuple[Callable[[], None], str]:
        """Everything an append of ``chunk`` at offset ``first`` computes without the file: the statement
        that stores it (run inside the chunk's transaction) and the new head hash."""
        if self.format == 2:
            rows, head = segments.prepare(chunk, first, parent)
            return partial(segments.store, self._con, rows), head
        rows, offset, head = [], first, parent
        add, sha256 = rows.append, hashlib.sha256
        for event in chunk:
            payload = encode(event)
            digest = sha256(head.encode("ascii") + payload).hexdigest()  # chain.link_hash, inlined (hot loop)
            add((offset, event.event_id, event.order_id, event.stream_seq, event.timestamp_utc,
                 event.recorded_at, payload.decode("ascii"), head, digest))  # canonical bytes are ASCII
            offset, head = offset + 1, digest
        return partial(self._con.executemany, _INSERT, rows), head

    def _commit_chunk(self, chunk: list[OrderEvent]) -> None:
        store, head = self._prepare(chunk, self._len, self._head)
        with self._transaction(chunk):
            store()
        self._len, self._head = self._len + len(chunk), head

    def _append_pipelined(self, chunks: Iterator[list[OrderEvent]]) -> None:
        """Commit ``chunks`` in order on a writer thread while this one prepares the next (at most two
        ahead). SQLite runs a statement, and the commit's ``fsync``, with the GIL released, so the disk's
        wait and SQLite's own work overlap the encoding. The writer is the connection's only user until it
        is joined; it moves ``_len``/``_head`` after each commit, so they always name what is committed."""
        jobs: queue.Queue = queue.Queue(maxsize=2)
        failed: list[BaseException] = []

        def writer() -> None:
            while (job := jobs.get()) is not None:
                if failed:
                    continue  # after a failed chunk nothing more is stored; drain what was queued
                chunk, store, length, head = job
                try:
                    with self._transaction(chunk):
                        store()
                except BaseException as exc:  # noqa: BLE001 - handed to the appending thread, which raises it
                    failed.append(exc)
                    continue
                self._len, self._head = length, head

        thread = threading.Thread(target=writer, name=f"eventstore-writer:{self.path.name}", daemon=True)
        thread.start()
        length, head = self._len, self._head
        try:
            for chunk in chunks:
                if failed:
                    break
                store, head = self._prepare(chunk, length, head)
                length += len(chunk)
                jobs.put((chunk, store, length, head))
        finally:
            jobs.put(None)
            thread.join()
        if failed:
            raise failed[0]

    @contextmanager
    def _transaction(self, chunk: list[OrderEvent]) -> Iterator[None]:
        """One write transaction for ``chunk``: committed whole, or rolled back (a repeated event id
        raised as ``DuplicateEvent`` naming the first one)."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
            con.execute("COMMIT")
        except sqlite3.IntegrityError:
            con.execute("ROLLBACK")
            raise DuplicateEvent(self._first_duplicate(chunk)) from None
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _first_duplicate(self, chunk: list[OrderEvent]) -> str:
        seen: set[str] = set()
        table = "events" if self.format == 1 else "event_ids"
        for event in chunk:
            if event.event_id in seen or self._con.execute(
                    f"SELECT 1 FROM {table} WHERE event_id = ?", (event.event_id,)).fetchone():
                return event.event_id
            seen.add(event.event_id)
        return "?"  # the file changed under us (another writer): the trigger refused an offset

    @property
    def head_hash(self) -> str:
        return self._head

    def read_as_of(self, system_time_ns: int, business_time_ns: int | None = None,
                   stream: str | None = None) -> Iterator[OrderEvent]:
        """Events recorded at or before ``system_time_ns`` (and, if given, with business
        time at or before ``business_time_ns``; of one order if ``stream``), in offset order."""
        if self.format == 2:
            return segments.read_as_of(self._con, system_time_ns, business_time_ns, stream)
        sql, args = f"SELECT {self._payload_sql} FROM events WHERE system_time <= ?", [system_time_ns]
        if business_time_ns is not None:
            sql += " AND business_time <= ?"
            args.append(business_time_ns)
        if stream is not None:
            sql += " AND stream = ?"
            args.append(stream)
        return _decoded(self._con.execute(sql + ' ORDER BY "offset"', args))

    def read_verified(self, start: int = 0, expected_head: str | None = None) -> Iterator[OrderEvent]:
        """``read`` that proves each record before yielding its event, in one pass over the file: the
        chain link (from the stored hash of record ``start - 1``, or genesis) and the query columns
        against the decoded event. Raises ``ChainBroken`` (with the ``VerifyResult``) at the first bad
        record, having yielded only the good ones before it; at the end, checks ``expected_head``.
        Lazy: nothing is read before the first event is asked for."""
        start = max(0, start)
        if self.format == 2:  # a C-level chain over each proven segment's events: no generator step per event
            return chain.from_iterable(self._read_verified_segments(start, expected_head))
        return self._read_verified_rows(start, expected_head)

    def _parent_of(self, start: int) -> str:
        """The stored hash of record ``start - 1`` (genesis for 0); ``ChainBroken`` if there is none."""
        parent = GENESIS if start == 0 else self.hash_at(start - 1)
        if parent is None:
            raise ChainBroken(VerifyResult(False, start - 1, f"record {start - 1} missing (deleted?)",
                                           start - 1, GENESIS, "deleted"))
        return parent

    def _read_verified_rows(self, start: int, expected_head: str | None) -> Iterator[OrderEvent]:
        """``read_verified`` of a format 1 file."""
        parent = self._parent_of(start)
        expected, sha256 = start, _sha256
        cursor = self._con.execute(_ROWS.format(payload=self._payload_sql), (start,))
        # The checks of ChainWalk.step and RowCheck inlined (this runs once per record of a replay); the
        # first row that fails any of them is handed to them for the exact verdict.
        while rows := cursor.fetchmany(_FETCH):
            for row in rows:
                offset, data, parent_hash, digest, event_id, stream, stream_seq, business_time, system_time = row
                if type(data) is str:
                    data = data.encode("utf-8")
                try:
                    good = (offset == expected and parent_hash == parent
                            and sha256(parent.encode("ascii") + data).hexdigest() == digest)
                except (TypeError, AttributeError, UnicodeEncodeError):  # not text/bytes: a tampered row
                    good = False
                if not good:
                    raise ChainBroken(ChainWalk(expected, parent).step(offset, data, parent_hash, digest))
                try:
                    event = decode(data)
                except (ValueError, KeyError, TypeError):
                    event = None
                if (event is None or event[1] != event_id or event[5] != stream or event[6] != stream_seq
                        or event[3] != business_time or event[4] != system_time):
                    problem = (_column_problem(data, list(row[4:])) if event is not None
                               else "payload is not a canonical event record")
                    raise ChainBroken(VerifyResult(False, offset, f"record {offset}: {problem}", offset, parent,
                                                   "columns"))
                expected, parent = offset + 1, digest
                yield event
        result = check_head(VerifyResult(True, None, "", expected, parent), expected_head)
        if not result.ok:
            raise ChainBroken(result)

    def _read_verified_segments(self, start: int, expected_head: str | None) -> Iterator[list[OrderEvent]]:
        """``read_verified`` of a format 2 file: each segment's events once all of them are proven."""
        walk, offset = segments.walk(self._con, start, self._parent_of(start), 0, events=True), start
        try:
            while True:
                events = next(walk)
                # The walk decodes a whole segment or, if any record is not an event, none of it.
                if not events or type(events[0]) is OrderEvent:  # the usual segment: all decoded
                    yield events
                    offset += len(events)
                    continue
                good = []
                for data in events:  # proven bytes, not all events (only forged ones): up to the first bad one
                    try:
                        good.append(decode(data))
                    except (ValueError, KeyError, TypeError, IndexError):
                        yield good
                        raise ChainBroken(VerifyResult(
                            False, offset, f"record {offset}: payload is not a canonical event record", offset,
                            self.hash_at(offset - 1) if offset else GENESIS, "columns")) from None
                    offset += 1
                yield good
        except StopIteration as done:
            count, head = done.value
        except segments.Broken as broken:
            good = []
            try:
                good.extend(map(decode, broken.good))  # as far as they decode, as before
            finally:
                yield good
            raise ChainBroken(broken.result) from None
        result = check_head(VerifyResult(True, None, "", count, head), expected_head)
        if not result.ok:
            raise ChainBroken(result)

    def verify(self, expected_head: str | None = None, columns_from: int = 0) -> VerifyResult:
        """Recompute the chain from the stored payloads; check the query columns agree
        (from offset ``columns_from`` on: a verified start checks them only after its last anchor)."""
        if self.format == 2:
            walk = segments.walk(self._con, 0, GENESIS, columns_from)
            try:
                while True:
                    next(walk)
            except StopIteration as done:
                count, head = done.value
            except segments.Broken as broken:
                return broken.result
            return check_head(VerifyResult(True, None, "", count, head), expected_head)
        expected, parent, sha256 = 0, GENESIS, _sha256
        cursor = self._con.execute(_ROWS.format(payload=self._payload_sql), (0,))
        # verify_stored_rows with its checks inlined; the first row failing any is handed to it for the verdict.
        while rows := cursor.fetchmany(_FETCH):
            for row in rows:
                offset, data, parent_hash, digest = row[0], row[1], row[2], row[3]
                if type(data) is str:
                    data = data.encode("utf-8")
                try:
                    good = (offset == expected and parent_hash == parent
                            and sha256(parent.encode("ascii") + data).hexdigest() == digest
                            and (offset < columns_from or stored_columns(data) == row[4:]))
                except Exception:  # noqa: BLE001 - any surprise in a row is for the exact check to name
                    good = False
                if not good:
                    broken = verify_stored_rows((row,), None, columns_from, expected, parent)
                    if not broken.ok:
                        return broken
                expected, parent = offset + 1, digest
        return check_head(VerifyResult(True, None, "", expected, parent), expected_head)

    def stored_rows(self, start: int = 0) -> Iterator[tuple]:
        """Rows ``(offset, payload, parent_hash, hash, event_id, stream, stream_seq, business_time,
        system_time)`` as stored, from ``start`` on, in offset order (what ``verify`` reads). In format 2, one
        such row per record, built from its segment (``segments.stored_rows``)."""
        if self.format == 2:
            yield from segments.stored_rows(self._con, start)
            return
        cursor = self._con.execute('SELECT "offset", payload, parent_hash, hash, event_id, stream, stream_seq, '
                                   'business_time, system_time FROM events WHERE "offset" >= ? ORDER BY "offset"',
                                   (start,))
        while batch := cursor.fetchmany(_FETCH):
            yield from batch

    def hash_at(self, offset: int) -> str | None:
        """The hash stored for the record at ``offset`` (None if there is none): what anchors are checked against."""
        if self.format == 2:
            return segments.hash_at(self._con, offset)
        row = self._con.execute('SELECT hash FROM events WHERE "offset" = ?', (offset,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "SqliteEventStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RowCheck:
    """``verify_stored_rows`` one stored row at a time (``ChainWalk`` plus the query columns): for a
    reader that decodes each row once it is proven, as the live start's rebuild does."""

    __slots__ = ("_walk", "columns_from")

    def __init__(self, columns_from: int = 0, start: int = 0, parent: str = GENESIS) -> None:
        self._walk, self.columns_from = ChainWalk(start, parent), columns_from

    def step(self, row: tuple) -> VerifyResult | None:
        """Check the next row ``(offset, payload text, parent_hash, hash, *query columns)``: None if good."""
        offset, payload, parent_hash, digest, *columns = row
        broken = self._walk.step(offset, payload.encode("utf-8") if type(payload) is str else payload,
                                 parent_hash, digest)
        if broken is not None:
            return broken
        # Only once the chain has accepted this record, so a changed payload is reported as a
        # hash mismatch, not as a column mismatch.
        if offset >= self.columns_from:
            problem = _column_problem(payload, columns)
            if problem:
                return VerifyResult(False, offset, f"record {offset}: {problem}", offset, self._walk.parent, "columns")
        return None

    def result(self, expected_head: str | None = None) -> VerifyResult:
        """The outcome once every row passed ``step``."""
        return self._walk.result(expected_head)


def verify_stored_rows(rows: Iterable[tuple], expected_head: str | None = None,
                       columns_from: int = 0, start: int = 0, parent: str = GENESIS) -> VerifyResult:
    """Verify rows ``(offset, payload text, parent_hash, hash, *query columns)`` as a
    store holds them: the hash chain, then that the copied query columns agree with
    each payload (for offsets from ``columns_from`` on: decoding every payload is
    the slow part). ``start`` and ``parent`` verify a suffix (``chain.verify``).
    Shared by every SQL-backed store."""
    check = RowCheck(columns_from, start, parent)
    step = check.step
    for row in rows:
        broken = step(row)
        if broken is not None:
            return broken
    return check.result(expected_head)


def _chunks(events: Iterable[OrderEvent], size: int | None) -> Iterator[list[OrderEvent]]:
    """``events`` in lists of ``size`` (one list of all of them if ``size`` is None or 0)."""
    if not size:
        yield list(events)
        return
    events = iter(events)
    while chunk := list(islice(events, size)):
        yield chunk


def _decoded(cursor: sqlite3.Cursor) -> Iterator[OrderEvent]:
    while rows := cursor.fetchmany(_FETCH):
        for (payload,) in rows:
            yield decode(payload)


def _column_problem(payload: str | bytes, columns: list) -> str:
    try:
        wanted = list(query_columns(payload))
    except (ValueError, TypeError):
        return "payload is not a canonical event record"
    if wanted != columns:
        return "query columns (event_id, stream, stream_seq, business_time, system_time) disagree with the payload"
    return ""


def write_log_file(path: str | os.PathLike, events: Iterable[OrderEvent], batch_size: int = 10_000,
                   format: int | None = None) -> Path:  # noqa: A002 - the storage format
    """Write ``events`` to a fresh SQLite store at ``path`` (replacing any file there), in ``format``
    (``NEW_FILE_FORMAT`` if None)."""
    path = Path(path)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    with SqliteEventStore(path, durable=False, format=format) as store:
        store.append_batch(events, batch_size=batch_size)
    return path
