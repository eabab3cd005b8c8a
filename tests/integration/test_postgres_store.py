"""What only the PostgreSQL event store has to get right: many appenders at once.

The shared contract (append, read, chain, tamper detection, bitemporal reads,
the database refusing UPDATE/DELETE/TRUNCATE and forged inserts) runs in
``test_eventstore_contract_pg.py``. Here: concurrent appenders on separate
connections, and concurrent first use of an empty schema.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from components.domain.events import EventType, OrderEvent
from components.eventstore.errors import DuplicateEvent
from live.adapters.postgres_store import PostgresEventStore

WAIT = 60.0  # seconds for a whole concurrent run; it takes well under 5


def event(writer: int, n: int) -> OrderEvent:
    return OrderEvent(
        event_type=EventType.ORDER_RECEIVED, event_id=f"EV-{writer}-{n:05d}", trace_id=f"TRC-{writer}",
        timestamp_utc=1_000 + n, recorded_at=1_000 + n, order_id=f"ORD-{writer}-{n}", stream_seq=1,
        account_id="A1", symbol="AAPL", side="BUY", quantity=100, order_type="LIMIT", limit_price=1_900_000,
        time_in_force="DAY", actor="oms", policy_decisions=(), details={"writer": writer, "n": n},
    )


@pytest.fixture
def schema():
    return f"store_{uuid.uuid4().hex[:12]}"


def run_together(count: int, work):
    """``work(i)`` for i in range(count), on threads released together; their results."""
    barrier = threading.Barrier(count, timeout=WAIT)

    def start(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return [f.result(timeout=WAIT) for f in [pool.submit(start, i) for i in range(count)]]


def test_concurrent_appenders_keep_offsets_contiguous_and_the_chain_linear(postgres_server, schema):
    writers, per_writer = 4, 60
    PostgresEventStore(postgres_server.dsn, schema=schema).close()

    def append_all(writer):
        with PostgresEventStore(postgres_server.dsn, schema=schema) as store:
            offsets = []
            for n in range(0, per_writer, 3):  # mixed single appends and small batches
                offsets.append(store.append(event(writer, n)))
                offsets.extend(store.append_batch([event(writer, n + 1), event(writer, n + 2)]))
            return offsets

    offsets = run_together(writers, append_all)
    assert sorted(o for mine in offsets for o in mine) == list(range(writers * per_writer))
    assert all(mine == sorted(mine) for mine in offsets)  # each writer's appends in its own order
    with PostgresEventStore(postgres_server.dsn, schema=schema) as store:
        result = store.verify(expected_head=store.head_hash)
        assert result.ok and result.count == writers * per_writer == len(store)
        events = list(store.read())
        for writer in range(writers):
            assert [e for e in events if e.trace_id == f"TRC-{writer}"] == [event(writer, n) for n in range(per_writer)]


def test_concurrent_duplicates_store_the_event_once(postgres_server, schema):
    PostgresEventStore(postgres_server.dsn, schema=schema).close()
    same = event(0, 1)

    def append_same(_):
        with PostgresEventStore(postgres_server.dsn, schema=schema) as store:
            try:
                return store.append(same)
            except DuplicateEvent:
                return None

    results = run_together(4, append_same)
    assert sorted(results, key=lambda r: r is None) == [0, None, None, None]
    with PostgresEventStore(postgres_server.dsn, schema=schema) as store:
        assert list(store.read()) == [same] and store.verify().ok


def test_first_use_of_a_schema_from_many_connections_at_once(postgres_server, schema):
    def open_and_append(i):
        with PostgresEventStore(postgres_server.dsn, schema=schema) as store:
            return store.append(event(i, 0))

    assert sorted(run_together(4, open_and_append)) == [0, 1, 2, 3]


def test_two_logs_in_one_database_are_independent(postgres_server, schema):
    with PostgresEventStore(postgres_server.dsn, schema=schema + "_a") as a, \
            PostgresEventStore(postgres_server.dsn, schema=schema + "_b") as b:
        a.append_batch([event(1, n) for n in range(3)])
        assert b.append(event(2, 0)) == 0
        assert (len(a), len(b)) == (3, 1) and a.verify().ok and b.verify().ok
