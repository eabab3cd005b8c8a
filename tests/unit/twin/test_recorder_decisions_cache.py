"""``twin.recorder``'s decisions column past its cache's bound: the JSON is each row's own, whatever was evicted."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import twin.recorder as recorder
from components.domain.events import Outcome, PolicyDecision


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=60), st.integers(1, 4))
def test_rows_keep_their_json_when_the_cache_evicts(picks, limit):
    tuples = [tuple(PolicyDecision(f"p{k}", "1", Outcome.PASS, params=(("n", k * 10 + j),)) for j in range(k % 3))
              for k in range(7)]  # distinct tuple objects, the empty one included
    column = [tuples[k] for k in picks]
    old, recorder._DECISIONS_CACHE_LIMIT = recorder._DECISIONS_CACHE_LIMIT, limit
    try:
        got = recorder._decisions_json(column)
    finally:
        recorder._DECISIONS_CACHE_LIMIT = old
    assert got == [json.dumps([d.to_record() for d in t], sort_keys=True) for t in column]
