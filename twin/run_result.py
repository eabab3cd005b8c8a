"""What one run produced: the world as it ended, its fingerprint, invariant results and timings.

Its own module so that ``twin.runner`` (which makes it) and ``twin.outputs``
(which writes it) both import it and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .world import TwinWorld
from .invariants import InvariantResult
from .run_timing import RunClock


@dataclass
class RunResult:
    world: TwinWorld
    fingerprint: str
    invariants: list[InvariantResult]
    wall_seconds: float
    sim_seconds: float
    out_dir: Path | None = None
    peak_memory_bytes: int = 0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each phase (``twin.run_timing.PHASES``): load (from the process's start, for its
    first run), build, simulate, invariants (checks and fingerprint), outputs (when written).
    ``wall_seconds`` is build + simulate, as summary.json has always reported it; summary.json's
    ``timing`` section has the phases, the whole process's wall and CPU time and its peak memory."""
    clock: RunClock | None = None
    """The run's phase clock (``twin.run_timing``), for the whole-process figures."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.invariants)
