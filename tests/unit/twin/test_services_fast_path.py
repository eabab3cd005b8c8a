"""``SimService`` and ``Network`` push their timers onto simpy's heap themselves on a plain simpy
environment (the service's finish timer reused, the link's FIFO delay inlined in ``Network.send``);
on any other environment they schedule through the clock. Both paths handle the same messages at the
same times in the same order, with the same statistics, crashes included; and every hop takes what
``FifoLink.delay`` would give on the same stream."""

from __future__ import annotations

from dataclasses import dataclass

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.outcomes import DONE, Handled
from components.memory import SeededStreams
from twin.clock import SimClock
from twin.draws import FifoLink, hop_ms
from twin.services import Network, build_service

MS = 1_000_000


@dataclass(frozen=True)
class ToA:
    n: int
    left: int


@dataclass(frozen=True)
class ToB:
    n: int
    left: int


@dataclass(frozen=True)
class ToC:
    n: int
    left: int


_NEXT = {ToA: ToB, ToB: ToC, ToC: ToA}


class _OtherEnv(simpy.Environment):
    """Not a plain ``Environment``: the services and the network go through ``clock.schedule``."""


def _day(seed: int, arrivals: list[tuple[int, int]], crash: tuple[int, str, int] | None, plain: bool):
    env = simpy.Environment() if plain else _OtherEnv()
    clock = SimClock(env, 0)
    streams = SeededStreams(seed)
    network = Network(clock, streams, {ToA: "a", ToB: "b", ToC: "c"}, 0.2, 0.3)
    handled: list[tuple[int, str, object]] = []

    def handler_of(name):
        def handle(message):
            handled.append((env.now, name, message))
            if message.left <= 0:
                return Handled(DONE, ())
            nxt = _NEXT[type(message)]
            # two follow-ups now and then: a service's queue builds up
            return Handled(DONE, [nxt(message.n, message.left - 1)] * (1 + message.n % 2))
        return handle

    for name in ("a", "b", "c"):
        network.attach(build_service(name, clock, streams, 0.3, 2.0, handler_of(name)))
    for i, (at_us, hops) in enumerate(arrivals):
        clock.call_at(at_us * 1000, lambda i=i, hops=hops: network.send("client", ToA(i, hops)))
    if crash is not None:
        at_us, name, down_us = crash
        clock.call_at(at_us * 1000, lambda: network.services[name].crash(down_us * 1000))
    clock.run(10_000 * MS)
    stats = {name: (s.stats.handled, s.stats.busy_ns, s.stats.max_queue, s.crashes, s.redelivered)
             for name, s in network.services.items()}
    return handled, stats


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16),
       arrivals=st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 4)), min_size=1, max_size=25),
       crash=st.none() | st.tuples(st.integers(0, 3_000), st.sampled_from("abc"), st.integers(1, 2_000)))
def test_pushing_onto_the_heap_handles_what_scheduling_through_the_clock_does(seed, arrivals, crash):
    plain = _day(seed, arrivals, crash, plain=True)
    assert plain == _day(seed, arrivals, crash, plain=False)
    assert plain[0]  # something was handled


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), sends=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 3)), max_size=30),
       extra_ms=st.sampled_from([0.0, 0.5]))
def test_every_hop_takes_what_the_links_own_delay_gives(seed, sends, extra_ms):
    env = simpy.Environment()
    clock = SimClock(env, 0)
    network = Network(clock, SeededStreams(seed), {ToB: "b"}, 0.2, 0.3)
    arrived: list[tuple[int, int]] = []
    network.attach(build_service("b", clock, SeededStreams(seed), 0.1, 0.2,
                                 lambda m: (arrived.append((env.now, m.n)), Handled(DONE, ()))[1]))
    network.services["b"].deliver = lambda m: arrived.append((env.now, m.n))  # arrival times, no service time
    network.link("a", "b").extra_ns = int(extra_ms * MS)
    reference = FifoLink(hop_ms(SeededStreams(seed).stream("net:a->b"), 0.2, 0.3))  # the same stream, anew
    reference.extra_ns = int(extra_ms * MS)
    expected: list[tuple[int, int]] = []
    t = 0
    for i, (gap_us, burst) in enumerate(sends):
        t += gap_us * 1000
        for k in range(burst + 1):  # several at one instant: the link keeps them in order
            n = i * 10 + k
            expected.append((t + reference.delay(t), n))
            clock.call_at(t, lambda n=n: network.send("a", ToB(n, 0)))
    env.run()
    assert arrived == expected
