"""Components hosted as simulated services, joined by a simulated network.

Each service is a single-server FIFO queue with a service-time distribution:
a message waits while the server is busy, then takes a drawn service time, and
only then is the component's handler run (so its events carry the completion
time). Queueing and saturation therefore come from the simulation, not from
the component. Every hop between services takes a drawn network delay on its
own (source, destination) link stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from components.memory import SeededStreams

from .clock import SimClock
from .draws import Draws, FifoLink, hop_ms, lognormal_ms


@dataclass
class ServiceStats:
    handled: int = 0
    busy_ns: int = 0
    max_queue: int = 0
    queue_samples: list[int] = field(default_factory=list)


class SimService:
    def __init__(self, name: str, clock: SimClock, service_time: Draws, handler: Callable[[object], list]):
        self.name = name
        self._clock = clock
        self._service_time = service_time
        self._handler = handler
        self._queue: deque = deque()
        self._busy = False
        self.stats = ServiceStats()
        self.emit: Callable[[str, object], None] = lambda src, msg: None  # set by Network

    def deliver(self, message: object) -> None:
        """A message arrives now."""
        self._queue.append(message)
        if len(self._queue) > self.stats.max_queue:
            self.stats.max_queue = len(self._queue)
        if not self._busy:
            self._start()

    def _start(self) -> None:
        self._busy = True
        cost = self._service_time.next()
        self.stats.busy_ns += cost
        self._clock.call_later(cost, self._finish)

    def _finish(self) -> None:
        message = self._queue.popleft()
        self.stats.handled += 1
        for follow_up in self._handler(message):
            self.emit(self.name, follow_up)
        if self._queue:
            self._start()
        else:
            self._busy = False


class Network:
    """Delivers messages between services with per-link latency."""

    def __init__(self, clock: SimClock, streams: SeededStreams, service_of: dict[type, str],
                 base_ms: float, jitter_ms: float):
        self._clock = clock
        self._streams = streams
        self._service_of = service_of
        self._base_ms = base_ms
        self._jitter_ms = jitter_ms
        self._links: dict[tuple[str, str], FifoLink] = {}
        self.services: dict[str, SimService] = {}

    def attach(self, service: SimService) -> None:
        self.services[service.name] = service
        service.emit = self.send

    def link(self, src: str, dst: str) -> FifoLink:
        link = self._links.get((src, dst))
        if link is None:
            rng = self._streams.stream(f"net:{src}->{dst}")
            link = self._links[(src, dst)] = FifoLink(hop_ms(rng, self._base_ms, self._jitter_ms))
        return link

    def send(self, src: str, message: object) -> None:
        """Send ``message`` from ``src`` to the service that handles its type."""
        dst = self.services[self._service_of[type(message)]]
        delay = self.link(src, dst.name).delay(self._clock.env.now)
        self._clock.call_later(delay, lambda: dst.deliver(message))


def build_service(name: str, clock: SimClock, streams: SeededStreams, median_ms: float, p99_ms: float,
                  handler: Callable[[object], list]) -> SimService:
    """A service whose service times come from its own stream ``service:NAME``."""
    draws = lognormal_ms(streams.stream(f"service:{name}"), median_ms, p99_ms)
    return SimService(name, clock, draws, handler)
