"""``LiveRuntime.atomic``: holds the components against other threads, re-entrantly, and a dispatch
inside it runs to completion before returning."""

from __future__ import annotations

import threading

from components.domain.outcomes import Accepted
from live.runtime import LiveRuntime


def _runtime(seen: list) -> LiveRuntime:
    def handle(message):
        seen.append(message)
        return Accepted(f"ORD-{message}"), ([f"{message}-follow"] if not str(message).endswith("follow") else [])
    return LiveRuntime(handle)


def test_a_dispatch_inside_atomic_runs_its_follow_ups_before_returning():
    seen: list = []
    runtime = _runtime(seen)
    with runtime.atomic():
        outcome = runtime.dispatch("a")
        assert seen == ["a", "a-follow"] and outcome == Accepted("ORD-a")
        with runtime.atomic():  # re-entrant on the same thread
            runtime.dispatch("b")
    assert seen == ["a", "a-follow", "b", "b-follow"] and runtime.idle


def test_another_thread_waits_while_atomic_is_held():
    seen: list = []
    runtime = _runtime(seen)
    started = threading.Event()

    def other() -> None:
        started.set()
        runtime.dispatch("t")

    with runtime.atomic():
        thread = threading.Thread(target=other)
        thread.start()
        started.wait(5)
        thread.join(0.2)  # it cannot get in while the block holds the components
        assert thread.is_alive() and seen == []
    thread.join(5)
    assert seen == ["t", "t-follow"]
