"""Raw edits of a SQLite event log in either storage format, as someone holding the file could make them
(triggers dropped first). Format 2 keeps a segment's records in one row, so a record is changed, cut out
or moved by rewriting its segment's bytes, stored hashes and record ends consistently."""

from __future__ import annotations

import sqlite3
from array import array
from itertools import accumulate
from pathlib import Path
from typing import Callable

from components.domain.events import OrderEvent
from components.eventstore.chain import GENESIS, link_hash
from components.eventstore import segments
from components.eventstore.codec import decode, encode, encode_stored, query_columns
from components.eventstore.sqlite import TRIGGERS_OF, SqliteEventStore


def raw(path: Path) -> sqlite3.Connection:
    """A connection to the file with every trigger of either format dropped."""
    con = sqlite3.connect(path, isolation_level=None)
    for names in TRIGGERS_OF.values():
        for name in names:
            con.execute(f"DROP TRIGGER IF EXISTS {name}")
    return con


def execute(path: Path, sql: str, *args) -> None:
    con = raw(path)
    con.execute(sql, args)
    con.close()


def segment_first(path: Path, offset: int) -> int:
    con = sqlite3.connect(path)
    (first,) = con.execute("SELECT max(first_offset) FROM segments WHERE first_offset <= ?", (offset,)).fetchone()
    con.close()
    return first


def rewrite_segment(path: Path, offset: int,
                    edit: Callable[[list[bytes], list[bytes]], tuple[list[bytes], list[bytes]]]) -> int:
    """Rewrite the segment holding ``offset``: ``edit(records, hashes)`` returns the new lists, stored with
    matching ends and count. Returns the segment's first offset."""
    con = raw(path)
    first, n, hashes, ends_blob, blob = con.execute(
        "SELECT first_offset, n_records, hashes, ends, records FROM segments WHERE first_offset = "
        "(SELECT max(first_offset) FROM segments WHERE first_offset <= ?)", (offset,)).fetchone()
    ends = array("I")
    ends.frombytes(ends_blob)
    starts = [0, *ends[:-1]]
    records = [blob[a:b] for a, b in zip(starts, ends)]
    digests = [hashes[i:i + 32] for i in range(0, 32 * n, 32)]
    records, digests = edit(records, digests)
    con.execute("UPDATE segments SET n_records = ?, hashes = ?, ends = ?, records = ? WHERE first_offset = ?",
                (len(records), b"".join(digests), array("I", accumulate(map(len, records))).tobytes(),
                 b"".join(records), first))
    con.close()
    return first


# -- the same edits on a log of either format (for tests outside the event store that tamper with run folders'
#    logs): rows are ``SqliteEventStore.stored_rows``' ``(offset, payload bytes, parent_hash, hash, event_id,
#    stream, stream_seq, business_time, system_time)``, whatever the file's format. ----------------------------

def log_format(path: Path) -> int:
    """The file's storage format, as ``SqliteEventStore`` reads it."""
    with SqliteEventStore(path, read_only=True) as store:
        return store.format


def rows(path: Path) -> list[tuple]:
    """Every record's stored row, payloads as bytes."""
    with SqliteEventStore(path, read_only=True) as store:
        return [(r[0], r[1].encode("utf-8") if type(r[1]) is str else bytes(r[1]), *r[2:])
                for r in store.stored_rows()]


def encoded(path: Path, event: OrderEvent) -> bytes:
    """``event``'s record bytes as the file's format stores them (canonical JSON, or format 2's)."""
    return encode(event) if log_format(path) == 1 else encode_stored(event)


def edited(path: Path, payload: bytes, **fields) -> bytes:
    """A record's bytes with some of its event's fields changed, still a well-formed record of the file's format."""
    return encoded(path, decode(payload)._replace(**fields))


def change(path: Path, offset: int, edit: Callable[[bytes], bytes]) -> None:
    """Replace record ``offset``'s bytes by ``edit(bytes)``, leaving its stored hash and columns as they are."""
    if log_format(path) == 1:
        con = raw(path)
        (payload,) = con.execute('SELECT CAST(payload AS BLOB) FROM events WHERE "offset" = ?', (offset,)).fetchone()
        con.execute('UPDATE events SET payload = ? WHERE "offset" = ?', (edit(payload).decode("utf-8"), offset))
        con.close()
        return

    def one(records, digests):
        i = offset - segment_first(path, offset)
        return [*records[:i], edit(records[i]), *records[i + 1:]], digests
    rewrite_segment(path, offset, one)


def flip_byte(data: bytes) -> bytes:
    """The record with its last byte changed: the smallest edit."""
    return data[:-1] + bytes([data[-1] ^ 1])


def delete(path: Path, offset: int) -> None:
    """Delete record ``offset``. Format 1: its row (a gap: ``deleted``). Format 2: its segment if the record is
    alone in it (a gap too), else the record cut out of the segment with its hash and end (``changed``); its
    ``event_ids`` row goes too."""
    if log_format(path) == 1:
        execute(path, 'DELETE FROM events WHERE "offset" = ?', offset)
        return
    first = segment_first(path, offset)
    rewrite_segment(path, offset, lambda records, digests: (
        [r for i, r in enumerate(records) if first + i != offset], [d for i, d in enumerate(digests) if first + i != offset]))
    con = raw(path)
    con.execute("DELETE FROM segments WHERE n_records = 0")
    con.execute('DELETE FROM event_ids WHERE "offset" = ?', (offset,))
    left = con.execute("SELECT 1 FROM segments WHERE first_offset = ?", (first,)).fetchone()
    con.close()
    if left:
        summarize(path, first)


def cut_from(path: Path, offset: int) -> None:
    """Delete every record from ``offset`` on (a cut tail), in either format."""
    if log_format(path) == 1:
        execute(path, 'DELETE FROM events WHERE "offset" >= ?', offset)
        return
    first = segment_first(path, offset)
    if first is not None and first < offset:
        rewrite_segment(path, offset, lambda records, digests: (records[:offset - first], digests[:offset - first]))
        summarize(path, first)
    con = raw(path)
    con.execute("DELETE FROM segments WHERE first_offset >= ?", (offset,))
    con.execute('DELETE FROM event_ids WHERE "offset" >= ?', (offset,))
    con.close()


def append_row(path: Path, row: tuple) -> None:
    """Insert ``row`` (stored-row shape) as the next record, as raw SQL can without dropping a trigger (a forged
    append). Format 2: as a segment of its own."""
    offset, payload, parent, digest, event_id, stream, stream_seq, business_time, system_time = row
    con = sqlite3.connect(path, isolation_level=None)
    if log_format(path) == 1:
        con.execute('INSERT INTO events ("offset", event_id, stream, stream_seq, business_time, system_time, '
                    "payload, parent_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (offset, event_id, stream, stream_seq, business_time, system_time, payload.decode("utf-8"),
                     parent, digest))
    else:
        con.execute("INSERT INTO segments (first_offset, n_records, min_system, min_business, streams, parent_hash, "
                    "hashes, ends, records) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (offset, system_time, business_time, f"\x1f{stream}\x1f", parent, bytes.fromhex(digest),
                     array("I", [len(payload)]).tobytes(), payload))
        con.execute('INSERT INTO event_ids ("offset", event_id) VALUES (?, ?)', (offset, event_id))
    con.close()


def rewrite(path: Path, new_rows: list[tuple]) -> None:
    """Replace every record by ``new_rows`` (as many as there are; stored-row shape), as someone with raw access to
    the file would. Format 2 keeps the segment layout: each segment takes its rows' bytes, hashes, ids and
    summary, and its first row's parent hash."""
    con = raw(path)
    if log_format(path) == 1:
        con.execute("DELETE FROM events")
        con.executemany('INSERT INTO events ("offset", payload, parent_hash, hash, event_id, stream, stream_seq, '
                        "business_time, system_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(r[0], r[1].decode("utf-8"), *r[2:]) for r in new_rows])
        con.close()
        return
    layout = con.execute("SELECT first_offset, n_records FROM segments ORDER BY first_offset").fetchall()
    assert sum(n for _, n in layout) == len(new_rows), "rewrite keeps the number of records"
    con.execute("DELETE FROM event_ids")
    for first, n in layout:
        part = new_rows[first:first + n]
        con.execute("UPDATE segments SET min_system = ?, min_business = ?, streams = ?, parent_hash = ?, hashes = ?, "
                    "ends = ?, records = ? WHERE first_offset = ?",
                    (min(r[8] for r in part), min(r[7] for r in part),
                     "\x1f" + "\x1f".join(sorted({str(r[5]) for r in part})) + "\x1f", part[0][2],
                     b"".join(bytes.fromhex(r[3]) for r in part), array("I", accumulate(len(r[1]) for r in part)).tobytes(),
                     b"".join(r[1] for r in part), first))
    con.executemany('INSERT INTO event_ids ("offset", event_id) VALUES (?, ?)',
                    [(r[0], r[4]) for r in new_rows])
    con.close()


def summarize(path: Path, first: int) -> None:
    """Set segment ``first``'s minimum times and streams to its records' (an attacker's edit made consistent)."""
    con = raw(path)
    (blob, ends_blob) = con.execute("SELECT records, ends FROM segments WHERE first_offset = ?", (first,)).fetchone()
    ends = array("I")
    ends.frombytes(ends_blob)
    columns = [query_columns(blob[a:b]) for a, b in zip([0, *ends[:-1]], ends)]
    con.execute("UPDATE segments SET min_system = ?, min_business = ?, streams = ? WHERE first_offset = ?",
                (*segments._summary(columns), first))
    con.close()


def rechained(old: list[tuple], start: int) -> list[tuple]:
    """``old`` rows with the chain recomputed from ``start`` on: a consistent forgery of the records' hashes."""
    out, head = list(old[:start]), old[start - 1][3] if start else GENESIS
    for offset, payload, _parent, _digest, *columns in old[start:]:
        digest = link_hash(head, payload)
        out.append((offset, payload, head, digest, *columns))
        head = digest
    return out
