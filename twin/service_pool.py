"""A simulated service with several replicas: one FIFO queue in front of ``c`` servers (M/G/c-like).

``twin.services.SimService`` is one server; a scenario's ``replicas`` section (default 1 for
every service) asks for more, and ``twin.bootstrap`` then hosts the service as a
``ServicePool``. A message waits in the shared queue until any replica is free, takes a
drawn service time (one stream per service, as the single server: replica ``k`` has no
stream of its own, so the numbers drawn do not depend on which replica serves), and the
component's handler runs when its time is up. The replicas share the component's state:
this models stateless scale-out (or a perfectly partitioned one), the capacity planner's
first question; contention between replicas for shared state is not modelled.

A service with one replica is never a pool: the default world is built exactly as before.
"""

from __future__ import annotations

from collections import deque

from components.memory import SeededStreams
from components.platform import SERVICES
from scenarios.config import Scenario
from scenarios.service_times import ServiceProfile, load_profile

from .clock import SimClock, Timer
from .draws import Draws, lognormal_ms, resampled_us
from .services import Handler, SimService, build_service


class ServicePool(SimService):
    """``replicas`` servers behind one FIFO queue; crash and restart as ``SimService``."""

    def __init__(self, name: str, clock: SimClock, service_time: Draws, handler: Handler, replicas: int):
        if replicas < 1:
            raise ValueError(f"ServicePool {name}: replicas must be >= 1, got {replicas}")
        super().__init__(name, clock, service_time, handler)
        self.replicas = replicas
        self._in_service: dict[int, object] = {}  # ticket -> message being served
        self._ticket = 0
        self._on_pool_finish = self._pool_finish

    @property
    def depth(self) -> int:
        return len(self._queue) + len(self._in_service)

    def deliver(self, message: object) -> None:
        if self._down:
            self._held.append(message)
            return
        self._queue.append(message)
        depth = self.depth
        if depth > self.stats.max_queue:
            self.stats.max_queue = depth
        if len(self._in_service) < self.replicas:
            self._start()

    def _start(self) -> None:
        message = self._queue.popleft()
        self._ticket += 1
        self._in_service[self._ticket] = message
        cost = self._draw_service_time()
        self.stats.busy_ns += cost
        self._schedule(cost, self._on_pool_finish, (self._epoch, self._ticket))

    def _pool_finish(self, timer: Timer) -> None:
        epoch, ticket = timer.value
        if epoch != self._epoch:
            return  # died with a crash; the bus redelivers it
        message = self._in_service.pop(ticket)
        self._last = message
        self.stats.handled += 1
        follow_ups = self._handler(message).follow_ups
        for follow_up in follow_ups:
            self.emit(self.name, follow_up)
        if self._queue and len(self._in_service) < self.replicas:
            self._start()

    def crash(self, down_ns: int) -> None:
        if self._down:
            return
        # The messages in service are lost with the queue: the bus redelivers them first.
        in_service = list(self._in_service.values())
        self._in_service.clear()
        self._queue = deque([*in_service, *self._queue])
        super().crash(down_ns)


def service_profile(scenario: Scenario) -> ServiceProfile | None:
    """The scenario's measured service-time profile, or None when it uses the hand-set ``services``."""
    if scenario.service_times is None:
        return None
    return load_profile(scenario.service_times, SERVICES)


def host_service(name: str, scenario: Scenario, clock: SimClock, streams: SeededStreams, handler: Handler,
                 profile: ServiceProfile | None = None) -> SimService:
    """The named service as the scenario hosts it: its service times (the profile's measured
    sample or fit when it lists the service, else the scenario's ``services``) on the stream
    ``service:NAME``, and one server or a pool of ``replicas``."""
    measured = None if profile is None else profile.services.get(name)
    replicas = scenario.replicas.get(name)
    if measured is None and replicas == 1:
        latency = scenario.services.get(name)  # the default world: exactly the service it always had
        return build_service(name, clock, streams, latency.median_ms, latency.p99_ms, handler)
    rng = streams.stream(f"service:{name}")
    if measured is None:
        latency = scenario.services.get(name)
        draws = lognormal_ms(rng, latency.median_ms, latency.p99_ms)
    elif measured.sample_us:
        draws = resampled_us(rng, measured.sample_us)
    else:
        draws = lognormal_ms(rng, measured.median_ms, measured.p99_ms)
    if replicas == 1:
        return SimService(name, clock, draws, handler)
    return ServicePool(name, clock, draws, handler, replicas)
