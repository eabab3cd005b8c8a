"""``twin.stored_log.StoredLog``: a corrupted stored event is always detected, never used silently."""

from __future__ import annotations

import pytest

from components.eventstore.chain import verify
from components.memory import InMemoryEventLog, SeededStreams
from tests.unit.components.eventstore.test_eventstore_contract import sample_events
from twin.stored_log import CorruptStoredEvent, Detection, StoredLog


def stored_log(count: int = 12) -> StoredLog:
    log = InMemoryEventLog()
    for event in sample_events(count):
        log.append(event)
    return StoredLog(log, SeededStreams(3))


def records(stored: StoredLog):
    stored.sync()
    parents = ["0" * 64] + stored._hashes[:-1]
    return list(zip(range(len(stored._payloads)), stored._payloads, parents, stored._hashes))


def test_an_untouched_copy_verifies_and_reads_the_log_as_is():
    stored = stored_log()
    assert verify(records(stored)).ok
    assert list(stored.read(4)) == list(stored.log.read(4))
    assert stored.audit() == [] and stored.report().undetected == ()


def test_a_corruption_flips_bytes_of_the_event_at_its_position_and_breaks_its_hash():
    stored = stored_log(10)
    stored.sync()
    before = list(stored._payloads)
    offset = stored.corrupt(0.5, 3, "s")
    assert offset == 5
    assert stored._payloads[5] != before[5] and len(stored._payloads[5]) == len(before[5])
    assert sum(a != b for a, b in zip(stored._payloads[5], before[5])) == 3
    result = verify(records(stored))
    assert (result.ok, result.offset, result.kind) == (False, 5, "changed")


def test_position_one_is_the_newest_event_and_an_empty_log_has_nothing_to_corrupt():
    assert stored_log(7).corrupt(1.0, 1, "s") == 6
    empty = StoredLog(InMemoryEventLog(), SeededStreams(1))
    assert empty.corrupt(0.5, 1, "s") is None and empty.report().corrupted == ()


def test_a_recovery_read_detects_the_corruption_and_takes_the_verified_copy():
    stored = stored_log()
    offset = stored.corrupt(0.5, 2, "s")
    assert list(stored.read(0)) == list(stored.log.read(0))
    assert stored.detections == [Detection(offset, "recovery")]
    assert stored.audit() == []  # repaired from the verified copy
    assert stored.report().undetected == ()


def test_a_read_that_starts_after_the_corruption_does_not_detect_it_but_the_audit_does():
    stored = stored_log()
    offset = stored.corrupt(0.0, 1, "s")
    list(stored.read(offset + 1))
    assert stored.report().undetected == (offset,)
    assert stored.audit() == [offset]
    assert stored.report().undetected == ()
    assert stored.report().detections == (Detection(offset, "audit"),)


def test_without_a_verified_copy_a_read_fails_loudly():
    stored = stored_log()
    offset = stored.corrupt(0.5, 1, "s")
    # The copy in memory changed too (a second fault): nothing matches the chain any more.
    events = stored.log._events
    events[offset] = events[offset]._replace(actor="someone-else")
    with pytest.raises(CorruptStoredEvent, match=f"stored event {offset} "):
        list(stored.read(0))


def test_the_flipped_bytes_come_from_the_named_stream():
    a, b, c = stored_log(), stored_log(), stored_log()
    a.corrupt(0.5, 4, "x")
    b.corrupt(0.5, 4, "x")
    c.corrupt(0.5, 4, "y")
    assert a._payloads == b._payloads != c._payloads


def test_events_appended_after_a_corruption_are_chained_on_the_next_read():
    stored = stored_log(6)
    stored.corrupt(0.5, 1, "s")
    for event in sample_events(9)[6:]:
        stored.log.append(event)
    assert len(list(stored.read(0))) == 9
    assert verify(records(stored)).ok


def test_the_invariant_fails_a_run_whose_corruption_went_undetected_and_passes_one_without_storage():
    from twin.invariants import RunEvidence, stored_events_verified
    from twin.stored_log import StorageReport

    events = sample_events(8)

    def evidence(extra):
        return RunEvidence(events, {}, [], [], frozenset(), {}, {}, None, lambda a, s: 0, extra)  # type: ignore[arg-type]

    violation = stored_events_verified(evidence({"storage": StorageReport((5, 2), (Detection(2, "audit"),))}))
    assert violation is not None and violation.event_id == events[5].event_id
    assert "1 corrupted stored event(s) never detected (first at offset 5)" in violation.problem
    assert stored_events_verified(evidence({"storage": StorageReport((5,), (Detection(5, "recovery"),))})) is None
    assert stored_events_verified(evidence({})) is None
