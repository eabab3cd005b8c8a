"""In-memory implementations of the ports: for unit tests and the twin's fast path."""

from __future__ import annotations

import heapq
import zlib
from collections import defaultdict
from typing import Callable, Iterator

import numpy as np

from .domain.events import OrderEvent


class ManualClock:
    """A clock that moves only when told to; timers fire in time order."""

    def __init__(self, start_ns: int = 0):
        self._now = start_ns
        self._timers: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0

    def now_ns(self) -> int:
        return self._now

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (max(when_ns, self._now), self._seq, callback))

    def advance_to(self, when_ns: int) -> None:
        """Move time forward to ``when_ns``, firing every timer due on the way."""
        while self._timers and self._timers[0][0] <= when_ns:
            at, _, callback = heapq.heappop(self._timers)
            self._now = at
            callback()
        self._now = max(self._now, when_ns)


class InMemoryEventLog:
    """An append-only list. Offsets are list indices. (``components.columnar_log.ColumnarEventLog`` has
    the same port and gives equal events, kept as columns: about a quarter of the memory.)"""

    def __init__(self) -> None:
        self._events: list[OrderEvent] = []

    def append(self, event: OrderEvent) -> int:
        self._events.append(event)
        return len(self._events) - 1

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return iter(self._events[start:])

    def __len__(self) -> int:
        return len(self._events)


class InProcessBus:
    """Synchronous publish/subscribe: handlers run inside ``publish``, in
    subscription order."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[[object], None]]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Callable[[object], None]) -> None:
        self._handlers[topic].append(handler)

    def publish(self, topic: str, message: object) -> None:
        for handler in self._handlers.get(topic, ()):
            handler(message)


class SequentialIds:
    """Ids ``PREFIX-000001``, counted per prefix: deterministic and readable."""

    def __init__(self, namespace: str = "") -> None:
        self._counters: dict[str, int] = {}
        self._namespace = namespace

    def next_id(self, prefix: str) -> str:
        # One dict read and one write (not defaultdict's three look-ups), %-formatting: about ten ids per
        # lifecycle in the twin.
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return "%s%s-%07d" % (self._namespace, prefix, n)


class SeededStreams:
    """Named numpy streams derived from one seed.

    Each name maps to its own SeedSequence (spawn key = CRC32 of the name), so
    adding a consumer never changes what another consumer draws, and the same
    name gives the same numbers in any process.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, np.random.Generator] = {}

    def stream(self, name: str) -> np.random.Generator:
        rng = self._streams.get(name)
        if rng is None:
            key = zlib.crc32(name.encode("utf-8"))
            rng = np.random.default_rng(np.random.SeedSequence(entropy=self.seed, spawn_key=(key,)))
            self._streams[name] = rng
        return rng
