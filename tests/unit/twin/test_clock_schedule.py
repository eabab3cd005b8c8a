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
