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
from .world import TwinWorld

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


class CostMeter:
    """CPU (or wall) time per named section, *exclusive*: a section timed inside another
    is subtracted from the outer one, so the sections' totals add up to the time spent in
    the outermost ones. ``twin calibrate`` times each service's handler with it (one
    section per service, nothing nested, so each sample is the handler's whole cost);
    ``loadtests/benchmarks/bench_lifecycle.py`` nests more sections inside (``meter_world``)
    for its per-component cost table.

    Each reading has the clock's own cost subtracted (``overhead_ns``). What the wrapper
    costs beyond that is measured once at start (``wrapper_ns``: kept in a section's own
    reading per call; ``leak_ns``: left in the enclosing section per nested call) and
    taken off by ``corrected_ns``, so a table of many small sections still adds up to
    about the bare run's time.
    """

    def __init__(self, clock: str = "cpu") -> None:
        if clock not in CLOCKS:
            raise ValueError(f"clock: must be one of {', '.join(CLOCKS)}, got {clock!r}")
        self.clock = clock
        self.read = CLOCKS[clock]
        self.overhead_ns = clock_overhead_ns(self.read)
        self.ns: dict[str, int] = {}
        """Exclusive time per section as read (clock overhead subtracted), ns."""
        self.calls: dict[str, int] = {}
        self.nested_calls: dict[str, int] = {}
        """Calls of sections directly inside each section."""
        self._inner = [0]  # per open section: the time of the sections nested in it so far
        self._kids = [0]  # per open section: how many sections were nested directly in it
        self.wrapper_ns, self.leak_ns = self._wrapper_cost()

    def wrap(self, name: str, fn: Callable, samples: dict[tuple[str, str], list[int]] | None = None) -> Callable:
        """``fn`` timed as section ``name``. With ``samples``, each call's whole (inclusive)
        cost is also kept under ``(name, type of the first argument)`` (``twin calibrate``)."""
        read, overhead, inner, kids = self.read, self.overhead_ns, self._inner, self._kids
        totals, calls, nested_calls = self.ns, self.calls, self.nested_calls
        totals.setdefault(name, 0)
        calls.setdefault(name, 0)
        nested_calls.setdefault(name, 0)

        def timed(*args, **kwargs):
            inner.append(0)
            kids.append(0)
            start = read()
            try:
                return fn(*args, **kwargs)
            finally:
                cost = read() - start - overhead
                if cost < 0:
                    cost = 0
                nested = inner.pop()
                totals[name] += cost - nested if cost > nested else 0
                calls[name] += 1
                nested_calls[name] += kids.pop()
                inner[-1] += cost
                kids[-1] += 1
                if samples is not None:
                    key = (name, type(args[0]).__name__)
                    bucket = samples.get(key)
                    if bucket is None:
                        bucket = samples[key] = []
                    bucket.append(cost)

        return timed

    def _wrapper_cost(self, batches: int = 30, calls: int = 200) -> tuple[float, float]:
        """(ns a section's own reading holds per call beyond its function, ns a nested section leaves
        in the one around it per call beyond a plain call): medians over ``batches`` batches."""
        probe = CostMeter.__new__(CostMeter)
        probe.read, probe.overhead_ns = self.read, self.overhead_ns
        own, leak = [], []
        for _ in range(batches):
            probe.ns, probe.calls, probe.nested_calls, probe._inner, probe._kids = {}, {}, {}, [0], [0]
            noop = probe.wrap("noop", _noop)
            for _ in range(calls):
                noop()
            bare = probe.wrap("bare", lambda: [_noop() for _ in range(calls)])
            nesting = probe.wrap("nesting", lambda: [noop() for _ in range(calls)])
            bare()
            nesting()
            own.append(probe.ns["noop"] / probe.calls["noop"])
            leak.append((probe.ns["nesting"] - probe.ns["bare"]) / calls)
        return max(0.0, statistics.median(own)), max(0.0, statistics.median(leak))

    def corrected_ns(self, name: str) -> float:
        """Section ``name``'s exclusive time less what the timing itself added to it."""
        raw = self.ns[name] - self.wrapper_ns * self.calls[name] - self.leak_ns * self.nested_calls[name]
        return max(0.0, raw)

    def wrap_attr(self, owner: object, attr: str, name: str) -> None:
        """Replace ``owner.attr`` (a callable looked up at each call) with its timed version."""
        setattr(owner, attr, self.wrap(name, getattr(owner, attr)))

    def total_ns(self) -> int:
        """The time of every outermost section (the sum of all sections' exclusive times), as read."""
        return sum(self.ns.values())


def _noop() -> None:
    return None


def time_handlers(world: TwinWorld, meter: CostMeter, samples: dict[tuple[str, str], list[int]] | None = None,
                  names: Callable[[str], str] = str) -> None:
    """Time every hosted service's handler as section ``names(service)`` (``twin calibrate``'s
    measurement, shared with the lifecycle benchmark's cost table)."""
    for service_name, service in world.network.services.items():
        section = names(service_name)
        service.wrap_handler(lambda handler, section=section: meter.wrap(section, handler, samples))


KERNEL = "kernel + network"
"""The cost table's row for what no other row claims: simpy's event loop, the simulated
services' queues and network hops, the timers, and the client arrivals and market sampling
the runner schedules."""
RECORDING = "event recording"
SERVICE_ROWS = {"gateway": "entry", "oms": "OMS", "risk": "risk (engine)", "router": "router",
                "post_trade": "post-trade"}
"""The cost table's row for each hosted service's handler (the platform's glue included)."""
_OMS_STEPS = ("create", "validate", "record_risk", "record_routed", "on_execution", "record_post_trade",
              "close_unroutable", "request_cancel", "expire")
_VENUE_STEPS = ("submit", "cancel", "submit_agent_order", "cancel_agent_order", "end_day")


def meter_world(world: TwinWorld, meter: CostMeter) -> None:
    """Time a built world by component for the lifecycle cost table (sections nest; each row is
    exclusive): the event loop (``KERNEL``), each service's handler (``SERVICE_ROWS``), the OMS's
    steps wherever they are called from, each risk policy (``risk: NAME``), the router's
    market-data reads, venue matching, market-maker requotes, the ledger (post-trade), and the
    OMS's ``_emit`` (``RECORDING``: the transition check, the event built and appended)."""
    # The outermost section: each ``SimClock.run`` (one chunk of the day). Its exclusive time is what no
    # other row claims. Not simpy's ``step``: ``run_until`` calls none, and a replaced ``step`` would
    # send the run back to simpy's own, slower loop (``twin.clock.plain``).
    meter.wrap_attr(world.clock, "run", KERNEL)
    time_handlers(world, meter, names=lambda service: SERVICE_ROWS.get(service, service))
    platform = world.platform
    oms = platform.oms
    for step in _OMS_STEPS:
        meter.wrap_attr(oms, step, "OMS")
    meter.wrap_attr(oms, "_emit", RECORDING)
    oms._listeners[:] = [meter.wrap("OMS", listener) for listener in oms._listeners]  # fan-out to listeners
    risk = platform.risk
    risk._checks = tuple(meter.wrap(f"risk: {policy.name}", check)
                         for policy, check in zip(risk._policies, risk._checks))
    for step in ("on_fill", "on_order_done"):
        meter.wrap_attr(risk, step, "risk (engine)")
    meter.wrap_attr(platform.router, "route", "router")
    for step in ("quote", "venue_tops", "reference_price"):  # venue_tops: the router's one read per order
        meter.wrap_attr(world.market_data, step, "market data")
    meter.wrap_attr(platform.ledger, "apply", "post-trade")
    for venue in world.venues.values():
        for step in _VENUE_STEPS:
            if hasattr(venue, step):
                meter.wrap_attr(venue, step, "venue matching")
    for maker in world.makers:
        meter.wrap_attr(maker, "requote", "market makers")


def calibrate(scenario: Scenario, seed: int | None = None, *, repeat: int = 1, clock: str = "cpu",
              progress: Callable[[int], None] | None = None) -> Calibration:
    """Time every handler call of ``repeat`` runs of ``scenario`` (seeds ``seed``, ``seed+1``, ...)."""
    if clock not in CLOCKS:
        raise ValueError(f"clock: must be one of {', '.join(CLOCKS)}, got {clock!r}")
    if repeat < 1:
        raise ValueError(f"repeat: must be >= 1, got {repeat}")
    meter = CostMeter(clock)
    calibration = Calibration(clock, clock_overhead_ns=meter.overhead_ns)
    first = scenario.seed if seed is None else seed
    for i in range(repeat):
        world = build_twin(scenario, first + i)
        time_handlers(world, meter, calibration.samples)
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
