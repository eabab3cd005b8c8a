"""``twin.services.Network`` link conditions: blocked links hold and release in order, loss delays,
duplication delivers twice, reordering lets later messages overtake, extra latency adds up, and a
network with no condition draws and delivers exactly as before."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import simpy

from components.domain.outcomes import DONE, Handled
from components.memory import SeededStreams
from twin.clock import SimClock
from twin.draws import Draws
from twin.services import ANY, LinkCondition, Network, SimService

MS = 1_000_000


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Pong:
    n: int


def bus(base_ms: float = 1.0, jitter_ms: float = 0.0, seed: int = 1):
    """A two-service network (``a`` handles Pong, ``b`` handles Ping) that records arrivals."""
    env = simpy.Environment()
    clock = SimClock(env, 0)
    network = Network(clock, SeededStreams(seed), {Ping: "b", Pong: "a"}, base_ms, jitter_ms)
    got: list[tuple[int, str, object]] = []
    for name in ("a", "b"):
        def handle(message, name=name):
            got.append((clock.now_ns(), name, message))
            return Handled(DONE, ())
        network.attach(SimService(name, clock, Draws(lambda n: np.zeros(n)), handle))
    return env, clock, network, got


def send_at(clock, network, t_ns, src, message):
    clock.call_at(t_ns, lambda: network.send(src, message))


def test_without_conditions_a_message_takes_the_base_hop():
    env, clock, network, got = bus()
    send_at(clock, network, 0, "a", Ping(1))
    env.run()
    assert got == [(1 * MS, "b", Ping(1))]


def test_extra_latency_adds_up_over_stacked_conditions_and_goes_when_cleared():
    env, clock, network, got = bus()
    one = network.set_link_condition("a", "b", LinkCondition(extra_ms=2.0))
    network.set_link_condition(ANY, ANY, LinkCondition(extra_ms=3.0))
    send_at(clock, network, 0, "a", Ping(1))
    env.run()
    assert got[-1][0] == 6 * MS
    network.clear_link_condition(one)
    send_at(clock, network, 10 * MS, "a", Ping(2))
    env.run()
    assert got[-1][0] == 10 * MS + 4 * MS


def test_a_blocked_link_holds_messages_and_delivers_them_in_order_when_it_unblocks():
    env, clock, network, got = bus()
    token = network.set_link_condition("a", "b", LinkCondition(blocked=True))
    for n in range(3):
        send_at(clock, network, n * MS, "a", Ping(n))
    send_at(clock, network, 0, "b", Pong(9))  # the other direction is not blocked
    env.run(until=50 * MS)
    assert [m for _, _, m in got] == [Pong(9)]
    assert network.held_messages() == 3
    clock.call_at(50 * MS, lambda: network.clear_link_condition(token))
    env.run()
    assert [m for _, _, m in got][1:] == [Ping(0), Ping(1), Ping(2)]
    assert network.held_messages() == 0 and network.link_faults.released == 3


def test_a_link_stays_blocked_while_any_condition_blocks_it():
    env, clock, network, got = bus()
    first = network.set_link_condition(ANY, "b", LinkCondition(blocked=True))
    second = network.set_link_condition("a", "b", LinkCondition(blocked=True))
    send_at(clock, network, 0, "a", Ping(1))
    env.run()
    network.clear_link_condition(first)
    env.run()
    assert got == []
    network.clear_link_condition(second)
    env.run()
    assert [m for _, _, m in got] == [Ping(1)]


def test_a_lost_message_arrives_once_after_the_redelivery_timeout():
    env, clock, network, got = bus()
    network.set_link_condition(ANY, ANY, LinkCondition(loss=1.0, redelivery_ms=200.0))
    send_at(clock, network, 0, "a", Ping(1))
    env.run()
    assert got == [(201 * MS, "b", Ping(1))]
    assert network.link_faults.lost == 1


def test_a_duplicated_message_arrives_twice():
    env, clock, network, got = bus()
    network.set_link_condition(ANY, ANY, LinkCondition(duplicate=1.0, redelivery_ms=50.0))
    send_at(clock, network, 0, "a", Ping(1))
    env.run()
    assert got == [(1 * MS, "b", Ping(1)), (51 * MS, "b", Ping(1))]


def test_reordering_lets_a_later_message_overtake():
    env, clock, network, got = bus()
    token = network.set_link_condition("a", "b", LinkCondition(reorder=1.0, reorder_ms=10.0))
    send_at(clock, network, 0, "a", Ping(1))
    clock.call_at(1, lambda: network.clear_link_condition(token))
    send_at(clock, network, 2, "a", Ping(2))
    env.run()
    assert [m for _, _, m in got] == [Ping(2), Ping(1)]
    assert network.link_faults.reordered == 1


def test_the_same_seed_gives_the_same_faults_and_a_different_one_others():
    def arrivals(seed):
        env, clock, network, got = bus(jitter_ms=0.5, seed=seed)
        network.set_link_condition(ANY, ANY, LinkCondition(loss=0.3, duplicate=0.3, reorder=0.3))
        for n in range(200):
            send_at(clock, network, n * MS, "a", Ping(n))
        env.run()
        return got

    assert arrivals(4) == arrivals(4)
    assert arrivals(4) != arrivals(5)


def test_a_condition_that_draws_nothing_leaves_the_link_draws_alone():
    def arrivals(with_condition):
        env, clock, network, got = bus(jitter_ms=0.5)
        if with_condition:
            network.set_link_condition(ANY, ANY, LinkCondition())
        for n in range(50):
            send_at(clock, network, n * MS, "a", Ping(n))
        env.run()
        return got

    assert arrivals(True) == arrivals(False)


@pytest.mark.parametrize("kwargs, field", [
    ({"loss": 1.5}, "loss"), ({"duplicate": -0.1}, "duplicate"), ({"reorder": 2.0}, "reorder"),
    ({"extra_ms": -1.0}, "extra_ms"), ({"reorder_ms": 0.0}, "reorder_ms"), ({"redelivery_ms": 0.0}, "redelivery_ms"),
])
def test_a_bad_condition_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"LinkCondition.{field}: "):
        LinkCondition(**kwargs)


def test_clearing_twice_is_harmless():
    env, clock, network, got = bus()
    token = network.set_link_condition(ANY, ANY, LinkCondition(extra_ms=1.0))
    network.clear_link_condition(token)
    network.clear_link_condition(token)
    assert network.conditions_on("a", "b") == ()
