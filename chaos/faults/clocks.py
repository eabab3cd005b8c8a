"""Clock faults: a region's clock drifts or jumps.

Each region's components read the region's clock (``twin.region_clock.RegionClock``): simulated
time transformed by the region's skew and drift. The mechanism (``ClockMechanism``, implemented
by ``twin.regions.TwinRegions``) changes that transform; every class draws None for a world with
fewer than two regions (a one-region world reads true simulated time).

* ``clock_drift``: from ``at_ns`` the region's clock runs ``drift_ppm`` fast (negative: slow);
  with a window it is set back to no drift at the end (the reading keeps what it gained).
* ``clock_jump``: at ``at_ns`` the region's clock steps by ``jump_ms`` (negative: backwards, as a
  bad NTP step would).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import MS, Fault, FaultWorld, WorldShape, check_window, draw_window, register, schedule_window


class ClockMechanism(Protocol):
    """How a world disturbs a region's clock (``twin.regions.TwinRegions``)."""

    def set_clock_drift(self, region: str, drift_ppm: int) -> None:
        """From now on ``region``'s clock runs ``drift_ppm`` fast (0: at the true rate)."""
        ...

    def jump_clock(self, region: str, delta_ns: int) -> None:
        """``region``'s clock reading steps by ``delta_ns`` now."""
        ...


def _check(region: str, name: str, value: float, limit: float) -> None:
    if not region:
        raise ValueError("region: a region name is required")
    if not -limit <= value <= limit or value == 0:
        raise ValueError(f"{name}: must be non-zero within +/-{limit:g}, got {value!r}")


@register
@dataclass(frozen=True, slots=True)
class ClockDrift(Fault):
    """``region``'s clock runs ``drift_ppm`` fast from ``at_ns`` for ``duration_ns``."""

    kind: ClassVar[str] = "clock_drift"
    family: ClassVar[str] = "clocks"

    region: str
    at_ns: int
    duration_ns: int
    drift_ppm: int
    """Parts per million, non-zero within +/-100,000 (10 %)."""

    def __post_init__(self) -> None:
        _check(self.region, "drift_ppm", self.drift_ppm, 100_000)
        check_window(self.duration_ns)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(ClockMechanism)
        schedule_window(world, self.at_ns, self.duration_ns,
                        lambda: mechanism.set_clock_drift(self.region, self.drift_ppm),
                        lambda _: mechanism.set_clock_drift(self.region, 0))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "ClockDrift | None":
        if len(shape.regions) < 2:
            return None
        region = str(shape.regions[int(rng.integers(len(shape.regions)))])
        start, duration = draw_window(rng, shape, max_s=600.0)
        ppm = int(rng.integers(1, 500)) * (1 if rng.random() < 0.5 else -1)
        return cls(region, start, duration, ppm)


@register
@dataclass(frozen=True, slots=True)
class ClockJump(Fault):
    """``region``'s clock steps by ``jump_ms`` at ``at_ns``."""

    kind: ClassVar[str] = "clock_jump"
    family: ClassVar[str] = "clocks"

    region: str
    at_ns: int
    jump_ms: float
    """Milliseconds, non-zero within +/-60,000; negative steps the clock backwards."""

    def __post_init__(self) -> None:
        _check(self.region, "jump_ms", self.jump_ms, 60_000.0)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(ClockMechanism)
        world.schedule_at(self.at_ns, lambda: mechanism.jump_clock(self.region, int(self.jump_ms * MS)))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "ClockJump | None":
        if len(shape.regions) < 2:
            return None
        region = str(shape.regions[int(rng.integers(len(shape.regions)))])
        start, _ = draw_window(rng, shape, max_s=1.0)
        return cls(region, start, float(rng.uniform(-2_000.0, 2_000.0)) or 1.0)
