"""The base of every fault, the registry of kinds, and what a world offers to inject them.

``Fault`` subclasses are frozen dataclasses with a ``kind`` (the name scenario files and
the swarm use) and a ``family`` (services, venues, network, regions, clocks, storage,
control_plane, analytics). ``schedule(world)`` turns the fault into timed calls on the
world's mechanism for that family; ``draw(rng, shape)`` makes a random instance for the
swarm from a seeded generator, so a seed fully determines a fault mix.

Conventions every family follows (so scenario files map onto faults generically, see
``scenarios.config_faults.FaultSpec``): times are absolute simulated epoch nanoseconds in
``at_ns``; a fault that heals has ``duration_ns``; every other field is named as the scenario
file's parameter; ``__post_init__`` refuses a bad value with ``ValueError("FIELD: problem")``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, ClassVar, Protocol, TypeVar

import numpy as np

from components.config.session import session_time

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WorldShape:
    """What the swarm needs to know about a world to draw faults that fit it."""

    open_ns: int
    """Session open, epoch ns."""
    close_ns: int
    """Session close, epoch ns."""
    services: tuple[str, ...]
    """Hosted services that can crash (``gateway``, ``oms``, ``risk``, ``router``, ``post_trade``)."""
    venues: tuple[str, ...]
    regions: tuple[str, ...] = ()
    """Regions of the world; empty when it has one."""


class FaultWorld(Protocol):
    """What a world offers to faults: a clock to schedule on and one mechanism per family."""

    def schedule_at(self, t_ns: int, action: Callable[[], None]) -> None:
        """Run ``action`` at simulated epoch time ``t_ns`` (now if it is in the past)."""
        ...

    def mechanism(self, port: type[T]) -> T:
        """The world's implementation of the mechanism protocol ``port``; ``LookupError`` if it
        has none (the fault cannot be injected into this world)."""
        ...


class Fault:
    """One fault. Subclasses are frozen dataclasses decorated with ``@register``."""

    kind: ClassVar[str]
    """The name scenario files, swarm summaries and reports use, e.g. ``venue_down``."""
    family: ClassVar[str]
    """services, venues, network, regions, clocks, storage, control_plane or analytics."""

    def schedule(self, world: FaultWorld) -> None:
        """Schedule this fault's start (and its healing, if it heals) on the world's clock."""
        raise NotImplementedError

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "Fault | None":
        """A random instance fitting ``shape`` for the swarm, or None if none fits (e.g. a
        region fault in a one-region world)."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for logs, swarm summaries and game-day reports: the kind, its parameters, when it starts
        in New York session time (as scenario files write it) and how long it lasts, e.g.
        ``venue_down: venue=XNAS from 09:30:00 for 300 s``."""
        params = " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self)  # type: ignore[arg-type]
                          if f.name not in ("at_ns", "duration_ns"))
        duration = getattr(self, "duration_ns", None)
        return (f"{self.kind}: {params + ' ' if params else ''}from {fault_time(self.at_ns)}"  # type: ignore[attr-defined]
                + ("" if duration is None else f" for {duration / NS:g} s"))


NS = 1_000_000_000
MS = 1_000_000


def fault_time(at_ns: int) -> str:
    """When a fault starts, as descriptions show it: New York session time, with milliseconds only when it is
    not on a whole second."""
    return session_time(at_ns, ms=at_ns % NS != 0)


def schedule_window(world: FaultWorld, start_ns: int, duration_ns: int, begin: Callable[[], T],
                    end: Callable[[T], None]) -> None:
    """Call ``begin()`` at ``start_ns`` and ``end(what begin returned)`` ``duration_ns`` later (the
    healing of a windowed fault). Both are booked now, start first, so two faults with the same
    times keep the order they were scheduled in."""
    token: list[T] = []
    world.schedule_at(start_ns, lambda: token.append(begin()))
    world.schedule_at(start_ns + duration_ns, lambda: end(token.pop()))


def draw_window(rng: np.random.Generator, shape: WorldShape, max_s: float, min_s: float = 1.0) -> tuple[int, int]:
    """A random window for the swarm: a start uniform over the session's first nine tenths and a
    duration uniform in ``[min_s, max_s]`` seconds, ending by the close (the liveness phase after the
    close sees every fault healed)."""
    span = shape.close_ns - shape.open_ns
    start = shape.open_ns + int(rng.integers(0, max(1, span * 9 // 10)))
    duration = int(rng.uniform(min_s, max_s) * NS)
    return start, max(MS, min(duration, shape.close_ns - start))


def check_window(duration_ns: int) -> None:
    """Refuse an empty or negative window (``ValueError`` naming ``duration_ns``)."""
    if duration_ns <= 0:
        raise ValueError(f"duration_ns: must be > 0, got {duration_ns!r}")


def check_probability(name: str, value: float) -> None:
    """Refuse a probability outside [0, 1] (``ValueError`` naming the field)."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: must be in [0, 1], got {value!r}")


KINDS: dict[str, type[Fault]] = {}
"""Every registered fault class by kind, in registration order."""

F = TypeVar("F", bound=type[Fault])


def register(cls: F) -> F:
    """Class decorator: add a fault class to ``KINDS`` under its ``kind`` (unique)."""
    kind = cls.kind
    if kind in KINDS and KINDS[kind] is not cls:
        raise ValueError(f"fault kind {kind!r} registered twice ({KINDS[kind].__qualname__}, {cls.__qualname__})")
    KINDS[kind] = cls
    return cls
