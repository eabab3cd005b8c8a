"""Storage format 2 (issue 19): segments of packed records. Any event comes back as format 1 would give it,
format-1 files are still read, verified and appended to as format 1, and tampering with a segment is found
and located with the same verdicts (``VerifyResult.kind``) as with format 1's rows."""

from __future__ import annotations

import json
import math
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.eventstore import SqliteEventStore, decode, encode
from components.eventstore.chain import GENESIS, ChainBroken
from components.eventstore.codec import encode_stored, from_record, query_columns
from components.eventstore.errors import DuplicateEvent
from components.eventstore.packed import LEAD, pack
from components.eventstore.segments import SEGMENT_MAX
from components.eventstore.sqlite import verify_stored_rows
from tests.unit.components.eventstore import tamper
from tests.unit.components.eventstore.test_eventstore_contract import sample_events
from tests.unit.components.eventstore.test_eventstore_format import events as any_event
from tests.unit.components.eventstore.test_eventstore_format import v1_lines


def as_format_1_reads(event):
    """What a format-1 log gives back for ``event``: the event of its canonical JSON."""
    return from_record(json.loads(encode(event)))


def same(got, want) -> bool:
    """Equal, or (NaN != NaN) the same canonical bytes and the same NaNs."""
    return got == want or (encode(got) == encode(want) and _has_nan(want))


def _has_nan(event) -> bool:
    def leaves(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from leaves(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from leaves(v)
        else:
            yield value
    params = [v for d in event.policy_decisions for _, v in d.params]
    return any(isinstance(v, float) and math.isnan(v) for v in leaves([event.details, params]))


# -- the record bytes ---------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(any_event)
def test_any_event_packs_and_reads_back_as_format_1_would_give_it(event):
    data = encode_stored(event)
    assert data[0] in (LEAD, ord("{"))
    if data[0] == ord("{"):
        assert data == encode(event) and pack(event) is None  # canonical JSON where packing reads back otherwise
    back = decode(data)
    assert same(back, as_format_1_reads(event))
    assert encode(back) == encode(event)  # the fingerprint form is unchanged by the storage format
    assert query_columns(data) == (event.event_id, event.order_id, event.stream_seq, event.timestamp_utc,
                                   event.recorded_at)
    assert encode_stored(event) == data  # the same event always gives the same bytes (the chain hashes them)


def test_odd_details_take_the_packed_path_and_come_back_exactly():
    base = sample_events(1)[0]
    for details in ({"x": 1e-05, "y": float("inf"), "z": -0.0}, {"naïve ✓": ["\x7f", None, [1, [2.5]]]},
                    {"nested": {"list": [{"a": None}], "t": (1, 2)}}, {"big": 2**63, "neg": -2**63}):
        event = base._replace(details=details)
        data = pack(event)
        assert data is not None and data[0] == LEAD and encode_stored(event) == data, details
        assert decode(data) == as_format_1_reads(event) and encode(decode(data)) == encode(event)


def test_what_messagepack_would_read_back_differently_is_stored_as_canonical_json():
    base = sample_events(1)[0]
    for details in ({1: "an int key"}, {"x": 2**80}, {"x": "\ud800"}):
        event = base._replace(details=details)
        assert pack(event) is None and encode_stored(event) == encode(event), details
        assert decode(encode_stored(event)) == as_format_1_reads(event)
    with pytest.raises(TypeError):  # what the canonical form refuses stays refused
        encode_stored(base._replace(details={"x": object()}))


# -- a store in format 2 ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(any_event, min_size=1, max_size=12, unique_by=lambda e: e.event_id), st.integers(1, 5))
def test_any_events_stored_in_format_2_read_back_as_format_1_would_give_them(events, batch):
    with tempfile.TemporaryDirectory() as tmp:
        with SqliteEventStore(Path(tmp) / "events.sqlite", format=2) as store:
            assert store.format == 2
            store.append_batch(events, batch_size=batch)
        with SqliteEventStore(Path(tmp) / "events.sqlite", read_only=True) as store:
            want = [as_format_1_reads(e) for e in events]
            for got in (list(store.read()), list(store.read_verified(expected_head=store.head_hash))):
                assert len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
            assert [encode(e) for e in store.read(len(events) // 2)] == [encode(e) for e in events[len(events) // 2:]]
            result = store.verify(expected_head=store.head_hash)
            assert result.ok and result.count == len(events)
            assert verify_stored_rows(store.stored_rows()).head == store.head_hash
            last = max(e.recorded_at for e in events)
            assert [e.event_id for e in store.read_as_of(last, stream=events[0].order_id)] == [
                e.event_id for e in events if e.order_id == events[0].order_id]


def test_a_batch_larger_than_a_segment_spans_segments_and_reads_from_anywhere(tmp_path):
    events = sample_events(SEGMENT_MAX + 10)
    with SqliteEventStore(tmp_path / "events.sqlite", durable=False, format=2) as store:
        store.append_batch(events)
        assert sqlite3.connect(store.path).execute("SELECT count(*) FROM segments").fetchone()[0] == 2
        assert list(store.read(SEGMENT_MAX - 2)) == events[SEGMENT_MAX - 2:]
        assert list(store.read_verified(SEGMENT_MAX - 2)) == events[SEGMENT_MAX - 2:]
        hashes = [row[3] for row in store.stored_rows()]
        assert [store.hash_at(i) for i in (0, SEGMENT_MAX - 1, SEGMENT_MAX, len(events) - 1)] == [
            hashes[0], hashes[SEGMENT_MAX - 1], hashes[SEGMENT_MAX], store.head_hash]
        assert store.hash_at(len(events)) is None and store.hash_at(-1) is None
        assert [row[2] for row in store.stored_rows()][SEGMENT_MAX] == hashes[SEGMENT_MAX - 1]


def test_the_chain_is_one_link_per_record_over_the_packed_bytes(tmp_path):
    from components.eventstore import link_hash

    events = sample_events(5)
    with SqliteEventStore(tmp_path / "events.sqlite", format=2) as store:
        store.append_batch(events[:2])
        store.append_batch(events[2:])
        parent = GENESIS
        for i, event in enumerate(events):
            parent = link_hash(parent, encode_stored(event))
            assert store.hash_at(i) == parent
        assert store.head_hash == parent


def test_a_repeated_event_id_is_refused_across_batches_and_reopens(tmp_path):
    events = sample_events(6)
    with SqliteEventStore(tmp_path / "events.sqlite", format=2) as store:
        store.append_batch(events[:3])
    with SqliteEventStore(tmp_path / "events.sqlite") as store:
        assert store.format == 2
        with pytest.raises(DuplicateEvent) as refused:
            store.append_batch([events[3], events[1]])
        assert refused.value.event_id == events[1].event_id
        with pytest.raises(DuplicateEvent):
            store.append_batch([events[4], events[4]])  # twice in one batch
        assert len(store) == 3 and store.verify().ok
        assert store.append_batch(events[3:]) == range(3, 6)


def test_a_format_1_file_made_now_is_read_verified_and_appended_to_as_format_1(tmp_path):
    path = tmp_path / "events.sqlite"
    events = sample_events(8)
    with SqliteEventStore(path, format=1) as store:
        store.append_batch(events[:5])
    with SqliteEventStore(path, format=2) as store:  # asked for format 2: this file stays format 1
        assert store.format == 1
        store.append_batch(events[5:])
        assert list(store.read()) == events and store.verify().ok
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [row[0] for row in con.execute("SELECT payload FROM events ORDER BY \"offset\"")] == [
        encode(e).decode() for e in events]  # format 1's payload: the canonical JSON itself
    con.close()


def test_the_v1_fixture_copied_into_format_2_reads_back_the_same_canonical_bytes(tmp_path, v1_log):
    with SqliteEventStore(v1_log, read_only=True) as old:
        events = list(old.read())
    with SqliteEventStore(tmp_path / "v2.sqlite", format=2) as new:
        new.append_batch(events, batch_size=10)
        assert [encode(e) for e in new.read()] == v1_lines()
        assert new.verify(expected_head=new.head_hash).ok
        stored = sqlite3.connect(new.path).execute("SELECT sum(length(records)) FROM segments").fetchone()[0]
    assert stored < sum(map(len, v1_lines())) * 0.6  # the packed records: well under the canonical JSON


def test_new_files_are_format_2_by_default_and_format_1_when_asked(tmp_path):
    from components.eventstore import sqlite as module
    from components.eventstore.codec import FORMAT

    assert module.NEW_FILE_FORMAT == FORMAT == 2
    with SqliteEventStore(tmp_path / "default.sqlite") as store:
        assert store.format == 2
    module.write_log_file(tmp_path / "run.sqlite", sample_events(3))  # a run folder's log
    with SqliteEventStore(tmp_path / "run.sqlite", read_only=True) as store:
        assert store.format == 2 and list(store.read()) == sample_events(3) and store.verify().ok
    module.write_log_file(tmp_path / "v1.sqlite", sample_events(3), format=1)  # format 1 is still written on request
    with SqliteEventStore(tmp_path / "v1.sqlite") as store:  # and reopened in its own format
        assert store.format == 1 and list(store.read()) == sample_events(3) and store.verify().ok
    assert sqlite3.connect(tmp_path / "v1.sqlite").execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_format_this_code_does_not_write_is_refused_in_one_line(tmp_path):
    with pytest.raises(ValueError, match=r"events\.sqlite: format 3 is not one this code writes \(formats 1, 2\)"):
        SqliteEventStore(tmp_path / "events.sqlite", format=3)


# -- tampering ----------------------------------------------------------------------------------------
@pytest.fixture
def log(tmp_path) -> tuple[Path, list]:
    """30 events in segments of 7: [0-6] [7-13] [14-20] [21-27] [28-29]."""
    path = tmp_path / "events.sqlite"
    events = sample_events(30)
    with SqliteEventStore(path, format=2) as store:
        store.append_batch(events, batch_size=7)
    return path, events


def _flip_byte(records, hashes, i, at=-2):
    data = bytearray(records[i])
    data[at] ^= 1
    records[i] = bytes(data)
    return records, hashes


TAMPERING = {
    "a changed record byte": (lambda p: tamper.rewrite_segment(p, 9, lambda r, h: _flip_byte(r, h, 2)), 9, "changed"),
    "a changed stored hash": (lambda p: tamper.rewrite_segment(p, 10, lambda r, h: (r, h[:3] + [bytes(32)] + h[4:])),
                              10, "changed"),
    "a record cut out of its segment": (lambda p: tamper.rewrite_segment(
        p, 11, lambda r, h: (r[:4] + r[5:], h[:4] + h[5:])), 11, "changed"),
    "records swapped in a segment": (lambda p: tamper.rewrite_segment(
        p, 15, lambda r, h: ([r[0], r[3], r[2], r[1], *r[4:]], [h[0], h[3], h[2], h[1], *h[4:]])), 15, "changed"),
    "bytes added after the last record": (lambda p: tamper.execute(
        p, "UPDATE segments SET records = records || x'00' WHERE first_offset = 7"), 13, "changed"),
    "records that are not bytes": (lambda p: tamper.execute(
        p, "UPDATE segments SET records = 12345 WHERE first_offset = 7"), 7, "changed"),
    "a deleted segment": (lambda p: tamper.execute(p, "DELETE FROM segments WHERE first_offset = 14"), 14, "deleted"),
    "a segment moved back": (lambda p: tamper.execute(
        p, "UPDATE segments SET first_offset = 5 WHERE first_offset = 14"), 7, "reordered"),  # 7: where 5.. was
    "a changed parent hash": (lambda p: tamper.execute(
        p, "UPDATE segments SET parent_hash = ? WHERE first_offset = 21", "f" * 64), 21, "reordered"),
    "a changed event id row": (lambda p: tamper.execute(
        p, "UPDATE event_ids SET event_id = 'EV-FORGED' WHERE \"offset\" = 16"), 16, "columns"),
    "an event id moved by INSERT OR REPLACE": (lambda p: tamper.execute(
        p, "INSERT OR REPLACE INTO event_ids VALUES (99, (SELECT event_id FROM event_ids WHERE \"offset\" = 3))"),
                                               3, "columns"),
    "a deleted event id row": (lambda p: tamper.execute(p, "DELETE FROM event_ids WHERE \"offset\" = 25"), 25,
                               "columns"),
    "a stream left out of a segment's summary": (lambda p: tamper.execute(
        p, "UPDATE segments SET streams = replace(streams, char(31) || 'ORD-3' || char(31), char(31)) "
           "WHERE first_offset = 7"), 7, "columns"),
    "a segment's minimum time raised": (lambda p: tamper.execute(
        p, "UPDATE segments SET min_system = min_system + 1 WHERE first_offset = 21"), 21, "columns"),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_found_where_it_is_by_every_reader(log, how):
    path, events = log
    edit, offset, kind = TAMPERING[how]
    edit(path)
    with SqliteEventStore(path, read_only=True) as store:
        result = store.verify()
        assert (result.ok, result.offset, result.kind) == (False, offset, kind), result
        got = []
        with pytest.raises(ChainBroken) as caught:
            for event in store.read_verified():
                got.append(event)
        assert (caught.value.result.offset, caught.value.result.kind) == (offset, kind)
        assert got == events[:offset]
        # What the live start and ``twin replay-log`` run over stored rows finds the same record.
        rows = verify_stored_rows(store.stored_rows())
        assert not rows.ok and rows.offset == offset, rows


def test_a_column_problem_before_columns_from_is_not_looked_for(log):
    path, _ = log
    tamper.execute(path, "UPDATE event_ids SET event_id = 'EV-FORGED' WHERE \"offset\" = 4")
    with SqliteEventStore(path, read_only=True) as store:
        assert (store.verify().offset, store.verify().kind) == (4, "columns")
        assert store.verify(columns_from=5).ok


def test_reading_as_of_skips_segments_by_their_summary_and_filters_each_event(log):
    path, events = log
    with SqliteEventStore(path, read_only=True) as store:
        assert list(store.read_as_of(1_010)) == [e for e in events if e.recorded_at <= 1_010]
        assert list(store.read_as_of(10**9, 1_005)) == [e for e in events if e.timestamp_utc <= 1_005]
        assert list(store.read_as_of(10**9, stream="ORD-4")) == [e for e in events if e.order_id == "ORD-4"]
        assert list(store.read_as_of(10**9, stream="ORD")) == []  # a prefix of order ids is not a match
        assert list(store.read_as_of(999)) == []


@pytest.fixture
def v1_log(tmp_path):
    from tests.unit.components.eventstore.test_eventstore_format import FIXTURES
    import shutil

    path = tmp_path / "v1.sqlite"
    shutil.copy(FIXTURES / "v1_log.sqlite", path)
    return path


def test_the_keyed_anchors_and_the_one_pass_start_check_work_on_format_2(log):
    """What ``twin replay-log`` and the live verified start run: ``anchors.verify_log`` over ``stored_rows``
    and ``hash_at``, and ``RowCheck`` with ``decode`` of each row's payload (``ChainOnRead``)."""
    from components.eventstore.anchorlog import anchor_path, read_lines, write_anchors
    from components.eventstore.anchors import verify_log
    from components.eventstore.sqlite import RowCheck

    path, events = log
    key = b"k" * 32
    with SqliteEventStore(path, read_only=True) as store:
        write_anchors(anchor_path(path), {i: store.hash_at(i) for i in range(len(events))}, 1, key, 10)
        for from_anchor in (False, True):
            check = verify_log(store.stored_rows, len(store), store.hash_at, read_lines(anchor_path(path)), key,
                               full=False, from_anchor=from_anchor, require_anchors=True)
            assert check.ok and check.anchors.anchors == 3, check
        check, decoded = RowCheck(), []
        for row in store.stored_rows(0):
            assert check.step(row) is None
            decoded.append(decode(row[1]))
        assert decoded == events and check.result(store.head_hash).ok
    tamper.rewrite_segment(path, 12, lambda r, h: _flip_byte(r, h, 5))
    with SqliteEventStore(path, read_only=True) as store:
        check = verify_log(store.stored_rows, len(store), store.hash_at, read_lines(anchor_path(path)), key,
                           full=False, require_anchors=True)
        assert not check.ok and "12" in str(check.finding), check
