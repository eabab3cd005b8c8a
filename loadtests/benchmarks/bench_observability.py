"""Benchmark: what observability costs, on the live hot path and on a twin run.

(a) Live, in process: N orders through ``OrderService.submit`` (the path of
    ``POST /v1/orders`` to the routing decision, as ``bench_hot_path`` (a)) on
    two fresh live stacks, one with the metrics unplugged (no runtime observer,
    no OMS metrics listener) and one as built (metrics on). Prints p50/p95/p99
    in microseconds for each and the p99 against the 250 us target.
(b) Twin: one run of ``--scenario`` (default trading_day) writing its run folder,
    then the observability outputs (metrics.parquet, metrics.prom, slo.json) timed
    alone on the same events: their share of the whole run's wall time, against
    the 15% target (the simulation itself is not instrumented: nothing else differs).

    python loadtests/benchmarks/bench_observability.py [--orders N] [--scenario FILE] [--skip-twin | --skip-live]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.config.live import parse_live_config  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from live.entrypoints.service import OrderService  # noqa: E402
from live.security import Principal  # noqa: E402
from loadtests.benchmarks.bench_hot_path import (  # noqa: E402
    TOKEN, AckingGateway, bench_config, order_bodies, percentiles)

P99_TARGET_US = 250.0
TWIN_TARGET = 0.15


def live_path(orders: int, metrics_on: bool) -> list[int]:
    """Submit latencies (ns) of ``orders`` orders after a warm-up, metrics on or unplugged."""
    accounts = 1000
    live = build_live(parse_live_config(bench_config(accounts), "bench"), gateway=AckingGateway())
    if not metrics_on:  # benchmark only: unplug the two feeds build_live wired
        live.runtime.set_observer(None)
        live.platform.oms._listeners.remove(live.metrics.on_event)
    live.start()
    service = OrderService(live)
    who = live.tokens.authenticate(TOKEN) or Principal("ADV-1", "bench")
    bodies = order_bodies(accounts, "OB-")
    for _ in range(min(2000, orders)):
        service.submit(next(bodies), who)
    clock, total = time.perf_counter_ns, []
    for _ in range(orders):
        body = next(bodies)
        t0 = clock()
        service.submit(body, who)
        total.append(clock() - t0)
    return total


def feed_cost_us(orders: int) -> float:
    """CPU microseconds per order of the metrics feeds alone, on the hot path's shape: the four
    events of submit -> routed and five handler observations (CPU time: less disturbed by other
    processes on the machine than wall-clock percentiles)."""
    from components.domain.events import EventType as E, OrderEvent
    from components.observability.metrics import PlatformMetrics

    def event(kind, order_id, **details):
        return OrderEvent(kind, "e", "t", 1, 1, order_id, 1, "AC", "AAPL", "BUY", 10, "MARKET", None, "DAY", "a",
                          (), details or None)

    metrics, message = PlatformMetrics(), object()
    batches = [[event(E.ORDER_RECEIVED, f"O{i}", submitted_ns=0), event(E.ORDER_VALIDATED, f"O{i}"),
                event(E.ORDER_RISK_APPROVED, f"O{i}"),
                event(E.ORDER_ROUTED, f"O{i}", children=[{"venue": "XNAS", "child_id": "C"}])] for i in range(orders)]
    started = time.process_time()
    for batch in batches:
        for e in batch:
            metrics.on_event(e)
        for _ in range(5):
            metrics.on_handled(message, 50_000)
    return (time.process_time() - started) / orders * 1e6


def twin_run(scenario: Path) -> None:
    from scenarios.config import load_scenario
    from twin.observability import write_observability
    from twin.runner import run_scenario

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_scenario(load_scenario(scenario), out_dir=Path(tmp) / "run")
        whole = time.perf_counter() - started
        events = list(result.world.log.read())
        t0 = time.perf_counter()
        write_observability(Path(tmp), events)
        obs = time.perf_counter() - t0
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.phase_seconds.items())
    share = obs / whole
    print(f"(b) twin {scenario.name}: {len(events):,} events; whole run {whole:.1f} s ({phases})")
    print(f"    observability outputs {obs:.2f} s = {share:.1%} of the run; without them {whole - obs:.1f} s "
          f"(target <= {TWIN_TARGET:.0%}: {'MET' if share <= TWIN_TARGET else 'NOT MET'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=30_000, help="in-process orders per configuration (a)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "trading_day.yaml"), help="twin scenario (b)")
    parser.add_argument("--skip-twin", action="store_true", help="only run (a)")
    parser.add_argument("--skip-live", action="store_true", help="only run (b)")
    args = parser.parse_args()
    if not args.skip_live:
        print(f"(a) live in process, {args.orders:,} orders each")
        print(f"    {'metrics':<10}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}")
    for on in (False, True) if not args.skip_live else ():
        p50, p95, p99 = (v / 1e3 for v in percentiles(live_path(args.orders, on)))
        verdict = f"  (p99 target {P99_TARGET_US:.0f} us: {'MET' if p99 <= P99_TARGET_US else 'NOT MET'})" if on else ""
        print(f"    {'on' if on else 'off':<10}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}{verdict}")
    if not args.skip_live:
        print(f"    metrics feeds alone: {feed_cost_us(args.orders):.1f} us CPU per order")
    if not args.skip_twin:
        twin_run(Path(args.scenario))


if __name__ == "__main__":
    main()
