"""``SimClock.deliver_all_at`` holds only the next of its deliveries in simpy's heap, yet everything fires
in the order ``deliver_at`` for each would give: the same times, and ties broken the same way against
timers, simpy timeouts and processes (URGENT ones included) scheduled before, between and after."""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.clock import SimClock

_PLAN = st.lists(st.tuples(st.integers(-3, 8), st.integers(0, 2)), max_size=25)  # (when, follow-ups)
_OTHERS = st.lists(st.tuples(st.sampled_from(("timer", "timeout", "process")), st.integers(0, 8)), max_size=15)


def _run(start: int, plan, before, after, all_at_once: bool):
    env = simpy.Environment()
    clock = SimClock(env, 1_000)
    fired: list[tuple[int, str]] = []

    def others(items, tag):
        for i, (kind, delay) in enumerate(items):
            label = f"{tag}{kind}{i}"
            if kind == "timer":
                clock.schedule(delay, lambda timer: fired.append((env.now, timer.value)), label)
            elif kind == "timeout":
                env.timeout(delay).callbacks.append(lambda _e, label=label: fired.append((env.now, label)))
            else:
                def proc(delay=delay, label=label):
                    yield env.timeout(delay)
                    fired.append((env.now, label))  # then resumed URGENT-ly by simpy after each timeout
                    yield env.timeout(0)
                    fired.append((env.now, label + "+0"))
                env.process(proc())

    def arrive(value):
        n, follow_ups = value
        fired.append((env.now, f"d{n}"))
        for k in range(follow_ups):  # what an arrival schedules, at its own instant or soon after
            clock.schedule(k, lambda timer: fired.append((env.now, timer.value)), f"d{n}.{k}")

    clock.run(start) if start else None
    others(before, "b")
    items = [(1_000 + start + when, (n, follow_ups)) for n, (when, follow_ups) in enumerate(plan)]
    if all_at_once:
        clock.deliver_all_at(items, arrive)
    else:
        for when_ns, value in items:
            clock.deliver_at(when_ns, arrive, value)
    others(after, "a")
    clock.run(start + 100)
    return fired, next(env._eid)


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, 3), plan=_PLAN, before=_OTHERS, after=_OTHERS)
def test_the_same_order_as_scheduling_each_one(start, plan, before, after):
    assert _run(start, plan, before, after, True) == _run(start, plan, before, after, False)


def test_only_the_next_delivery_waits_in_the_heap():
    env = simpy.Environment()
    clock = SimClock(env, 0)
    seen: list[int] = []
    clock.deliver_all_at([(5, "b"), (2, "a"), (9, "c")], lambda v: seen.append((env.now, v, len(env._queue))))
    assert len(env._queue) == 1
    clock.run(20)
    # while each fires, the heap holds the next one (none after the last) and the run's own stop event
    assert seen == [(2, "a", 2), (5, "b", 2), (9, "c", 1)]


def test_another_environment_type_schedules_each_one():
    class Other(simpy.Environment):
        pass

    env = Other()
    clock = SimClock(env, 0)
    seen: list[str] = []
    clock.deliver_all_at([(3, "x"), (1, "y")], seen.append)
    assert len(env._queue) == 2
    env.run()
    assert seen == ["y", "x"]
