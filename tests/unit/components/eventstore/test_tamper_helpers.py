"""The format-aware raw edits in ``tamper`` (what tests outside the event store use on run folders' logs) make
the same edit in storage formats 1 and 2, and the store reports each with the kind documented for that format
(docs/event_store_format.md)."""

from __future__ import annotations

import pytest

from components.eventstore.chain import link_hash
from components.eventstore.sqlite import SqliteEventStore, write_log_file
from tests.unit.components.eventstore import tamper
from tests.unit.components.eventstore.test_eventstore_contract import sample_events

N = 12


@pytest.fixture(params=[1, 2], ids=["format1", "format2"])
def log(request, tmp_path):
    """(format, path, head hash) of a log of N events written in one batch (format 2: one segment)."""
    path = write_log_file(tmp_path / "events.sqlite", sample_events(N), format=request.param)
    with SqliteEventStore(path, read_only=True) as store:
        assert store.format == request.param and store.verify().ok
        return request.param, path, store.head_hash


def verdict(path, expected_head=None):
    with SqliteEventStore(path, read_only=True) as store:
        result = store.verify(expected_head)
    return None if result.ok else (result.offset, result.kind)


def test_rows_are_the_stored_rows_with_byte_payloads(log):
    fmt, path, head = log
    rows = tamper.rows(path)
    assert [r[0] for r in rows] == list(range(N)) and rows[-1][3] == head
    assert all(type(r[1]) is bytes and tamper.decode(r[1]) == e for r, e in zip(rows, sample_events(N)))
    assert tamper.log_format(path) == fmt


def test_a_changed_byte_or_field_is_changed_at_that_record(log):
    _, path, _ = log
    tamper.change(path, 5, tamper.flip_byte)
    assert verdict(path) == (5, "changed")


def test_an_edited_field_is_a_well_formed_record_of_the_files_format(log):
    _, path, _ = log
    payload = tamper.rows(path)[4][1]
    assert tamper.decode(tamper.edited(path, payload, quantity=7)).quantity == 7
    tamper.change(path, 4, lambda data: tamper.edited(path, data, quantity=7))
    assert verdict(path) == (4, "changed")


def test_a_deleted_record_is_a_gap_in_format_1_and_a_changed_record_in_a_format_2_segment(log):
    fmt, path, _ = log
    tamper.delete(path, 5)
    assert verdict(path) == (5, "deleted" if fmt == 1 else "changed")


def test_a_deleted_record_alone_in_its_segment_is_a_gap(tmp_path):
    path = tmp_path / "events.sqlite"
    with SqliteEventStore(path, format=2) as store:
        for event in sample_events(N):  # one append each: one segment each, as the live store writes
            store.append(event)
    tamper.delete(path, 5)
    assert verdict(path) == (5, "deleted")


def test_swapped_records_are_reordered_in_format_1_and_changed_inside_a_format_2_segment(log):
    fmt, path, _ = log
    rows = tamper.rows(path)
    rows[3], rows[4] = (3, *rows[4][1:]), (4, *rows[3][1:])
    tamper.rewrite(path, rows)
    assert verdict(path) == (3, "reordered" if fmt == 1 else "changed")


def test_a_cut_tail_verifies_alone_and_fails_against_the_head(log):
    _, path, head = log
    tamper.cut_from(path, 7)
    assert verdict(path) is None and len(tamper.rows(path)) == 7
    assert verdict(path, head) == (7, "cut_or_rewritten")


def test_a_forged_append_and_a_rechained_rewrite_are_consistent_chains(log):
    _, path, head = log
    rows = tamper.rows(path)
    payload = tamper.edited(path, rows[-1][1], event_id="EV-FORGED")
    tamper.append_row(path, (N, payload, head, link_hash(head, payload), "EV-FORGED", *rows[-1][5:]))
    assert verdict(path) is None and len(tamper.rows(path)) == N + 1  # only anchors or the head can tell
    rows = tamper.rows(path)
    rows[2] = (2, tamper.edited(path, rows[2][1], quantity=99), *rows[2][2:])
    tamper.rewrite(path, tamper.rechained(rows, 2))
    assert verdict(path) is None and tamper.decode(tamper.rows(path)[2][1]).quantity == 99
    assert tamper.rows(path)[-1][3] != link_hash(head, payload)
