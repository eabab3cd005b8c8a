"""Measured service times: what each component's handler really costs, per service and message type.

``calibrate(scenario, seed)`` builds the scenario's world with the twin bootstrap (the real
components, wired by ``components.kernel.build_platform`` as in every run), wraps each
hosted service's handler with a timer and runs the day: the scenario's own message mix
(submits, validations, risk checks, routes, execution reports, cancels, post-trade, the
close) drives the real handlers. Each call is timed with ``time.process_time_ns`` (CPU time
of this process: another process on a shared machine does not inflate it) or, with
``clock="wall"``, ``time.perf_counter_ns``; the clock's own cost (the median of an empty
interval) is subtracted. ``repeat`` runs the day again with the next seeds and pools the
samples, so one-off costs (first calls, caches warming) weigh less.

The result is a distribution per service (and per message type within it), written by
``write_calibration`` as a service-time profile (``scenarios.service_times``) that a
scenario names with ``service_times: FILE`` so its simulated services take the measured
costs. A handler's cost in the twin excludes what the twin does not run inside it (the
simulated venues match on their own timers, the network hops are drawn): the components'
CPU, not a deployment's.
"""

from __future__ import annotations

import os
import platform as host_platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from components.platform import SERVICES
from scenarios.config import Scenario
from scenarios.service_times import summarise, write_profile

from .bootstrap import build_twin
from .runner import simulate
from .services import Handler

CLOCKS: dict[str, Callable[[], int]] = {"cpu": time.process_time_ns, "wall": time.perf_counter_ns}
"""The clocks a calibration can time handlers with."""


@dataclass
class Calibration:
    """Handler costs in ns, per (service, message type), from ``runs`` simulated days."""

    clock: str
    samples: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    runs: list[tuple[str, int]] = field(default_factory=list)  # (scenario, seed) per day run
    clock_overhead_ns: int = 0

    def of_service(self, service: str) -> list[int]:
        """Every sample of one service, all message types pooled (the mix the scenario sent)."""
        out: list[int] = []
        for (name, _kind), values in sorted(self.samples.items()):
            if name == service:
                out.extend(values)
        return out


def clock_overhead_ns(clock: Callable[[], int], n: int = 20_000) -> int:
    """The median cost of reading ``clock`` twice with nothing between (subtracted from each sample)."""
    gaps = []
    for _ in range(n):
        start = clock()
        gaps.append(clock() - start)
    return int(statistics.median(gaps))


def _timed(service: str, calibration: Calibration, clock: Callable[[], int]) -> Callable[[Handler], Handler]:
    samples, overhead = calibration.samples, calibration.clock_overhead_ns

    def wrap(handler: Handler) -> Handler:
        def timed(message: object):
            start = clock()
            handled = handler(message)
            cost = clock() - start - overhead
            key = (service, type(message).__name__)
            bucket = samples.get(key)
            if bucket is None:
                bucket = samples[key] = []
            bucket.append(cost if cost > 0 else 0)
            return handled

        return timed

    return wrap


def calibrate(scenario: Scenario, seed: int | None = None, *, repeat: int = 1, clock: str = "cpu",
              progress: Callable[[int], None] | None = None) -> Calibration:
    """Time every handler call of ``repeat`` runs of ``scenario`` (seeds ``seed``, ``seed+1``, ...)."""
    if clock not in CLOCKS:
        raise ValueError(f"clock: must be one of {', '.join(CLOCKS)}, got {clock!r}")
    if repeat < 1:
        raise ValueError(f"repeat: must be >= 1, got {repeat}")
    read = CLOCKS[clock]
    calibration = Calibration(clock, clock_overhead_ns=clock_overhead_ns(read))
    first = scenario.seed if seed is None else seed
    for i in range(repeat):
        world = build_twin(scenario, first + i)
        for name, service in world.network.services.items():
            service.wrap_handler(_timed(name, calibration, read))
        simulate(world, record_market=False)
        calibration.runs.append((scenario.name, first + i))
        if progress is not None:
            progress(i + 1)
    return calibration


def profile_entries(calibration: Calibration) -> dict[str, dict]:
    """The profile's ``services`` section: per service its pooled distribution and one per message type."""
    services: dict[str, dict] = {}
    for name in SERVICES:
        pooled = calibration.of_service(name)
        if not pooled:
            continue  # a service the scenario never used keeps the hand-set times
        entry = summarise([v / 1000 for v in pooled])
        entry["by_message"] = {kind: {k: v for k, v in summarise([x / 1000 for x in values]).items()
                                      if k != "sample_us"}
                               for (svc, kind), values in sorted(calibration.samples.items()) if svc == name}
        services[name] = entry
    return services


def write_calibration(calibration: Calibration, path: Path, note: str = "") -> Path:
    """Write ``calibration`` as a service-time profile, with how and where it was measured."""
    measured = {
        "how": ("twin calibrate: each hosted service's handler timed around every call of a simulated day "
                "(the real components, the scenario's message mix); clock overhead subtracted"),
        "clock": "process_time_ns" if calibration.clock == "cpu" else "perf_counter_ns",
        "clock_overhead_ns": calibration.clock_overhead_ns,
        "runs": [{"scenario": s, "seed": seed} for s, seed in calibration.runs],
        "host": host_platform.node(),
        "cpu_count": os.cpu_count(),
        "python": host_platform.python_version(),
        "at_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if note:
        measured["note"] = note
    return write_profile(path, profile_entries(calibration), measured)
