"""twin.recorder.events_frame (built column by column) equals the row-by-row frame it replaced."""

from __future__ import annotations

import json

import pandas as pd

from scenarios.config import builtin_scenario_path, load_scenario
from twin.recorder import events_frame
from twin.runner import run_scenario


def test_events_frame_equals_a_frame_of_row_records():
    events = list(run_scenario(load_scenario(builtin_scenario_path("smoke")), seed=7).world.log.read())
    rows = []
    for event in events:
        row = event.to_record()
        row["policy_decisions"] = json.dumps(row["policy_decisions"], sort_keys=True)
        row["details"] = json.dumps(row["details"], sort_keys=True)
        rows.append(row)
    expected = pd.DataFrame(rows)
    expected["limit_price"] = expected["limit_price"].astype("Int64")
    frame = events_frame(events)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(frame) == len(events) > 100 and frame["details"].str.startswith("{").all()
    assert events_frame([]).empty


def test_equal_decisions_with_differently_typed_params_keep_their_own_json():
    from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision

    def event(n, value):
        decision = PolicyDecision("collar", "1", Outcome.PASS, params=(("bps", value),))
        return OrderEvent(EventType.ORDER_RISK_APPROVED, f"E{n}", "T", n, n, "O1", n, "A", "S", "BUY", 1, "MARKET",
                          None, "DAY", "risk", (decision,), {"unhashable": [1]})

    frame = events_frame([event(1, 1), event(2, 1.0), event(3, True), event(4, [1])])
    params = [json.loads(text)[0]["params"]["bps"] for text in frame["policy_decisions"]]
    assert [type(p) for p in params] == [int, float, bool, list]
    assert frame["details"].tolist() == ['{"unhashable": [1]}'] * 4
