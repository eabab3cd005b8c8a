"""The base of every fault, the registry of kinds, and what a world offers to inject them.

``Fault`` subclasses are frozen dataclasses with a ``kind`` (the name scenario files and
the swarm use) and a ``family`` (services, venues, network, regions, clocks, storage,
control_plane, analytics). ``schedule(world)`` turns the fault into timed calls on the
world's mechanism for that family; ``draw(rng, shape)`` makes a random instance for the
swarm from a seeded generator, so a seed fully determines a fault mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Protocol, TypeVar

import numpy as np

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
        """One line for logs, swarm summaries and game-day reports."""
        return f"{self.kind}: {self!r}"


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
