"""Raw edits of a SQLite event log in either storage format, as someone holding the file could make them
(triggers dropped first). Format 2 keeps a segment's records in one row, so a record is changed, cut out
or moved by rewriting its segment's bytes, stored hashes and record ends consistently."""

from __future__ import annotations

import sqlite3
from array import array
from itertools import accumulate
from pathlib import Path
from typing import Callable

from components.eventstore.sqlite import TRIGGERS_OF


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
