"""traces.json written order by order (``order_spans_json``) is the whole document's ``json.dumps``, for
interleaved orders of any shape and any batch size (twin.observability.write_traces)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from components.observability.traces import otlp_json, traces
from tests.unit.components.observability.test_order_spans_json import order_events
from twin.observability import write_traces


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["ORD-1", "ORD-2", "ORD-3"]), max_size=3, unique=True).flatmap(
    lambda ids: st.tuples(*(order_events(i) for i in ids))), st.integers(1, 3), st.randoms(use_true_random=False))
def test_the_traces_file_is_the_whole_documents_json(tmp_path_factory, orders, batch, rng):
    log = [e for order in orders for e in order]
    rng.shuffle(log)  # orders interleaved; each order's own events keep their relative order below
    log = sorted(log, key=lambda e: e.stream_seq)
    path = tmp_path_factory.mktemp("traces") / "traces.json"
    write_traces(path, log, batch=batch)
    assert path.read_bytes() == json.dumps(otlp_json(traces(log), runtime="twin"), separators=(",", ":")).encode()
