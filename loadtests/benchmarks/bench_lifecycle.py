"""Benchmark: client orders through the full lifecycle in the twin.

N client orders (default 100,000) arrive over one session and go gateway ->
OMS -> risk -> router -> venue -> fills -> allocation -> confirmation ->
settlement at T+1, against market makers quoting deep books. Prints the
lifecycle rate (settled orders per wall second of simulation), the raw simpy
event rate measured in the same process (one process yielding env.timeout in
a loop), their ratio against the target of 1/60, and peak memory.

It also prints the *plumbing ceiling*: the lifecycle rate of the same message
path (client arrival, gateway, OMS, risk, router, venue, an ack and a fill
back to the OMS, post-trade) through the same ``SimService``/``Network`` code
with handlers that only pass the message on. That is seventeen kernel events
per lifecycle, one more than a real one (whose venue hop is one timer, not a
queued service), so the components' own work can at best bring the real rate
to about this ceiling: it shows how much of the per-lifecycle budget the
simulated services and network leave to the business logic.

    python loadtests/benchmarks/bench_lifecycle.py [--orders N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import time

import simpy

from components.domain.outcomes import DONE, Handled
from components.memory import SeededStreams
from scenarios.config import parse_scenario
from twin.bootstrap import build_twin
from twin.clock import SimClock
from twin.runner import simulate
from twin.services import Network, build_service

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


def raw_simpy_rate(events: int = 1_000_000) -> float:
    env = simpy.Environment()

    def loop():
        for _ in range(events):
            yield env.timeout(1)

    env.process(loop())
    started = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - started)


# The real path of one lifecycle: a message kind and the service that handles it.
_PATH = (("submit", "gateway"), ("validate", "oms"), ("risk", "risk"), ("route", "router"),
         ("child", "venue"), ("ack", "oms"), ("fill", "oms"), ("post_trade", "post_trade"))


def plumbing_ceiling_rate(lifecycles: int = 50_000) -> tuple[float, float]:
    """Lifecycles per second, and kernel events per lifecycle, of the real path
    through ``SimService``/``Network`` with handlers that only pass the message
    on (the venue answers a child with an ack and a fill, as in the real run)."""
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
    for i in range(lifecycles):
        clock.schedule(i * spacing, gateway.arrive, k["submit"]())
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    handled = sum(service.stats.handled for service in network.services.values())
    assert handled == lifecycles * len(_PATH), handled  # every hop of every lifecycle ran
    return lifecycles / wall, 1 + 2 * len(_PATH)  # the arrival, then arrive + finish per hop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    raw = raw_simpy_rate()
    ceiling, kernel_events = plumbing_ceiling_rate()
    scenario = parse_scenario(SCENARIO.format(orders=args.orders), "bench_lifecycle")
    built = time.perf_counter()
    world = build_twin(scenario, args.seed)
    build_s = time.perf_counter() - built
    started = time.perf_counter()
    simulate(world)
    wall = time.perf_counter() - started
    orders = world.platform.oms.orders.values()
    settled = sum(1 for o in orders if o.status.value == "SETTLED")
    rate = settled / wall
    target = raw / 60
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"orders submitted        {args.orders:>12,}")
    print(f"lifecycles settled      {settled:>12,}")
    print(f"events recorded         {len(world.log):>12,}")
    print(f"build (population etc.) {build_s:>12.2f} s")
    print(f"simulation wall time    {wall:>12.2f} s")
    print(f"lifecycle rate          {rate:>12,.0f} /s")
    print(f"raw simpy event rate    {raw:>12,.0f} /s")
    print(f"target (raw / 60)       {target:>12,.0f} /s")
    print(f"ratio rate / raw        {rate / raw:>12.5f}  (target >= {1 / 60:.5f}: "
          f"{'MET' if rate >= target else 'NOT MET'})")
    print(f"plumbing ceiling        {ceiling:>12,.0f} /s  ({kernel_events} kernel events per lifecycle, "
          f"no-op handlers; ratio {ceiling / raw:.5f})")
    print(f"per lifecycle           {1e6 / rate:>12.1f} us  (plumbing {1e6 / ceiling:.1f} us, "
          f"target budget {60e6 / raw:.1f} us)")
    print(f"peak memory (max RSS)   {peak_mib:>12,.0f} MiB")


if __name__ == "__main__":
    main()
