"""AI/analytics faults: the advisor-facing analytics service becomes slow or fails.

The analytics service (``twin.analytics_service``) consumes order events *off* the trade path,
behind a bulkhead (its own worker and a bounded queue) with a timeout, a circuit breaker and a
fallback (a dashboard without the insight). The promise under test: AI degrades before trading
does, so order-path latency does not move while the analytics path is slow or failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import (NS, Fault, FaultWorld, WorldShape, check_probability, check_window, draw_window, register,
                        fault_time)


class Analytics(Protocol):
    """What a world's analytics service offers to faults (the twin's: ``twin.analytics_service``)."""

    def slow(self, factor: float) -> None:
        """Each call takes ``factor`` times as long as it normally would."""
        ...

    def fail(self, probability: float) -> None:
        """Each call fails with ``probability`` (1.0: every call)."""
        ...

    def heal(self) -> None:
        """Back to normal speed and no injected failures."""
        ...


@register
@dataclass(frozen=True, slots=True)
class AnalyticsSlow(Fault):
    """Analytics calls take ``factor`` times longer from ``at_ns`` for ``duration_ns`` (simulated epoch ns)."""

    kind: ClassVar[str] = "analytics_slow"
    family: ClassVar[str] = "analytics"

    at_ns: int
    """When the slowdown starts, simulated epoch ns."""
    duration_ns: int
    """How long it lasts, ns (> 0)."""
    factor: float = 20.0
    """Service-time multiplier, >= 1. Default 20."""

    def __post_init__(self) -> None:
        check_window(self.duration_ns)
        if not self.factor >= 1.0:
            raise ValueError(f"factor: must be >= 1, got {self.factor!r}")

    def schedule(self, world: FaultWorld) -> None:
        analytics = world.mechanism(Analytics)
        world.schedule_at(self.at_ns, lambda: analytics.slow(self.factor))
        world.schedule_at(self.at_ns + self.duration_ns, analytics.heal)

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "AnalyticsSlow":
        at_ns, duration_ns = draw_window(rng, shape, max_s=1800.0)
        return cls(at_ns, duration_ns, float(rng.uniform(2.0, 100.0)))

    def describe(self) -> str:
        return f"{self.kind}: analytics {self.factor:g}x slower for {self.duration_ns / NS:g} s from {fault_time(self.at_ns)}"


@register
@dataclass(frozen=True, slots=True)
class AnalyticsFailing(Fault):
    """Analytics calls fail with ``probability`` from ``at_ns`` for ``duration_ns`` (simulated epoch ns)."""

    kind: ClassVar[str] = "analytics_failing"
    family: ClassVar[str] = "analytics"

    at_ns: int
    """When the failures start, simulated epoch ns."""
    duration_ns: int
    """How long they last, ns (> 0)."""
    probability: float = 1.0
    """Chance each call fails, in [0, 1]. Default 1 (every call)."""

    def __post_init__(self) -> None:
        check_window(self.duration_ns)
        check_probability("probability", self.probability)

    def schedule(self, world: FaultWorld) -> None:
        analytics = world.mechanism(Analytics)
        world.schedule_at(self.at_ns, lambda: analytics.fail(self.probability))
        world.schedule_at(self.at_ns + self.duration_ns, analytics.heal)

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "AnalyticsFailing":
        at_ns, duration_ns = draw_window(rng, shape, max_s=1800.0)
        return cls(at_ns, duration_ns, float(rng.uniform(0.1, 1.0)))

    def describe(self) -> str:
        return (f"{self.kind}: {self.probability:.0%} of analytics calls fail for {self.duration_ns / NS:g} s "
                f"from {fault_time(self.at_ns)}")
