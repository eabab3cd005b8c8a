"""Planted bugs 2 and 3 of issue 16: the swarm must catch each within 200 seeds.

Each bug is a test-only switch in the component (``TEST_ONLY_...``, patched here with monkeypatch,
never reachable from a scenario file). The swarm runs in this process (``workers=1``, so the patch
applies) on the swarm's short day, drawing only the fault kind that exposes the bug, and stops at
the first failing seed; the test prints the seed index where the bug was caught. The same seed with
the bug removed must pass: the failure is the bug's, not the fault's.
"""

from __future__ import annotations

import json

import pytest

import components.rebuild as rebuild
import components.routing as routing
from chaos.swarm import SwarmConfig, run_seed, run_swarm
from components.domain.events import EventType

SEEDS = range(1, 201)


def _first_failure(config: SwarmConfig):
    summary = run_swarm(config, SEEDS, workers=1, stop_at_first_failure=True)
    assert summary.failed, f"not caught in {len(SEEDS)} seeds"
    failure = summary.failed[0]
    index = summary.results.index(failure)
    print(f"caught at seed index {index} (seed {failure.seed}): {failure.check}: {failure.problem.splitlines()[0]}")
    assert all(r.passed for r in summary.results[:index])
    return failure


def test_a_router_that_ignores_venue_health_is_caught(monkeypatch, tmp_path):
    monkeypatch.setattr(routing, "TEST_ONLY_IGNORE_VENUE_HEALTH", True)
    config = SwarmConfig(kinds=("venue_down",), out_dir=str(tmp_path), commit="test")
    failure = _first_failure(config)
    assert failure.check == "router_respects_venue_health"
    assert dict(failure.kinds)["venue_down"] >= 1
    # The failing run's folder is kept, with what reproduces it.
    note = json.loads((tmp_path / f"seed-{failure.seed}" / "swarm_failure.json").read_text())
    assert note["reproduce"] == (f"twin swarm --seeds 1 --first-seed {failure.seed} --scenario "
                                 "scenarios/swarm_day.yaml --kinds venue_down")
    assert note["reproduced"] and note["faults"][0]["kind"] == "venue_down"
    assert (tmp_path / f"seed-{failure.seed}" / "events.parquet").exists()
    monkeypatch.undo()
    assert run_seed(SwarmConfig(kinds=("venue_down",)), failure.seed).passed


@pytest.mark.parametrize("skipped", [EventType.ORDER_FILLED])
def test_a_rebuild_that_skips_one_event_type_is_caught(monkeypatch, skipped):
    monkeypatch.setattr(rebuild, "TEST_ONLY_SKIPPED_EVENT_TYPES", {skipped})
    config = SwarmConfig(kinds=("service_crash",), commit="test")
    failure = _first_failure(config)
    assert dict(failure.kinds)["service_crash"] >= 1
    assert failure.check != "exception", failure.problem
    monkeypatch.undo()
    assert run_seed(config, failure.seed).passed
