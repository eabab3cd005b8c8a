"""scenarios/faults_day.yaml: a shortened day under venue, crash, bus and storage faults runs with every
invariant green, every fault actually happens, and the same seed gives the same fingerprint (in this
process and in a fresh one)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chaos.faults.services import ServiceMechanism
from chaos.faults.storage import StorageMechanism
from components.domain.events import EventType
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from twin.runner import run_scenario

pytestmark = pytest.mark.slow
SCENARIO = SCENARIOS / "faults_day.yaml"
SCRIPT = ("import sys; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
          "print(run_scenario(load_scenario(sys.argv[1])).fingerprint)")


@pytest.fixture(scope="module")
def run():
    return run_scenario(load_scenario(SCENARIO))  # raises InvariantViolation on any broken invariant


def test_every_invariant_holds_including_the_storage_check(run):
    names = {r.name for r in run.invariants}
    assert {"no_lost_or_duplicated_events", "every_order_terminal", "stored_events_verified"} <= names
    assert all(r.passed for r in run.invariants)


def test_every_fault_of_the_day_happened(run):
    world = run.world
    target = world.fault_target
    assert [f.kind for f in target.scheduled].count("stored_event_corruption") == 2
    assert target.mechanism(ServiceMechanism).mid_append_crashes == [("gateway", 1)]
    faults = world.network.link_faults
    assert faults.lost > 0 and faults.duplicated > 0 and faults.reordered > 0
    report = target.mechanism(StorageMechanism).report()
    assert len(report.corrupted) == 2 and report.undetected == ()
    assert sorted(d.by for d in report.detections) == ["audit", "recovery"]
    open_ns = world.scenario.session.open_ns()
    routed_to_xnas_at_open = [
        e for e in world.log.read()
        if e.event_type in (EventType.ORDER_ROUTED, EventType.ORDER_REROUTED) and e.timestamp_utc < open_ns + 120e9
        and any(c["venue"] == "XNAS" for c in e.details["children"])
    ]
    assert routed_to_xnas_at_open == []  # the venue was down at the open: nothing routed there


def test_the_same_seed_gives_the_same_fingerprint_here_and_in_a_fresh_process(run):
    assert_baseline("faults_day.yaml", run.fingerprint)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIO)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == run.fingerprint
