"""traces.json written in batches of orders is byte for byte the one-piece document (twin.observability)."""

from __future__ import annotations

import json

import pytest

from components.observability.traces import otlp_json, traces
from scenarios.config import builtin_scenario_path, load_scenario
from twin.observability import write_traces
from twin.runner import run_scenario


@pytest.fixture(scope="module")
def smoke_events():
    return list(run_scenario(load_scenario(builtin_scenario_path("smoke")), seed=7).world.log.read())


def _whole(events) -> str:
    return json.dumps(otlp_json(traces(events), runtime="twin"), separators=(",", ":"))


@pytest.mark.parametrize("batch", [1, 7, 10_000])
def test_batched_traces_file_equals_the_whole_document(smoke_events, tmp_path, batch):
    path = tmp_path / "traces.json"
    write_traces(path, smoke_events, batch=batch)
    written = path.read_text(encoding="utf-8")
    assert written == _whole(smoke_events)
    spans = json.loads(written)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len({s["traceId"] for s in spans}) == len({e.order_id for e in smoke_events if e.order_id}) > 1


def test_no_orders_gives_the_empty_document(smoke_events, tmp_path):
    path = tmp_path / "traces.json"
    write_traces(path, [e for e in smoke_events if not e.order_id])
    assert path.read_text(encoding="utf-8") == _whole([])
    assert json.loads(path.read_text(encoding="utf-8"))["resourceSpans"][0]["scopeSpans"][0]["spans"] == []
