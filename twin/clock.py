"""SimClock: the Clock port on a simpy environment.

Simulated time is an integer count of nanoseconds since the run's epoch (the
scenario's session date at midnight UTC), so every timestamp is exact and
identical in every process.
"""

from __future__ import annotations

from typing import Callable

import simpy


class SimClock:
    def __init__(self, env: simpy.Environment, epoch_ns: int):
        self.env = env
        self.epoch_ns = epoch_ns

    def now_ns(self) -> int:
        return self.epoch_ns + self.env.now

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        self.call_later(max(0, when_ns - self.now_ns()), callback)

    def call_later(self, delay_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``delay_ns`` simulated nanoseconds.

        One bare simpy event per timer (no generator process): this is the
        twin's hot path.
        """
        event = self.env.timeout(delay_ns)
        event.callbacks.append(lambda _event: callback())

    def to_sim(self, when_ns: int) -> int:
        """Absolute UTC nanoseconds to simpy time."""
        return when_ns - self.epoch_ns
