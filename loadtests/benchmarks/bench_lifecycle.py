"""Benchmark: client orders through the full lifecycle in the twin.

N client orders (default 100,000) arrive over one session and go gateway ->
OMS -> risk -> router -> venue -> fills -> allocation -> confirmation ->
settlement at T+1, against market makers quoting deep books. Prints the
lifecycle rate (settled orders per wall second of simulation), the raw simpy
event rate measured in the same process (one process yielding env.timeout in
a loop, before and after the day; the faster reading is kept), their ratio
against issue 19's target of 1/110, the same per CPU second (steadier on a
shared machine), and peak memory.

It also prints the *plumbing ceiling*: the lifecycle rate of the same message
path (client arrival, gateway, OMS, risk, router, venue, an ack and a fill
back to the OMS, post-trade) through the same ``SimService``/``Network`` code
with handlers that only pass the message on. That is seventeen kernel events
per lifecycle, one more than a real one (whose venue hop is one timer, not a
queued service), so the components' own work can at best bring the real rate
to about this ceiling: it shows how much of the per-lifecycle budget the
simulated services and network leave to the business logic.

Then the *cost table*: the same day run again with every component timed
(``twin.calibrate.meter_world``: the measurement ``twin calibrate`` makes of
each service's handler, with the components inside them timed as nested,
exclusive sections): microseconds of CPU per settled lifecycle in the kernel
and network, entry, the OMS, risk (the engine and each policy), the router,
market data, venue matching, the market makers, post-trade and event
recording. The rows add up to the instrumented run's time less the measured
cost of timing (printed beside it, with the bare run's); timing every section
makes that run slower than the bare one, so the headline figures come from the
bare run. docs/performance.md explains the table. (Issue 2's 1/60 target is
retired.)

Memory: peak RSS, and *memory per recorded event*: how much the process grew during the simulated day
(resident set after the day less after the build) divided by the events recorded, with the event log's
own buffers per event when the log is columnar (``components.columnar_log``). ``--compare-log`` first
runs the same day on the other event log kind in a process of its own and prints both side by side, with
each one's ratio to the raw simpy rate measured in this run (issue 19: "events as columns").

    python loadtests/benchmarks/bench_lifecycle.py [--orders N] [--seed S] [--table-orders M | --no-table]
        [--clock cpu|wall] [--event-log columnar|list] [--compare-log]
    python loadtests/benchmarks/bench_lifecycle.py --orders 20000 --profile simulate.txt   # pyinstrument
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.domain.outcomes import DONE, Handled  # noqa: E402
from components.memory import SeededStreams  # noqa: E402
from scenarios.config import parse_scenario  # noqa: E402
from twin.bootstrap import EVENT_LOGS, build_twin, new_event_log  # noqa: E402
from twin.calibrate import KERNEL, CostMeter, meter_world  # noqa: E402
from twin.clock import SimClock  # noqa: E402
from twin.runner import simulate  # noqa: E402
from twin.services import Network, build_service  # noqa: E402

SCENARIO = """
name: bench_lifecycle
seed: 1
session: {{date: "2026-11-24", open: "09:30", close: "16:00"}}
symbols:
  - {{symbol: AAPL, reference_price: "190.00"}}
  - {{symbol: MSFT, reference_price: "415.00"}}
venues:
  - {{name: XNAS}}
  - {{name: ARCX}}
  - {{name: BATS}}
population: {{advisors: 50, clients_per_advisor: 20, cash_min: "100000000", cash_max: "200000000",
             sanctioned_clients: 0}}
order_flow: {{orders: {orders}, market_fraction: 1.0, ioc_fraction: 0.0, cancel_fraction: 0.0,
             duplicate_fraction: 0.0, resubmit_fraction: 0.0, u_shape: 1.0}}
risk: {{max_order_notional: "100000000", max_daily_notional_per_account: "100000000000",
       concentration_max_bps: 10000, duplicate_window_s: 0.0}}
liquidity: {{market_maker_levels: 5, market_maker_size: 1000000, requote_s: 60.0, noise_traders: 0}}
"""


TARGET_RATIO = 1 / 110
"""Issue 19: lifecycles per second at least 1/110 of raw simpy events per second, same run."""


def raw_simpy_rate(events: int = 1_000_000) -> tuple[float, float]:
    """Raw simpy events per wall second and per CPU second (one process yielding timeouts)."""
    env = simpy.Environment()

    def loop():
        for _ in range(events):
            yield env.timeout(1)

    env.process(loop())
    started, cpu = time.perf_counter(), time.process_time()
    env.run()
    return events / (time.perf_counter() - started), events / (time.process_time() - cpu)


# The real path of one lifecycle: a message kind and the service that handles it.
_PATH = (("submit", "gateway"), ("validate", "oms"), ("risk", "risk"), ("route", "router"),
         ("child", "venue"), ("ack", "oms"), ("fill", "oms"), ("post_trade", "post_trade"))


def plumbing_ceiling_rate(lifecycles: int = 50_000) -> tuple[float, int]:
    """Lifecycles per wall second, and kernel events per lifecycle, of ``plumbing_ceiling``."""
    rate, _, kernel_events = plumbing_ceiling(lifecycles)
    return rate, kernel_events


def plumbing_ceiling(lifecycles: int = 50_000) -> tuple[float, float, int]:
    """Lifecycles per wall second and per CPU second, and kernel events per lifecycle, of the real
    path through ``SimService``/``Network`` with handlers that only pass the message on (the venue
    answers a child with an ack and a fill, as in the real run), run as the twin runs
    (``SimClock.run``)."""
    env = simpy.Environment()
    clock = SimClock(env, 0)
    streams = SeededStreams(1)
    kinds = {kind: type(kind, (), {"__slots__": ()}) for kind, _ in _PATH}
    network = Network(clock, streams, {kinds[k]: svc for k, svc in _PATH}, 0.2, 0.05)
    k = kinds
    follow_ups = {k["submit"]: (k["validate"],), k["validate"]: (k["risk"],), k["risk"]: (k["route"],),
                  k["route"]: (k["child"],), k["child"]: (k["ack"], k["fill"]), k["ack"]: (),
                  k["fill"]: (k["post_trade"],), k["post_trade"]: ()}

    def handler(message: object) -> Handled:
        return Handled(DONE, [kind() for kind in follow_ups[type(message)]])

    for name in {svc for _, svc in _PATH}:
        network.attach(build_service(name, clock, streams, 0.5, 1.0, handler))
    gateway = network.services["gateway"]
    spacing = 23_400 * 1_000_000_000 // lifecycles  # spread over one session, like the real run
    # fed to the gateway as the runner feeds client orders (one waiting in simpy's heap at a time)
    clock.deliver_all_at(((i * spacing, k["submit"]()) for i in range(lifecycles)), gateway.deliver)
    started, cpu = time.perf_counter(), time.process_time()
    clock.run(spacing * lifecycles + 1_000_000_000)  # the last lifecycle is done a second later
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    handled = sum(service.stats.handled for service in network.services.values())
    assert handled == lifecycles * len(_PATH), handled  # every hop of every lifecycle ran
    return lifecycles / wall, lifecycles / cpu, 1 + 2 * len(_PATH)  # the arrival, then arrive + finish per hop


@dataclass
class Day:
    """One simulated bench day: what settled and what it cost."""

    orders: int
    settled: int
    events: int
    build_s: float
    wall_s: float
    cpu_s: float
    meter: CostMeter | None = None
    event_log: str = ""
    rss_growth_bytes: int = 0  # resident set after the day less after the build
    log_bytes: int | None = None  # the columnar log's buffers (ColumnarEventLog.nbytes); None for the list log
    kernel_events: int = 0  # events simpy's heap took during the day (ids of its counter)

    @property
    def bytes_per_event(self) -> float:
        """Process growth during the day per recorded event."""
        return self.rss_growth_bytes / max(1, self.events)


def rss_bytes() -> int:
    """The process's resident set now (Linux ``/proc/self/statm``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_day(orders: int, seed: int, clock: str | None = None, profile: Path | None = None,
            event_log: str | None = None) -> Day:
    """Build and simulate the bench scenario; with ``clock`` ("cpu"/"wall"), every component timed;
    with ``profile``, ``simulate`` sampled by pyinstrument and its call tree written there as text;
    ``event_log``: the event log kind (``twin.bootstrap.EVENT_LOGS``; default the twin's)."""
    scenario = parse_scenario(SCENARIO.format(orders=orders), "bench_lifecycle")
    built = time.perf_counter()
    world = build_twin(scenario, seed, event_log)
    kind = next(k for k, cls in EVENT_LOGS.items() if type(world.log) is cls)
    rss_built = rss_bytes()
    build_s = time.perf_counter() - built
    meter = None
    if clock is not None:
        meter = CostMeter(clock)
        meter_world(world, meter)
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    ids_before = next(copy.copy(world.env._eid))  # a copy: reading simpy's id counter must not move it
    started, cpu = time.perf_counter(), time.process_time()
    simulate(world)
    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    kernel_events = next(copy.copy(world.env._eid)) - ids_before
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    settled = sum(1 for o in world.platform.oms.orders.values() if o.status.value == "SETTLED")
    log_bytes = world.log.nbytes() if hasattr(world.log, "nbytes") else None
    return Day(orders, settled, len(world.log), build_s, wall, cpu_s, meter, kind, rss_bytes() - rss_built, log_bytes,
               kernel_events)


_CHILD = """
import json, resource, sys
from loadtests.benchmarks.bench_lifecycle import run_day
day = run_day(int(sys.argv[1]), int(sys.argv[2]), event_log=sys.argv[3])
figures = {k: v for k, v in vars(day).items() if k != "meter"}
print(json.dumps([figures, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def day_in_child(orders: int, seed: int, event_log: str) -> tuple[Day, float]:
    """``run_day`` in a fresh process (its own peak memory, from its start, as a user's run of the day would
    have): the day's figures and that process's peak RSS in MiB. Not a fork: a forked child's peak is not
    comparable (it inherits this process's heap, and its high-water mark does not count it)."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(orders), str(seed), event_log], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"the {event_log} event log's day failed in its own process:\n{done.stderr[-2000:]}")
    figures_, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return Day(**figures_), peak


def print_memory(day: Day, peak_mib: float, raw: float, raw_cpu: float) -> None:
    """One line of a day's memory and rate figures (``--compare-log`` prints one per event log): the
    ratios to the raw simpy rates of this run, per wall and per CPU second (the steadier one when the
    machine's load changes between the two days)."""
    logged = "" if day.log_bytes is None else f"; event log buffers {day.log_bytes / max(1, day.events):,.0f} B/event"
    print(f"    {day.event_log:<9} peak {peak_mib:>6,.0f} MiB  {day.bytes_per_event:>6,.0f} B per recorded event "
          f"(process growth during the day{logged})  CPU {day.cpu_s:.2f} s  ratio 1/"
          f"{raw / (day.settled / day.wall_s):.0f} (CPU 1/{raw_cpu / (day.settled / day.cpu_s):.0f})")


def cost_table(day: Day) -> list[tuple[str, float, float, float]]:
    """(row, us per settled lifecycle, share of the rows' sum, calls per lifecycle), costliest first,
    the kernel row last (it is what the others leave; its "calls" are the kernel events, one
    ``SimClock.run`` per chunk of the day running them all). Each row is the section's exclusive time
    less what timing it added (``CostMeter.corrected_ns``)."""
    meter = day.meter
    assert meter is not None and day.settled
    corrected = {name: meter.corrected_ns(name) for name in meter.ns if meter.calls[name]}
    total = sum(corrected.values()) or 1.0
    rows = [(name, ns / 1000 / day.settled, ns / total,
             (day.kernel_events if name == KERNEL else meter.calls[name]) / day.settled)
            for name, ns in corrected.items()]
    rows.sort(key=lambda r: (r[0] == KERNEL, -r[1]))
    return rows


def print_table(day: Day, bare: Day) -> None:
    meter = day.meter
    assert meter is not None
    rows = cost_table(day)
    seconds = (lambda d: d.cpu_s) if meter.clock == "cpu" else (lambda d: d.wall_s)
    print(f"\ncost per lifecycle, by component ({day.orders:,} orders, {meter.clock} clock, exclusive sections)")
    print(f"    {'component':<34}{'us/lifecycle':>13}{'share':>8}{'calls/lc':>10}")
    for name, us, share, calls in rows:
        print(f"    {name:<34}{us:>13.1f}{share:>8.1%}{calls:>10.2f}")
    print(f"    {'sum of rows':<34}{sum(r[1] for r in rows):>13.1f}  (bare run: "
          f"{seconds(bare) * 1e6 / bare.settled:.1f})")
    print(f"    {'instrumented run':<34}{seconds(day) * 1e6 / day.settled:>13.1f}  (sections as read: "
          f"{meter.total_ns() / 1000 / day.settled:.1f}; timing cost taken off each row: "
          f"{meter.overhead_ns} ns clock, {meter.wrapper_ns:.0f} ns per section, {meter.leak_ns:.0f} ns per "
          f"nested section)")


def figure_key(row: str) -> str:
    """A table row as a figure name: ``risk: buying_power`` -> ``risk_buying_power``."""
    return re.sub(r"[^a-z0-9]+", "_", row.lower()).strip("_")


def record_figures(bare: Day, raw: float, raw_cpu: float, instrumented: Day | None, peak_mib: float) -> None:
    """Headline figures for ``make bench`` (``loadtests.benchmarks.figures``: a no-op in a hand run)."""
    from loadtests.benchmarks import figures

    rate = bare.settled / bare.wall_s
    figures.record("lifecycle.rate", rate, "lifecycles/s", "higher")
    figures.record("lifecycle.raw_simpy_rate", raw, "events/s", "higher")
    figures.record("lifecycle.ratio", rate / raw, "ratio", "higher")
    figures.record("lifecycle.cpu_ratio", (bare.settled / bare.cpu_s) / raw_cpu, "ratio", "higher")
    figures.record("lifecycle.us_per_lifecycle", 1e6 / rate, "us", "lower")
    figures.record("lifecycle.cpu_us_per_lifecycle", bare.cpu_s * 1e6 / bare.settled, "us", "lower")
    figures.record("lifecycle.peak_rss", peak_mib, "MiB", "lower")
    if instrumented is not None:
        for name, us, _, _ in cost_table(instrumented):
            figures.record(f"lifecycle.cost.{figure_key(name)}", us, "us", "lower")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table-orders", type=int, default=None,
                        help="orders in the instrumented run of the cost table (default: --orders)")
    parser.add_argument("--no-table", action="store_true", help="skip the cost table's instrumented run")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="the cost table's clock")
    parser.add_argument("--event-log", choices=sorted(EVENT_LOGS), default=None,
                        help="the event log kind (default: the twin's, twin.bootstrap.DEFAULT_EVENT_LOG)")
    parser.add_argument("--compare-log", action="store_true",
                        help="first run the day on the other event log kind in a process of its own, and print both")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="also run the day under pyinstrument and write its call tree to FILE (then exit)")
    args = parser.parse_args()
    if args.profile is not None:
        day = run_day(args.orders, args.seed, profile=args.profile)
        print(f"profile of simulate ({day.orders:,} orders, {day.settled:,} settled, {day.cpu_s:.2f} s CPU "
              f"under the profiler): {args.profile}")
        return

    raw, raw_cpu = raw_simpy_rate()
    ceiling, ceiling_cpu, kernel_events = plumbing_ceiling()
    other = None
    if args.compare_log:
        mine = args.event_log or type(new_event_log()).__name__
        kind = next(k for k, cls in EVENT_LOGS.items() if k == mine or cls.__name__ == mine)
        other = day_in_child(args.orders, args.seed, next(k for k in EVENT_LOGS if k != kind))
    bare = run_day(args.orders, args.seed, event_log=args.event_log)
    # Raw simpy again after the run, and the faster of the two kept: on a shared machine one
    # reading can fall in a busy spell, and the faster one makes the target the harder one.
    raw, raw_cpu = (max(pair) for pair in zip((raw, raw_cpu), raw_simpy_rate()))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the table's run
    rate = bare.settled / bare.wall_s
    cpu_rate = bare.settled / bare.cpu_s
    target = raw * TARGET_RATIO
    print(f"orders submitted        {args.orders:>12,}")
    print(f"lifecycles settled      {bare.settled:>12,}")
    print(f"events recorded         {bare.events:>12,}")
    print(f"build (population etc.) {bare.build_s:>12.2f} s")
    print(f"simulation wall time    {bare.wall_s:>12.2f} s  (CPU {bare.cpu_s:.2f} s)")
    print(f"lifecycle rate          {rate:>12,.0f} /s  (per CPU second {cpu_rate:,.0f})")
    print(f"raw simpy event rate    {raw:>12,.0f} /s  (per CPU second {raw_cpu:,.0f}; the faster of two "
          f"readings, before and after the run)")
    print(f"target (raw / 110)      {target:>12,.0f} /s")
    print(f"ratio rate / raw        {rate / raw:>12.5f}  (target >= {TARGET_RATIO:.5f}: "
          f"{'MET' if rate >= target else 'NOT MET'}; CPU ratio {cpu_rate / raw_cpu:.5f} = 1/{raw_cpu / cpu_rate:.0f})")
    print(f"plumbing ceiling        {ceiling:>12,.0f} /s  ({kernel_events} kernel events per lifecycle, "
          f"no-op handlers; ratio {ceiling / raw:.5f}; per CPU second {ceiling_cpu:,.0f}, CPU ratio "
          f"{ceiling_cpu / raw_cpu:.5f})")
    print(f"per lifecycle           {1e6 / rate:>12.1f} us  (CPU {1e6 / cpu_rate:.1f} us; plumbing "
          f"{1e6 / ceiling:.1f} us, CPU {1e6 / ceiling_cpu:.1f} us; target budget {1e6 / target:.1f} us)")
    print(f"peak memory (max RSS)   {peak_mib:>12,.0f} MiB")
    print(f"memory per event        {bare.bytes_per_event:>12,.0f} B  (process growth during the day / events "
          f"recorded; event log: {bare.event_log}"
          + ("" if bare.log_bytes is None else f", its buffers {bare.log_bytes / max(1, bare.events):,.0f} B/event")
          + ")")
    if other is not None:
        print("event logs side by side (same orders and seed; the other one in a process of its own, its own peak):")
        print_memory(other[0], other[1], raw, raw_cpu)
        print_memory(bare, peak_mib, raw, raw_cpu)
    instrumented = None
    if not args.no_table:
        instrumented = run_day(args.table_orders or args.orders, args.seed, clock=args.clock)
        if instrumented.orders == bare.orders:
            assert instrumented.settled == bare.settled, "timing the components changed the run"
        print_table(instrumented, bare)
    record_figures(bare, raw, raw_cpu, instrumented, peak_mib)


if __name__ == "__main__":
    main()
