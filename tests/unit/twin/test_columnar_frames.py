"""The twin on a ColumnarEventLog: the same events as on the list log, and the events frame of the log
(read back a chunk at a time) equals the frame of the tuples."""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd
import pytest

from components.columnar_log import ColumnarEventLog
from components.memory import InMemoryEventLog
from tests.unit.components.test_columnar_log import fixture_events
from scenarios.config import builtin_scenario_path, load_scenario
from twin.bootstrap import new_event_log
from twin.fingerprint import fingerprint
from twin.recorder import events_frame
from twin.runner import run_scenario


def smoke_events(monkeypatch, kind: str):
    monkeypatch.setenv("TWIN_EVENT_LOG", kind)
    result = run_scenario(load_scenario(builtin_scenario_path("smoke")), seed=7)
    return result


def test_a_run_on_the_columnar_log_records_the_same_events_and_frame(monkeypatch):
    columnar = smoke_events(monkeypatch, "columnar")
    plain = smoke_events(monkeypatch, "list")
    assert isinstance(columnar.world.log, ColumnarEventLog) and isinstance(plain.world.log, InMemoryEventLog)
    events = list(plain.world.log.read())
    assert list(columnar.world.log.read()) == events and len(events) > 100
    assert columnar.fingerprint == plain.fingerprint == fingerprint(events)
    frame = events_frame(columnar.world.log)
    pd.testing.assert_frame_equal(frame, events_frame(events))
    assert frame["limit_price"].isna().any() and frame["limit_price"].notna().any()
    # the run read its events out for the checks and outputs, and the log kept its columns
    assert columnar.world.log.chunks() and len(columnar.world.log) == len(events)


def test_the_columnar_frame_of_odd_values_equals_the_list_frame():
    log = ColumnarEventLog(3)
    events = fixture_events()[:10]
    odd = [events[0]._replace(quantity=2**70), events[1]._replace(details=MappingProxyType({"px": 1})),
           events[2]._replace(actor="a\x00b")]
    for event in [*events, *odd]:
        log.append(event)
    pd.testing.assert_frame_equal(events_frame(log), events_frame([*events, *odd]))
    assert events_frame(ColumnarEventLog()).empty


def test_an_unknown_event_log_kind_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TWIN_EVENT_LOG", "tape")
    with pytest.raises(ValueError, match="TWIN_EVENT_LOG: unknown event log 'tape' \\(one of columnar, list\\)"):
        new_event_log()
    assert isinstance(new_event_log("columnar"), ColumnarEventLog)
