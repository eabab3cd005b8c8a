"""Snapshot + replay of the tail == full replay, byte for byte.

Event streams are real: one smoke scenario run (cached for the module), cut at
random lengths; snapshots are taken every N events for random N, and more
events may arrive after the last snapshot before recovery.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.eventstore import InMemoryEventStore, Projections, SnapshotStore, SqliteEventStore, recover
from components.eventstore.snapshot import project

SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml"


@functools.cache
def smoke_world():
    from scenarios.config import load_scenario
    from twin.runner import run_scenario

    world = run_scenario(load_scenario(SMOKE)).world
    return list(world.log.read()), world.opening_cash, world.opening_positions


@st.composite
def cut_points(draw):
    """(events at snapshot time, events at recovery time, snapshot interval)."""
    total = len(smoke_world()[0])
    recovered_at = draw(st.integers(min_value=0, max_value=total))
    snapshot_until = draw(st.integers(min_value=0, max_value=recovered_at))
    every = draw(st.one_of(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=total)))
    return snapshot_until, recovered_at, every


def _check(store, snapshot_until, recovered_at, every):
    events, cash, positions = smoke_world()
    store.append_batch(events[:snapshot_until])
    snapshots = SnapshotStore(every=every)
    project(store, snapshots, Projections(cash, positions))
    assert snapshots.offsets() == list(range(every, snapshot_until + 1, every))
    store.append_batch(events[snapshot_until:recovered_at])  # the log moved on after the last snapshot
    recovered = recover(store, snapshots, cash, positions)
    full = Projections(cash, positions).apply_all(events[:recovered_at])
    assert recovered.to_bytes() == full.to_bytes()
    assert recovered.open_orders() == full.open_orders()
    assert recovered.events == recovered_at


@settings(max_examples=60, deadline=None)
@given(cut_points())
def test_snapshot_plus_replay_equals_full_replay(cuts):
    _check(InMemoryEventStore(), *cuts)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=cut_points())
def test_snapshot_plus_replay_equals_full_replay_from_sqlite(tmp_path, cuts):
    path = tmp_path / "events.sqlite"
    path.unlink(missing_ok=True)  # tmp_path is shared by the examples of one test
    with SqliteEventStore(path, durable=False) as store:
        _check(store, *cuts)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2_000))
def test_a_snapshot_restores_to_the_same_bytes(count):
    events, cash, positions = smoke_world()
    projections = Projections(cash, positions).apply_all(events[:count])
    data = projections.to_bytes()
    assert Projections.from_bytes(data).to_bytes() == data
