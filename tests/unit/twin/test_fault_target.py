"""``twin.fault_target``: the twin as a FaultWorld (mechanisms by protocol, the world's shape), and
the mid-append crash on a real run."""

from __future__ import annotations

from typing import Protocol

import pytest

from chaos.faults.network import NetworkMechanism
from chaos.faults.services import ServiceCrashMidAppend, ServiceMechanism
from chaos.faults.storage import StorageMechanism, StoredEventCorruption
from chaos.faults.venues import VenueMechanism
from components.domain.events import EventType
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.bootstrap import build_twin
from twin.fault_target import fault_world, shape_of
from twin.runner import run_scenario

NS = 1_000_000_000


@pytest.fixture(scope="module")
def smoke():
    return load_scenario(SCENARIOS / "smoke.yaml")


def test_the_shape_of_a_world_is_its_session_services_and_venues(smoke):
    shape = shape_of(build_twin(smoke, 1))
    assert (shape.open_ns, shape.close_ns) == (smoke.session.open_ns(), smoke.session.close_ns())
    assert shape.services == ("gateway", "oms", "risk", "router", "post_trade")
    assert shape.venues == ("XNAS", "BATS")


def test_a_fault_free_world_has_no_fault_target_until_one_is_asked_for(smoke):
    world = build_twin(smoke, 1)
    assert world.fault_target is None
    target = fault_world(world)
    assert fault_world(world) is target


def test_each_mechanism_is_built_once_and_an_unknown_one_is_a_lookup_error(smoke):
    target = fault_world(build_twin(smoke, 1))
    for port in (ServiceMechanism, VenueMechanism, NetworkMechanism, StorageMechanism):
        assert target.mechanism(port) is target.mechanism(port)

    class Teleporter(Protocol):
        def beam(self) -> None: ...

    with pytest.raises(LookupError, match="Teleporter"):
        target.mechanism(Teleporter)


def test_recovery_replays_through_the_checked_copy_whichever_mechanism_came_first(smoke):
    for order in ((StorageMechanism, ServiceMechanism), (ServiceMechanism, StorageMechanism)):
        world = build_twin(smoke, 1)
        target = fault_world(world)
        for port in order:
            target.mechanism(port)
        assert world.recovery.replay_log is target.mechanism(StorageMechanism)


def run_with(scenario, *faults):
    def setup(world):
        for fault in faults:
            fault_world(world).schedule(fault)

    return run_scenario(scenario, seed=scenario.seed, check=False, setup=setup)


@pytest.fixture(scope="module")
def post_trade_mid_append(smoke):
    return run_with(smoke, ServiceCrashMidAppend("post_trade", smoke.session.open_ns() + 300 * NS, stored=1),
                    StoredEventCorruption(smoke.session.open_ns() + 600 * NS, position=0.3))


def test_a_mid_append_crash_stores_part_of_a_handler_then_kills_the_service(post_trade_mid_append):
    world = post_trade_mid_append.world
    crasher = world.fault_target.mechanism(ServiceMechanism)
    assert crasher.mid_append_crashes == [("post_trade", 1)]
    assert world.recovery.services["post_trade"].restarts == 1
    assert world.network.services["post_trade"].crashes == 1
    results = {r.name: r for r in post_trade_mid_append.invariants}
    assert results["no_lost_or_duplicated_events"].passed  # nothing stored twice
    assert results["stored_events_verified"].passed  # the corruption was found by the audit


def test_after_a_post_trade_mid_append_crash_every_order_still_ends(post_trade_mid_append):
    stuck = [e for e in post_trade_mid_append.world.log.read() if e.event_type is EventType.ORDER_ALLOCATED]
    assert stuck
    assert all(r.passed for r in post_trade_mid_append.invariants), [r for r in post_trade_mid_append.invariants
                                                                      if not r.passed]


def test_venue_stress_entries_are_sugar_for_venue_faults_with_the_same_windows(smoke):
    from dataclasses import replace

    from chaos.faults.venues import VenueRejectStorm
    from components.config.market import VenueStress

    storm = VenueStress("REJECT_STORM", rate_per_hour=6.0, duration_s=30.0, fraction=0.3)
    venues = (replace(smoke.venues[0], stress=(storm,)), *smoke.venues[1:])
    world = build_twin(replace(smoke, venues=venues), 5)
    faults = world.fault_target.scheduled
    assert faults and all(isinstance(f, VenueRejectStorm) for f in faults)
    assert [(w.venue, w.window.start_ns, w.window.end_ns) for w in world.stress] == [
        (f.venue, f.at_ns, f.at_ns + f.duration_ns) for f in faults]
    assert {f.stream for f in faults} == {"stress:XNAS:0"} and {f.fraction for f in faults} == {0.3}
    # Built again with the same seed, the same windows (drawn from the entry's own stream).
    again = build_twin(replace(smoke, venues=venues), 5)
    assert again.stress == world.stress and again.fault_target.scheduled == faults
    # The windows are the entry's stream's first draws, whatever else the build drew.
    from components.memory import SeededStreams
    from twin.venue_stress import windows_for

    fresh = windows_for(storm, SeededStreams(5).stream("stress:XNAS:0"), smoke.session)
    assert [w.window for w in world.stress] == fresh
