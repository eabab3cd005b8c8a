"""Network mode's fast paths (scenarios/agents/network.py) give what the plain rules give.

Market-data pushes are logged once per publication and taken in by each subscriber only when it next
draws a latency or looks (``NetworkFront._take_pushes``); jitters are taken in runs
(``NetworkFront._take_jitters``). These tests check both against the rules written out by hand: each
push's latency drawn in the order sent, its arrival never before the previous message on the link, the
agent seeing the last push that has arrived. How often the agent looks must change nothing.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side, TimeInForce
from scenarios.agents.network import Latency, VenueChooser
from tests.unit.scenarios.agents.test_agent_network import MS, PX, SYM, TICK, Clock, hub_with, sim_venue

SECOND = 1_000 * MS


def _front(hub, owner: str, latency: Latency, seed: int):
    return hub.front_for(owner, SYM, latency, np.random.default_rng(seed), VenueChooser("first", [1]), True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), runs=st.lists(st.integers(0, 150), min_size=1, max_size=12))
def test_jitters_taken_in_runs_are_the_jitters_drawn_one_by_one(seed: int, runs: list[int]) -> None:
    clock = Clock()
    hub = hub_with([sim_venue()], clock)
    latency = Latency(MS, 0, MS // 2)
    one_by_one, in_runs = _front(hub, "AMM-1", latency, seed), _front(hub, "AMM-2", latency, seed)
    expected = [one_by_one._next_jitter() for _ in range(sum(runs))]
    got = [j for k in runs for j in in_runs._take_jitters(k)]
    assert got == expected
    assert in_runs._next_jitter() == one_by_one._next_jitter()  # and the stream goes on from the same place


def _day(seed: int, base_ms: float, jitter_ms: float, interval_ms: int, looks: set[int]) -> tuple[list, int]:
    """A subscriber on one venue whose book changes every millisecond for 3 s; it looks at the book at the
    milliseconds in ``looks`` (and at the end). Returns what it saw at each look, the arrival time at the
    venue of an order it sends at the end, and when a message sent back to it then would arrive."""
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock, interval_ms=interval_ms)
    link = _front(hub, "AMM-1", Latency(int(base_ms * MS), 0, int(jitter_ms * MS)), seed)
    for i in range(3_000):  # the book moves: a new, higher bid every millisecond
        clock.schedule(i * MS, lambda t: venue.submit_agent_order(
            f"LP-{t.value}", "LP", SYM, Side.BUY, 100, PX + t.value * TICK, TimeInForce.DAY, clock.now), i)
    clock.schedule(1, hub._publish)  # just after the first change, then every interval
    hub._close_ns = 3 * SECOND
    seen = []
    for ms in sorted(looks | {3_000}):
        clock.run(ms * MS)
        seen.append((ms, link.book(SYM).top()))
    link.submit_agent_order("AMM-1-1", "AMM-1", SYM, Side.SELL, 100, PX + 100 * TICK, TimeInForce.DAY, clock.now)
    ((arrives, *_),) = clock._heap
    back = clock.now + link.delay_back(0, clock.now)
    return [s for s in seen if s[0] in looks or s[0] == 3_000], (arrives, back)


def _by_hand(seed: int, base_ms: float, jitter_ms: float, interval_ms: int) -> tuple[list, tuple]:
    """What ``_day`` sees, from the rules: each push's ``(arrival, bid)``, then the arrivals of the order
    sent at the end (3 s) and of a message back. Publication k at 1 ns + k * interval carries the bid of
    the millisecond it falls in; it arrives after base + the next jitter, never before the previous push;
    the order draws the jitter after the last publication's, the message back the one after."""
    clock = Clock()
    jitters = _front(hub_with([sim_venue()], clock), "REF", Latency(int(base_ms * MS), 0, int(jitter_ms * MS)), seed)
    base = int(base_ms * MS)
    pushes, last, sent = [], 0, 1
    while sent < 3 * SECOND:
        last = max(sent + base + (jitters._next_jitter() if jitter_ms else 0), last)
        pushes.append((last, PX + (sent // MS) * TICK))
        sent += interval_ms * MS
    order = 3 * SECOND + base + (jitters._next_jitter() if jitter_ms else 0)
    back = max(3 * SECOND + base + (jitters._next_jitter() if jitter_ms else 0), last)
    return pushes, (order, back)


def _bid_seen(pushes: list, ms: int) -> int:
    """The bid of the last push arrived by ``ms`` (0 before the first)."""
    arrived = [bid for at, bid in pushes if at <= ms * MS]
    return arrived[-1] if arrived else 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), base_ms=st.sampled_from([0.02, 1.0, 30.0]),
       jitter_ms=st.sampled_from([0.0, 0.05, 40.0]), interval_ms=st.sampled_from([7, 50, 250]),
       looks=st.sets(st.integers(1, 2_999), max_size=8))
def test_a_subscriber_sees_and_draws_the_same_however_often_it_looks(seed, base_ms, jitter_ms, interval_ms,
                                                                     looks) -> None:
    every_ms = set(range(1, 3_000, 13))
    rare, rare_order = _day(seed, base_ms, jitter_ms, interval_ms, looks)
    often, often_order = _day(seed, base_ms, jitter_ms, interval_ms, looks | every_ms)
    assert rare == [s for s in often if s[0] in looks or s[0] == 3_000]
    assert rare_order == often_order
    pushes, messages = _by_hand(seed, base_ms, jitter_ms, interval_ms)
    assert [(ms, top[0]) for ms, top in often] == [(ms, _bid_seen(pushes, ms)) for ms, _ in often]
    assert messages == rare_order


def test_the_publication_log_is_trimmed_once_every_subscriber_has_taken_it_in() -> None:
    clock, venue = Clock(), sim_venue()
    hub = hub_with([venue], clock, interval_ms=1)
    link = _front(hub, "AMM-1", Latency(MS // 10), 1)
    venue.submit_agent_order("LP-1", "LP", SYM, Side.BUY, 100, PX, TimeInForce.DAY, 0)
    clock.schedule(0, hub._publish)
    clock.run(5_000 * MS)  # 5,000 publications; the subscriber has not looked
    assert len(hub._published[SYM]) > 4_000
    assert link.book(SYM).top() == (PX, 100, 0, 0)
    clock.run(6_200 * MS)
    assert len(hub._published[SYM]) < 1_300  # taken in, then dropped at a publication
    assert link.book(SYM).top() == (PX, 100, 0, 0)
    assert hub.counts.to_agents == 6_201  # every push is still counted
