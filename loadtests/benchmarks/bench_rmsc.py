"""Benchmark: the ABIDES RMSC04-like market day (scenarios/rmsc_like.yaml) in the twin.

Builds and runs the full 09:30-16:00 day (2 adaptive market makers, 102 value,
12 momentum and 1,000 noise agents on one symbol, a few client orders) and
prints wall seconds, orders created, trades, agent wake-ups, simulated market
seconds per wall second and peak memory (max RSS of this process), next to
the ABIDES RMSC04 full day measured on this machine, with the ratios.

    python loadtests/benchmarks/bench_rmsc.py [--seed S] [--scenario PATH]

The ABIDES figures are fixed reference numbers, not measured here. ABIDES
counts kernel messages (wake-ups plus every order, query and market-data
message between agents and the exchange); agents in the twin call the venue
directly, so there is no such count: the nearest figure printed is agent
wake-ups (and early requotes), beside the orders created.
"""

from __future__ import annotations

import argparse
import resource
import time

from loadtests.benchmarks import figures
from scenarios.config import builtin_scenario_path, load_scenario
from twin.bootstrap import build_twin
from twin.runner import simulate

ABIDES = {
    "wall_s": 22.0,
    "orders": 31_600,
    "trades": 18_700,
    "kernel_messages": 475_000,
    "peak_mib": 295.0,
}
"""ABIDES RMSC04, full day, on this machine (reference figures from the brief)."""


def count_wakes(world) -> list[int]:
    """Wrap each agent's ``wake`` (and makers' ``requote``) to count calls; returns the counter."""
    counter = [0]
    for agent in world.agents.agents:
        for name in ("wake", "requote"):
            inner = getattr(agent, name, None)
            if inner is None:
                continue

            def counted(now_ns, _inner=inner):
                counter[0] += 1
                return _inner(now_ns)

            setattr(agent, name, counted)
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    parser.add_argument("--scenario", default=str(builtin_scenario_path("rmsc_like")))
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    started = time.perf_counter()
    world = build_twin(scenario, seed)
    build_s = time.perf_counter() - started
    wakes = count_wakes(world)
    simulate(world)
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tapes = world.agents.tapes.values()
    agent_orders = sum(t.orders for t in tapes)
    client_orders = len(world.platform.oms.orders)
    orders = agent_orders + client_orders
    trades = sum(len(t) for t in tapes)
    volume = sum(t.volume for t in tapes)
    session = scenario.session
    market_s = (session.close_ns() - session.open_ns()) / 1e9 + 60  # plus the minute of pre-open quoting
    print(f"scenario {scenario.name}  seed {seed}  agents {len(world.agents.agents):,}")
    print(f"{'':28}{'twin':>14}{'ABIDES RMSC04':>16}{'ABIDES / twin':>15}")
    rows = [
        ("wall seconds (build + run)", wall, ABIDES["wall_s"], True),
        ("orders created", orders, ABIDES["orders"], False),
        ("trades (fills)", trades, ABIDES["trades"], False),
        ("peak memory, MiB (max RSS)", peak_mib, ABIDES["peak_mib"], True),
    ]
    for label, ours, theirs, is_float in rows:
        shown = f"{ours:>14,.2f}" if is_float else f"{ours:>14,}"
        print(f"{label:28}{shown}{theirs:>16,}{theirs / ours if ours else float('nan'):>14.2f}x")
    print(f"{'agent wake-ups + requotes':28}{wakes[0]:>14,}{'':>16}   (ABIDES kernel messages: "
          f"{ABIDES['kernel_messages']:,})")
    print(f"of which: build {build_s:.2f} s; agent orders {agent_orders:,}, client orders {client_orders:,}; "
          f"volume {volume:,} shares")
    print(f"simulated market seconds per wall second: {market_s / wall:,.0f} "
          f"(ABIDES: {market_s / ABIDES['wall_s']:,.0f})")
    figures.record("wall_s", wall, "s", "lower")
    figures.record("peak_mib", peak_mib, "MiB", "lower")
    figures.record("market_s_per_wall_s", market_s / wall, "x", "higher")


if __name__ == "__main__":
    main()
