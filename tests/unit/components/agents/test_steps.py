"""The step log: append-only, hash-chained, and any edit, drop or reorder is found."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.agents import StepKind, StepLog, verify_records
from components.eventstore.chain import GENESIS, link_hash


def small_log() -> StepLog:
    log = StepLog()
    log.append(10, StepKind.OBSERVATION, "proposal_received", "", proposal_id="P1")
    log.append(10, StepKind.PLAN, "trade_list", "PLAN-1", trades=[["A1", "AAPL", "BUY", 100]])
    log.append(20, StepKind.DECISION, "approved", "PLAN-1", approver="ADV-1", meta={"b": 1, "a": [1, 2]})
    return log


def test_each_step_hashes_its_parent_and_payload_with_the_event_store_chain():
    log = small_log()
    steps = log.steps
    assert steps[0].parent_hash == GENESIS
    for prev, step in zip(steps, steps[1:]):
        assert step.parent_hash == prev.hash
    for step in steps:
        assert step.hash == link_hash(step.parent_hash, step.payload())
    assert log.head == steps[-1].hash and log.verify().ok and log.verify().count == 3


def test_steps_are_frozen_and_the_log_hands_out_a_copy():
    log = small_log()
    with pytest.raises(dataclasses.FrozenInstanceError):
        log.steps[0].name = "edited"  # type: ignore[misc]
    listed = log.steps
    assert isinstance(listed, tuple) and len(log) == 3
    assert not hasattr(log, "remove") and not hasattr(log, "__setitem__") and not hasattr(log, "__delitem__")


def test_time_never_runs_backwards_and_bad_steps_name_the_field():
    log = small_log()
    with pytest.raises(ValueError, match=r"Step.at_ns: 5 is before"):
        log.append(5, StepKind.DECISION, "late")
    with pytest.raises(ValueError, match=r"Step.name"):
        log.append(30, StepKind.DECISION, "")
    with pytest.raises(TypeError, match=r"Step.detail.when: must be JSON-able"):
        log.append(30, StepKind.DECISION, "x", when=1.5)
    assert len(log) == 3  # nothing half-appended


def test_jsonl_round_trip_verifies_and_an_edited_line_is_named():
    log = small_log()
    records = [json.loads(line) for line in log.to_jsonl().splitlines()]
    assert verify_records(records, log.head).ok
    records[1]["detail"]["trades"][0][3] = 1000  # someone doubles a quantity after the fact
    broken = verify_records(records)
    assert not broken.ok and broken.offset == 1 and broken.kind == "changed"


def test_a_dropped_or_reordered_or_cut_step_is_found():
    records = [s.to_record() for s in small_log().steps]
    head = records[-1]["hash"]
    assert verify_records([records[0], records[2]]).kind == "deleted"
    assert not verify_records([records[1], records[0], records[2]]).ok
    assert verify_records(records[:2], head).kind == "cut_or_rewritten"
    assert not verify_records([{"seq": 0}]).ok  # a record missing fields never verifies


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(list(StepKind)), st.text(min_size=1, max_size=8),
                          st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5),
                                                                         st.booleans(), st.none()), max_size=3)),
                min_size=1, max_size=12), st.data())
def test_any_single_field_edit_breaks_the_chain_at_that_step(entries, data):
    log, t = StepLog(), 0
    for dt, kind, name, detail in entries:
        t += dt
        log.append(t, kind, name, "P", **{f"k_{k}": v for k, v in detail.items()})
    records = [json.loads(json.dumps(s.to_record())) for s in log.steps]
    assert verify_records(records).ok
    i = data.draw(st.integers(0, len(records) - 1))
    records[i]["at_ns"] += 1
    result = verify_records(records)
    assert not result.ok and result.offset == i
