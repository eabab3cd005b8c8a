"""Region faults: a whole region dies, regions stop hearing each other, links clog.

The mechanism (``RegionMechanism``, implemented by ``twin.regions.TwinRegions``) owns *how*; see
docs/regions.md for replication, fencing and failover. Every class draws None for a world with
fewer than two regions.

* ``region_kill``: the region dies at once; its services, memory and anything it had not
  replicated are gone. Killing the primary starts a failover; killing the standby leaves the
  primary going on alone once it notices.
* ``region_partition``: the link between two regions carries nothing for a window (both ways,
  or ``one_way`` from ``region`` to ``peer`` only); what was sent is delivered when it heals. Long enough,
  it fails over (and the fenced old primary's writes are refused).
* ``swizzle_clog``: the links between regions are slowed one by one, ``step_ns`` apart, then
  restored one by one in an order drawn from the seed (FoundationDB's swizzle-clog).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import NS, Fault, FaultWorld, WorldShape, check_window, draw_window, register, schedule_window


class RegionMechanism(Protocol):
    """How a world breaks its regions (``twin.regions.TwinRegions``)."""

    def kill_region(self, region: str) -> None:
        """``region`` dies now; what it had not replicated is lost."""
        ...

    def partition(self, a: str, b: str, one_way: bool = False) -> tuple[int, ...]:
        """Block ``a -> b`` (and ``b -> a`` unless ``one_way``) now; tokens for ``heal``."""
        ...

    def slow_link(self, a: str, b: str, extra_ms: float, one_way: bool = False) -> tuple[int, ...]:
        """Add ``extra_ms`` one-way latency to ``a -> b`` (and back unless ``one_way``); tokens for ``heal``."""
        ...

    def heal(self, a: str, b: str, tokens: tuple[int, ...]) -> None:
        """Lift what ``partition`` or ``slow_link`` set between ``a`` and ``b``."""
        ...


def _check_regions(a: str, b: str, names: tuple[str, str] = ("region", "peer")) -> None:
    for field, name in zip(names, (a, b)):
        if not name:
            raise ValueError(f"{field}: a region name is required")
    if a == b:
        raise ValueError(f"{names[1]}: must differ from {names[0]} ({a!r})")


@register
@dataclass(frozen=True, slots=True)
class RegionKill(Fault):
    """``region`` dies at ``at_ns``, instantly and for good."""

    kind: ClassVar[str] = "region_kill"
    family: ClassVar[str] = "regions"

    region: str
    """The region that dies (the swarm kills the primary, the first region)."""
    at_ns: int
    """When, simulated epoch ns."""

    def __post_init__(self) -> None:
        if not self.region:
            raise ValueError("region: a region name is required")

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(RegionMechanism)
        world.schedule_at(self.at_ns, lambda: mechanism.kill_region(self.region))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "RegionKill | None":
        if len(shape.regions) < 2:
            return None
        span = shape.close_ns - shape.open_ns  # in the first nine tenths: the survivor trades on after it
        return cls(shape.regions[0], shape.open_ns + int(rng.integers(0, max(1, span * 9 // 10))))


@register
@dataclass(frozen=True, slots=True)
class RegionPartition(Fault):
    """Regions ``region`` and ``peer`` stop hearing each other (only ``region -> peer`` when
    ``one_way``) for a window."""

    kind: ClassVar[str] = "region_partition"
    family: ClassVar[str] = "regions"

    region: str
    """One side of the cut."""
    peer: str
    """The other side."""
    at_ns: int
    duration_ns: int
    one_way: bool = False
    """Block only ``region -> peer`` (``peer`` still reaches ``region``). Default: both ways."""

    def __post_init__(self) -> None:
        _check_regions(self.region, self.peer)
        check_window(self.duration_ns)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(RegionMechanism)
        schedule_window(world, self.at_ns, self.duration_ns,
                        lambda: mechanism.partition(self.region, self.peer, self.one_way),
                        lambda tokens: mechanism.heal(self.region, self.peer, tokens))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "RegionPartition | None":
        if len(shape.regions) < 2:
            return None
        a, b = (str(r) for r in rng.choice(shape.regions, 2, replace=False))
        start, duration = draw_window(rng, shape, max_s=30.0, min_s=0.05)
        return cls(a, b, start, duration, bool(rng.random() < 0.5))


@register
@dataclass(frozen=True, slots=True)
class SwizzleClog(Fault):
    """Every inter-region link slowed by ``extra_ms``, one every ``step_ns`` from ``at_ns`` in a drawn
    order, held ``hold_ns`` after the last, then restored one every ``step_ns`` in another drawn order."""

    kind: ClassVar[str] = "swizzle_clog"
    family: ClassVar[str] = "regions"

    links: tuple[tuple[str, str], ...]
    """The (a, b) links in the order they are clogged (each one way)."""
    restore: tuple[int, ...]
    """Indexes into ``links`` in the order they are restored (a permutation)."""
    at_ns: int
    step_ns: int
    extra_ms: float
    hold_ns: int = NS

    def __post_init__(self) -> None:
        if not self.links:
            raise ValueError("links: at least one (a, b) link is required")
        for a, b in self.links:
            _check_regions(a, b, ("links", "links"))
        if sorted(self.restore) != list(range(len(self.links))):
            raise ValueError(f"restore: must be a permutation of 0..{len(self.links) - 1}, got {self.restore!r}")
        if self.step_ns <= 0:
            raise ValueError(f"step_ns: must be > 0, got {self.step_ns!r}")
        if not self.extra_ms > 0:
            raise ValueError(f"extra_ms: must be > 0, got {self.extra_ms!r}")
        check_window(self.hold_ns)

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(RegionMechanism)
        tokens: dict[int, tuple[int, ...]] = {}
        clogged_by = self.at_ns + self.step_ns * (len(self.links) - 1) + self.hold_ns
        for i, (a, b) in enumerate(self.links):
            def clog(i=i, a=a, b=b) -> None:
                tokens[i] = mechanism.slow_link(a, b, self.extra_ms, True)  # one way

            world.schedule_at(self.at_ns + i * self.step_ns, clog)
        for n, i in enumerate(self.restore):
            a, b = self.links[i]
            world.schedule_at(clogged_by + n * self.step_ns,
                              lambda i=i, a=a, b=b: mechanism.heal(a, b, tokens.pop(i, ())))

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "SwizzleClog | None":
        regions = shape.regions
        if len(regions) < 2:
            return None
        links = [(a, b) for a in regions for b in regions if a != b]
        order = [links[int(i)] for i in rng.permutation(len(links))]
        restore = tuple(int(i) for i in rng.permutation(len(links)))
        step = int(rng.uniform(0.05, 2.0) * NS)
        hold = int(rng.uniform(0.1, 10.0) * NS)
        extra_ms = float(rng.uniform(5.0, 400.0))
        span = shape.close_ns - shape.open_ns
        total = step * (2 * len(links) - 1) + hold  # from the first clog to the last restore
        if total >= span:  # a short world: shrink the whole clog to fit in it
            step, hold = max(1, step * span // (2 * total)), max(1, hold * span // (2 * total))
            total = step * (2 * len(links) - 1) + hold
        start = shape.open_ns + int(rng.integers(0, max(1, span - total)))
        return cls(tuple(order), restore, start, step, extra_ms, hold)
