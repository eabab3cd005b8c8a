"""twin.recorder.events_frame (built column by column) equals the row-by-row frame it replaced."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

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


_PARAM_VALUES = st.one_of(st.integers(-3, 3), st.floats(allow_nan=False, width=32), st.booleans(), st.none(),
                          st.text(max_size=3), st.lists(st.integers(0, 2), max_size=2))


@given(st.data())
def test_decisions_json_equals_dumping_each_events_records(data):
    """``_decisions_json`` (each decision rendered once per object, joined) gives, row by row, the text of
    ``json.dumps([d.to_record() ...], sort_keys=True)``, with decision objects and whole tuples shared
    between rows as the risk engine shares them, and params of every type (a list: never cached)."""
    from components.domain.events import Outcome, PolicyDecision
    from twin.recorder import _decisions_json

    pool = [PolicyDecision(data.draw(st.sampled_from(["collar", "notional", "aml"])), "1",
                           data.draw(st.sampled_from(list(Outcome))), data.draw(st.text(max_size=2)),
                           tuple(data.draw(st.dictionaries(st.sampled_from("abc"), _PARAM_VALUES, max_size=2)).items()))
            for _ in range(data.draw(st.integers(1, 5)))]
    tuples = [tuple(data.draw(st.lists(st.sampled_from(pool), max_size=4))) for _ in range(4)]
    column = data.draw(st.lists(st.sampled_from(tuples), max_size=12))
    assert _decisions_json(column) == [json.dumps([d.to_record() for d in ds], sort_keys=True) for ds in column]
