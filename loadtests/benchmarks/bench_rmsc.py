"""Benchmark: the ABIDES RMSC04-shaped market day in the twin, agents direct and over the network.

Runs the full 09:30-16:00 day of ``scenarios/rmsc_network.yaml`` (2 adaptive
market makers, 102 value, 12 momentum and 1,000 noise agents on one symbol, a
few client orders) twice in this one invocation, each in a fresh child
process so that each peak memory is its own: with ``agents.mode`` set to
``direct`` (agents call the venue and read its live book) and as shipped,
``network`` (orders, cancels, acks, fills and market data are messages with
latency; docs/agents_network.md). Same scenario, seed and agents: only the
mode differs. For each it prints simulate wall and CPU seconds,
whole-process wall and CPU seconds (and, of those, the imports and the build,
the rest of what a user waits for), messages counted as ABIDES counts kernel
messages (every agent wake-up and every message either way; direct mode has
no messages, only wake-ups), orders, trades and peak memory (max RSS).

    python loadtests/benchmarks/bench_rmsc.py [--seed S] [--close HH:MM] [--scenario PATH]

ABIDES is not installed here, so nothing of ABIDES is measured in this run:
its figures are printed as reference figures, each with where it came from.
``--close`` ends the session early (a small sample, for the test).

Figures recorded (``figures.record``, for ``make bench``): ``wall_s``,
``peak_mib`` and ``market_s_per_wall_s`` of the direct run (build + run, as
before issue 18), then ``direct_`` and ``network_`` ``sim_wall_s``,
``sim_cpu_s`` and ``peak_mib`` (the message count is printed, not recorded:
more or fewer is neither better nor worse).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import figures  # noqa: E402

ABIDES_SOURCE = "issue 18, measured on this machine in an earlier session"
ABIDES = {"sim_s": 24.9, "process_s": 27.3, "messages": 475_000}
"""ABIDES RMSC04, full day: reference figures (``ABIDES_SOURCE``), not measured by this script."""
ABIDES_EARLIER = {"orders": 31_600, "trades": 18_700, "peak_mib": 295.0}
ABIDES_EARLIER_SOURCE = "the ABIDES column bench_rmsc.py printed before issue 18 (hard-coded, source not recorded)"
MODES = ("direct", "network")
SCENARIO = ROOT / "scenarios" / "rmsc_network.yaml"
SPEEDUP_TARGET = 10.0
"""Issue 18: network mode at least this many times faster than ABIDES' 24.9 s."""


def measure(path: str, mode: str, seed: int | None, close: str | None) -> dict:
    """Build and run one day of the scenario at ``path`` with ``agents.mode`` set to ``mode`` in this
    process; its figures (called in a child process per mode)."""
    import dataclasses
    from datetime import time as dtime

    imports_wall0, imports_cpu0 = time.perf_counter(), time.process_time()
    from scenarios.config import load_scenario
    from twin.bootstrap import build_twin
    from twin.runner import simulate

    imports_wall, imports_cpu = time.perf_counter() - imports_wall0, time.process_time() - imports_cpu0

    scenario = load_scenario(path)
    scenario = dataclasses.replace(scenario, agents=dataclasses.replace(scenario.agents, mode=mode))
    if close is not None:
        hours, minutes = (int(x) for x in close.split(":"))
        scenario = dataclasses.replace(scenario, session=dataclasses.replace(scenario.session,
                                                                             close=dtime(hours, minutes)))
    seed = scenario.seed if seed is None else seed
    built0, build_cpu0 = time.perf_counter(), time.process_time()
    world = build_twin(scenario, seed)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    build_wall, build_cpu = wall0 - built0, cpu0 - build_cpu0
    simulate(world, record_market=False)
    sim_wall, sim_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    session = scenario.session
    market_s = (session.close_ns() - session.open_ns()) / 1e9 + 60  # plus the minute of pre-open quoting
    agents = world.agents.summary()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"scenario": scenario.name, "seed": seed, "mode": agents["mode"], "agents": agents["agents"],
            "build_run_wall_s": time.perf_counter() - built0, "market_s": market_s, "sim_wall_s": sim_wall, "sim_cpu_s": sim_cpu, "process_cpu_s": usage.ru_utime + usage.ru_stime,
            "imports_wall_s": imports_wall, "imports_cpu_s": imports_cpu, "build_wall_s": build_wall,
            "build_cpu_s": build_cpu, "messages": agents["messages"],
            "orders": agents["orders"] + len(world.platform.oms.orders),
            "trades": agents["trades"], "peak_mib": usage.ru_maxrss / 1024}


def run_child(path: str, mode: str, seed: int | None, close: str | None) -> dict:
    """``measure`` in a fresh process (its own peak memory); adds the whole process's wall seconds."""
    args = [sys.executable, __file__, "--scenario", path, "--child", mode]
    args += [] if seed is None else ["--seed", str(seed)]
    args += [] if close is None else ["--close", close]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"bench_rmsc: the {mode} run failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - started
    return result


def report(runs: dict[str, dict], full_day: bool) -> None:
    """Print the measured table, the reference figures with their sources, and the target check."""
    d, n = runs["direct"], runs["network"]
    print(f"scenario {d['scenario']}  seed {d['seed']}  agents {d['agents']:,}  agents.mode: direct, then network"
          + ("" if full_day else "  (session cut short: a sample, not the full day)"))
    print(f"{'measured in this run':32}{'direct':>14}{'network':>14}")
    rows = [("simulate wall s", "sim_wall_s", True), ("simulate CPU s", "sim_cpu_s", True),
            ("whole process wall s", "process_wall_s", True), ("whole process CPU s", "process_cpu_s", True),
            ("  of which imports wall s", "imports_wall_s", True), ("  of which imports CPU s", "imports_cpu_s", True),
            ("  of which build wall s", "build_wall_s", True), ("  of which build CPU s", "build_cpu_s", True),
            ("messages (ABIDES-style)", None, False), ("  of which wake-ups", None, False),
            ("orders created", "orders", False), ("trades", "trades", False),
            ("peak memory MiB (max RSS)", "peak_mib", True)]
    for label, key, is_float in rows:
        if label.startswith("messages"):
            values = (d["messages"]["total"], n["messages"]["total"])
        elif "wake-ups" in label:
            values = (d["messages"]["wakeups"], n["messages"]["wakeups"])
        else:
            values = (d[key], n[key])
        shown = "".join(f"{v:>14,.2f}" if is_float else f"{v:>14,}" for v in values)
        print(f"{label:32}{shown}")
    m = n["messages"]
    print(f"network messages: {m['wakeups']:,} wake-ups, {m['to_venues']:,} to venues (orders, cancels, queries), "
          f"{m['to_agents']:,} to agents (acks, fills, cancel confirmations, responses, market data)")
    print(f"ABIDES RMSC04 full day, reference figures, NOT measured in this run ({ABIDES_SOURCE}): "
          f"{ABIDES['sim_s']} s sim / {ABIDES['process_s']} s process, {ABIDES['messages'] // 1000}k messages")
    print(f"ABIDES RMSC04 orders {ABIDES_EARLIER['orders']:,}, trades {ABIDES_EARLIER['trades']:,}, peak "
          f"{ABIDES_EARLIER['peak_mib']:.0f} MiB: reference figures, NOT measured in this run ({ABIDES_EARLIER_SOURCE})")
    if full_day:
        speedup = ABIDES["sim_s"] / n["sim_wall_s"]
        print(f"network vs ABIDES reference: {speedup:.1f}x faster by simulate wall (target >= {SPEEDUP_TARGET:.0f}x), "
              f"{ABIDES['sim_s'] / n['sim_cpu_s']:.1f}x by our simulate CPU; messages "
              f"{m['total'] / ABIDES['messages']:.2f}x ABIDES' (target within 0.5x-2x)")
        process = ABIDES["process_s"]
        print(f"whole process vs ABIDES' {process} s process (reference): {process / n['process_wall_s']:.1f}x by "
              f"wall, {process / n['process_cpu_s']:.1f}x by our process CPU")
        print(f"load average when done: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"(a shared machine: wall above CPU means the run waited for a core)")
    else:
        print("network vs ABIDES reference: not compared (the session was cut short; the reference is a full day)")
    # the figures this benchmark recorded before issue 18, from the direct run (same meaning: build + run)
    figures.record("wall_s", d["build_run_wall_s"], "s", "lower")
    figures.record("peak_mib", d["peak_mib"], "MiB", "lower")
    figures.record("market_s_per_wall_s", d["market_s"] / d["build_run_wall_s"], "x", "higher")
    for mode, run in runs.items():
        figures.record(f"{mode}_sim_wall_s", run["sim_wall_s"], "s", "lower")
        figures.record(f"{mode}_sim_cpu_s", run["sim_cpu_s"], "s", "lower")
        figures.record(f"{mode}_peak_mib", run["peak_mib"], "MiB", "lower")
        figures.record(f"{mode}_process_wall_s", run["process_wall_s"], "s", "lower")
        figures.record(f"{mode}_messages", run["messages"]["total"], "messages", "lower")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the scenarios')")
    parser.add_argument("--close", default=None, help="end the session at HH:MM (a short sample)")
    parser.add_argument("--scenario", default=str(SCENARIO), help="scenario file (default: rmsc_network.yaml)")
    parser.add_argument("--child", choices=MODES, default=None, help=argparse.SUPPRESS)  # one mode, in a child
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.scenario, args.child, args.seed, args.close)))
        return
    runs = {mode: run_child(args.scenario, mode, args.seed, args.close) for mode in MODES}
    report(runs, args.close is None)


if __name__ == "__main__":
    main()
