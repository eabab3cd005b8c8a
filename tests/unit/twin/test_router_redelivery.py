"""The router dies mid-append on a real run: the redelivered RouteOrder finishes the routing.

On a block parent's first routing the router appends several events (the parent's ORDER_ROUTED,
then one per member); a ``service_crash_mid_append`` on it stores part of them and kills the
service before any child is sent. The OMS is resynced to the log, the bus redelivers the
RouteOrder, and ``Platform.route`` must record the members still missing and send the recorded
children (the same ids) exactly once, so every order still ends (docs/router_redelivery.md).
"""

from __future__ import annotations

from collections import Counter

import pytest

from chaos.faults.services import SURVIVES_MID_APPEND, ServiceCrashMidAppend, ServiceMechanism
from components.domain.events import EventType
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.fault_target import fault_world
from twin.runner import run_scenario

NS = 1_000_000_000


@pytest.fixture(scope="module")
def router_mid_append():
    scenario = load_scenario(SCENARIOS / "blocks_day.yaml")

    def setup(world):
        fault_world(world).schedule(ServiceCrashMidAppend("router", scenario.session.open_ns() + 300 * NS, stored=1))

    return run_scenario(scenario, seed=scenario.seed, check=False, setup=setup)


def test_the_router_died_mid_append_and_restarted(router_mid_append):
    world = router_mid_append.world
    assert world.fault_target.mechanism(ServiceMechanism).mid_append_crashes == [("router", 1)]
    assert world.recovery.services["router"].restarts == 1


def test_after_a_router_mid_append_crash_every_order_still_ends(router_mid_append):
    results = {r.name: r for r in router_mid_append.invariants}
    assert results["every_order_terminal"].passed, results["every_order_terminal"]
    assert all(r.passed for r in router_mid_append.invariants), [r for r in router_mid_append.invariants
                                                                 if not r.passed]


def test_every_recorded_child_reached_its_venue_exactly_once(router_mid_append):
    world = router_mid_append.world
    recorded = [c["child_id"] for e in world.log.read()
                if e.event_type in (EventType.ORDER_ROUTED, EventType.ORDER_REROUTED)
                for c in (e.details or {}).get("children", ())]
    sent = Counter(child.child_id for _, child in world.gateway.child_sends)
    assert sorted(sent) == sorted(recorded)
    assert set(sent.values()) == {1}  # re-sent only what never left: no venue saw a duplicate
    assert sum(v.duplicate_submits for v in world.gateway.venues.values()) == 0


def test_the_swarm_draws_router_mid_append_crashes():
    assert "router" in SURVIVES_MID_APPEND
