"""The ``regions`` section of the scenario schema: a world of two or more regions.

Absent (the default) the world has one region and runs exactly as before. Given, the twin
(``twin.regions``) hosts the platform's services in the ``primary`` region, keeps a replica
of the event log in every other region (the first of them, or ``standby``, is the
synchronous standby), gives each region its own clock (``clock_skew_ms``,
``clock_drift_ppm``), joins the regions by a link of ``latency``, and fails over to the
standby when a monitor misses the primary's heartbeats. See docs/regions.md.

Typed, frozen and validated like the rest of ``scenarios.config`` (which imports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.config.schema import NonEmpty, Pattern, Range, Unique


@dataclass(frozen=True, slots=True)
class Region:
    """One region: its name and its clock."""

    name: Annotated[str, Pattern(r"[a-z][a-z0-9_-]{0,31}", "a short lower-case name of letters, digits, '_', '-'")]
    """Region name (required), e.g. ``east``."""
    clock_skew_ms: Annotated[float, Range(ge=-60_000.0, le=60_000.0)] = 0.0
    """Offset of the region's clock from true (simulated) time at the start of the run, ms. Default 0."""
    clock_drift_ppm: Annotated[int, Range(ge=-100_000, le=100_000)] = 0
    """Rate error of the region's clock, parts per million (100 = 0.1 ms fast per simulated second). Default 0."""


@dataclass(frozen=True, slots=True)
class InterRegionLatency:
    """One-way latency of the link between two regions: a fixed part plus exponential jitter."""

    one_way_ms: Annotated[float, Range(gt=0.0, le=10_000.0)] = 30.0
    """Fixed one-way latency, ms. Default 30 (about New York - Chicago and back again)."""
    jitter_ms: Annotated[float, Range(ge=0.0, le=10_000.0)] = 2.0
    """Scale of the exponential extra latency per message, ms. Default 2."""


@dataclass(frozen=True, slots=True)
class Regions:
    """Regions of the world, replication between them and failover (see ``twin.regions``)."""

    regions: Annotated[tuple[Region, ...], NonEmpty("region"), Unique("name")]
    """The regions, two or more (required)."""
    primary: str = ""
    """The region hosting the trade path at the start. Default: the first region."""
    standby: str = ""
    """The synchronous standby (the one promoted on failover). Default: the first region that is not
    the primary. Any further region keeps an asynchronous replica and is never promoted."""
    latency: InterRegionLatency = InterRegionLatency()
    """Latency of every inter-region link."""
    heartbeat_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] = 100.0
    """Interval of the heartbeats each of primary and standby sends the other, ms. Default 100."""
    missed_heartbeats: Annotated[int, Range(ge=1, le=1_000)] = 5
    """Heartbeats missed in a row before the other side is declared lost. Default 5."""
    promotion_ms: Annotated[float, Range(ge=0.0, le=600_000.0)] = 1_000.0
    """Time the promotion procedure takes after the primary is declared lost (fencing, rebuild from the
    replicated log, re-pointing clients and venues), ms. Default 1000."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        names = [r.name for r in self.regions]
        if len(names) < 2:
            yield "regions", f"needs two or more regions, got {len(names)}"
            return
        for field in ("primary", "standby"):
            value = getattr(self, field)
            if value and value not in names:
                yield field, f"unknown region {value!r} (regions: {', '.join(names)})"
        if self.primary and self.primary == self.standby:
            yield "standby", f"must differ from primary ({self.primary!r})"
        if not self.primary and self.standby == names[0]:
            yield "standby", f"must differ from primary ({names[0]!r}, the first region)"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def primary_name(self) -> str:
        """The primary region (``primary`` or the first region)."""
        return self.primary or self.regions[0].name

    @property
    def standby_name(self) -> str:
        """The synchronous standby (``standby`` or the first region that is not the primary)."""
        return self.standby or next(n for n in self.names if n != self.primary_name)

    def region(self, name: str) -> Region:
        """The named region; KeyError if absent."""
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)


