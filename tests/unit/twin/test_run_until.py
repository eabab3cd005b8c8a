"""``twin.clock.run_until`` (``SimClock.run``) is simpy's ``Environment.run(until=...)``: the same callbacks
at the same times in the same order, and the same heap (times, priorities and ids) left between runs;
a failed event crashes it as it crashes simpy; an environment whose ``step`` was replaced, or of
another type, is run by simpy itself."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.clock import SimClock, run_until

# One scheduled thing: (kind, delay, follow-up delay or None). Kinds: a Timer (``schedule``), a
# Delivery (``deliver_at``), a Thunk (``call_later``), a simpy Timeout, a simpy process.
_KINDS = ("timer", "delivery", "thunk", "timeout", "process")
_PLAN = st.lists(st.tuples(st.sampled_from(_KINDS), st.integers(0, 6), st.none() | st.integers(0, 4)),
                 min_size=1, max_size=30)
_CHUNKS = st.lists(st.integers(1, 5), min_size=1, max_size=6)


def _drive(plan, chunks, through_simpy: bool):
    """Run ``plan`` in chunks, through ``env.run`` or ``SimClock.run``; what fired (time, label) and the
    heap's (time, priority, id) after each chunk."""
    env = simpy.Environment()
    clock = SimClock(env, 100)
    fired: list[tuple[int, str]] = []

    def note(label: str, again: int | None) -> None:
        fired.append((env.now, label))
        if again is not None:  # something scheduled from inside a callback, at its own time
            clock.schedule(again, lambda timer: fired.append((env.now, timer.value)), label + "'")

    for i, (kind, delay, again) in enumerate(plan):
        label = f"{kind}{i}"
        if kind == "timer":
            clock.schedule(delay, lambda timer, a=again: note(timer.value, a), label)
        elif kind == "delivery":
            clock.deliver_at(100 + delay, lambda value, a=again: note(value, a), label)
        elif kind == "thunk":
            clock.call_later(delay, lambda label=label, a=again: note(label, a))
        elif kind == "timeout":
            env.timeout(delay).callbacks.append(lambda _e, label=label, a=again: note(label, a))
        else:
            def proc(delay=delay, label=label, a=again):
                yield env.timeout(delay)
                note(label, a)
                yield env.timeout(1)
                note(label + "+1", None)

            env.process(proc())
    heaps = []
    at = 0
    for step in chunks:
        at += step
        if through_simpy:
            env.run(until=at)
        else:
            clock.run(at)
        heaps.append([entry[:3] for entry in sorted(env._queue)])
    return fired, heaps, env.now


@settings(max_examples=150, deadline=None)
@given(plan=_PLAN, chunks=_CHUNKS)
def test_the_same_callbacks_in_the_same_order_and_the_same_heap_as_simpy(plan, chunks):
    assert _drive(plan, chunks, through_simpy=False) == _drive(plan, chunks, through_simpy=True)


def test_until_must_be_in_the_future():
    env = simpy.Environment()
    clock = SimClock(env, 0)
    clock.run(5)
    with pytest.raises(ValueError, match="must be greater than the current simulation time"):
        run_until(env, 5)


def test_a_failed_process_crashes_the_run_as_in_simpy():
    def failing(env):
        yield env.timeout(1)
        raise KeyError("boom")

    for through_simpy in (False, True):
        env = simpy.Environment()
        env.process(failing(env))
        with pytest.raises(KeyError, match="boom"):
            env.run(until=10) if through_simpy else SimClock(env, 0).run(10)


def test_a_replaced_step_is_honoured_by_running_through_simpy():
    env = simpy.Environment()
    clock = SimClock(env, 0)
    steps = []
    step = env.step
    env.step = lambda: (steps.append(env.now), step())[1]  # e.g. a profiler timing each step
    seen = []
    clock.schedule(3, lambda timer: seen.append(env.now))
    clock.run(10)
    assert seen == [3] and steps  # simpy's loop ran, through the replaced step


def test_another_environment_type_is_run_by_simpy():
    class Counting(simpy.Environment):
        steps = 0

        def step(self):
            Counting.steps += 1
            super().step()

    env = Counting()
    clock = SimClock(env, 0)
    seen = []
    clock.deliver_at(4, seen.append, "x")
    clock.call_later(2, lambda: seen.append("y"))
    clock.run(10)
    assert seen == ["y", "x"] and Counting.steps >= 2
