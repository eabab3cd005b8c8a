"""SimClock: the Clock port on a simpy environment.

Simulated time is an integer count of nanoseconds since the run's epoch (the
scenario's session date at midnight UTC), so every timestamp is exact and
identical in every process.

Timers are the twin's hottest path (about sixteen per client order), so they
are not ``simpy.Timeout`` objects: see ``Timer``. ``SimClock.run`` is simpy's
``Environment.run(until=...)`` as a single loop over simpy's own heap (see
``run_until``): the same events, popped in the same order, with the heap
holding exactly what simpy's loop would leave in it.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Callable, Iterable

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT, Event

STALE_UNTIL = -1
"""The priority simpy gives the ``until`` event it puts back after stopping (``EventPriority(-1)``)."""


class Timer:
    """A scheduled callback: the least ``simpy.Environment.step`` needs.

    ``step`` pops ``(time, priority, id, event)`` from simpy's queue, takes
    ``event.callbacks``, calls each with the event, then reads ``event._ok``.
    A Timer is that and nothing else (no env reference, no trigger machinery),
    pushed with the same ``(time, NORMAL, next id)`` key ``Environment.schedule``
    gives, so simpy still orders every event: same time, priority and insertion
    order as a ``Timeout`` scheduled at the same moment would get.

    ``fire`` is the callback, ``value`` the payload it reads (``timer.value``,
    as a simpy callback reads ``event.value``). ``run_until`` calls
    ``timer.fire(timer)`` directly; ``callbacks`` is only for simpy's own
    ``step`` (a run driven by ``env.run``), so no list is built per timer. A
    timer can be pushed again once it has fired (``SimService`` reuses its
    finish timer).
    """

    __slots__ = ("fire", "value")
    _ok = True  # a timer never fails

    @property
    def callbacks(self) -> list[Callable[[Any], None]]:
        return [self._fired_by_simpy]

    @callbacks.setter
    def callbacks(self, _value: object) -> None:
        """simpy's ``step`` sets ``callbacks = None`` once an event is processed: a timer keeps ``fire``."""

    def _fired_by_simpy(self, _event: object) -> None:
        """What simpy's ``step`` calls (``run_until`` calls ``fire`` itself, as each kind takes it)."""
        self.fire(self)


class Delivery(Timer):
    """A timer whose callback takes the payload itself: ``fire(value)`` (a message handed to a
    service's ``deliver``), one Python frame fewer per network hop than a callback reading
    ``timer.value``."""

    __slots__ = ()

    def _fired_by_simpy(self, _event: object) -> None:
        self.fire(self.value)


class Thunk(Timer):
    """A timer whose callback takes nothing: ``fire()`` (``SimClock.call_at``, ``call_later``)."""

    __slots__ = ()

    def _fired_by_simpy(self, _event: object) -> None:
        self.fire()


def make_timer(fire: Callable[[Timer], None], value: Any = None) -> Timer:
    """A ``Timer`` calling ``fire(timer)``, with ``timer.value == value``."""
    t = Timer()
    t.fire = fire
    t.value = value
    return t


def pusher(env: simpy.Environment, kind: type[Timer]) -> Callable[..., None]:
    """``push(delay_ns, fire, value=None)``: schedule a ``kind`` timer (``Timer``, ``Delivery`` or
    ``Thunk``) with ``fire`` and ``value`` after ``delay_ns``, in one Python frame. On a plain simpy
    ``Environment`` it pushes exactly what ``Environment.schedule`` would, ``(now + delay, NORMAL, next
    id, timer)``, on the same heap with the same id counter; on any other it calls ``env.schedule``."""
    if type(env) is not simpy.Environment:
        def push_through_env(delay_ns: int, fire: Callable, value: Any = None) -> None:
            if delay_ns < 0:
                raise ValueError(f"negative delay {delay_ns}")
            t = kind()
            t.fire = fire
            t.value = value
            env.schedule(t, NORMAL, delay_ns)

        return push_through_env
    queue, ids = env._queue, env._eid  # simpy's own: the heap and its tie-breaking counter

    def push(delay_ns: int, fire: Callable, value: Any = None) -> None:
        if delay_ns < 0:
            raise ValueError(f"negative delay {delay_ns}")
        t = kind()
        t.fire = fire
        t.value = value
        heappush(queue, (env._now + delay_ns, NORMAL, next(ids), t))

    return push


def plain(env: simpy.Environment) -> bool:
    """Whether ``env`` is a plain simpy ``Environment`` whose heap the twin may push onto and run itself
    (a subclass may schedule, keep time or step its own way; so may an instance whose ``step`` was
    replaced, e.g. by a profiler)."""
    return type(env) is simpy.Environment and "step" not in vars(env)


def run_until(env: simpy.Environment, until: int) -> None:
    """``env.run(until=until)`` for a plain ``Environment``, without a ``step`` call per event.

    It does what simpy 4's ``run`` and ``step`` do, in the same order on the same heap: push an
    URGENT ``until`` event (taking the next id), pop events in ``(time, priority, id)`` order setting
    ``env._now``, call each one's callbacks (a ``Timer``'s ``fire`` directly), crash on a failed event
    that was not defused, and at the ``until`` event stop and put it back with priority -1 and no
    callbacks, as simpy's ``StopSimulation`` handling does. The heap therefore holds the same entries
    (same ids) at every moment as under ``env.run``: ``tests/unit/twin/test_run_until.py`` compares them.
    """
    at = until if isinstance(until, int) else float(until)
    if at <= env._now:
        raise ValueError(f"until ({at}) must be greater than the current simulation time")
    queue, ids = env._queue, env._eid
    stop = Event(env)
    stop._ok = True
    stop._value = None
    stop.callbacks.append(StopSimulation.callback)  # what simpy's run adds (it matters only if a callback
    # raises and the heap is later run by simpy itself: it stops there, as after simpy's own run)
    heappush(queue, (env._now + (at - env._now), URGENT, next(ids), stop))  # simpy's sum, exact for floats too
    pop = heappop
    timer_type, delivery_type, thunk_type = Timer, Delivery, Thunk
    while True:
        try:
            env._now, _, _, event = pop(queue)
        except IndexError:
            raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {stop}') from None
        kind = type(event)
        if kind is delivery_type:  # the twin's own events: one call each, no callbacks list
            event.fire(event.value)
            continue
        if kind is timer_type:
            event.fire(event)
            continue
        if kind is thunk_type:
            event.fire()
            continue
        if event is stop:
            stop.callbacks = []
            heappush(queue, (env._now, STALE_UNTIL, next(ids), stop))
            return
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            # As simpy's step: a failed event nobody handled crashes the run, with a fresh copy.
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


class SimClock:
    """The Clock port on simpy time (see the module docstring).

    Every timer is scheduled by a ``pusher`` (one Python frame: the twin schedules about twenty per
    client order), bound once as the instance's ``schedule``, ``call_later`` and ``deliver_later``;
    ``now_ns`` reads simpy's time without the ``now`` property's frame on a plain ``Environment``.
    The methods below say what each does (and are what a subclass gets).
    """

    def __init__(self, env: simpy.Environment, epoch_ns: int):
        self.env = env
        self.epoch_ns = epoch_ns
        if type(self) is SimClock:
            self.schedule = pusher(env, Timer)  # type: ignore[method-assign]
            self.call_later = pusher(env, Thunk)  # type: ignore[method-assign]
            self.deliver_later = pusher(env, Delivery)  # type: ignore[method-assign]
        if type(env) is not simpy.Environment:
            self.now_ns = self._now_through_env  # type: ignore[method-assign]

    def now_ns(self) -> int:
        return self.epoch_ns + self.env._now

    def _now_through_env(self) -> int:
        return self.epoch_ns + self.env.now

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        self.call_later(max(0, when_ns - self.now_ns()), callback)

    def call_later(self, delay_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback()`` after ``delay_ns`` simulated nanoseconds."""
        pusher(self.env, Thunk)(delay_ns, callback)

    def call_first(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` at this instant, ahead of the timers due now: where ``env.process`` would
        start a process (an URGENT entry taking the next id), so a loop of timers started here, instead
        of a simpy process, runs in the same order with the same ids (``twin.runner``'s participants)."""
        env = self.env
        t = Thunk()
        t.fire = callback
        t.value = None
        if type(env) is simpy.Environment:
            heappush(env._queue, (env._now, URGENT, next(env._eid), t))
        else:
            env.schedule(t, URGENT, 0)

    def schedule(self, delay_ns: int, on_fire: Callable[[Timer], None], value: Any = None) -> None:
        """Call ``on_fire(timer)`` after ``delay_ns``, with ``timer.value == value``.

        The twin's own fast path: hand it a bound method and its argument
        instead of a closure made per message.
        """
        pusher(self.env, Timer)(delay_ns, on_fire, value)

    def deliver_later(self, delay_ns: int, fire: Callable[[Any], None], value: Any) -> None:
        """Call ``fire(value)`` after ``delay_ns``: ``schedule`` for a callback that takes the payload
        itself (a service's ``deliver``), one frame fewer when it fires."""
        pusher(self.env, Delivery)(delay_ns, fire, value)

    def deliver_at(self, when_ns: int, fire: Callable[[Any], None], value: Any) -> None:
        """Call ``fire(value)`` at ``when_ns`` (now, if that has passed): ``call_at`` without a closure
        made per call."""
        self.deliver_later(max(0, when_ns - self.now_ns()), fire, value)

    def deliver_all_at(self, plan: Iterable[tuple[int, Any]], fire: Callable[[Any], None]) -> None:
        """``deliver_at(when_ns, fire, value)`` for each ``(when_ns, value)`` of ``plan`` in turn, but with
        only the earliest still to come in simpy's heap (a day's client orders: every event's heap push
        and pop is shallower without them all waiting there).

        Each one keeps the key ``deliver_at`` would have given it now, ``(time, NORMAL, id)`` with the
        ids taken in ``plan``'s order, so every event still fires in the same order: the next one is
        pushed when the one before it (in key order) fires, and until then nothing with a larger key
        than that one can leave the heap (it is the smallest key still waiting outside)."""
        env = self.env
        if type(env) is not simpy.Environment:
            for when_ns, value in plan:
                self.deliver_at(when_ns, fire, value)
            return
        queue, ids, now, epoch = env._queue, env._eid, env._now, self.epoch_ns
        waiting = [(max(now, when_ns - epoch), next(ids), value) for when_ns, value in plan]
        waiting.sort(reverse=True)  # by (time, id), latest first: pop() takes the next; ids are unique

        def push_next() -> None:
            at, eid, value = waiting.pop()
            t = Delivery()
            t.fire = deliver
            t.value = value
            heappush(queue, (at, NORMAL, eid, t))

        def deliver(value: Any) -> None:
            if waiting:
                push_next()
            fire(value)

        if waiting:
            push_next()

    def run(self, until: int) -> None:
        """Run the simulation up to simulated time ``until`` (``env.run(until=until)``), through
        ``run_until`` when the environment is a plain one."""
        if plain(self.env):
            run_until(self.env, until)
        else:
            self.env.run(until=until)

    def to_sim(self, when_ns: int) -> int:
        """Absolute UTC nanoseconds to simpy time."""
        return when_ns - self.epoch_ns
