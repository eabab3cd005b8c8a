"""Services crash mid-day; the bus redelivers (at-least-once) and consumers dedupe."""

from __future__ import annotations

import simpy

from components.domain.outcomes import DONE, Handled
from components.memory import SeededStreams
from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.clock import SimClock
from twin.runner import run_scenario
from twin.services import build_service

MS = 1_000_000


def test_a_crash_loses_the_queue_and_the_bus_redelivers_it_with_the_last_handled_message():
    env = simpy.Environment()
    clock = SimClock(env, 0)
    handled: list[str] = []
    service = build_service("oms", clock, SeededStreams(1), 1.0, 1.0, lambda m: handled.append(m) or Handled(DONE))
    service.deliver("a")
    env.run(until=clock.to_sim(5 * MS))  # "a" handled
    for m in ("b", "c"):
        service.deliver(m)
    service.crash(10 * MS)  # "b" was in service, "c" queued: both lost from memory
    service.deliver("d")  # arrives while down: held by the bus
    env.run(until=clock.to_sim(5 * MS + 9 * MS))
    assert handled == ["a"]
    env.run(until=clock.to_sim(100 * MS))
    assert handled == ["a", "a", "b", "c", "d"]  # "a" again: its ack was in flight
    assert service.crashes == 1 and service.redelivered == 4


def test_crash_day_every_service_crashes_and_every_invariant_holds():
    run = run_scenario(load_scenario(SCENARIOS / "crash_day.yaml"))
    assert run.passed
    services = run.world.network.services
    assert all(s.crashes >= 1 for s in services.values())
    assert sum(s.redelivered for s in services.values()) > len(services)  # more than the last-handled duplicates
    assert run.world.platform.replays >= 1  # a redelivered submission was recognised, not entered twice
