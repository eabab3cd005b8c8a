"""The PostgreSQL event log's read path, shared by the store that writes it and the tools that check it.

The live runtime writes the log (``live.adapters.postgres_store``); the twin's
tools read it (``twin.pg_log``: ``twin replay-log`` and ``twin diff-live``).
The twin and the live runtime may not import each other, and this package may
not import psycopg, so what both read is here as SQL text and paging loops
over a ``fetch(query, params) -> list of rows`` callable each side builds on
its own psycopg connection. One read path, so the tools check exactly what
the live process verifies at start.

Tables (in the log's schema): ``events`` (see ``components.eventstore.sqlite``
for the columns, which are the same) and ``event_anchors`` (seq, the anchor's
JSON line: the database's copy of the anchor log).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from .codec import decode
from .chain import GENESIS

Fetch = Callable[[str, Sequence], list]
PAGE = 4096
"""Rows per round trip on a long read: bounded memory, no transaction held open between pages."""

HEAD = 'SELECT "offset", hash FROM events ORDER BY "offset" DESC LIMIT 1'
HASH_AT = 'SELECT hash FROM events WHERE "offset" = %s'
# Keyed on the last offset *seen* (not last + 1): a reordered or repeated offset must reach the chain check.
STORED_ROWS = ('SELECT "offset", payload, parent_hash, hash, event_id, stream, stream_seq, business_time, '
               'system_time FROM events WHERE %s::bigint IS NULL OR "offset" > %s ORDER BY "offset" LIMIT %s')
PAYLOADS = 'SELECT "offset", payload FROM events WHERE "offset" >= %s ORDER BY "offset" LIMIT %s'
ANCHOR_ROWS = "SELECT seq, line FROM event_anchors ORDER BY seq"
ANCHOR_TABLE_EXISTS = "SELECT to_regclass('event_anchors') IS NOT NULL"


def head(fetch: Fetch) -> tuple[int, str]:
    """(records in the log, hash of the last one) — (0, GENESIS) for an empty log."""
    rows = fetch(HEAD, ())
    return (0, GENESIS) if not rows else (rows[0][0] + 1, rows[0][1])


def hash_at(fetch: Fetch, offset: int) -> str | None:
    """The hash stored for the record at ``offset`` (None if there is none)."""
    rows = fetch(HASH_AT, (offset,))
    return rows[0][0] if rows else None


def stored_rows(fetch: Fetch, start: int = 0, page: int = PAGE) -> Iterator[tuple]:
    """Rows ``(offset, payload, parent_hash, hash, *query columns)`` from ``start`` on, in offset order, paged
    (what ``components.eventstore.sqlite.verify_stored_rows`` checks)."""
    last = start - 1 if start > 0 else None
    while True:
        rows = fetch(STORED_ROWS, (last, last, page))
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1][0]


def events(fetch: Fetch, start: int = 0, page: int = PAGE) -> Iterator:
    """The decoded events from offset ``start`` on, paged."""
    start = max(0, start)
    while True:
        rows = fetch(PAYLOADS, (start, page))
        for _, payload in rows:
            yield decode(payload)
        if len(rows) < page:
            return
        start = rows[-1][0] + 1


def anchor_rows(fetch: Fetch) -> list[tuple[int, str]] | None:
    """The database's anchors as (seq, line) in order; None when the schema has no anchor table."""
    if not fetch(ANCHOR_TABLE_EXISTS, ())[0][0]:
        return None
    return [(row[0], row[1]) for row in fetch(ANCHOR_ROWS, ())]


def compare_anchor_copies(file_lines: list[str] | None, table_rows: list[tuple[int, str]] | None) -> tuple[str, str]:
    """(why the anchor file and the database's ``event_anchors`` table disagree, what is merely missing);
    each '' when there is nothing to say.

    The same process writes both, the file first; a copy to the table that failed is logged and
    skipped, so the table may miss lines (a note). A table line that is not the file's line of the
    same seq, or one beyond the file's end, means one of them was edited or the file was cut."""
    lines = [line for line in file_lines or [] if line.strip()]
    table_rows = table_rows or []
    for seq, line in table_rows:
        if seq >= len(lines):
            return (f"the event_anchors table holds anchor {seq} but the anchor file ends at anchor "
                    f"{len(lines) - 1} (the file was cut or replaced)", "")
        if lines[seq] != line:
            return f"anchor {seq} differs between the anchor file and the event_anchors table", ""
    missing = len(lines) - len(table_rows)
    note = (f"{missing} anchor(s) of the anchor file have no copy in the event_anchors table" if missing else "")
    return "", note
