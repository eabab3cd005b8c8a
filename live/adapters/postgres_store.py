"""A PostgreSQL event store: the same append-only, hash-chained log as the SQLite one.

Same table shape as ``components.eventstore.sqlite`` (canonical payload, parent
and own hash, and the query columns ``stream``, ``stream_seq``,
``business_time``, ``system_time`` copied out of the payload), the same codec
and the same chain, so a log moves between the two byte for byte.

The database itself keeps the log append-only, for every client, not just this
class: row triggers refuse UPDATE and DELETE (``INSERT ... ON CONFLICT DO
UPDATE`` included), a statement trigger refuses TRUNCATE, and an insert
trigger refuses a row that is not the next offset, does not link to the current
head, or whose hash is not SHA-256(parent_hash + payload). REVOKE alone would
not do: the owner keeps every privilege, and can ``ALTER TABLE ... DISABLE
TRIGGER``. So a deployment provisions the tables WORM (``provision_worm``): owned
by a role the application never logs in as, the application's role granted
INSERT and SELECT only (no UPDATE, DELETE, TRUNCATE, no ownership, no CREATE on
the schema). This class then finds the tables made and leaves their DDL alone.
A superuser or the owner can still do anything; ``verify`` recomputes the chain
and the anchors (``event_anchors``, kept apart from the events) find what such
an edit did.

Many processes may append at once: each append transaction first takes a
transaction-level advisory lock keyed on the table's oid, so appends are
serialized, offsets stay contiguous and the chain linear. Readers take no lock.
The schema (table, index, functions, triggers) is created idempotently on first
use, under the same kind of lock so two first users do not race.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import psycopg
from psycopg import sql

from components.domain.events import OrderEvent
from components.eventstore import pgsql
from components.eventstore.chain import GENESIS, VerifyResult, link_hash
from components.eventstore.codec import decode, encode
from components.eventstore.errors import DuplicateEvent
from components.eventstore.sqlite import verify_stored_rows

_SCHEMA_LOCK = 0x7477_696E_5F65_7673  # advisory key for schema creation ("twin_evs")

_DDL = """
CREATE TABLE IF NOT EXISTS events (
    "offset"      BIGINT PRIMARY KEY,
    event_id      TEXT   NOT NULL UNIQUE,
    stream        TEXT   NOT NULL,
    stream_seq    BIGINT NOT NULL,
    business_time BIGINT NOT NULL,
    system_time   BIGINT NOT NULL,
    payload       TEXT   NOT NULL,
    parent_hash   TEXT   NOT NULL,
    hash          TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream, stream_seq);
CREATE INDEX IF NOT EXISTS events_by_system_time ON events (system_time);

CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event store is append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END $$;

-- The table is named from TG_TABLE_SCHEMA so the check reads the right table
-- whatever the inserting session's search_path is.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_offset BIGINT;
    last_hash TEXT;
BEGIN
    EXECUTE format('SELECT "offset", hash FROM %I.%I ORDER BY "offset" DESC LIMIT 1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO last_offset, last_hash;
    IF NEW."offset" IS DISTINCT FROM coalesce(last_offset, -1) + 1 THEN
        RAISE EXCEPTION 'event store is append-only: offset % is not the next offset %', NEW."offset",
            coalesce(last_offset, -1) + 1 USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.parent_hash IS DISTINCT FROM coalesce(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'event store is append-only: record % does not link to the head', NEW."offset"
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.hash IS DISTINCT FROM encode(sha256(convert_to(NEW.parent_hash || NEW.payload, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'event store is append-only: record % hash is not SHA-256(parent_hash + payload)',
            NEW."offset" USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE OR REPLACE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
CREATE OR REPLACE TRIGGER events_append_only BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
"""
TRIGGERS = ("events_no_update", "events_no_delete", "events_no_truncate", "events_append_only")
_INSERT = ('INSERT INTO events ("offset", event_id, stream, stream_seq, business_time, system_time, '
           "payload, parent_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
_HEAD = pgsql.HEAD
# Who owns a table here, and whether this session is (or may act as) that owner; no row: no table yet.
_OWNER = ("SELECT pg_get_userbyid(c.relowner), pg_has_role(c.relowner, 'USAGE') FROM pg_class c "
          "WHERE c.oid = to_regclass(%s)")
_ENABLED_TRIGGERS = ("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
                     "AND tgenabled <> 'D'")


class UnprotectedLog(RuntimeError):
    """The events table another role owns lacks an enabled append-only trigger: this process will not write to it."""


class PostgresEventStore:
    """The EventLog port on a PostgreSQL table ``events`` (in ``schema``, if given).

    ``dsn`` is a libpq connection string or URL. ``schema`` is created if missing
    and put first on the search path, so one database can hold several logs
    (one per region, or per test). Length and head are read from the database,
    not cached, because other processes may append too.
    """

    def __init__(self, dsn: str, schema: str | None = None, connect_timeout: float = 10.0):
        self.dsn, self.schema = dsn, schema
        self._con = psycopg.connect(dsn, autocommit=True, connect_timeout=int(connect_timeout))
        try:
            with self._con.transaction():
                # IF NOT EXISTS is not safe against a concurrent creator: the lock is.
                self._con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                if schema is not None:
                    # Only when missing: CREATE SCHEMA checks the right to create before IF NOT EXISTS,
                    # and a WORM application role has no such right.
                    if self._con.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()[0] is None:
                        self._con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                    self._con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                self.owner = _ensure_tables(self._con, _DDL, "events", TRIGGERS)
            (self._lock_key,) = self._con.execute("SELECT 'events'::regclass::oid::bigint").fetchone()
        except BaseException:
            self._con.close()
            raise

    # -- EventLog port -------------------------------------------------------
    def append(self, event: OrderEvent) -> int:
        """Append and commit one event; returns its offset."""
        return self.append_batch((event,)).start

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return pgsql.events(self._fetch, start)

    def __len__(self) -> int:
        return pgsql.head(self._fetch)[0]

    def _fetch(self, query: str, params) -> list:
        return self._con.execute(query, params).fetchall()

    # -- beyond the port ---------------------------------------------------
    def append_batch(self, events: Iterable[OrderEvent], batch_size: int | None = None) -> range:
        """Append in order. Each chunk of ``batch_size`` events (all of them if None)
        is one transaction: stored whole or not at all. Returns the offsets used
        (contiguous when this is the only appender; another process's appends may
        interleave between chunks)."""
        first: int | None = None
        last = -1
        chunk: list[OrderEvent] = []
        for event in events:
            chunk.append(event)
            if batch_size and len(chunk) >= batch_size:
                used = self._commit_chunk(chunk)
                first, last, chunk = used.start if first is None else first, used.stop, []
        if chunk:
            used = self._commit_chunk(chunk)
            first, last = used.start if first is None else first, used.stop
        if first is None:
            first = last = len(self)
        return range(first, last)

    def _commit_chunk(self, chunk: list[OrderEvent]) -> range:
        con = self._con
        with con.transaction():
            # Serializes appenders: the head read below cannot change until commit.
            con.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            self._refuse_duplicates(chunk)
            row = con.execute(_HEAD).fetchone()
            start, head = (0, GENESIS) if row is None else (row[0] + 1, row[1])
            rows, offset = [], start
            for event in chunk:
                payload = encode(event)
                digest = link_hash(head, payload)
                rows.append((offset, event.event_id, event.order_id, event.stream_seq, event.timestamp_utc,
                             event.recorded_at, payload.decode("utf-8"), head, digest))
                offset, head = offset + 1, digest
            with con.cursor() as cur:
                cur.executemany(_INSERT, rows)
        return range(start, offset)

    def _refuse_duplicates(self, chunk: list[OrderEvent]) -> None:
        stored = {r[0] for r in self._con.execute("SELECT event_id FROM events WHERE event_id = ANY(%s)",
                                                  ([e.event_id for e in chunk],))}
        seen: set[str] = set()
        for event in chunk:
            if event.event_id in stored or event.event_id in seen:
                raise DuplicateEvent(event.event_id)  # raised inside the transaction: rolls it back
            seen.add(event.event_id)

    @property
    def head_hash(self) -> str:
        return pgsql.head(self._fetch)[1]

    def read_as_of(self, system_time_ns: int, business_time_ns: int | None = None,
                   stream: str | None = None) -> Iterator[OrderEvent]:
        """Events recorded at or before ``system_time_ns`` (and, if given, with business
        time at or before ``business_time_ns``; of one order if ``stream``), in offset order."""
        where, args = [sql.SQL("system_time <= %s")], [system_time_ns]
        if business_time_ns is not None:
            where.append(sql.SQL("business_time <= %s"))
            args.append(business_time_ns)
        if stream is not None:
            where.append(sql.SQL("stream = %s"))
            args.append(stream)
        return self._payloads(sql.SQL(" AND ").join(where), tuple(args), 0)

    def _payloads(self, where: sql.Composable, args: tuple, start: int) -> Iterator[OrderEvent]:
        # Keyset pages rather than one cursor: no transaction stays open while the
        # caller iterates, and memory stays bounded on a long log.
        query = sql.SQL('SELECT "offset", payload FROM events WHERE {} AND "offset" >= %s '
                        'ORDER BY "offset" LIMIT {}').format(where, sql.Literal(pgsql.PAGE))
        while True:
            rows = self._con.execute(query, (*args, start)).fetchall()
            for _, payload in rows:
                yield decode(payload)
            if len(rows) < pgsql.PAGE:
                return
            start = rows[-1][0] + 1

    def verify(self, expected_head: str | None = None, columns_from: int = 0) -> VerifyResult:
        """Recompute the chain from the stored payloads; check the query columns agree."""
        return verify_stored_rows(self.stored_rows(), expected_head, columns_from)

    def hash_at(self, offset: int) -> str | None:
        """The hash stored for the record at ``offset`` (None if there is none)."""
        return pgsql.hash_at(self._fetch, offset)

    def stored_rows(self, start: int = 0) -> Iterator[tuple]:
        """Rows ``(offset, payload, parent_hash, hash, *query columns)`` from ``start`` on, in offset order, paged."""
        return pgsql.stored_rows(self._fetch, start)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "PostgresEventStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_ANCHOR_DDL = """
CREATE TABLE IF NOT EXISTS event_anchors (
    seq    BIGINT PRIMARY KEY,
    line   TEXT   NOT NULL
);
CREATE OR REPLACE TRIGGER event_anchors_no_update BEFORE UPDATE ON event_anchors
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE OR REPLACE TRIGGER event_anchors_no_delete BEFORE DELETE ON event_anchors
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE OR REPLACE TRIGGER event_anchors_no_truncate BEFORE TRUNCATE ON event_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
"""


class PostgresAnchorTable:
    """A copy of the anchor log in the events' schema (table ``event_anchors``: seq, the anchor's JSON
    line), append-only by the same triggers as the events. Written alongside the anchor file."""

    def __init__(self, store: PostgresEventStore) -> None:
        self._con, self._fetch = store._con, store._fetch  # the store's connection: same schema on the search path
        with self._con.transaction():
            self._con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            _ensure_tables(self._con, _ANCHOR_DDL, "event_anchors", ANCHOR_TRIGGERS)

    def write(self, seq: int, line: str) -> None:
        self._con.execute("INSERT INTO event_anchors (seq, line) VALUES (%s, %s)", (seq, line))

    def rows(self) -> list[tuple[int, str]]:
        """(seq, line) in order (``components.eventstore.pgsql.anchor_rows``)."""
        return pgsql.anchor_rows(self._fetch) or []

    def lines(self) -> list[str]:
        return [line for _, line in self.rows()]


ANCHOR_TRIGGERS = ("event_anchors_no_update", "event_anchors_no_delete", "event_anchors_no_truncate")


def _ensure_tables(con: psycopg.Connection, ddl: str, table: str, triggers: tuple[str, ...]) -> str:
    """Create ``table`` (and its functions and triggers) with ``ddl`` when it is missing or this session
    owns it; when another role owns it (a WORM deployment, ``provision_worm``) leave its DDL alone, which
    this role could not run anyway, and refuse to go on if an append-only trigger is missing or disabled.
    Returns the table's owner. Call inside a transaction holding the schema lock."""
    row = con.execute(_OWNER, (table,)).fetchone()
    if row is None or row[1]:
        con.execute(ddl)
        return row[0] if row is not None else con.execute("SELECT current_user").fetchone()[0]
    enabled = {r[0] for r in con.execute(_ENABLED_TRIGGERS, (table,)).fetchall()}
    missing = [t for t in triggers if t not in enabled]
    if missing:
        raise UnprotectedLog(f"table {table} (owned by {row[0]}) lacks the enabled append-only trigger(s) "
                             f"{', '.join(missing)}: ask its owner to recreate them (provision_worm)")
    return row[0]


def provision_worm(admin_dsn: str, schema: str, owner_role: str, app_role: str) -> None:
    """Make ``schema``'s event tables WORM for ``app_role``: run once by an administrator (a superuser, or a
    role that is a member of ``owner_role`` and may create schemas).

    ``owner_role`` (created NOLOGIN if missing: nobody logs in as it) owns the schema, the tables, their
    functions and triggers; ``app_role`` (which must exist: create it with a password first) gets USAGE on
    the schema and INSERT and SELECT on ``events`` and ``event_anchors``, nothing else. So the
    application cannot UPDATE, DELETE or TRUNCATE a record, nor disable or drop a trigger (only the owner
    can), nor create tables in the schema. Idempotent. docs/live.md, "Records you can prove"."""
    ident = sql.Identifier
    with psycopg.connect(admin_dsn, autocommit=True) as con, con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner_role,)).fetchone() is None:
            con.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident(owner_role)))
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone() is None:
            raise ValueError(f"app_role {app_role!r}: no such role (create it with a password first)")
        con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(ident(schema), ident(owner_role)))
        con.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(owner_role)))
        con.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident(schema)))
        con.execute(_DDL)
        con.execute(_ANCHOR_DDL)
        con.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(ident(schema)))
        con.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(app_role)))
        for table in ("events", "event_anchors"):
            con.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(ident(table), ident(app_role)))
            con.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(ident(table), ident(app_role)))
