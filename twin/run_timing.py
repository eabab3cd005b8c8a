"""What a run cost the user who waited for it: phase times, the whole process's wall and CPU, peak memory.

``twin run`` used to print and record only build + simulate as its "wall" (issue 19 measured a
22 s process that said 14.7 s). The phases here cover the whole process, back to back:

- ``load``: from the process's start (interpreter, imports, reading the scenario) to the runner;
- ``build``: the world (reading a recorded market day included);
- ``simulate``: the simulated day;
- ``invariants``: the invariant checks and the fingerprint;
- ``outputs``: every file of the run folder.

The process's start comes from the kernel (``/proc/self/stat``), so interpreter start and imports
count; where that is not available (not Linux) ``load`` starts at this module's import instead and
says so (``process_start`` in the record). Peak memory is the process's peak resident set size
(``getrusage``), the figure ``/usr/bin/time -v`` prints as "Maximum resident set size".

Work done in child processes counts too: the report draws its figures in forked workers
(``reports.figure_pool``), so CPU is this process's plus its finished children's, and peak memory
is the largest of this process and any finished child (what ``/usr/bin/time -v`` reports for the
whole tree).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field

PHASES = ("load", "build", "simulate", "invariants", "outputs")
"""The phases of a run, in order; each is measured from the end of the one before."""

_IMPORTED_WALL = time.time()


def process_started_at() -> tuple[float, str]:
    """(the process's start as Unix seconds, where that came from: ``kernel`` or ``import``)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        with open("/proc/uptime", "rb") as f:
            uptime_s = float(f.read().split()[0])
        # field 22 (starttime, clock ticks after boot) counted after the ")" that ends the command name
        ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        started = time.time() - uptime_s + ticks / os.sysconf("SC_CLK_TCK")
        return min(started, _IMPORTED_WALL), "kernel"
    except (OSError, ValueError, IndexError):
        return _IMPORTED_WALL, "import"


def peak_rss_bytes() -> int:
    """Peak resident set size so far of this process or its largest finished child, whichever is larger
    (bytes; ``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return peak if sys.platform == "darwin" else peak * 1024


def cpu_seconds() -> float:
    """User + system CPU seconds so far of this process and its finished children (the report's figure
    workers): steadier than wall time on a shared machine, and all of the CPU a run cost."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                          resource.RUSAGE_CHILDREN)))


_FIRST_RUN = [True]


@dataclass
class RunClock:
    """Marks the end of each phase of one run (``mark``); ``record`` gives the summary's ``timing``.

    Make one with ``for_run``: the first run of a process starts at the process's start (its ``load``
    phase is the interpreter, imports and scenario reading); a later run in the same process (tests,
    a policy comparison) starts when it is made, and its first phase absorbs nothing from before."""

    started_at: float = field(default_factory=lambda: process_started_at()[0])
    source: str = field(default_factory=lambda: process_started_at()[1])
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds (user + system) of each phase; ``load`` includes all the process used before the run."""
    _last: float = 0.0
    _last_cpu: float = 0.0

    def __post_init__(self) -> None:
        self._last = self.started_at
        self._last_cpu = cpu_seconds() if self.source == "run" else 0.0

    @classmethod
    def for_run(cls) -> RunClock:
        """The clock of a run starting now (see the class docstring for where it starts)."""
        if _FIRST_RUN[0]:
            _FIRST_RUN[0] = False
            return cls()
        return cls(started_at=time.time(), source="run")

    def mark(self, phase: str) -> float:
        """End ``phase`` now; returns its wall seconds (from the previous mark, or the process's start)."""
        now, now_cpu = time.time(), cpu_seconds()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + (now - self._last)
        self.cpu[phase] = self.cpu.get(phase, 0.0) + (now_cpu - self._last_cpu)
        self._last, self._last_cpu = now, now_cpu
        return self.seconds[phase]

    def whole_seconds(self) -> float:
        """Wall seconds from the process's start to now."""
        return time.time() - self.started_at

    def record(self) -> dict:
        """The ``timing`` section: phase wall seconds, the whole process's wall and CPU, peak RSS."""
        return {
            "phases_s": {k: round(v, 3) for k, v in self.seconds.items()},
            "phases_cpu_s": {k: round(v, 3) for k, v in self.cpu.items()},
            "whole_process_wall_s": round(self.whole_seconds(), 3),
            "whole_process_cpu_s": round(cpu_seconds(), 3),
            "peak_rss_mib": round(peak_rss_bytes() / 2**20, 1),
            "process_start": self.source,
        }

    def line(self) -> str:
        """One console line: the whole process, each phase, peak memory."""
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        phases_cpu = ", ".join(f"{k} {v:.1f}s" for k, v in self.cpu.items())
        return (f"whole process {self.whole_seconds():.1f}s wall ({phases}), {cpu_seconds():.1f}s CPU "
                f"({phases_cpu}); peak memory {peak_rss_bytes() / 2**20:,.0f} MiB")
