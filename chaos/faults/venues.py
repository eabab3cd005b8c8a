"""Venue faults: a simulated venue misbehaves for a window, then heals.

The mechanism (``VenueMechanism``, implemented by ``twin.fault_target`` on the ``venues_sim.stress``
conditions and the gateway's links) attaches one condition to one venue from ``at_ns`` for
``duration_ns``. The kinds, and what the platform must do under them:

* ``venue_down``: the venue rejects everything and publishes nothing. The router must stop
  sending to it (it reads venue health) and every order must still end in a terminal state.
* ``venue_slow``: every message to and from the venue takes ``extra_ms`` longer. Orders still
  complete; only their latency grows.
* ``venue_stale_book``: the venue's published quotes freeze while its book still trades. The
  router should notice the old timestamp (``routing.max_quote_age_ms``).
* ``venue_reject_storm``: a ``fraction`` of our new child orders is rejected
  (``VENUE_THROTTLED``), drawn from the named stream ``stream``. Rejections end orders or
  reroute them; none is lost.
* ``venue_submit_only_down``: cancels are refused (``CANCEL_UNAVAILABLE``); new orders work.
  A cancel that cannot reach the venue leaves the order working until the close expires it.

A scenario's ``venues[i].stress`` entries are sugar for these faults (``twin.venue_stress``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import Fault, FaultWorld, WorldShape, check_probability, check_window, draw_window, register, \
    schedule_window


@dataclass(frozen=True, slots=True)
class Impairment:
    """What a venue fault asks the mechanism to attach (one ``venues_sim.stress`` condition)."""

    condition: str
    """DOWN, SLOW, STALE_BOOK, REJECT_STORM or SUBMIT_ONLY_DOWN (``venues_sim.stress.KINDS``)."""
    extra_ms: float = 0.0
    """SLOW: extra one-way latency, ms."""
    fraction: float = 0.0
    """REJECT_STORM: share of new children rejected."""
    stream: str = ""
    """REJECT_STORM: the named random stream the storm draws from."""


class VenueMechanism(Protocol):
    """How a world impairs its venues (``twin.fault_target.TwinVenues``)."""

    def impair(self, venue: str, impairment: Impairment) -> object:
        """Attach ``impairment`` to ``venue`` now; returns a token for ``heal``."""
        ...

    def heal(self, token: object) -> None:
        """Detach what ``impair`` attached (the venue recovers when nothing else impairs it)."""
        ...


class VenueFault(Fault):
    """A windowed fault on one venue; subclasses say which condition (``impairment``)."""

    family: ClassVar[str] = "venues"
    condition: ClassVar[str]
    venue: str
    at_ns: int
    duration_ns: int

    def impairment(self) -> Impairment:
        """The condition this fault attaches."""
        return Impairment(self.condition)

    def _validate(self) -> None:
        if not self.venue:
            raise ValueError("venue: is required")
        check_window(self.duration_ns)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(VenueMechanism)
        impairment = self.impairment()
        schedule_window(world, self.at_ns, self.duration_ns, lambda: mechanism.impair(self.venue, impairment),
                        mechanism.heal)

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "VenueFault | None":
        if not shape.venues:
            return None
        venue = shape.venues[int(rng.integers(len(shape.venues)))]
        at, duration = draw_window(rng, shape, max_s=300.0)
        return cls(venue, at, duration, **cls._draw_params(rng))  # type: ignore[call-arg]

    @classmethod
    def _draw_params(cls, rng: np.random.Generator) -> dict:
        return {}


@register
@dataclass(frozen=True, slots=True)
class VenueDown(VenueFault):
    """The venue is unreachable for the window: it rejects everything and publishes nothing."""

    kind: ClassVar[str] = "venue_down"
    condition: ClassVar[str] = "DOWN"

    venue: str
    """The venue code, e.g. XNAS."""
    at_ns: int
    """Start of the outage, simulated epoch ns."""
    duration_ns: int
    """Length of the outage, ns."""

    def __post_init__(self) -> None:
        self._validate()


@register
@dataclass(frozen=True, slots=True)
class VenueSlow(VenueFault):
    """Every message to and from the venue takes ``extra_ms`` longer during the window."""

    kind: ClassVar[str] = "venue_slow"
    condition: ClassVar[str] = "SLOW"

    venue: str
    at_ns: int
    duration_ns: int
    extra_ms: float = 50.0
    """Extra one-way latency, ms (>= 0)."""

    def __post_init__(self) -> None:
        self._validate()
        if not self.extra_ms >= 0:
            raise ValueError(f"extra_ms: must be >= 0, got {self.extra_ms!r}")

    def impairment(self) -> Impairment:
        return Impairment(self.condition, extra_ms=self.extra_ms)

    @classmethod
    def _draw_params(cls, rng: np.random.Generator) -> dict:
        return {"extra_ms": float(rng.uniform(1.0, 500.0))}


@register
@dataclass(frozen=True, slots=True)
class VenueStaleBook(VenueFault):
    """The venue's published quotes freeze for the window while its book keeps trading."""

    kind: ClassVar[str] = "venue_stale_book"
    condition: ClassVar[str] = "STALE_BOOK"

    venue: str
    at_ns: int
    duration_ns: int

    def __post_init__(self) -> None:
        self._validate()


@register
@dataclass(frozen=True, slots=True)
class VenueRejectStorm(VenueFault):
    """A ``fraction`` of our new child orders is rejected (VENUE_THROTTLED) during the window."""

    kind: ClassVar[str] = "venue_reject_storm"
    condition: ClassVar[str] = "REJECT_STORM"

    venue: str
    at_ns: int
    duration_ns: int
    fraction: float = 0.5
    """Share of new children rejected, 0..1."""
    stream: str = ""
    """The named random stream the storm draws from; empty: ``fault:venue_reject_storm:VENUE:AT``
    (its own, so a storm never moves another stream's draws)."""

    def __post_init__(self) -> None:
        self._validate()
        check_probability("fraction", self.fraction)

    def impairment(self) -> Impairment:
        stream = self.stream or f"fault:{self.kind}:{self.venue}:{self.at_ns}"
        return Impairment(self.condition, fraction=self.fraction, stream=stream)

    @classmethod
    def _draw_params(cls, rng: np.random.Generator) -> dict:
        return {"fraction": float(rng.uniform(0.05, 1.0))}


@register
@dataclass(frozen=True, slots=True)
class VenueSubmitOnlyDown(VenueFault):
    """Cancels (and cancel/replaces) to the venue are refused during the window; new orders work."""

    kind: ClassVar[str] = "venue_submit_only_down"
    condition: ClassVar[str] = "SUBMIT_ONLY_DOWN"

    venue: str
    at_ns: int
    duration_ns: int

    def __post_init__(self) -> None:
        self._validate()


BY_CONDITION: dict[str, type[VenueFault]] = {
    cls.condition: cls for cls in (VenueDown, VenueSlow, VenueStaleBook, VenueRejectStorm, VenueSubmitOnlyDown)
}
"""The fault class of each ``venues_sim.stress`` condition kind (for the scenario ``stress`` sugar)."""
