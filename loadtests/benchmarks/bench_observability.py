"""Benchmark: what observability costs, on the live hot path and on a twin run.

(a) Live, in process: N orders through ``OrderService.submit`` (the path of
    ``POST /v1/orders`` to the routing decision, as ``bench_hot_path`` (a)) on
    three fresh live stacks in this one process, measured in the same run: all
    observability unplugged (no runtime observer, no OMS listener), metrics on
    (as built), and metrics plus OpenTelemetry tracing on (``install_tracing``
    with the OTLP/JSON file exporter behind the SDK's BatchSpanProcessor).
    Prints p50/p95/p99 in microseconds and the CPU time per order of each, the
    p99 against the 250 us target, and what the traces cost off the submit path
    (the SDK spans of every order made at once, as when orders go final).
(b) Twin: ``--scenario`` (default trading_day) run twice in this process, same
    seed, writing its run folder: once with the observability outputs
    (metrics.parquet, metrics.prom, traces.json, slo.json) and once with them
    switched off (``twin.outputs.write_observability`` replaced by a no-op, in
    this benchmark only). Prints CPU and wall time of both and the difference
    against the 15% target (the simulation itself is not instrumented).

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
from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks.bench_hot_path import (  # noqa: E402
    OBSERVABILITY, TOKEN, AckingGateway, bench_config, order_bodies, percentiles, set_observability)

P99_TARGET_US = 250.0
TWIN_TARGET = 0.15


MODES = OBSERVABILITY


def live_path(orders: int, mode: str, trace_dir: Path | None = None) -> tuple[list[int], float, str]:
    """Submit latencies (ns) of ``orders`` orders after a warm-up, the CPU seconds they took, and
    (tracing on) a note of what exporting their traces cost; ``mode`` one of ``MODES``."""
    accounts = 1000
    live = build_live(parse_live_config(bench_config(accounts), "bench"), gateway=AckingGateway())
    tracer = set_observability(live, mode, Path(trace_dir or ".") / "traces.jsonl")
    live.start()
    service = OrderService(live)
    who = live.tokens.authenticate(TOKEN) or Principal("ADV-1", "bench")
    bodies = order_bodies(accounts, "OB-")
    for _ in range(min(2000, orders)):
        service.submit(next(bodies), who)
    if tracer is not None:  # the warm-up's orders: exported now, so the timed ones start clean
        for order_id in list(tracer._events):
            tracer.export(order_id)
        tracer.flush()
    clock, total = time.perf_counter_ns, []
    cpu = time.process_time()
    for _ in range(orders):
        body = next(bodies)
        t0 = clock()
        service.submit(body, who)
        total.append(clock() - t0)
    cpu = time.process_time() - cpu
    note = ""
    if tracer is not None:
        # The acking venues leave every order ROUTED (open), so none went final during the timed
        # loop: make their SDK spans now, as the end of each order's last handler would, and flush.
        open_orders = list(tracer._events)
        t0 = time.process_time()
        spans = sum(tracer.export(order_id) for order_id in open_orders)
        made = time.process_time() - t0
        tracer.flush(60_000)
        exported = time.process_time() - t0
        note = (f"traces off the submit path: {spans / max(1, len(open_orders)):.1f} spans per order; SDK spans "
                f"made {made / max(1, len(open_orders)) * 1e6:.0f} us CPU per order, with the export "
                f"{exported / max(1, len(open_orders)) * 1e6:.0f} us")
        tracer.provider.shutdown()
    return total, cpu, note


def feed_cost_us(orders: int, tracing: bool = False) -> float:
    """CPU microseconds per order of the metrics feeds alone (``tracing``: of the tracer's hot-path
    hooks alone), on the hot path's shape: the four events of submit -> routed and five handler
    observations (CPU time: less disturbed by other processes on the machine than wall-clock
    percentiles). The tracer's orders stay open: no SDK span is made here."""
    from components.domain.commands import ValidateOrder
    from components.domain.events import EventType as E, OrderEvent
    from components.observability.metrics import PlatformMetrics
    from live.observability.tracing import build_tracer

    def event(kind, order_id, **details):
        return OrderEvent(kind, "e", "t", 1, 1, order_id, 1, "AC", "AAPL", "BUY", 10, "MARKET", None, "DAY", "a",
                          (), details or None)

    hooks = build_tracer([]) if tracing else PlatformMetrics()
    batches = [[event(E.ORDER_RECEIVED, f"O{i}", submitted_ns=0), event(E.ORDER_VALIDATED, f"O{i}"),
                event(E.ORDER_RISK_APPROVED, f"O{i}"),
                event(E.ORDER_ROUTED, f"O{i}", children=[{"venue": "XNAS", "child_id": "C"}])] for i in range(orders)]
    messages = [ValidateOrder(f"O{i}") for i in range(orders)]
    on_event, on_handled = hooks.on_event, hooks.on_handled
    started = time.process_time()
    for batch, message in zip(batches, messages):
        for e in batch:
            on_event(e)
        for _ in range(5):
            on_handled(message, 50_000)
    return (time.process_time() - started) / orders * 1e6


def _one_twin_run(scenario: Path, observability: bool) -> tuple[float, float, str, int]:
    """CPU seconds, wall seconds, fingerprint and event count of one run (outputs written)."""
    import twin.outputs
    from scenarios.config import load_scenario
    from twin.run_timing import cpu_seconds  # this process's and its finished children's: the run's output
    from twin.runner import run_scenario     # worker and the report's figure workers are children

    real = twin.outputs.write_observability
    if not observability:  # benchmark only: the run folder without metrics/traces/slo outputs
        twin.outputs.write_observability = lambda *_a, **_k: {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cpu, wall = cpu_seconds(), time.perf_counter()
            result = run_scenario(load_scenario(scenario), out_dir=Path(tmp) / "run")
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    finally:
        twin.outputs.write_observability = real
    return cpu, wall, result.fingerprint, len(result.world.log)


def twin_run(scenario: Path) -> None:
    off = _one_twin_run(scenario, False)
    on = _one_twin_run(scenario, True)
    assert off[2] == on[2], "observability changed the run's fingerprint"
    cpu_share, wall_share = on[0] / off[0] - 1, on[1] / off[1] - 1
    print(f"(b) twin {scenario.name}, same seed, same process, {on[3]:,} events, fingerprint {on[2][:12]} (both runs)")
    print(f"    {'observability':<16}{'CPU s':>8}{'wall s':>8}")
    print(f"    {'off':<16}{off[0]:>8.1f}{off[1]:>8.1f}")
    print(f"    {'on':<16}{on[0]:>8.1f}{on[1]:>8.1f}")
    print(f"    on costs {cpu_share:+.1%} CPU, {wall_share:+.1%} wall (target <= {TWIN_TARGET:.0%} on CPU: "
          f"{'MET' if cpu_share <= TWIN_TARGET else 'NOT MET'})")
    figures.record("twin.observability_cpu_share", cpu_share, "fraction", "lower")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=30_000, help="in-process orders per configuration (a)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "trading_day.yaml"), help="twin scenario (b)")
    parser.add_argument("--skip-twin", action="store_true", help="only run (a)")
    parser.add_argument("--skip-live", action="store_true", help="only run (b)")
    args = parser.parse_args()
    if not args.skip_live:
        print(f"(a) live in process, {args.orders:,} orders each, the three configurations in this one run")
        print(f"    {'observability':<18}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}{'CPU us/order':>14}")
        notes = []
        with tempfile.TemporaryDirectory() as tmp:
            for mode in MODES:
                latencies, cpu, note = live_path(args.orders, mode, Path(tmp))
                p50, p95, p99 = (v / 1e3 for v in percentiles(latencies))
                verdict = (f"  (p99 target {P99_TARGET_US:.0f} us: {'MET' if p99 <= P99_TARGET_US else 'NOT MET'})"
                           if mode != "off" else "")
                print(f"    {mode:<18}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}{cpu / args.orders * 1e6:>14.1f}{verdict}")
                figures.record(f"live.{mode}.p99_us", p99, "us", "lower")
                figures.record(f"live.{mode}.cpu_us_per_order", cpu / args.orders * 1e6, "us/order", "lower")
                notes += [note] if note else []
        for note in notes:
            print(f"    {note}")
        print(f"    metrics feeds alone: {feed_cost_us(args.orders):.1f} us CPU per order; "
              f"tracing hooks alone: {feed_cost_us(args.orders, tracing=True):.1f} us CPU per order")
    if not args.skip_twin:
        twin_run(Path(args.scenario))


if __name__ == "__main__":
    main()
