"""One contract for every event store backend.

``BACKENDS`` lists the implementations; each knows how to make a store, reopen
it, and tamper with it behind its back (the way an operator with raw access
could). PostgreSQL runs this same suite from
``tests/integration/test_eventstore_contract_pg.py``, which imports these test
functions and supplies its own ``backend`` fixture (it needs a real server).
"""

from __future__ import annotations

import sqlite3

import pytest

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.domain.orders import OrderStatus
from components.eventstore import (
    GENESIS,
    InMemoryEventStore,
    SqliteEventStore,
    account_state_as_of,
    order_state_as_of,
)
from components.eventstore.codec import from_record
from components.eventstore.errors import DuplicateEvent
from components.eventstore.codec import decode, encode_stored
from components.eventstore.sqlite import TRIGGERS
from tests.unit.components.eventstore import tamper


def make_event(n: int, event_type: EventType = EventType.ORDER_RECEIVED, *, order_id: str = "ORD-1",
               seq: int = 1, business: int | None = None, system: int | None = None, account: str = "A1",
               side: str = "BUY", details: dict | None = None, decisions: tuple = ()) -> OrderEvent:
    business = 1_000 + n if business is None else business
    return OrderEvent(
        event_type=event_type, event_id=f"EV-{n:07d}", trace_id=f"TRC-{order_id}", timestamp_utc=business,
        recorded_at=business if system is None else system, order_id=order_id, stream_seq=seq,
        account_id=account, symbol="AAPL", side=side, quantity=100, order_type="LIMIT",
        limit_price=1_900_000, time_in_force="DAY", actor="oms", policy_decisions=decisions, details=details,
    )


def sample_events(count: int = 10) -> list[OrderEvent]:
    """``count`` events over orders of three events each (received, validated, approved)."""
    kinds = (EventType.ORDER_RECEIVED, EventType.ORDER_VALIDATED, EventType.ORDER_RISK_APPROVED)
    decisions = (PolicyDecision("max_notional", "1.0", Outcome.PASS),)
    return [make_event(i, kinds[i % 3], order_id=f"ORD-{i // 3}", seq=i % 3 + 1,
                       decisions=decisions if i % 3 == 2 else (), details={"n": i})
            for i in range(count)]


def changed(event: OrderEvent, **fields) -> OrderEvent:
    return from_record({**event.to_record(), **fields})


# -- backends ---------------------------------------------------------------
class MemoryBackend:
    """No mutation API; tampering is reaching into its list, as corrupted memory would."""

    def make(self, tmp_path):
        return InMemoryEventStore()

    def reopen(self, store):
        return store

    def assert_refuses_edits(self, store, offset):
        for name in ("update", "delete", "remove", "truncate", "clear", "__setitem__", "__delitem__", "pop"):
            assert not hasattr(store, name), name

    def change_field(self, store, offset):
        record = store._records[offset]
        store._records[offset] = record._replace(event=changed(record.event, quantity=record.event.quantity + 1))

    def delete(self, store, offset):
        del store._records[offset]

    def swap(self, store, i, j):
        store._records[i], store._records[j] = store._records[j], store._records[i]


class SqliteBackend:
    """The file refuses edits; tampering is raw SQL after dropping the triggers (storage format 1)."""

    format = 1

    def make(self, tmp_path):
        return SqliteEventStore(tmp_path / "events.sqlite", format=self.format)

    def reopen(self, store):
        store.close()
        return SqliteEventStore(store.path)

    def _raw(self, store, drop_triggers=True):
        con = sqlite3.connect(store.path, isolation_level=None)
        if drop_triggers:
            for name in TRIGGERS:
                con.execute(f"DROP TRIGGER IF EXISTS {name}")
        return con

    def assert_refuses_edits(self, store, offset):
        con = self._raw(store, drop_triggers=False)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute('UPDATE events SET payload = payload WHERE "offset" = ?', (offset,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute('DELETE FROM events WHERE "offset" = ?', (offset,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # REPLACE skips delete triggers
            con.execute('INSERT OR REPLACE INTO events SELECT * FROM events WHERE "offset" = ?', (offset,))
        con.close()

    def change_field(self, store, offset):
        con = self._raw(store)
        con.execute("""UPDATE events SET payload = replace(payload, '"quantity":100', '"quantity":101')
                       WHERE "offset" = ?""", (offset,))
        con.close()

    def delete(self, store, offset):
        con = self._raw(store)
        con.execute('DELETE FROM events WHERE "offset" = ?', (offset,))
        con.close()

    def swap(self, store, i, j):
        con = self._raw(store)
        con.execute('UPDATE events SET "offset" = -1 WHERE "offset" = ?', (i,))
        con.execute('UPDATE events SET "offset" = ? WHERE "offset" = ?', (i, j))
        con.execute('UPDATE events SET "offset" = ? WHERE "offset" = -1', (j,))
        con.close()


class SegmentsBackend(SqliteBackend):
    """Storage format 2: a record is edited, cut out or moved by rewriting its segment's bytes consistently."""

    format = 2

    def assert_refuses_edits(self, store, offset):
        con = sqlite3.connect(store.path, isolation_level=None)
        first = tamper.segment_first(store.path, offset)
        for sql, arg in [('UPDATE segments SET records = records WHERE first_offset = ?', first),
                         ('DELETE FROM segments WHERE first_offset = ?', first),
                         ('INSERT OR REPLACE INTO segments SELECT * FROM segments WHERE first_offset = ?', first),
                         ('UPDATE event_ids SET event_id = event_id WHERE "offset" = ?', offset),
                         ('DELETE FROM event_ids WHERE "offset" = ?', offset)]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql, (arg,))
        con.close()

    def change_field(self, store, offset):
        def edit(records, hashes):
            i = offset - first
            event = decode(records[i])
            records[i] = encode_stored(event._replace(quantity=event.quantity + 1))
            return records, hashes
        first = tamper.segment_first(store.path, offset)
        tamper.rewrite_segment(store.path, offset, edit)

    def delete(self, store, offset):
        first = tamper.segment_first(store.path, offset)
        i = offset - first
        tamper.rewrite_segment(store.path, offset, lambda records, hashes: (records[:i] + records[i + 1:],
                                                                            hashes[:i] + hashes[i + 1:]))

    def swap(self, store, i, j):
        first = tamper.segment_first(store.path, i)
        assert tamper.segment_first(store.path, j) == first, "the records swapped share a segment"

        def edit(records, hashes):
            a, b = i - first, j - first
            records[a], records[b], hashes[a], hashes[b] = records[b], records[a], hashes[b], hashes[a]
            return records, hashes
        tamper.rewrite_segment(store.path, i, edit)


BACKENDS = [pytest.param(MemoryBackend(), id="memory"), pytest.param(SqliteBackend(), id="sqlite"),
            pytest.param(SegmentsBackend(), id="sqlite-v2")]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store(backend, tmp_path):
    made = backend.make(tmp_path)
    yield made
    made.close()


# -- append and read ----------------------------------------------------------
def test_offsets_are_contiguous_from_zero(store):
    events = sample_events(7)
    assert [store.append(e) for e in events[:4]] == [0, 1, 2, 3]
    assert store.append_batch(events[4:]) == range(4, 7)
    assert len(store) == 7
    assert list(store.read()) == events


def test_read_from_an_offset(store):
    events = sample_events(6)
    store.append_batch(events)
    assert list(store.read(4)) == events[4:]
    assert list(store.read(6)) == []
    assert list(store.read(99)) == []


def test_reads_back_events_equal_field_by_field(store):
    event = make_event(1, EventType.ORDER_BLOCKED, details={"reason": "X", "nested": [{"a": 1}]}, decisions=(
        PolicyDecision("a_policy", "2.1", Outcome.FAIL, "TOO_BIG", (("limit", 5), ("value", 9))),))
    store.append(event)
    assert list(store.read()) == [event]


def test_a_duplicate_event_id_is_refused_and_the_batch_is_all_or_nothing(store):
    events = sample_events(3)
    store.append_batch(events)
    with pytest.raises(DuplicateEvent) as refused:
        store.append(events[1])
    assert refused.value.event_id == events[1].event_id
    with pytest.raises(DuplicateEvent):
        store.append_batch([make_event(50), events[0]])
    assert len(store) == 3 and list(store.read()) == events and store.verify().ok
    assert store.append(make_event(50)) == 3


def test_reopening_keeps_the_events_and_the_chain(backend, store):
    store.append_batch(sample_events(5))
    head = store.head_hash
    store = backend.reopen(store)
    assert len(store) == 5 and store.head_hash == head
    assert store.append(make_event(99)) == 5
    assert store.verify().ok and store.verify().count == 6


# -- the hash chain -----------------------------------------------------------
def test_verify_passes_on_an_untouched_store(store):
    assert store.verify().ok and store.verify().head == GENESIS  # empty
    store.append_batch(sample_events(10))
    result = store.verify(expected_head=store.head_hash)
    assert result.ok and result.count == 10 and result.offset is None


def test_verify_compares_the_head_with_one_kept_elsewhere(store):
    store.append_batch(sample_events(4))
    result = store.verify(expected_head="f" * 64)
    assert not result.ok and result.offset == 4 and "head" in result.problem


def test_the_store_refuses_update_and_delete(backend, store):
    store.append_batch(sample_events(5))
    backend.assert_refuses_edits(store, 2)
    assert store.verify().ok and list(store.read()) == sample_events(5)


def test_a_changed_field_is_found_at_its_offset(backend, store):
    store.append_batch(sample_events(10))
    backend.change_field(store, 6)
    result = store.verify()
    assert not result.ok and result.offset == 6 and "changed" in result.problem


def test_a_deleted_record_is_found_at_its_offset(backend, store):
    store.append_batch(sample_events(10))
    backend.delete(store, 4)
    result = store.verify()
    assert not result.ok and result.offset == 4


def test_a_deleted_first_record_is_found(backend, store):
    store.append_batch(sample_events(3))
    backend.delete(store, 0)
    result = store.verify()
    assert not result.ok and result.offset == 0


def test_reordered_records_are_found_at_the_first_moved_offset(backend, store):
    store.append_batch(sample_events(10))
    backend.swap(store, 3, 7)
    result = store.verify()
    assert not result.ok and result.offset == 3


def test_swapped_neighbours_are_found(backend, store):
    store.append_batch(sample_events(10))
    backend.swap(store, 8, 9)
    result = store.verify()
    assert not result.ok and result.offset == 8


# -- bitemporal queries ---------------------------------------------------------
def order_with_late_fills() -> list[OrderEvent]:
    """ORD-1 (account A1) and ORD-2 (account A2). Fills happen at the venue (business
    time) before the platform records them (system time)."""
    def fill(n, kind, seq, qty, px, fee, business, system, order_id="ORD-1", account="A1"):
        return make_event(n, kind, order_id=order_id, seq=seq, business=business, system=system,
                          account=account, details={"last_qty": qty, "last_px": px, "fee": fee})

    return [
        make_event(1, EventType.ORDER_RECEIVED, seq=1, business=100),
        make_event(2, EventType.ORDER_VALIDATED, seq=2, business=110),
        make_event(3, EventType.ORDER_RISK_APPROVED, seq=3, business=120),
        make_event(4, EventType.ORDER_ROUTED, seq=4, business=130),
        make_event(5, EventType.ORDER_RECEIVED, order_id="ORD-2", account="A2", business=135),
        fill(6, EventType.ORDER_PARTIALLY_FILLED, 5, 40, 1_000, 4, business=140, system=150),
        fill(7, EventType.ORDER_FILLED, 2, 10, 2_000, 1, business=145, system=155, order_id="ORD-2",
             account="A2"),
        fill(8, EventType.ORDER_FILLED, 6, 60, 1_010, 6, business=160, system=175),
    ]


def test_order_state_as_known_at_system_time_about_business_time(store):
    store.append_batch(order_with_late_fills())
    assert order_state_as_of(store, "ORD-1", 99, 1_000) is None  # not yet received
    routed = order_state_as_of(store, "ORD-1", 145, 1_000)  # the fill at 140 is not recorded yet
    assert (routed.status, routed.filled_qty, routed.avg_price) == (OrderStatus.ROUTED, 0, 0)
    partial = order_state_as_of(store, "ORD-1", 150, 1_000)
    assert (partial.status, partial.filled_qty, partial.avg_price, partial.fees) == (
        OrderStatus.PARTIALLY_FILLED, 40, 1_000, 4)
    as_of_150 = order_state_as_of(store, "ORD-1", 1_000, 150)  # known now, about business time 150
    assert (as_of_150.status, as_of_150.filled_qty) == (OrderStatus.PARTIALLY_FILLED, 40)
    assert order_state_as_of(store, "ORD-1", 1_000, 139).status is OrderStatus.ROUTED
    filled = order_state_as_of(store, "ORD-1", 1_000, 1_000)
    assert (filled.status, filled.filled_qty, filled.avg_price, filled.fees, filled.events) == (
        OrderStatus.FILLED, 100, 1_006, 10, 6)


def test_account_state_from_opening_balances_and_known_fills(store):
    store.append_batch(order_with_late_fills())
    opening = dict(opening_cash=1_000_000, opening_positions={"AAPL": 5, "MSFT": 3})
    before = account_state_as_of(store, "A1", 149, 1_000, **opening)
    assert (before.cash, before.positions) == (1_000_000, {"AAPL": 5, "MSFT": 3})
    partly = account_state_as_of(store, "A1", 1_000, 150, **opening)
    assert (partly.cash, partly.positions["AAPL"]) == (1_000_000 - 40 * 1_000 - 4, 45)
    done = account_state_as_of(store, "A1", 1_000, 1_000, **opening)
    assert (done.cash, done.positions) == (1_000_000 - 40_000 - 4 - 60_600 - 6, {"AAPL": 105, "MSFT": 3})
    other = account_state_as_of(store, "A2", 1_000, 1_000)
    assert (other.cash, other.positions) == (-20_001, {"AAPL": 10})


def test_read_as_of_filters_by_both_times_in_offset_order(store):
    events = order_with_late_fills()
    store.append_batch(events)
    assert list(store.read_as_of(152)) == [e for e in events if e.recorded_at <= 152]
    assert list(store.read_as_of(1_000, 142)) == [e for e in events if e.timestamp_utc <= 142]
    assert [e.event_id for e in store.read_as_of(1_000, stream="ORD-2")] == ["EV-0000005", "EV-0000007"]
