"""Batch paths of the SQLite event store (issue 19): ``packed.pack_many`` and ``plain.all_plain`` give what
their one-at-a-time forms give, a segment decodes as its records one by one, and an append of many chunks
(committed by a writer thread while the next chunk is prepared) keeps its transactions: whole chunks, in
order, nothing after a failed one, and a process killed mid-append leaves a prefix of whole chunks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.eventstore import SqliteEventStore, encode
from components.eventstore.codec import decode, decode_many, encode_stored
from components.eventstore.errors import DuplicateEvent
from components.eventstore.packed import _SCALARS, pack, pack_many
from components.eventstore.plain import all_plain, all_plain_dicts, plain_check
from tests.unit.components.eventstore.test_eventstore_contract import make_event, sample_events
from tests.unit.components.eventstore.test_eventstore_format import events as any_event
from tests.unit.components.eventstore.test_eventstore_format import json_values

ROOT = Path(__file__).resolve().parents[4]


class Colour(str, Enum):
    RED = "red"


odd_values = st.sampled_from([Decimal("1.5"), Colour.RED, {1: "int key"}, {"s": {2, 3}}, b"bytes", 2**80, (1, 2)])
values = st.recursive(json_values | odd_values, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=6))
def test_the_batch_plain_check_agrees_with_the_one_value_check(batch):
    one = plain_check(_SCALARS)
    assert all_plain(batch, _SCALARS) == all(one(v) for v in batch)
    dicts = [v for v in batch if type(v) is dict]
    assert all_plain_dicts(dicts, _SCALARS) == all(one(v) for v in dicts)


def test_nesting_past_the_level_limit_or_a_cycle_is_left_to_the_one_value_check():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    cycle: list = []
    cycle.append(cycle)
    assert not all_plain([deep], _SCALARS) and not all_plain([cycle], _SCALARS)


@settings(max_examples=60, deadline=None)
@given(st.lists(any_event, max_size=8))
def test_a_packed_batch_is_each_event_packed_alone(batch):
    assert pack_many(batch) == [pack(e) for e in batch]


def test_a_batch_with_one_odd_event_still_packs_each_as_alone():
    base = sample_events(6)
    odd = [base[0]._replace(details={"x": Decimal("1")}), base[1]._replace(details={}),
           base[2]._replace(quantity=2**80), base[3]._replace(details={"k": [Colour.RED]}), *base[4:]]
    got = pack_many(odd)
    assert got == [pack(e) for e in odd]
    assert got[0] is None and got[2] is None and got[3] is None and got[1] is not None  # JSON for the odd ones


@settings(max_examples=100, deadline=None)
@given(st.lists(any_event, min_size=1, max_size=8))
def test_a_segment_decodes_as_its_records_one_by_one(batch):
    records = [encode_stored(e) for e in batch]
    got, want = decode_many(records), [decode(r) for r in records]
    assert [encode(e) for e in got] == [encode(e) for e in want]


# -- many chunks in one append (the writer thread) ------------------------------------------------------
@pytest.mark.parametrize("fmt", [1, 2])
def test_many_chunks_are_stored_in_order_and_read_back_verified(tmp_path, fmt):
    events = sample_events(50)
    with SqliteEventStore(tmp_path / "events.sqlite", format=fmt) as store:
        assert store.append_batch(events[:23], batch_size=5) == range(0, 23)
        assert store.append_batch(iter(events[23:]), batch_size=4) == range(23, 50)
        assert len(store) == 50
        head = store.head_hash
    with SqliteEventStore(tmp_path / "events.sqlite") as store:
        assert len(store) == 50 and store.head_hash == head and store.verify(expected_head=head).ok
        assert [encode(e) for e in store.read_verified(expected_head=head)] == [encode(e) for e in events]
    with SqliteEventStore(tmp_path / "one-by-one.sqlite", format=fmt) as store:
        for event in events:
            store.append(event)
        assert store.head_hash == head  # the chain does not depend on how the events were batched


@pytest.mark.parametrize("fmt", [1, 2])
def test_a_duplicate_in_a_later_chunk_keeps_the_chunks_before_it_and_nothing_after(tmp_path, fmt):
    events = sample_events(30)
    repeated = events[:12] + [events[3]] + events[13:]  # chunk 2 (offsets 10..14) repeats an id of chunk 0
    with SqliteEventStore(tmp_path / "events.sqlite", format=fmt) as store:
        with pytest.raises(DuplicateEvent) as raised:
            store.append_batch(repeated, batch_size=5)
        assert raised.value.event_id == events[3].event_id
        assert len(store) == 10
        head = store.head_hash
        assert head == store.hash_at(9)
        assert store.append_batch(events[10:], batch_size=5) == range(10, 30)  # the store goes on
    with SqliteEventStore(tmp_path / "events.sqlite") as store:
        assert store.verify().ok and [e.event_id for e in store.read()] == [e.event_id for e in events]


def test_events_that_fail_part_way_leave_the_whole_chunks_read_before(tmp_path):
    def source():
        yield from sample_events(17)
        raise RuntimeError("the source broke")

    with SqliteEventStore(tmp_path / "events.sqlite") as store:
        with pytest.raises(RuntimeError, match="the source broke"):
            store.append_batch(source(), batch_size=5)
        assert len(store) == 15 and store.verify(expected_head=store.head_hash).ok


def test_an_event_that_cannot_be_encoded_stops_the_append_after_the_chunks_before_it(tmp_path):
    events = sample_events(20)
    events[12] = events[12]._replace(details={"x": object()})
    with SqliteEventStore(tmp_path / "events.sqlite") as store:
        with pytest.raises(TypeError):
            store.append_batch(events, batch_size=5)
        assert len(store) == 10 and store.verify(expected_head=store.head_hash).ok


_CRASHER = """
import sys
from components.eventstore import SqliteEventStore
from tests.unit.components.eventstore.test_eventstore_contract import make_event

def events():
    for i in range(10**9):
        yield make_event(i, order_id=f"ORD-{i // 4}", seq=i % 4 + 1, details={"i": i, "pad": "x" * 200})

with SqliteEventStore(sys.argv[1]) as store:
    print("open", flush=True)
    store.append_batch(events(), batch_size=500)
"""


def test_a_process_killed_mid_append_leaves_a_verified_prefix_of_whole_chunks(tmp_path):
    """SIGKILL while chunks are committed by the writer thread: reopened, the log is whole chunks of the
    events in order, and verifies (a crash of the process; a power loss is SQLite's synchronous=FULL)."""
    path = tmp_path / "events.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", _CRASHER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == b"open"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until a few chunks are committed
            time.sleep(0.2)
            with SqliteEventStore(path, read_only=True) as store:
                if len(store) >= 3_000:
                    break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    with SqliteEventStore(path) as store:
        count = len(store)
        assert count >= 3_000 and count % 500 == 0
        result = store.verify(expected_head=store.head_hash)
        assert result.ok and result.count == count
        got = list(store.read_verified())
        assert [e.event_id for e in got] == [make_event(i).event_id for i in range(count)]
        store.append(make_event(count, order_id="ORD-after"))  # and it is appended to after the crash
        assert store.verify().ok
