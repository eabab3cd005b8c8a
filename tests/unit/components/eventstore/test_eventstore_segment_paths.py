"""Format 2's usual-segment fast paths (issue 19) give what the record-by-record paths give.

A segment whose count, ends, hashes and bytes agree (every one this code writes) is cut by
``segments._whole`` and its chain computed by ``segments.links`` and checked in one comparison; any
other segment, or one with a record that does not hash as stored, takes ``segments._split`` and the
record-by-record loop for the verdict (the tampering tests in ``test_eventstore_format2.py`` prove the
verdicts). ``read`` and ``read_verified`` hand out each segment's events through a C-level chain: they
stay lazy and stop where they always stopped.
"""

from __future__ import annotations

import tempfile
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.eventstore import SqliteEventStore, encode
from components.eventstore.chain import GENESIS, ChainBroken, link_hash
from components.eventstore.codec import encode_stored, stored_head, stored_heads
from components.eventstore.segments import _split, _whole, links
from tests.unit.components.eventstore import tamper
from tests.unit.components.eventstore.test_eventstore_contract import sample_events
from tests.unit.components.eventstore.test_eventstore_format import events as any_event

hex_hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20), st.one_of(st.just(GENESIS), hex_hashes))
def test_links_are_the_chain_link_hashes_one_record_after_the_other(records, parent):
    want, head = [], parent
    for data in records:
        head = link_hash(head, data)
        want.append(bytes.fromhex(head))
    assert links(records, parent.encode("ascii")) == want


def _ends(lengths: list[int]) -> bytes:
    ends, at = array("I"), 0
    for length in lengths:
        at += length
        ends.append(at)
    return ends.tobytes()  # the store's own byte order (the code under test reads it the same way)


@st.composite
def segment_rows(draw):
    """A segment row as raw SQL could leave it: counts, ends, hashes and bytes that agree or not."""
    records = draw(st.lists(st.binary(min_size=1, max_size=8), max_size=6))
    n = draw(st.sampled_from([len(records), len(records), max(0, len(records) - 1), len(records) + 1]))
    hashes = b"\x01" * 32 * draw(st.sampled_from([n, n, max(0, n - 1), n + 1]))
    lengths = [len(r) for r in records]
    if lengths and draw(st.booleans()):
        i = draw(st.integers(0, len(lengths) - 1))
        lengths[i] = draw(st.integers(0, 20))  # an end that goes back, or past the bytes
    ends = _ends(lengths)
    blob = b"".join(records) + draw(st.sampled_from([b"", b"", b"\x00"]))
    if draw(st.integers(0, 9)) == 0:
        blob = draw(st.sampled_from([12345, "text", None]))  # a BLOB column made something else
    return (0, n, 0, 0, "", GENESIS, hashes, ends, blob)


@settings(max_examples=400, deadline=None)
@given(segment_rows())
def test_a_whole_segment_is_cut_as_the_record_by_record_split_cuts_it(row):
    records, stored, problem = _split(row)
    whole = _whole(row)
    if whole is not None:  # taken only for a segment the split finds nothing wrong with, and cut the same
        assert problem == "" and whole == records and len(stored) == row[1]
    else:  # refused only for a segment with a problem, an empty one, or a column that is not bytes
        assert problem != "" or row[1] == 0 or not all(type(row[i]) is bytes for i in (6, 7, 8))


@settings(max_examples=40, deadline=None)
@given(st.lists(any_event, min_size=1, max_size=12, unique_by=lambda e: e.event_id), st.integers(1, 5),
       st.integers(0, 13))
def test_any_events_read_verified_from_any_offset_are_what_read_gives(events, batch, start):
    with tempfile.TemporaryDirectory() as tmp:
        with SqliteEventStore(Path(tmp) / "events.sqlite", format=2) as store:
            store.append_batch(events, batch_size=batch)
            if start > len(events):
                with pytest.raises(ChainBroken):
                    list(store.read_verified(start))
                return
            plain = [encode(e) for e in store.read(start)]
            assert [encode(e) for e in store.read_verified(start, expected_head=store.head_hash)] == plain
            assert plain == [encode(e) for e in store.read(0)][start:]
            assert store.verify(expected_head=store.head_hash).count == len(events)


def test_read_and_read_verified_touch_nothing_until_asked(tmp_path):
    path = tmp_path / "events.sqlite"
    with SqliteEventStore(path, format=2) as store:
        store.append_batch(sample_events(10), batch_size=4)
        late = store.read_verified(50)  # record 49 does not exist: found only once the read starts
        with pytest.raises(ChainBroken) as caught:
            next(late)
        assert (caught.value.result.offset, caught.value.result.kind) == (49, "deleted")
        reader = store.read(3)
        store.append_batch(sample_events(12)[10:])  # appended after the call, before the first event
        assert len(list(reader)) == 9


def test_a_changed_record_in_a_whole_segment_stops_the_read_right_before_it(tmp_path):
    """The segment still cuts whole, so its links are checked at once, fail, and are redone one by one."""
    path = tmp_path / "events.sqlite"
    events = sample_events(30)
    with SqliteEventStore(path, format=2) as store:
        store.append_batch(events, batch_size=10)

    def flip(records, hashes):
        records[4] = records[4][:-2] + bytes([records[4][-2] ^ 1]) + records[4][-1:]
        return records, hashes
    tamper.rewrite_segment(path, 15, flip)
    with SqliteEventStore(path, read_only=True) as store:
        got = []
        with pytest.raises(ChainBroken) as caught:
            got.extend(store.read_verified(12))
        assert (caught.value.result.offset, caught.value.result.kind) == (14, "changed")
        assert got == events[12:14]
        assert (store.verify().offset, store.verify().kind) == (14, "changed")


@settings(max_examples=100, deadline=None)
@given(st.lists(any_event, max_size=8))
def test_the_heads_of_a_segment_are_each_records_head(batch):
    records = [encode_stored(e) for e in batch]
    assert stored_heads(records) == [stored_head(r) for r in records]
    assert [h[1] for h in stored_heads(records)] == [e.event_id for e in batch]


def test_a_record_that_is_no_event_fails_the_heads_as_it_fails_alone():
    records = [encode_stored(e) for e in sample_events(3)]
    bad = records[:1] + [bytes([records[1][0]]) + b"\x00"] + records[2:]  # packed lead byte, not a record
    with pytest.raises(ValueError):
        stored_head(bad[1])
    with pytest.raises(ValueError):
        stored_heads(bad)
