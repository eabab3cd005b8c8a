"""Components hosted as simulated services, joined by a simulated network.

Each service is a single-server FIFO queue with a service-time distribution:
a message waits while the server is busy, then takes a drawn service time, and
only then is the component's handler run (so its events carry the completion
time); the follow-ups in the ``Handled`` it returns go out on the network. Queueing
and saturation therefore come from the simulation, not from the component.
Every hop between services takes a drawn network delay on its own
(source, destination) link stream.

Link conditions (the bus faults of ``chaos.faults.network`` and the region
partitions and inter-region latency of ``chaos.faults.regions``) are one small
API on ``Network``::

    token = network.set_link_condition(src, dst, LinkCondition(extra_ms=20.0))
    network.clear_link_condition(token)

``src`` and ``dst`` are service names (or a sender such as ``advisor``);
``ANY`` (``"*"``) for either side matches every link, so
``set_link_condition(ANY, ANY, c)`` conditions the whole bus. Conditions stack:
every active condition matching a link applies (extra latencies add up, a
link is blocked while any blocks it, each probability is drawn on its own).
What a ``LinkCondition`` does to a message on its link:

* ``extra_ms``: added one-way latency; the link stays FIFO (a slowed link
  delays what follows too).
* ``blocked``: the link carries nothing; the bus keeps what is sent on it
  (at-least-once) and delivers it, in order, when the last condition blocking
  the link is cleared (a healed partition).
* ``loss``: the transmission is lost; the bus redelivers it after
  ``redelivery_ms`` (so loss is a delay, and the message arrives out of order).
* ``duplicate``: it arrives, and its acknowledgement is lost, so the bus
  delivers it again ``redelivery_ms`` later: consumers must dedupe (they do,
  for the same reason as after a crash: see ``twin.crashes``).
* ``reorder``: it is held back up to ``reorder_ms`` more, past messages sent
  after it on the same link.

The draws come from one named stream per link (``netfault:SRC->DST``), made
only when a drawing condition first touches the link, so a run with no
conditions draws, schedules and fingerprints exactly as before.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from heapq import heappush
from typing import Any, Callable

import simpy
from simpy.events import NORMAL

from components.domain.outcomes import Handled
from components.memory import SeededStreams

from .clock import Delivery, SimClock, Timer, make_timer
from .draws import Draws, FifoLink, hop_ms, lognormal_ms


@dataclass
class ServiceStats:
    handled: int = 0
    busy_ns: int = 0
    max_queue: int = 0
    queue_samples: list[int] = field(default_factory=list)
    samples: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(time ns, messages in the service, handled so far, busy ns so far) on a coarse grid of simulated
    time, when the run's outputs are written (twin.service_timeseries)."""


Handler = Callable[[object], Handled]


def simpy_heap(clock: SimClock) -> tuple[list, Any] | tuple[None, None]:
    """simpy's heap and id counter when ``clock`` is a plain ``SimClock`` on a plain ``Environment``
    (the services and the network then push their timers onto it themselves, exactly as
    ``Environment.schedule`` would: ``(now + delay, NORMAL, next id, timer)``); else ``(None, None)``."""
    env = getattr(clock, "env", None)
    if type(clock) is SimClock and type(env) is simpy.Environment:
        return env._queue, env._eid
    return None, None


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
        self._env = getattr(clock, "env", None)
        self._heap, self._ids = simpy_heap(clock)
        # The one service-time timer of this epoch, pushed again for each message (a single server has at
        # most one in flight; a crash makes a new one, so the old one's ``value`` no longer matches).
        self._finish_timer = make_timer(self._on_finish, self._epoch)
        self._down = False
        self._held: list = []  # messages the bus keeps for a crashed service (at-least-once)
        self._last: object | None = None  # the last message handled; its ack may not have reached the bus
        self.crashes = 0
        self.redelivered = 0
        self.on_restart: Callable[[], None] | None = None  # rebuilds the component's state, if set

    @property
    def depth(self) -> int:
        """Messages in the service now: waiting plus the one in service (``twin capacity`` samples it)."""
        return len(self._queue)

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
            heap = self._heap
            if heap is None:
                self._start()
                return
            # ``_start`` inlined (one frame per message fewer): most messages find the server idle.
            self._busy = True
            cost = self._draw_service_time()
            stats.busy_ns += cost
            heappush(heap, (self._env._now + cost, NORMAL, next(self._ids), self._finish_timer))

    def arrive(self, timer: Timer) -> None:
        """Timer callback: the message in ``timer.value`` arrives now."""
        self.deliver(timer.value)

    def _start(self) -> None:
        self._busy = True
        cost = self._draw_service_time()
        self.stats.busy_ns += cost
        if self._heap is None:
            self._schedule(cost, self._on_finish, self._epoch)
        else:  # what ``clock.schedule`` would push, with this epoch's reused timer
            heappush(self._heap, (self._env._now + cost, NORMAL, next(self._ids), self._finish_timer))

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
        self._finish_timer = make_timer(self._on_finish, self._epoch)
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


ANY = "*"
"""A link end matching every service (``Network.set_link_condition``)."""


@dataclass(frozen=True, slots=True)
class LinkCondition:
    """What goes wrong on a link while the condition is set (see the module docstring)."""

    extra_ms: float = 0.0
    """Added one-way latency, ms (>= 0)."""
    blocked: bool = False
    """Nothing crosses the link; what is sent is kept and delivered when it unblocks."""
    loss: float = 0.0
    """Probability a transmission is lost (redelivered ``redelivery_ms`` later), 0..1."""
    duplicate: float = 0.0
    """Probability a message's ack is lost (delivered again ``redelivery_ms`` later), 0..1."""
    reorder: float = 0.0
    """Probability a message is held back up to ``reorder_ms`` past later ones, 0..1."""
    reorder_ms: float = 5.0
    """The most a reordered message is held back, ms (> 0)."""
    redelivery_ms: float = 200.0
    """The bus's redelivery timeout for an unacknowledged message, ms (> 0)."""

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"LinkCondition.{name}: must be in [0, 1], got {value!r}")
        if not self.extra_ms >= 0:
            raise ValueError(f"LinkCondition.extra_ms: must be >= 0, got {self.extra_ms!r}")
        for name in ("reorder_ms", "redelivery_ms"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LinkCondition.{name}: must be > 0, got {getattr(self, name)!r}")

    @property
    def draws(self) -> bool:
        """Whether the condition draws per message (loss, duplicate or reorder)."""
        return self.loss > 0 or self.duplicate > 0 or self.reorder > 0


@dataclass(frozen=True, slots=True)
class LinkToken:
    """Names one ``set_link_condition`` so it can be cleared."""

    id: int
    src: str
    dst: str
    condition: LinkCondition


@dataclass
class LinkFaultStats:
    """What the link conditions did over a run (for reports and tests)."""

    lost: int = 0
    """Transmissions lost (each redelivered later)."""
    duplicated: int = 0
    """Messages delivered a second time."""
    reordered: int = 0
    """Messages held back past later ones."""
    held: int = 0
    """Messages kept while their link was blocked."""
    released: int = 0
    """Held messages delivered when their link unblocked."""


class Network:
    """Delivers messages between services with per-link latency and per-link conditions."""

    def __init__(self, clock: SimClock, streams: SeededStreams, service_of: dict[type, str],
                 base_ms: float, jitter_ms: float):
        self._schedule = clock.schedule
        self._clock = clock
        self._env = clock.env
        self._heap, self._ids = simpy_heap(clock)
        self._streams = streams
        self._service_of = service_of
        self._base_ms = base_ms
        self._jitter_ms = jitter_ms
        self._links: dict[tuple[str, str], FifoLink] = {}
        # (source, message type) -> (destination's deliver, the link):
        # resolved once per pair instead of three look-ups per message.
        self._routes: dict[tuple[str, type], tuple[Callable[[object], None], FifoLink]] = {}
        self.services: dict[str, SimService] = {}
        self._conditions: dict[int, LinkToken] = {}  # active, in the order they were set
        self._next_token = 0
        self._held: dict[tuple[str, str], list[object]] = {}  # blocked link -> messages kept, in order
        self.link_faults = LinkFaultStats()

    def attach(self, service: SimService) -> None:
        self.services[service.name] = service
        self._routes.clear()
        service.emit = self.send

    def link(self, src: str, dst: str) -> FifoLink:
        link = self._links.get((src, dst))
        if link is None:
            rng = self._streams.stream(f"net:{src}->{dst}")
            link = self._links[(src, dst)] = FifoLink(hop_ms(rng, self._base_ms, self._jitter_ms))
            link.extra_ns = self._extra_ns(src, dst)
        return link

    def send(self, src: str, message: object) -> None:
        """Send ``message`` from ``src`` to the service that handles its type."""
        if self._conditions:
            self._send_conditioned(src, message)
            return
        route = self._routes.get((src, type(message)))
        if route is None:
            dst = self.services[self._service_of[type(message)]]
            route = self._routes[(src, type(message))] = (dst.deliver, self.link(src, dst.name))
        deliver, link = route
        heap = self._heap
        now = self._env._now if heap is not None else self._env.now
        # ``link.delay(now)`` and ``clock.schedule`` inlined (two frames per hop fewer), the same arithmetic:
        # the link's draw plus its extra latency, never before the link's previous arrival.
        arrival = now + link.next_draw() + link.extra_ns
        if arrival < link.last_arrival:
            arrival = link.last_arrival
        link.last_arrival = arrival
        if heap is None:
            self._clock.deliver_later(arrival - now, deliver, message)
            return
        t = Delivery()
        t.fire = deliver
        t.value = message
        heappush(heap, (arrival, NORMAL, next(self._ids), t))

    # ------------------------------------------------------------ link conditions

    def set_link_condition(self, src: str, dst: str, condition: LinkCondition) -> LinkToken:
        """Put the links from ``src`` to ``dst`` (``ANY`` for every one) under ``condition``
        until ``clear_link_condition`` is called with the returned token."""
        self._next_token += 1
        token = LinkToken(self._next_token, src, dst, condition)
        self._conditions[token.id] = token
        self._reprice()
        return token

    def clear_link_condition(self, token: LinkToken) -> None:
        """Lift one condition; messages kept on links it alone blocked are delivered now, in order."""
        if self._conditions.pop(token.id, None) is None:
            return
        self._reprice()
        for key in [k for k in self._held if not self._blocked(*k)]:
            held = self._held.pop(key)
            self.link_faults.released += len(held)
            for message in held:
                self._transmit(key[0], self.services[key[1]], message, ())

    def conditions_on(self, src: str, dst: str) -> tuple[LinkCondition, ...]:
        """Every active condition on the link ``src -> dst``, in the order they were set."""
        return tuple(t.condition for t in self._conditions.values() if _matches(t, src, dst))

    def held_messages(self) -> int:
        """Messages kept on blocked links right now."""
        return sum(len(held) for held in self._held.values())

    def _extra_ns(self, src: str, dst: str) -> int:
        return int(round(sum(c.extra_ms for c in self.conditions_on(src, dst)) * 1e6))

    def _blocked(self, src: str, dst: str) -> bool:
        return any(c.blocked for c in self.conditions_on(src, dst))

    def _reprice(self) -> None:
        """Links carry the extra latency of every condition now on them."""
        for (src, dst), link in self._links.items():
            link.extra_ns = self._extra_ns(src, dst)

    def _send_conditioned(self, src: str, message: object) -> None:
        dst = self.services[self._service_of[type(message)]]
        conditions = self.conditions_on(src, dst.name)
        if any(c.blocked for c in conditions):
            self._held.setdefault((src, dst.name), []).append(message)
            self.link_faults.held += 1
            return
        self._transmit(src, dst, message, tuple(c for c in conditions if c.draws))

    def _transmit(self, src: str, dst: SimService, message: object, drawing: tuple[LinkCondition, ...]) -> None:
        """One message on one link: its FIFO delay, then what each drawing condition does to it."""
        now = self._env.now
        delay = self.link(src, dst.name).delay(now)
        if not drawing:
            self._schedule(delay, dst.arrive, message)
            return
        rng = self._streams.stream(f"netfault:{src}->{dst.name}")
        stats = self.link_faults
        deliver = True
        for c in drawing:
            redelivery_ns = int(c.redelivery_ms * 1e6)
            if c.loss and deliver and rng.random() < c.loss:
                deliver = False  # the first transmission never arrives; the bus sends it again
                stats.lost += 1
                self._schedule(delay + redelivery_ns, dst.arrive, message)
            if c.duplicate and rng.random() < c.duplicate:
                stats.duplicated += 1
                self._schedule(delay + redelivery_ns, dst.arrive, message)
            if c.reorder and rng.random() < c.reorder:
                # Held past the link's FIFO arrival; the link's clock is not moved, so
                # messages sent after this one may arrive before it.
                stats.reordered += 1
                delay += 1 + int(rng.random() * c.reorder_ms * 1e6)
        if deliver:
            self._schedule(delay, dst.arrive, message)


def _matches(token: LinkToken, src: str, dst: str) -> bool:
    return token.src in (ANY, src) and token.dst in (ANY, dst)


def build_service(name: str, clock: SimClock, streams: SeededStreams, median_ms: float, p99_ms: float,
                  handler: Handler) -> SimService:
    """A service whose service times come from its own stream ``service:NAME``."""
    draws = lognormal_ms(streams.stream(f"service:{name}"), median_ms, p99_ms)
    return SimService(name, clock, draws, handler)
