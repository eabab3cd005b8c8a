"""Components hosted as simulated services, joined by a simulated network.

Each service is a single-server FIFO queue with a service-time distribution:
a message waits while the server is busy, then takes a drawn service time, and
only then is the component's handler run (so its events carry the completion
time); the follow-ups in the ``Handled`` it returns go out on the network. Queueing and saturation therefore come from the simulation, not from
the component. Every hop between services takes a drawn network delay on its
own (source, destination) link stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from components.domain.outcomes import Handled
from components.memory import SeededStreams

from .clock import SimClock, Timer
from .draws import Draws, FifoLink, hop_ms, lognormal_ms


@dataclass
class ServiceStats:
    handled: int = 0
    busy_ns: int = 0
    max_queue: int = 0
    queue_samples: list[int] = field(default_factory=list)


Handler = Callable[[object], Handled]


class SimService:
    def __init__(self, name: str, clock: SimClock, service_time: Draws, handler: Handler):
        self.name = name
        self._handler = handler
        self._queue: deque = deque()
        self._busy = False
        self.stats = ServiceStats()
        self.emit: Callable[[str, object], None] = lambda src, msg: None  # set by Network
        # Bound once: these run for every message (see SimClock.schedule).
        self._schedule = clock.schedule
        self._draw_service_time = service_time.next
        self._on_finish = self._finish
        self._epoch = 0  # bumped by a crash: a service-time timer from before it is void
        self._down = False
        self._held: list = []  # messages the bus keeps for a crashed service (at-least-once)
        self._last: object | None = None  # the last message handled; its ack may not have reached the bus
        self.crashes = 0
        self.redelivered = 0
        self.on_restart: Callable[[], None] | None = None  # rebuilds the component's state, if set

    def wrap_handler(self, wrap: Callable[[Handler], Handler]) -> None:
        """Replace the handler with ``wrap(handler)`` (e.g. to snapshot state between messages)."""
        self._handler = wrap(self._handler)

    def deliver(self, message: object) -> None:
        """A message arrives now."""
        if self._down:
            self._held.append(message)
            return
        queue = self._queue
        queue.append(message)
        stats = self.stats
        if len(queue) > stats.max_queue:
            stats.max_queue = len(queue)
        if not self._busy:
            self._start()

    def arrive(self, timer: Timer) -> None:
        """Timer callback: the message in ``timer.value`` arrives now."""
        self.deliver(timer.value)

    def _start(self) -> None:
        self._busy = True
        cost = self._draw_service_time()
        self.stats.busy_ns += cost
        self._schedule(cost, self._on_finish, self._epoch)

    def _finish(self, timer: Timer) -> None:
        if timer.value != self._epoch:
            return  # this message's processing died with the crash; the bus redelivers it
        message = self._queue.popleft()
        self._last = message
        self.stats.handled += 1
        follow_ups = self._handler(message).follow_ups
        if follow_ups:
            emit, name = self.emit, self.name
            for follow_up in follow_ups:
                emit(name, follow_up)
        if self._queue:
            self._start()
        else:
            self._busy = False


    def crash(self, down_ns: int) -> None:
        """The process dies: its queue (and the message in service) is lost from
        memory, and it is down for ``down_ns``. The bus redelivers every message
        not acknowledged: the lost queue, whatever arrives while down, and the
        last message handled (its ack may have been in flight), so handlers
        must dedupe."""
        if self._down:
            return
        self.crashes += 1
        self._epoch += 1
        self._held = ([self._last] if self._last is not None else []) + list(self._queue)
        self._queue.clear()
        self._busy = False
        self._down = True
        self._schedule(down_ns, self._restart)

    def _restart(self, _timer: Timer) -> None:
        self._down = False
        if self.on_restart is not None:
            self.on_restart()
        held, self._held = self._held, []
        self.redelivered += len(held)
        for message in held:
            self.deliver(message)


class Network:
    """Delivers messages between services with per-link latency."""

    def __init__(self, clock: SimClock, streams: SeededStreams, service_of: dict[type, str],
                 base_ms: float, jitter_ms: float):
        self._schedule = clock.schedule
        self._env = clock.env
        self._streams = streams
        self._service_of = service_of
        self._base_ms = base_ms
        self._jitter_ms = jitter_ms
        self._links: dict[tuple[str, str], FifoLink] = {}
        # (source, message type) -> (destination's arrive, the link's delay):
        # resolved once per pair instead of three look-ups per message.
        self._routes: dict[tuple[str, type], tuple[Callable[[Timer], None], Callable[[int], int]]] = {}
        self.services: dict[str, SimService] = {}

    def attach(self, service: SimService) -> None:
        self.services[service.name] = service
        self._routes.clear()
        service.emit = self.send

    def link(self, src: str, dst: str) -> FifoLink:
        link = self._links.get((src, dst))
        if link is None:
            rng = self._streams.stream(f"net:{src}->{dst}")
            link = self._links[(src, dst)] = FifoLink(hop_ms(rng, self._base_ms, self._jitter_ms))
        return link

    def send(self, src: str, message: object) -> None:
        """Send ``message`` from ``src`` to the service that handles its type."""
        route = self._routes.get((src, type(message)))
        if route is None:
            dst = self.services[self._service_of[type(message)]]
            route = self._routes[(src, type(message))] = (dst.arrive, self.link(src, dst.name).delay)
        arrive, delay = route
        self._schedule(delay(self._env.now), arrive, message)


def build_service(name: str, clock: SimClock, streams: SeededStreams, median_ms: float, p99_ms: float,
                  handler: Handler) -> SimService:
    """A service whose service times come from its own stream ``service:NAME``."""
    draws = lognormal_ms(streams.stream(f"service:{name}"), median_ms, p99_ms)
    return SimService(name, clock, draws, handler)
