"""Region clocks: the Clock port of the components hosted in one region.

A region's clock is the simulated (true) time transformed by the region's skew and drift:
``region = anchor_region + (true - anchor_true) * (1 + ppm / 1e6)``, a piecewise-linear map
whose pieces start where a drift changes or the clock jumps (the clock faults of
``chaos.faults.clocks``). Integer nanoseconds throughout, so a run stays exact and
reproducible. ``PrimaryClock`` is what the platform holds in a multi-region world: the clock
of whichever region is primary now, and timers that die with their region (a killed or
demoted region's pending timers never fire; the promoted region's rebuild books its own).
"""

from __future__ import annotations

from typing import Callable

from .clock import SimClock

PPM = 1_000_000


class RegionClock:
    """One region's clock over the simulated clock ``sim``."""

    def __init__(self, sim: SimClock, skew_ns: int = 0, drift_ppm: int = 0):
        self.sim = sim
        start = sim.now_ns()
        self._anchor_true = start
        self._anchor_region = start + skew_ns
        self._ppm = drift_ppm
        self.jumps = 0
        """Clock jumps applied (``jump``)."""

    @property
    def drift_ppm(self) -> int:
        return self._ppm

    def at(self, true_ns: int) -> int:
        """The region's reading at simulated time ``true_ns`` (at or after the last change)."""
        elapsed = true_ns - self._anchor_true
        return self._anchor_region + elapsed + elapsed * self._ppm // PPM

    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch as this region reads them."""
        return self.at(self.sim.now_ns())

    def true_at(self, region_ns: int) -> int:
        """The first simulated time at which this clock reads ``region_ns`` or later (never before now)."""
        now = self.sim.now_ns()
        ahead = region_ns - self.at(now)
        if ahead <= 0:
            return now
        # Invert the current piece: true elapsed = region elapsed / (1 + ppm/1e6), rounded up.
        return now + -((-ahead * PPM) // (PPM + self._ppm))

    def set_drift(self, drift_ppm: int) -> None:
        """From now on the clock runs ``drift_ppm`` fast (negative: slow); the reading does not jump."""
        now = self.sim.now_ns()
        self._anchor_region, self._anchor_true, self._ppm = self.at(now), now, drift_ppm

    def jump(self, delta_ns: int) -> None:
        """The reading jumps by ``delta_ns`` now (negative: backwards, as a bad NTP step)."""
        now = self.sim.now_ns()
        self._anchor_region, self._anchor_true = self.at(now) + delta_ns, now
        self.jumps += 1

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback`` when this clock first reads ``when_ns`` (as the clock runs now)."""
        self.sim.call_at(self.true_at(when_ns), callback)


class PrimaryClock:
    """The Clock port of the platform in a multi-region world: the primary region's clock.

    ``primary`` is switched by a promotion. A timer belongs to the region that set it:
    if that region is no longer primary when it is due, it does not fire.
    """

    def __init__(self, clocks: dict[str, RegionClock], primary: str):
        self.clocks = clocks
        self.primary = primary
        self.stopped: set[str] = set()
        """Regions whose timers must not fire (killed or fenced)."""

    def now_ns(self) -> int:
        return self.clocks[self.primary].now_ns()

    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        region = self.primary

        def fire() -> None:
            if self.primary == region and region not in self.stopped:
                callback()

        self.clocks[region].call_at(when_ns, fire)
