"""reports.gameday: the order-path measure, reading journals (and refusing what is not one), the page."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.gameday import JournalError, order_path, order_path_ms, read_journal, write_gameday

MS = 1_000_000


def _events(rows):
    return pd.DataFrame(rows, columns=["order_id", "event_type", "timestamp_utc", "details"])


def test_the_order_path_runs_from_the_advisor_send_to_the_order_routed():
    rows = []
    for i, (sent, routed) in enumerate([(0, 10), (0, 30)]):
        oid = f"O-{i}"
        rows += [(oid, "OrderReceived", 1 * MS, json.dumps({"submitted_ns": sent})),
                 (oid, "OrderValidated", 2 * MS, "{}"), (oid, "OrderRiskApproved", 4 * MS, "{}"),
                 (oid, "OrderRouted", routed * MS, "{}")]
    rows += [("O-9", "OrderReceived", MS, json.dumps({"submitted_ns": 0})), ("O-9", "OrderValidated", 2 * MS, "{}"),
             ("O-9", "OrderBlocked", 3 * MS, "{}")]  # never routed: not on the path
    frame = _events(rows)
    assert order_path_ms(frame).to_dict() == {"O-0": 10.0, "O-1": 30.0}
    assert order_path(frame) == {"count": 2, "p50_ms": 20.0, "p95_ms": 29.0, "p99_ms": 29.8}
    assert order_path(_events([]))["p99_ms"] is None


JOURNAL = {
    "experiment": {"title": "t", "description": "d"}, "status": "completed", "deviated": True,
    "start": "2026-12-05T06:00:00+00:00", "duration": 3.0,
    "steady_states": {
        "before": {"probes": [{"activity": {"type": "probe", "name": "p99", "tolerance": {"type": "range",
                                                                                           "range": [0, 1.05]}},
                               "output": 1.0, "start": "2026-12-05T06:00:00+00:00", "duration": 0.1,
                               "status": "succeeded", "tolerance_met": True}]},
        "after": {"probes": [{"activity": {"type": "probe", "name": "p99", "tolerance": {"type": "range",
                                                                                          "range": [0, 1.05]}},
                              "output": 1.3, "start": "2026-12-05T06:00:02+00:00", "duration": 0.1,
                              "status": "succeeded", "tolerance_met": False}]}},
    "run": [{"activity": {"type": "action", "name": "kill"}, "status": "succeeded", "duration": 1.5,
             "start": "2026-12-05T06:00:00.500000+00:00",
             "output": {"order_path": {"p99_ms": 3.0, "count": 9}, "invariants_held": True,
                        "faults": [{"kind": "region_kill", "describe": "region_kill: east", "at_ns": 10**18,
                                    "duration_ns": None}],
                        "regions": {"failovers": [{"rpo_events": 0, "rto_ms": 4800.5}]},
                        "affected": {"count": 3, "ended": {"SETTLED": 2, "EXPIRED": 1}},
                        "orders": {"SETTLED": 9}}}],
    "rollbacks": [],
}


def test_a_journal_reads_into_its_timeline_hypothesis_measures_and_verdict(tmp_path):
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(JOURNAL))
    day = read_journal(path)
    assert [(s.phase, s.name, s.start_s) for s in day.steps] == [
        ("hypothesis before", "p99", 0.0), ("method", "kill", 0.5), ("hypothesis after", "p99", 2.0)]
    assert day.hypothesis[0]["before"] == {"output": "1.0", "met": True}
    assert day.hypothesis[0]["after"] == {"output": "1.3", "met": False}
    assert dict(day.measures) == {"kill: regions.failovers[0].rpo_events": 0,
                                  "kill: regions.failovers[0].rto_ms": 4800.5}
    (affected,) = day.affected
    assert (affected["action"], affected["count"], affected["ended"]) == ("kill", 3, {"SETTLED": 2, "EXPIRED": 1})
    assert affected["baseline"] is None  # this journal's action compared with no baseline
    assert [f.kind for f in day.faults] == ["region_kill"] and day.verdict.startswith("DEVIATED")
    html = write_gameday(day, tmp_path / "out").read_text()
    assert "region_kill: east" in html and "4800.5" in html and 'EXPIRED</td><td class="num">1</td>' in html


@pytest.mark.parametrize("text, problem", [
    ("{not json", r"journal.json: line 1: not JSON"),
    ("[1, 2]", r"journal.json: not a Chaos Toolkit journal \(a JSON object"),
    ('{"experiment": {}, "status": "completed", "start": "2026-12-05T06:00:00"}',
     r"journal.json: not a Chaos Toolkit journal \(no 'run'\)"),
])
def test_what_is_not_a_journal_is_refused_in_one_line(tmp_path, text, problem):
    path = tmp_path / "journal.json"
    path.write_text(text)
    with pytest.raises(JournalError, match=problem) as err:
        read_journal(path)
    assert "\n" not in str(err.value)


def test_a_missing_journal_is_named(tmp_path):
    with pytest.raises(JournalError, match=r"nope.json: cannot read"):
        read_journal(tmp_path / "nope.json")


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12))
def test_any_json_either_reads_or_is_refused_as_not_a_journal(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("j") / "journal.json"
    path.write_text(json.dumps(value))
    try:
        read_journal(path)
    except JournalError as exc:
        assert str(exc).startswith(str(path))


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                 max_size=4),
                     max_leaves=12)


@settings(max_examples=80, deadline=None)
@given(st.fixed_dictionaries({"experiment": _JSON, "status": _JSON, "start": _JSON, "run": _JSON},
                             optional={"steady_states": _JSON, "rollbacks": _JSON, "deviated": _JSON}))
def test_a_journal_shaped_object_with_bad_parts_reads_or_is_refused_in_one_line(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("j") / "journal.json"
    path.write_text(json.dumps(value))
    try:
        read_journal(path)
    except JournalError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
