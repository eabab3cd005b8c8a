"""Storage format 2 of the SQLite event store: one row per committed segment of records, not per record.

A segment is up to ``SEGMENT_MAX`` consecutive records committed together (an ``append_batch`` chunk is
one transaction of one or more segments). Its row holds, small columns first:

* ``first_offset``, ``n_records``: the offsets it covers;
* ``min_system``, ``min_business``, ``streams``: what ``read_as_of`` skips segments by (the smallest
  recorded_at and timestamp_utc, and every order id between ``\\x1f`` separators);
* ``parent_hash``: the hash of the record before the segment (``GENESIS`` for offset 0);
* ``hashes``: each record's SHA-256, 32 bytes each; ``ends``: where each record ends in ``records``
  (unsigned 32-bit, little-endian); ``records``: the records' format-2 bytes (``codec.encode_stored``:
  ``packed`` MessagePack, or canonical JSON for the rare event that does not pack), back to back.

The chain is the one format 1 has, one link per record: ``hash = SHA-256(parent hash in hex + record
bytes)``, but over the format-2 record bytes (``packed``), not the canonical JSON, so a format-2 log's
hashes differ from a format-1 log of the same events. ``hash_at(offset)`` and anchors keep their meaning.

``event_ids`` keeps one row per record, ``(offset, event_id)`` with ``event_id`` UNIQUE: it refuses a
repeated event id (also across batches and reopens) and is the event-id query column ``verify`` checks
against each record. Triggers refuse UPDATE and DELETE on both tables, and an INSERT into ``segments``
that does not start where the last segment ends (so ``INSERT OR REPLACE`` cannot overwrite one). An
``INSERT OR REPLACE`` into ``event_ids`` is not refused by a trigger (a trigger per record would cost
more than the rest of an append); it can only move an id, and ``verify`` finds the record whose id row
no longer matches.

Tampering and what ``verify`` reports (the same kinds as format 1): a deleted segment is a gap,
``deleted`` at its first offset; a segment moved or inserted out of place is ``reordered`` where the
chain stops holding what was written, as is a changed ``parent_hash``; a changed byte of a record or of
its stored hash is ``changed`` at that record, and a segment whose ``n_records``, ``ends``, ``hashes``
and ``records`` disagree is ``changed`` at the first record it cannot hold whole. A record cut out
of a segment's bytes, with the rest left consistent, is also ``changed``, at the first record that no
longer hashes to its stored hash (a record's parent is the stored hash before it, not a column of its
own, so the cut cannot be told from an edit); a changed ``event_ids`` row, or a segment's ``streams``
or minimum times that are not exactly those of its records, is ``columns``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from array import array
from binascii import hexlify
from itertools import accumulate, chain
from operator import itemgetter
from typing import Iterable, Iterator

import msgspec

from components.domain.events import OrderEvent

from .chain import GENESIS, VerifyResult
from .codec import decode, decode_many, encode, query_columns, stored_head, stored_heads
from .packed import pack_many

SEGMENT_MAX = 4_096
"""Records per segment at most: bounds what one ``hash_at`` or a read from the middle decodes."""

TRIGGERS = ("segments_no_update", "segments_no_delete", "segments_append_only", "event_ids_no_update",
            "event_ids_no_delete")
SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    first_offset INTEGER PRIMARY KEY,
    n_records    INTEGER NOT NULL,
    min_system   INTEGER NOT NULL,
    min_business INTEGER NOT NULL,
    streams      TEXT    NOT NULL,
    parent_hash  TEXT    NOT NULL,
    hashes       BLOB    NOT NULL,
    ends         BLOB    NOT NULL,
    records      BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS event_ids (
    "offset" INTEGER PRIMARY KEY,
    event_id TEXT    NOT NULL UNIQUE
);
CREATE TRIGGER IF NOT EXISTS segments_no_update BEFORE UPDATE ON segments
BEGIN SELECT RAISE(ABORT, 'event store is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS segments_no_delete BEFORE DELETE ON segments
BEGIN SELECT RAISE(ABORT, 'event store is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS segments_append_only BEFORE INSERT ON segments
WHEN NEW.first_offset IS NOT coalesce(
    (SELECT first_offset + n_records FROM segments ORDER BY first_offset DESC LIMIT 1), 0)
BEGIN SELECT RAISE(ABORT, 'event store is append-only: a segment must start at the next offset'); END;
CREATE TRIGGER IF NOT EXISTS event_ids_no_update BEFORE UPDATE ON event_ids
BEGIN SELECT RAISE(ABORT, 'event store is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS event_ids_no_delete BEFORE DELETE ON event_ids
BEGIN SELECT RAISE(ABORT, 'event store is append-only: DELETE refused'); END;
"""
PAGE_SIZE = 65_536
"""Page size of a new format-2 file: a segment is one large row, written in fewer, larger pages."""

_INSERT = ("INSERT INTO segments (first_offset, n_records, min_system, min_business, streams, parent_hash, "
           "hashes, ends, records) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
# One statement for a segment's ids: SQLite walks the JSON array itself (half the cost of executemany).
_INSERT_IDS = 'INSERT INTO event_ids ("offset", event_id) SELECT ? + key, value FROM json_each(?)'
# The BLOB columns cast, so a value raw SQL turned into text (or a number) still reads as bytes.
_COLUMNS = ("first_offset, n_records, min_system, min_business, streams, parent_hash, CAST(hashes AS BLOB), "
            "CAST(ends AS BLOB), CAST(records AS BLOB)")
# From the segment holding ``start`` on (the primary key finds it; no scan of earlier segments).
_FROM = (f"SELECT {_COLUMNS} FROM segments WHERE first_offset >= "
         "coalesce((SELECT max(first_offset) FROM segments WHERE first_offset <= ?), 0) ORDER BY first_offset")
_SEP = "\x1f"
_sha256 = hashlib.sha256
_json_ids = msgspec.json.Encoder().encode
_LITTLE = sys.byteorder == "little"
assert array("I").itemsize == 4, "record ends are stored as 32-bit integers"


def head(con: sqlite3.Connection) -> tuple[int, str]:
    """(records stored, hash of the last one) as the file says."""
    row = con.execute("SELECT first_offset + n_records, substr(CAST(hashes AS BLOB), -32) FROM segments "
                      "ORDER BY first_offset DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS
    # A last hash that is not 32 bytes (only raw SQL makes one) is no hash: verify names the record.
    return row[0], row[1].hex() if type(row[1]) is bytes and len(row[1]) == 32 else ""


def write(con: sqlite3.Connection, chunk: list[OrderEvent], first: int, parent: str) -> str:
    """Insert ``chunk`` as segments from offset ``first`` (inside the caller's transaction); returns the new head."""
    rows, head = prepare(chunk, first, parent)
    store(con, rows)
    return head


def prepare(chunk: list[OrderEvent], first: int, parent: str) -> tuple[list[tuple], str]:
    """The segment rows of ``chunk`` from offset ``first`` (whose parent hash is ``parent``) and the new head:
    everything an append computes, without touching the file (so a writer thread can store one chunk while
    the next is prepared). ``store`` inserts the rows."""
    rows = []
    for at in range(0, len(chunk), SEGMENT_MAX):
        part = chunk[at:at + SEGMENT_MAX]
        records = pack_many(part)
        if None in records:  # codec.encode_stored: canonical JSON where packing would read back otherwise
            records = [data or encode(event) for data, event in zip(records, part)]
        prefix = parent.encode("ascii")
        digests = links(records, prefix)
        if digests:
            prefix = hexlify(digests[-1])
        ends = array("I", accumulate(map(len, records)))
        if not _LITTLE:
            ends.byteswap()
        streams = _streams(map(_stream, part))
        try:
            ids = _json_ids(list(map(_event_id, part)))
        except (TypeError, ValueError, UnicodeEncodeError):  # not plain text: sqlite3 binds what it can
            ids = [(first + at + i, e[1]) for i, e in enumerate(part)]
        rows.append(((first + at, len(part), min(map(_system, part)), min(map(_business, part)), streams, parent,
                      b"".join(digests), ends.tobytes(), b"".join(records)), ids))
        parent = prefix.decode("ascii")
    return rows, parent


def links(records: list[bytes], parent: bytes) -> list[bytes]:
    """Each record's SHA-256 digest in the chain after the hex hash ``parent`` (``chain.link_hash``, record
    after record: the next parent is this digest in hex). A copy of an empty SHA-256 fed the parent and
    the record costs about a tenth less than hashing their concatenation (no joined bytes, no new context)."""
    digests = []
    add, new = digests.append, _EMPTY_SHA256.copy
    for data in records:
        h = new()
        h.update(parent)
        h.update(data)
        digest = h.digest()
        add(digest)
        parent = hexlify(digest)
    return digests


_EMPTY_SHA256 = hashlib.sha256()


def _streams(order_ids: Iterable) -> str:
    """A segment's ``streams`` column: every distinct order id, as text, sorted, each between separators.
    The distinct ids are taken before ``str`` (a segment has a few hundred orders for its 1,000 records);
    the second set keeps ids whose text is the same (1 and "1") once, as before."""
    order_ids = list(order_ids)
    try:
        distinct = set(order_ids)
    except TypeError:  # an unhashable id (only in an event canonical JSON still writes): its text, as before
        distinct = order_ids
    return _SEP + _SEP.join(sorted(set(map(str, distinct)))) + _SEP


def store(con: sqlite3.Connection, rows: list[tuple]) -> None:
    """Insert the rows ``prepare`` made (inside the caller's transaction)."""
    execute = con.execute
    for row, ids in rows:
        execute(_INSERT, row)
        if type(ids) is list:
            con.executemany('INSERT INTO event_ids ("offset", event_id) VALUES (?, ?)', ids)
        else:
            execute(_INSERT_IDS, (row[0], ids))


def hash_at(con: sqlite3.Connection, offset: int) -> str | None:
    row = con.execute("SELECT first_offset, n_records, substr(hashes, (? - first_offset) * 32 + 1, 32) FROM segments "
                      "WHERE first_offset <= ? ORDER BY first_offset DESC LIMIT 1", (offset, offset)).fetchone()
    if row is None or offset < 0 or offset >= row[0] + row[1] or len(row[2]) != 32:
        return None
    return bytes(row[2]).hex()


def has_id(con: sqlite3.Connection, event_id: str) -> bool:
    return con.execute("SELECT 1 FROM event_ids WHERE event_id = ?", (event_id,)).fetchone() is not None


# -- reading ------------------------------------------------------------------------------------------
def _split(row: tuple) -> tuple[list[bytes], list[bytes], str]:
    """A segment row's records and stored hashes (as many of each as the row really holds) and a problem
    with its shape ('' if none): lengths that disagree with ``n_records`` leave a record without bytes
    or hash, which then fails its hash check where it is."""
    n, hashes, ends_blob, blob = row[1], _bytes(row[6]), _bytes(row[7]), _bytes(row[8])
    ends = array("I")
    ends.frombytes(bytes(ends_blob)[:len(ends_blob) // 4 * 4])
    if not _LITTLE:
        ends.byteswap()
    bounds = ends[:n].tolist()
    if bounds == sorted(bounds) and (not bounds or bounds[-1] <= len(blob)):  # the usual segment: C-level slices
        records = list(map(blob.__getitem__, map(slice, [0, *bounds[:-1]], bounds)))
        start = bounds[-1] if bounds else 0
    else:  # ends that go back or past the bytes (only raw SQL makes them): the records before the first bad one
        records, start = [], 0
        for end in bounds:
            if end < start or end > len(blob):
                break
            records.append(blob[start:end])
            start = end
    stored = list(map(hashes.__getitem__, map(slice, range(0, min(n, len(hashes) // 32) * 32, 32),
                                              range(32, min(n, len(hashes) // 32) * 32 + 1, 32))))
    problem = ""
    if len(records) != n or len(stored) != n:
        problem = "segment holds fewer records than it says"
    elif start != len(blob) or len(ends_blob) != 4 * n or len(hashes) != 32 * n:
        problem = "segment holds bytes past its last record"
    return records, stored, problem


def _whole(row: tuple) -> list[bytes] | None:
    """The records of a segment whose count, ends, hashes and bytes agree (every segment this code writes),
    cut with C-level slices; None for any other, whose problem ``_split`` names."""
    n, hashes, ends_blob, blob = row[1], row[6], row[7], row[8]
    if not (type(n) is int and n > 0 and type(blob) is bytes and type(hashes) is bytes and type(ends_blob) is bytes
            and len(hashes) == 32 * n and len(ends_blob) == 4 * n):
        return None
    ends = array("I")
    ends.frombytes(ends_blob)
    if not _LITTLE:
        ends.byteswap()
    bounds = ends.tolist()
    if bounds[-1] != len(blob) or bounds != sorted(bounds):
        return None
    return list(map(blob.__getitem__, map(slice, [0, *bounds[:-1]], bounds)))


def _bytes(value) -> bytes:
    """A BLOB column as bytes; anything else stored there (only raw SQL puts it there) as no bytes."""
    return value if type(value) is bytes else b""


def read(con: sqlite3.Connection, start: int = 0) -> Iterator[OrderEvent]:
    """The events from ``start`` on, lazily: a C-level chain over each segment's decoded list (no Python
    generator step per event)."""
    return chain.from_iterable(_read_segments(con, max(0, start)))


def _read_segments(con: sqlite3.Connection, start: int) -> Iterator[list[OrderEvent]]:
    for row in con.execute(_FROM, (start,)):
        records = _whole(row)
        if records is None:
            records = _split(row)[0]
        skip = max(0, start - row[0])
        yield decode_many(records[skip:] if skip else records)


def read_as_of(con: sqlite3.Connection, system_time_ns: int, business_time_ns: int | None,
               stream: str | None) -> Iterator[OrderEvent]:
    """``SqliteEventStore.read_as_of``: segments skipped by their summary, then each record checked."""
    sql, args = f"SELECT {_COLUMNS} FROM segments WHERE min_system <= ?", [system_time_ns]
    if business_time_ns is not None:
        sql += " AND min_business <= ?"
        args.append(business_time_ns)
    if stream is not None:
        sql += " AND instr(streams, ?) > 0"
        args.append(_SEP + str(stream) + _SEP)
    for row in con.execute(sql + " ORDER BY first_offset", args):
        for event in map(decode, _split(row)[0]):
            if event[4] <= system_time_ns and (business_time_ns is None or event[3] <= business_time_ns) and (
                    stream is None or event[5] == stream):
                yield event


def _summary(columns: list[tuple]) -> tuple:
    """(min_system, min_business, streams) of records' ``query_columns``: what a segment row must hold."""
    return min(c[4] for c in columns), min(c[3] for c in columns), _streams(c[1] for c in columns)


class Broken(Exception):
    """A walk met a bad record: ``result`` says where and how; ``good`` the records proven before it."""

    def __init__(self, result: VerifyResult, good: list[bytes]) -> None:
        super().__init__(result.problem)
        self.result, self.good = result, good


def walk(con: sqlite3.Connection, start: int, parent: str, columns_from: int, events: bool = False) -> Iterator[list]:
    """Verify the records from ``start`` (whose parent hash is ``parent``), one segment at a time: yields
    each segment's records once all of it is proven (the chain, then the query columns), decoded into events
    with ``events`` (whose columns are then checked on the events themselves: one decode per record), and
    returns the ``(count, head)`` reached; raises ``Broken`` at the first bad record (``good``: the records
    proven before it, as bytes)."""
    expected, sha256 = start, _sha256
    ids = con.cursor()
    for row in con.execute(_FROM, (start,)):
        first, n = row[0], row[1]
        skip = max(0, start - first)
        if first + skip != expected or (skip == 0 and row[5] != parent):
            raise Broken(_link_problem(first + skip, expected, parent, first + skip == expected), [])
        prefix, stored = parent.encode("ascii"), None
        records = _whole(row)
        if records is not None:  # the usual segment: all its links at once, checked in one comparison
            digests = links(records[skip:] if skip else records, prefix)
            if b"".join(digests) == (row[6][32 * skip:] if skip else row[6]):
                if digests:
                    prefix = hexlify(digests[-1])
            else:
                records = None  # a record that does not hash as stored: the loop below names it
        if records is None:
            records, stored, shape = _split(row)
            i = skip
            # chain.ChainWalk.step inlined, record by record, for the verdict
            for data, want in zip(records[skip:] if skip else records, stored[skip:] if skip else stored):
                digest = sha256(prefix + data).digest()
                if digest != want:
                    break
                prefix = hexlify(digest)
                i += 1
            if i < n:  # a record whose bytes do not hash to its stored hash, or that the segment cannot hold
                raise Broken(VerifyResult(False, first + i, f"record {first + i} was changed (hash mismatch)",
                                          first + i, prefix.decode("ascii"), "changed"), records[skip:i])
            if shape:
                last = first + n - 1
                raise Broken(VerifyResult(False, last, f"record {last} was changed ({shape})", last,
                                          parent if n - skip <= 1 else hexlify(stored[n - 2]).decode("ascii"),
                                          "changed"), records[skip:n - 1])
        # The records hash as stored; now their query columns (event ids, the segment's summary).
        proven = records[skip:] if skip else records
        decoded = None
        if events:
            try:
                decoded = decode_many(proven)
            except (ValueError, KeyError, TypeError, IndexError):  # proven bytes, not an event: named below
                decoded = None
        if first + n > columns_from:
            bad = _column_check(ids, row, records, skip, columns_from, decoded)
            if bad is not None:
                offset, what = bad
                raise Broken(VerifyResult(False, offset, f"record {offset}: {what}", offset,
                                          _hash_before(row, offset, parent, _split(row)[1] if stored is None
                                                       else stored), "columns"),
                             proven[:max(0, offset - first - skip)])
        expected, parent = first + n, prefix.decode("ascii")
        yield proven if decoded is None else decoded
    extra = ids.execute('SELECT "offset" FROM event_ids WHERE "offset" >= ? ORDER BY "offset" LIMIT 1',
                        (max(expected, columns_from),)).fetchone()
    if extra is not None:
        raise Broken(VerifyResult(False, expected, f"record {extra[0]}: an event id is stored for a record that "
                                                   "is not in the log (deleted, or cut off?)", expected, parent,
                                  "columns"), [])
    return expected, parent


def _hash_before(row: tuple, offset: int, parent: str, stored: list[bytes]) -> str:
    i = offset - row[0]
    return row[5] if i == 0 else hexlify(stored[i - 1]).decode("ascii") if i - 1 < len(stored) else parent


def _link_problem(offset: int, expected: int, parent: str, in_place: bool) -> VerifyResult:
    """``ChainWalk.step``'s verdict for a segment that does not start where the chain is."""
    if not in_place:
        what = "missing (deleted?)" if offset > expected else f"out of order (found offset {offset})"
        return VerifyResult(False, expected, f"record {expected} {what}", expected, parent,
                            "deleted" if offset > expected else "reordered")
    after = f"record {offset - 1}" if offset else "the genesis hash"
    return VerifyResult(False, offset, f"record {offset} does not follow {after} "
                                       "(parent hash mismatch: deleted or reordered)", offset, parent, "reordered")


_COLUMNS_DISAGREE = "query columns (event_id, stream, stream_seq, business_time, system_time) disagree with the payload"
_NOT_A_RECORD = "payload is not a canonical event record"
_event_id, _stream, _business, _system = itemgetter(1), itemgetter(5), itemgetter(3), itemgetter(4)
# A segment's event ids as stored, in offset order, in one string (compared with the records' in one go).
_IDS = ('SELECT count(*), group_concat(event_id, char(31)) FROM '
        '(SELECT event_id FROM event_ids WHERE "offset" BETWEEN ? AND ? ORDER BY "offset")')


def _column_check(ids: sqlite3.Cursor, row: tuple, records: list[bytes], skip: int, columns_from: int,
                  events: list | None = None) -> tuple[int, str] | None:
    """(offset, problem) of the first record whose stored query columns disagree with it, or None.
    ``events``: the records from ``skip`` on, decoded (their columns sit at a head's indexes), if at hand."""
    first, n = row[0], row[1]
    try:
        heads = events if events is not None and skip == 0 else stored_heads(records)
    except (ValueError, KeyError, TypeError, IndexError):
        heads = []
        for i, data in enumerate(records):
            try:
                heads.append(stored_head(data))
            except (ValueError, KeyError, TypeError, IndexError):
                return first + i, _NOT_A_RECORD
    lo = max(first + skip, columns_from)
    wanted = list(map(_event_id, heads[lo - first:]))
    count, joined = ids.execute(_IDS, (lo, first + n - 1)).fetchone()
    try:
        mine = _SEP.join(wanted)
    except TypeError:  # an id that is not text (only in a forged record): compared as text, as before
        mine = _SEP.join(map(str, wanted))
    if count != len(wanted) or joined != mine:
        have = dict(ids.execute('SELECT "offset", event_id FROM event_ids WHERE "offset" BETWEEN ? AND ?',
                                (lo, first + n - 1)).fetchall())
        for offset, event_id in enumerate(wanted, lo):
            if have.get(offset) != event_id:
                return offset, _COLUMNS_DISAGREE
    try:
        summary = (min(map(_system, heads)), min(map(_business, heads)),
                   _streams(map(_stream, heads)))
    except TypeError:
        summary = None
    if summary != (row[2], row[3], row[4]):
        return lo, _COLUMNS_DISAGREE + " (the segment's minimum times or streams)"
    return None


def stored_rows(con: sqlite3.Connection, start: int = 0) -> Iterator[tuple]:
    """Format 1's stored rows ``(offset, payload, parent_hash, hash, event_id, stream, stream_seq,
    business_time, system_time)``, one per record, for a checker that walks rows (``sqlite.RowCheck``): the
    payload is the record's format-2 bytes, ``event_id`` is the stored ``event_ids`` row, the other columns
    the record's own, except that a segment whose summary does not match its records gives its first row
    no stream (so a row check reports the columns there); a record the segment cannot hold has payload b'',
    and the last record of a segment with bytes past it has no stored hash (so both fail their hash check)."""
    start = max(0, start)
    ids = con.cursor()
    for row in con.execute(_FROM, (start,)):
        first, n = row[0], row[1]
        records, stored, shape = _split(row)
        if shape and len(stored) == n:  # the segment's last record is the one its extra bytes follow
            stored[-1] = b""
        have = dict(ids.execute('SELECT "offset", event_id FROM event_ids WHERE "offset" BETWEEN ? AND ?',
                                (first, first + n - 1)).fetchall())
        columns = []
        for data in records:
            try:
                columns.append(query_columns(data))
            except (ValueError, KeyError, TypeError, IndexError):
                columns.append(None)
        try:
            agrees = None not in columns and len(columns) == n and _summary(columns) == (row[2], row[3], row[4])
        except TypeError:
            agrees = False
        parent = row[5]
        for i in range(max(0, start - first), n):
            data = records[i] if i < len(records) else b""
            digest = stored[i].hex() if i < len(stored) else ""
            c = columns[i] if i < len(columns) and columns[i] is not None else (None,) * 5
            stream = c[1] if agrees or i > max(0, start - first) else None
            yield first + i, data, parent, digest, have.get(first + i), stream, c[2], c[3], c[4]
            parent = digest
