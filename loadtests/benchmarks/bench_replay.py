"""Benchmark: `twin replay` of a million top-of-book quotes, against NautilusTrader's figures from issue 12.

Workload (issue 12): 1,000,000 top-of-book quotes for one symbol on one venue
(a random-walk bid in whole cents from 190.00, a one-cent spread, evenly spread
over 09:30-16:00 New York), no trades, zero fees, and a 100-share MARKET order
every 100th quote alternating buy and sell (``twin.replay_orders.EveryNthQuote``
through the strategy hook), each through the real order entry, risk engine,
router, OMS and the replay venue's fill path.

The day is written as parquet first (not timed). Then the real command,
``twin replay ...`` (``twin.cli.main``), runs in a child process: the
whole-process figures are that child's wall time (interpreter start, imports,
reading the day, simulating, checking, writing every output), its CPU time
(user + system, from ``getrusage``: less sensitive than wall to other load on a
shared machine) and its peak RSS. The child runs the command through a small
bootstrap (``PHASES``) that only times the command's phases from the inside
(wall, CPU, and the peak RSS reached by the end of each) and prints them as one
JSON line on stderr; it changes nothing the command does. The parts of the
write phase (``WRITE_PARTS``: events frame, sqlite log, TCA, traces, report...)
are timed the same way and printed under it. The simulation loop
rate is quotes (and orders) per second of the ``simulate`` phase.

NautilusTrader's figures are by default not measured here: they are the ones
issue 12 quotes from a side-by-side run (on a faster or quieter machine), and
are printed as such. ``--nautilus`` measures them in the same run instead:
``nautilus_reference.py`` runs NautilusTrader 1.221 (in ``.venv-nautilus``,
created once) on the same day file right after ours, and both whole-process
figures and their ratio against the 2x target are printed
(docs/nautilus_reference.md).

    python loadtests/benchmarks/bench_replay.py [--quotes N] [--every K] [--profile FILE] [--nautilus]

``--profile FILE`` runs the child under cProfile (slower; for finding costs).

The day's load phase is also measured on its own, in a fresh process after the
run: ``load_recorded`` (read and check the parquet day) plus building the
replay venue over it, i.e. the day ready to simulate (issue 19's target: under
1 s for 1,000,000 quotes), wall and CPU, the best of ``LOAD_REPEATS``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks import nautilus_reference  # noqa: E402
from loadtests.benchmarks.measured_process import run_measured  # noqa: E402
OPEN_NS = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York
SESSION_NS = int(6.5 * 3600 * 1e9)

LOAD_TARGET_S = 1.0  # a 1,000,000-quote day read, checked and its venue built (issue 19)
LOAD_REPEATS = 3
NAUTILUS = {"run_s": 13.0, "prep_s": 1.3, "peak_mib": 530.0}
"""NautilusTrader 1.221 on the same workload as quoted by issue 12 (not run here; ``--nautilus`` measures it)."""

WRITE_PARTS = (
    ("twin.outputs", "events_frame", "events frame"), ("twin.outputs", "orders_frame", "orders frame"),
    ("twin.outputs", "write_parquet", "events and orders parquet"),
    ("twin.outputs", "write_log_file", "events.sqlite (hash-chained log)"),
    ("twin.outputs", "write_run_anchors", "events.anchors"), ("twin.outputs", "build_summary", "summary"),
    ("twin.outputs", "write_service_timeseries", "service timeseries"),
    ("twin.outputs", "realism_section", "market realism"), ("twin.outputs", "write_market_samples", "market samples"),
    ("twin.outputs", "write_market_timeline", "NBBO and prints parquet"), ("twin.outputs", "write_tca", "TCA"),
    ("twin.outputs", "write_observability", "metrics, traces, SLOs"),
    ("twin.surveillance_run", "run_report_section", "surveillance"), ("twin.outputs", "write_report", "report.html"),
)
"""Parts of ``write the run folder`` timed on their own (module, function, label): where the writing goes."""

PHASES = "WRITE_PARTS = " + repr(WRITE_PARTS) + r"""
import json, os, resource, sys, time
started_cpu, started = time.process_time(), time.perf_counter()
import twin.cli, twin.market_structure, twin.outputs, twin.runner, reports.replay_compare
seen = []
main_pid = os.getpid()
def timed(module, name, phase):
    inner = getattr(module, name)
    def run(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            record = (phase, time.perf_counter() - wall, time.process_time() - cpu,
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
            if os.getpid() == main_pid:
                seen.append(record)
            else:  # in a forked output worker (twin.aside): its own line, now (it leaves with os._exit)
                print("BENCH-PART " + json.dumps((record[0] + " [worker]", *record[1:])), file=sys.stderr,
                      flush=True)
    setattr(module, name, run)
timed(twin.market_structure, "load_recorded", "read the day")
timed(twin.runner, "build_twin", "build (read included)")
timed(twin.runner, "simulate", "simulate")
for name in ("evidence_of", "check_all", "fingerprint"):
    timed(twin.runner, name, "check")
timed(twin.outputs, "write_run", "write the run folder")
import twin.surveillance_run
for module, name, part in WRITE_PARTS:
    timed(sys.modules[module], name, "  write: " + part)
for name in ("policy_figures", "tca_figures", "write_comparison"):
    timed(reports.replay_compare, name, "write the comparison")
seen.append(("start and imports", time.perf_counter() - started, time.process_time() - started_cpu,
             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
code = twin.cli.main(sys.argv[1:])
print("BENCH-PHASES " + json.dumps(seen), file=sys.stderr)
sys.exit(code)
"""
"""The child's bootstrap: ``twin.cli.main(argv)`` with the command's phases timed from the inside."""


def phase_table(seen: list[list]) -> dict[str, tuple[float, float, int]]:
    """Per phase (first seen first): total wall s, total CPU s, and the peak RSS (MiB) reached by its end."""
    table: dict[str, tuple[float, float, int]] = {}
    for phase, wall, cpu, rss in seen:
        w, c, r = table.get(phase, (0.0, 0.0, 0))
        table[phase] = (w + wall, c + cpu, max(r, rss))
    return table


SCENARIO = """
name: bench_replay
seed: 1
session: {date: "2026-11-24", open: "09:30", close: "16:00"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, maker_rebate: "0", taker_fee: "0"}]
population: {advisors: 1, clients_per_advisor: 1, sanctioned_clients: 0}
risk: {max_order_notional: "100000000", max_daily_notional_per_account: "100000000000", concentration_max_bps: 10000,
       duplicate_window_s: 0}
order_flow: {orders: 0}
"""


def quote_times(quotes: int) -> np.ndarray:
    """``quotes`` evenly spaced times from the open, all before the close (int64 ns)."""
    return OPEN_NS + np.arange(quotes, dtype=np.int64) * (SESSION_NS // quotes)  # i * SESSION_NS would overflow


def write_day(folder: Path, quotes: int, seed: int = 12) -> None:
    """The benchmark day: ``quotes`` quotes (random-walk bid in cents from 190.00, one-cent spread), no trades."""
    rng = np.random.default_rng(seed)
    bid_cents = 19_000 + np.cumsum(rng.integers(-1, 2, size=quotes))
    bid_cents = np.maximum(bid_cents, 100)
    ts = quote_times(quotes)
    sizes = rng.integers(1, 10, size=(2, quotes)) * 100
    table = pa.table({
        "timestamp_ns": ts, "venue": pa.array(["XNAS"] * quotes), "symbol": pa.array(["AAPL"] * quotes),
        "bid": bid_cents * 100, "bid_size": sizes[0], "ask": (bid_cents + 1) * 100, "ask_size": sizes[1],
    })
    pq.write_table(table, folder / "quotes.parquet")
    empty = {c: pa.array([], type=pa.string() if c in ("venue", "symbol") else pa.int64())
             for c in ("timestamp_ns", "venue", "symbol", "price", "size")}
    pq.write_table(pa.table(empty), folder / "trades.parquet")


def measure_load(day: Path) -> dict[str, float]:
    """The day ready to simulate, timed in this process: ``load_recorded`` plus the bench venue's
    ``ReplayVenue`` over it (best of ``LOAD_REPEATS``; wall and CPU, CPU including Arrow's threads)."""
    from venues_sim.fees import FixedFee
    from venues_sim.replay import ReplayVenue
    from venues_sim.replay_columns import load_recorded

    best = {"read_s": float("inf"), "read_cpu_s": float("inf"), "ready_s": float("inf"),
            "ready_cpu_s": float("inf")}
    for _ in range(LOAD_REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        tables = load_recorded(day / "quotes.parquet", day / "trades.parquet")
        read = time.perf_counter() - wall, time.process_time() - cpu
        ReplayVenue("XNAS", tables, FixedFee(0), ["AAPL"], lambda report: None)  # the bench day: one venue, zero fees
        ready = time.perf_counter() - wall, time.process_time() - cpu
        for key, value in zip(best, (*read, *ready)):
            best[key] = min(best[key], value)
        del tables
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=1_000_000, help="quotes in the day (default 1,000,000)")
    parser.add_argument("--every", type=int, default=100, help="an order every K-th quote (default 100)")
    parser.add_argument("--profile", default=None, help="write a cProfile of the command to this file")
    parser.add_argument("--write-day", default=None, help=argparse.SUPPRESS)  # internal: see below
    parser.add_argument("--measure-load", default=None, help=argparse.SUPPRESS)  # internal: see below
    parser.add_argument("--nautilus", action="store_true",
                        help="also run NautilusTrader on the same day right after ours (nautilus_reference.py; "
                             "creates .venv-nautilus once) and compare with its measured figures")
    args = parser.parse_args(argv)
    if args.nautilus:
        nautilus_reference.ensure_venv()  # before anything is timed: a first install takes a while
    if args.write_day:
        write_day(Path(args.write_day), args.quotes)
        return 0
    if args.measure_load:
        print("BENCH-LOAD " + json.dumps(measure_load(Path(args.measure_load))))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_replay_") as tmp:
        folder = Path(tmp)
        day = folder / "day"
        day.mkdir()
        # The day is made in a process of its own: a child's peak RSS (getrusage) starts from its parent's
        # size when it is forked, so a parent holding a million-row day would inflate the figures measured.
        subprocess.run([sys.executable, __file__, "--write-day", str(day), "--quotes", str(args.quotes)],
                       check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        (folder / "scenario.yaml").write_text(SCENARIO)
        strategy = "twin.replay_orders:EveryNthQuote"
        if args.every != 100:
            strategy = "bench_strategy:_Every"  # the same strategy at another rate, in a module of its own
            (folder / "bench_strategy.py").write_text(
                "from twin.replay_orders import EveryNthQuote\n\n\n"
                f"class _Every(EveryNthQuote):\n    def __init__(self):\n        super().__init__(every={args.every})\n")
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        bootstrap = folder / "bench_phases.py"
        bootstrap.write_text(PHASES)
        command = [sys.executable, *profile, str(bootstrap), "replay", "--market", str(day),
                   "--strategy", strategy, "--scenario", str(folder / "scenario.yaml"), "--out", str(folder / "out")]
        # A clean environment, but the twin's own settings pass through (TWIN_REPORT_WORKERS=1, TWIN_EVENT_LOG...):
        # they change what is measured, so they are printed with the figures.
        settings = {k: v for k, v in sorted(os.environ.items()) if k.startswith("TWIN_")}
        if settings:
            print("twin settings passed to the measured command: "
                  + " ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
        env = {"PYTHONPATH": f"{ROOT}:{folder}", "PATH": "/usr/bin:/bin", **settings}
        run = run_measured(command, ROOT, env)  # this child's own usage (not the day writer's)
        stdout, stderr = run.stdout, run.stderr
        whole, cpu, peak_mib = run.wall_s, run.cpu_s, run.peak_mib
        if run.returncode != 0:
            print(stdout, stderr, file=sys.stderr)
            return 1
        # The load phase alone, in a process of its own (after the run: not competing with it).
        measured = subprocess.run([sys.executable, __file__, "--measure-load", str(day)], check=True, text=True,
                                  capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        load = json.loads(next(line for line in measured.stdout.splitlines()
                               if line.startswith("BENCH-LOAD ")).split(" ", 1)[1])
        # NautilusTrader on the same day file, right after ours (in the same conditions).
        reference = nautilus_reference.measure(day, args.every) if args.nautilus else None
    seen = json.loads(next(line for line in stderr.splitlines() if line.startswith("BENCH-PHASES ")).split(" ", 1)[1])
    seen += [json.loads(line.split(" ", 1)[1]) for line in stderr.splitlines() if line.startswith("BENCH-PART ")]
    phases = phase_table(seen)
    orders = int(re.search(r"orders (\d+)", stdout).group(1))
    fills = int(re.search(r"fills (\d+)", stdout).group(1))
    simulate_s = phases["simulate"][0]
    # NautilusTrader's whole process and peak memory: measured in this run (--nautilus) or issue 12's quote.
    nautilus_whole = NAUTILUS["run_s"] + NAUTILUS["prep_s"] if reference is None else reference.whole_s
    nautilus_peak = NAUTILUS["peak_mib"] if reference is None else reference.peak_mib
    print(f"workload              {args.quotes:,} quotes, {orders:,} MARKET orders (every {args.every}th quote), "
          f"{fills:,} fills")
    print("phases (in the child)  wall s    CPU s   peak RSS by its end ([worker]: a part written by the forked "
          "output worker, alongside the others)")
    parts = {phase: figures_ for phase, figures_ in phases.items() if phase.startswith("  write: ")}
    for phase, (wall, phase_cpu, rss) in phases.items():
        if phase in parts:
            continue  # listed under the write phase, below
        print(f"  {phase:<22}{wall:7.2f}  {phase_cpu:7.2f}   {rss:,} MiB")
        if phase == "write the run folder":  # its parts, each timed on its own (WRITE_PARTS)
            for part, (part_wall, part_cpu, part_rss) in parts.items():
                print(f"  {part:<42}{part_wall:7.2f}  {part_cpu:7.2f}   {part_rss:,} MiB")
    print(f"simulation loop       {args.quotes / simulate_s:,.0f} quotes/s, {orders / simulate_s:,.0f} orders/s "
          f"({simulate_s:.2f}s wall, {phases['simulate'][1]:.2f}s CPU)")
    print(f"whole process         {whole:.2f}s wall (child process: start, read the day, simulate, check, "
          f"write outputs)")
    print(f"whole process CPU     {cpu:.2f}s user+sys (less sensitive than wall to other load on the machine)")
    print(f"peak RSS              {peak_mib:,.0f} MiB")
    if reference is None:
        print(f"NautilusTrader 1.221  run() {NAUTILUS['run_s']:.1f}s + data prep {NAUTILUS['prep_s']:.1f}s = "
              f"{nautilus_whole:.1f}s, {NAUTILUS['peak_mib']:.0f} MiB (reference quoted by issue 12 from the "
              f"machine it was written on, not in this run; machines here have differed by 3.5x in speed: "
              f"--nautilus measures it in the same run)")
        print(f"ratio                 NautilusTrader whole / ours: {nautilus_whole / whole:.2f}x by wall, "
              f"{nautilus_whole / cpu:.2f}x against our CPU time; peak memory ours / theirs "
              f"{peak_mib / nautilus_peak:.2f}")
    else:
        print(nautilus_reference.format_table(reference, args.every))
        print(f"NautilusTrader {reference.version} whole process {reference.whole_s:.2f}s wall, {reference.cpu_s:.2f}s "
              f"CPU, {reference.peak_mib:,.0f} MiB (measured in this run, right after ours, on the same day file)")
        print(f"ratio                 NautilusTrader whole / ours: {nautilus_whole / whole:.2f}x by wall, "
              f"{reference.cpu_s / cpu:.2f}x by CPU; peak memory ours / theirs {peak_mib / nautilus_peak:.2f}")
        figures.record("replay.vs_nautilus_wall_x", nautilus_whole / whole, "x", "higher")
        figures.record("replay.vs_nautilus_cpu_x", reference.cpu_s / cpu, "x", "higher")
    read = phases.get("read the day")
    if read is not None:
        print(f"read the day          {read[0]:.2f}s wall, {read[1]:.2f}s CPU (ready to simulate: build "
              f"{phases['build (read included)'][0]:.2f}s wall with the read)")
        figures.record("replay.read_day_s", read[0], "s", "lower")
    met = "MET" if load["ready_s"] < LOAD_TARGET_S * args.quotes / 1_000_000 else "NOT MET"
    print(f"day ready to simulate {load['ready_s']:.2f}s wall, {load['ready_cpu_s']:.2f}s CPU (read and check "
          f"{load['read_s']:.2f}s wall, {load['read_cpu_s']:.2f}s CPU, then the replay venue; best of "
          f"{LOAD_REPEATS}, own process; target < {LOAD_TARGET_S:.0f} s per 1,000,000 quotes: {met})")
    figures.record("replay.day_ready_s", load["ready_s"], "s", "lower")
    figures.record("replay.day_ready_cpu_s", load["ready_cpu_s"], "s", "lower")
    figures.record("replay.whole_process_wall_s", whole, "s", "lower")
    figures.record("replay.whole_process_cpu_s", cpu, "s", "lower")
    figures.record("replay.peak_rss_mib", peak_mib, "MiB", "lower")
    figures.record("replay.quotes_per_s", args.quotes / simulate_s, "quotes/s", "higher")
    if args.quotes == 1_000_000 and args.every == 100:
        target = nautilus_whole / 2
        print(f"target whole process  <= {target:.2f}s (2x faster): {'MET' if whole <= target else 'NOT MET'} "
              f"(wall {whole:.2f}s, CPU {cpu:.2f}s)")
        if reference is not None:  # CPU time is less sensitive than wall to other load on a shared machine
            print(f"target by CPU time    <= {reference.cpu_s / 2:.2f}s (half NautilusTrader's "
                  f"{reference.cpu_s:.2f}s): "
                  f"{'MET' if cpu <= reference.cpu_s / 2 else 'NOT MET'} (ours {cpu:.2f}s)")
        print(f"target peak memory    < {nautilus_peak:.0f} MiB: "
              f"{'MET' if peak_mib < nautilus_peak else 'NOT MET'} ({peak_mib:,.0f} MiB)")
    else:
        print("targets               apply to the issue's workload only (1,000,000 quotes, every 100th)")
    return 0 if reference is None or reference.workload_ran else 1  # a NautilusTrader run that did not run the workload


if __name__ == "__main__":
    sys.exit(main())
