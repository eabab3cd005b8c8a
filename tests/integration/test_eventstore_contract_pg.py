"""The event-store contract suite, run on PostgreSQL.

The suite is one piece of code, ``tests/unit/components/eventstore/test_eventstore_contract.py``:
there it runs over the in-memory and SQLite backends; here its test functions
and ``store`` fixture are taken as they are and the ``backend`` fixture is
replaced by a PostgreSQL one on the session's server (each test gets a fresh
schema). Tampering is what an owner with raw SQL could do: disable the
append-only triggers, then edit rows.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from live.adapters.postgres_store import PostgresEventStore
from tests.unit.components.eventstore import test_eventstore_contract as suite

# Collect the suite's tests (and its ``store`` fixture) in this module.
globals().update({name: value for name, value in vars(suite).items() if name.startswith("test_")})
store = suite.store


class PostgresBackend:
    """A fresh schema per store; raw SQL on a separate connection for tampering."""

    def __init__(self, server):
        self.server = server

    def make(self, tmp_path):
        return PostgresEventStore(self.server.dsn, schema=f"contract_{uuid.uuid4().hex[:12]}")

    def reopen(self, store):
        store.close()
        return PostgresEventStore(store.dsn, schema=store.schema)

    def _raw(self, store, disable_triggers=True):
        con = psycopg.connect(store.dsn, autocommit=True)
        con.execute(f'SET search_path TO "{store.schema}"')
        if disable_triggers:
            con.execute("ALTER TABLE events DISABLE TRIGGER USER")
        return con

    def assert_refuses_edits(self, store, offset):
        with self._raw(store, disable_triggers=False) as con:
            forged = ('INSERT INTO events SELECT "offset" + %s, %s, stream, stream_seq, business_time, system_time, '
                      "payload, {parent}, {hash} FROM events ORDER BY \"offset\" DESC LIMIT 1")
            statements = [
                ('UPDATE events SET payload = payload WHERE "offset" = %s', (offset,), "UPDATE refused"),
                ('DELETE FROM events WHERE "offset" = %s', (offset,), "DELETE refused"),
                ("TRUNCATE events", (), "TRUNCATE refused"),
                # An upsert: the insert check refuses it before the UPDATE trigger would.
                ('INSERT INTO events SELECT * FROM events WHERE "offset" = %s '
                 'ON CONFLICT ("offset") DO UPDATE SET payload = excluded.payload', (offset,), ""),
                (forged.format(parent="hash", hash="hash"), (2, "EV-GAP"), "not the next offset"),
                (forged.format(parent="parent_hash", hash="hash"), (1, "EV-FORK"), "does not link to the head"),
                (forged.format(parent="hash", hash="hash"), (1, "EV-BADHASH"), "hash is not SHA-256"),
            ]
            for statement, args, problem in statements:
                with pytest.raises(psycopg.IntegrityError, match=f"append-only: .*{problem}"):
                    con.execute(statement, args)

    def change_field(self, store, offset):
        with self._raw(store) as con:
            con.execute("""UPDATE events SET payload = replace(payload, '"quantity":100', '"quantity":101')
                           WHERE "offset" = %s""", (offset,))

    def delete(self, store, offset):
        with self._raw(store) as con:
            con.execute('DELETE FROM events WHERE "offset" = %s', (offset,))

    def swap(self, store, i, j):
        with self._raw(store) as con, con.transaction():
            con.execute('UPDATE events SET "offset" = -1 WHERE "offset" = %s', (i,))
            con.execute('UPDATE events SET "offset" = %s WHERE "offset" = %s', (i, j))
            con.execute('UPDATE events SET "offset" = %s WHERE "offset" = -1', (j,))


@pytest.fixture
def backend(postgres_server):
    return PostgresBackend(postgres_server)
