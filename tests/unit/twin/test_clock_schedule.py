"""``SimClock.schedule`` on a plain simpy ``Environment`` pushes onto its heap itself: timers and simpy's
own events scheduled for one instant still fire in the order they were scheduled, as through
``Environment.schedule``; an environment of another type keeps its own ``schedule`` and ``now``."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from twin.clock import SimClock


@given(plan=st.lists(st.tuples(st.booleans(), st.integers(0, 3)), min_size=1, max_size=40))
def test_timers_and_simpy_events_fire_in_scheduling_order_within_an_instant(plan):
    env = simpy.Environment()
    clock = SimClock(env, 1_000)
    fired: list[tuple[int, int, int]] = []
    for i, (as_timer, delay) in enumerate(plan):
        if as_timer:
            clock.schedule(delay, lambda timer: fired.append((env.now, timer.value, clock.now_ns())), i)
        else:
            env.timeout(delay).callbacks.append(lambda event, i=i: fired.append((env.now, i, clock.now_ns())))
    env.run()
    expected = sorted(((delay, i) for i, (_, delay) in enumerate(plan)))  # by time, then scheduling order
    assert [(t, i) for t, i, _ in fired] == expected
    assert all(now_ns == 1_000 + t for t, _, now_ns in fired)


def test_another_environment_type_keeps_its_own_schedule_and_time():
    class Counting(simpy.Environment):
        scheduled = 0

        def schedule(self, event, priority=1, delay=0):
            Counting.scheduled += 1
            super().schedule(event, priority, delay)

    env = Counting()
    clock = SimClock(env, 5)
    seen: list[int] = []
    clock.schedule(7, lambda timer: seen.append(clock.now_ns()))
    env.run()
    assert Counting.scheduled == 1 and seen == [12]


def test_a_negative_delay_is_refused():
    with pytest.raises(ValueError, match="negative delay -1"):
        SimClock(simpy.Environment(), 0).schedule(-1, lambda timer: None)


def _loops_as(kind: str, env_type: type[simpy.Environment], gaps: list[list[int]], others: list[int]) -> list:
    """Each of ``gaps``' loops waits its gaps in turn, logging each wake; ``others`` are plain timers,
    scheduled both before and after the loops were started. ``kind``: the loops as simpy processes or as
    timer loops started with ``call_first``. Returns the log of (time, what) in firing order."""
    env = env_type()
    clock = SimClock(env, 0)
    log: list[tuple[int, str]] = []
    for i, delay in enumerate(others):
        clock.call_later(delay, lambda i=i: log.append((env.now, f"before {i}")))
    for n, loop_gaps in enumerate(gaps):
        if kind == "process":
            def proc(n=n, loop_gaps=loop_gaps):
                log.append((env.now, f"start {n}"))
                for k, gap in enumerate(loop_gaps):
                    yield env.timeout(gap)
                    log.append((env.now, f"wake {n}.{k}"))

            env.process(proc())
        else:
            def start(n=n, loop_gaps=loop_gaps):
                left = iter(enumerate(loop_gaps))

                def next_wake():
                    step = next(left, None)
                    if step is not None:
                        k, gap = step
                        clock.call_later(gap, lambda: (log.append((env.now, f"wake {n}.{k}")), next_wake()))

                log.append((env.now, f"start {n}"))
                next_wake()

            clock.call_first(start)
    for i, delay in enumerate(others):
        clock.call_later(delay, lambda i=i: log.append((env.now, f"other {i}")))
    env.run()
    return log


@given(gaps=st.lists(st.lists(st.integers(0, 3), max_size=4), min_size=1, max_size=5),
       others=st.lists(st.integers(0, 4), max_size=6), subclass=st.booleans())
def test_call_first_starts_a_loop_where_a_simpy_process_starts(gaps, others, subclass):
    """A loop of timers started by ``call_first`` wakes in the same order, among other timers of the
    same instants, as the same loop written as a simpy process (on a plain environment and on a
    subclass, which takes ``env.schedule``)."""
    env_type = type("Sub", (simpy.Environment,), {}) if subclass else simpy.Environment
    assert _loops_as("timers", env_type, gaps, others) == _loops_as("process", env_type, gaps, others)
