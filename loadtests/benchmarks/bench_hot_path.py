"""Benchmark: the live hot path, in process and over HTTP, against the blueprint budgets.

(a) In process: N orders (default 100,000) through the live runtime exactly
    as ``POST /v1/orders`` sends them (``OrderService.submit``: order entry,
    OMS validation, risk, routing decision, the reply), on an in-memory event
    log and a venue gateway that only acks. Prints p50/p95/p99 in
    microseconds for the whole path and for each handler. ``--observability``:
    ``off`` (metrics unplugged), ``on`` (metrics and OpenTelemetry tracing, as
    ``twin serve`` with a trace destination runs) or ``both`` (the default: off
    then on, measured in the same run, with the CPU time per order of each).
    ``--gc``: under the collector settings ``twin serve`` applies once the
    stack is up (``live.heap``, the default), CPython's defaults, or ``both``;
    every collector pass during the timed loop is counted and timed.
    ``--tail``: also what the slowest 1% of orders are made of (collector
    passes, time off CPU, or which stage grew: ``hot_path_tail``); it reads the
    thread's CPU clock twice per order (about 1 us each), so its figures run a
    little higher than without it. ``--max-order-notional``: a lower risk limit
    blocks the larger orders (final at once: their traces are built then);
    ``--young-threshold``: ``live.heap``'s collector threshold, to weigh fewer,
    longer passes against more, shorter ones.
(b) Over HTTP: ``twin serve`` in a subprocess on loopback; an httpx
    AsyncClient keeps ``--concurrency`` requests in flight (default 16) for
    ``--requests`` orders (``--client raw``: a hand-written keep-alive client
    that costs less CPU than httpx). Prints p50/p95/p99 in ms and the
    throughput. The client shares the machine's cores with the server, so
    this is a floor.

    python loadtests/benchmarks/bench_hot_path.py [--orders N] [--requests M] [--concurrency C] [--client raw]
        [--observability off|on|both] [--gc live|default|both] [--skip-http] [--tail]
        [--max-order-notional DOLLARS] [--young-threshold N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import numpy as np

from components.domain.commands import CheckRisk, RouteOrder, SubmitOrder, ValidateOrder
from components.domain.venues import ExecKind, ExecutionReport
from live.bootstrap import build_live
from live.heap import YOUNG_THRESHOLD, settle_heap
from components.config.live import parse_live_config
from live.security import Principal
from live.entrypoints.service import OrderService
from loadtests.benchmarks import figures
from loadtests.benchmarks.hot_path_tail import OrderSample, composition

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-token-0123456789abcdef"
BUDGET_MS = {"gateway+auth": 35.0, "oms": 45.0, "risk": 50.0, "routing": 25.0}
STAGE_OF = {SubmitOrder: "gateway+auth", ValidateOrder: "oms", CheckRisk: "risk", RouteOrder: "routing"}


def bench_config(accounts: int, max_order_notional: str = "100000000") -> str:
    """A market with deep books, generous limits, ``accounts`` rich accounts of ADV-1 and one token.
    ``max_order_notional`` (dollars): lower it to have the risk engine block the larger orders."""
    lines = [
        '[[symbols]]\nsymbol = "AAPL"\nreference_price = "190.00"',
        '[[symbols]]\nsymbol = "MSFT"\nreference_price = "415.00"',
        '[[venues]]\nname = "XNAS"\n[[venues]]\nname = "ARCX"\n[[venues]]\nname = "BATS"',
        f'[risk]\nmax_order_notional = "{max_order_notional}"\nmax_daily_notional_per_account = "100000000000"\n'
        'concentration_max_bps = 10000\nduplicate_window_s = 0.0',
        '[liquidity]\nmarket_maker_levels = 5\nmarket_maker_size = 1000000\nrequote_s = 60.0\nnoise_traders = 0',
        '[rate_limit]\nrate_per_s = 1000000.0\nburst = 1000000',
        # Measure the order path and the HTTP gateway, not SQLite fsyncs or FIX sessions.
        '[event_log]\nkind = "memory"',
        '[venue_link]\nmode = "direct"',
        f'[[tokens]]\nadvisor_id = "ADV-1"\ntoken = "{TOKEN}"',
    ]
    for i in range(accounts):
        lines.append(f'[[accounts]]\naccount_id = "AC-{i:05d}"\nclient_id = "CL-{i:05d}"\nadvisor_id = "ADV-1"\n'
                     f'cash = "1000000000"\npositions = [{{symbol = "AAPL", quantity = 10000000}}, '
                     f'{{symbol = "MSFT", quantity = 10000000}}]')
    return "\n".join(lines) + "\n"


def order_bodies(accounts: int, prefix: str):
    """Endless varied order bodies: market and limit, buys and sells, across accounts and symbols."""
    shapes = cycle([("AAPL", "BUY", "MARKET", None), ("MSFT", "SELL", "LIMIT", "414.00"),
                    ("AAPL", "SELL", "MARKET", None), ("MSFT", "BUY", "LIMIT", "416.00"),
                    ("AAPL", "BUY", "LIMIT", "190.50")])
    n = 0
    for symbol, side, kind, price in shapes:
        n += 1
        body = {"account_id": f"AC-{n % accounts:05d}", "symbol": symbol, "side": side,
                "quantity": 1 + n % 300, "order_type": kind, "time_in_force": "DAY",
                "advisor_id": "ADV-1", "client_order_id": f"{prefix}{n}"}
        if price:
            body["limit_price"] = price
        yield body


class AckingGateway:
    """A VenueGateway whose venues only acknowledge: the path stops at the routing decision."""

    def connect(self, on_report) -> None:
        self._sink = on_report

    def send(self, child) -> None:
        self._sink(ExecutionReport(ExecKind.ACK, child.venue, child.child_id, child.order_id, 0,
                                   leaves_qty=child.quantity))

    def cancel(self, venue: str, child_id: str) -> None:
        pass


def percentiles(samples) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(samples, dtype=np.float64), [50, 95, 99])
    return float(p50), float(p95), float(p99)


GC_POLICIES = {"live": "as live (live.heap.settle_heap)", "default": "CPython's defaults"}

OBSERVABILITY = ("off", "metrics", "metrics+tracing")
"""What a benchmark stack runs: nothing, the metrics (as built), the metrics and OTel tracing."""


def set_observability(live, mode: str, trace_file: Path):
    """Put ``live`` (just built) in ``mode`` (one of ``OBSERVABILITY``); the tracer when tracing is on.

    Benchmark only: "off" unplugs the two feeds ``build_live`` wired; tracing goes through
    ``install_tracing`` with the OTLP/JSON file exporter behind the SDK's BatchSpanProcessor."""
    from live.observability.tracing import install_tracing

    if mode == "off":
        live.runtime.set_observer(None)
        live.platform.oms._listeners.remove(live.metrics.on_event)
    if mode == "metrics+tracing":
        return install_tracing(live, {"TWIN_TRACES_FILE": str(trace_file)})
    return None


class GcPauses:
    """Every garbage-collector pass while recording: its generation and wall time (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.passes: dict[int, list[int]] = {0: [], 1: [], 2: []}
        self._started = 0
        self.unclaimed_ns = 0  # pause time since ``claim`` last ran (which order a pass landed in)

    def __enter__(self) -> "GcPauses":
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *_exc) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter_ns()
        else:
            took = time.perf_counter_ns() - self._started
            self.passes[info["generation"]].append(took)
            self.unclaimed_ns += took

    def claim(self) -> int:
        """The pause time since the previous claim (the order just timed)."""
        took, self.unclaimed_ns = self.unclaimed_ns, 0
        return took

    def summary(self) -> str:
        return "; ".join(f"gen{g} {len(p):,} passes, {sum(p) / 1e6:.0f} ms, max {max(p, default=0) / 1e3:,.0f} us"
                         for g, p in self.passes.items())


def in_process(orders: int, mode: str = "metrics", gc_policy: str = "live", tail: bool = False,
               max_order_notional: str = "100000000", young_threshold: int = YOUNG_THRESHOLD) -> None:
    accounts = 1000
    live = build_live(parse_live_config(bench_config(accounts, max_order_notional), "bench"), gateway=AckingGateway())
    tmp = tempfile.TemporaryDirectory()
    tracer = set_observability(live, mode, Path(tmp.name) / "traces.jsonl")
    live.start()  # no event loop: market makers quote once, their timers are held
    heap = settle_heap(young_threshold) if gc_policy == "live" else None  # as `twin serve` does once the stack is up
    service = OrderService(live)
    who = live.tokens.authenticate(TOKEN) or Principal("ADV-1", "bench")
    stages: dict[str, list[int]] = {name: [] for name in BUDGET_MS}
    timing = [False]
    inner = live.runtime._observe  # the metrics' (and the tracer's) observer, or None when off
    this_order: dict[str, int] = {}  # handler ns by stage for the order being timed (--tail)

    def observe(message, ns) -> None:
        if inner is not None:
            inner(message, ns)
        stage = STAGE_OF.get(type(message))
        if stage and timing[0]:
            stages[stage].append(ns)
        if tail:
            stage = stage or "other handlers"
            this_order[stage] = this_order.get(stage, 0) + ns

    live.runtime.set_observer(observe)
    bodies = order_bodies(accounts, "IP-")
    for _ in range(min(2000, orders)):  # warm-up
        service.submit(next(bodies), who)
    timing[0] = True
    total: list[int] = []
    statuses: dict[int, int] = {}
    timed: list[OrderSample] = []
    clock, thread_cpu = time.perf_counter_ns, time.thread_time_ns
    with GcPauses() as pauses:
        started, cpu = clock(), time.process_time()
        for i in range(orders):
            body = next(bodies)
            if tail:
                this_order.clear()
                c0 = thread_cpu()
            t0 = clock()
            reply = service.submit(body, who)
            took = clock() - t0
            total.append(took)
            if tail:
                blocked = " BLOCKED" if reply.body.get("status") == "BLOCKED" else ""
                timed.append(OrderSample(i, f"{body['symbol']} {body['side']} {body['order_type']}{blocked}", took,
                                           thread_cpu() - c0, pauses.claim(), dict(this_order)))
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
        wall, cpu = (clock() - started) / 1e9, time.process_time() - cpu
    if heap is not None:  # the next measurement starts from CPython's defaults again
        heap.undo()
    routed = sum(1 for o in live.platform.oms.orders.values() if o.status.value == "ROUTED")
    blocked = sum(1 for o in live.platform.oms.orders.values() if o.status.value == "BLOCKED")
    pending = 0
    if tracer is not None:
        pending = getattr(tracer, "pending", lambda: 0)()  # final orders' traces not built yet (blocked orders)
        tracer.provider.shutdown()  # open orders' traces are left unexported: bench_observability times that
    tmp.cleanup()
    print(f"(a) in process, observability {mode}, garbage collector {GC_POLICIES[gc_policy]}: {orders:,} orders in "
          f"{wall:.2f} s ({orders / wall:,.0f} orders/s, {cpu / orders * 1e6:.0f} us CPU per order), replies "
          f"{statuses}, routed {routed:,}, blocked {blocked:,}, handler failures {len(live.runtime.failures)}")
    print(f"    garbage collector passes while timed: {pauses.summary()}"
          + (f" (young threshold {young_threshold:,})" if gc_policy == "live" else ""))
    if tracer is not None and blocked:
        print(f"    tracing: {pending:,} final orders' traces still waiting for the builder thread at the end")
    print(f"    {'path':<28}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}{'p99.9 us':>10}{'max us':>10}{'budget p99':>14}")
    for name, samples in (("submit -> routing decision", total), *stages.items()):
        p50, p95, p99 = (v / 1e3 for v in percentiles(samples))
        p999, most = float(np.percentile(samples, 99.9)) / 1e3, max(samples) / 1e3
        budget = f"{BUDGET_MS[name]:.0f} ms" if name in BUDGET_MS else f"{sum(BUDGET_MS.values()):.0f} ms"
        print(f"    {name:<28}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}{p999:>10.1f}{most:>10.1f}{budget:>14}")
        if name == "submit -> routing decision":
            suffix = "" if gc_policy == "live" else ".gc_default"
            figures.record(f"in_process.{mode}{suffix}.submit_p50_us", p50, "us", "lower")
            figures.record(f"in_process.{mode}{suffix}.submit_p99_us", p99, "us", "lower")
    figures.record(f"in_process.{mode}.orders_per_s", orders / wall, "orders/s", "higher")
    if tail:
        for line in composition(timed, [*BUDGET_MS, "other handlers"]):
            print(f"    {line}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(base: str, requests: int, concurrency: int, warmup: int,
                client: str = "httpx") -> tuple[list[float], float, dict]:
    """Keep ``concurrency`` POSTs in flight until ``requests`` are done; latencies in ms."""
    bodies = order_bodies(200, "HT-")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    left = [requests]
    post = await (_httpx_poster if client == "httpx" else _raw_poster)(base, concurrency)
    try:
        for _ in range(warmup):
            await post(0, next(bodies))

        async def worker(slot: int) -> None:
            while left[0] > 0:
                left[0] -= 1
                body = next(bodies)
                t0 = time.perf_counter()
                status = await post(slot, body)
                latencies.append((time.perf_counter() - t0) * 1e3)
                statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    finally:
        await post.close()
    return latencies, wall, statuses


async def _httpx_poster(base: str, concurrency: int):
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits,
                               timeout=30)

    async def post(_slot: int, body: dict) -> int:
        return (await client.post("/v1/orders", json=body)).status_code

    post.close = client.aclose
    return post


async def _raw_poster(base: str, concurrency: int):
    """HTTP/1.1 keep-alive by hand, one connection per slot: a client that costs
    the shared CPUs far less than httpx, so the server's own latency shows."""
    host, port = base.removeprefix("http://").split(":")
    conns = [await asyncio.open_connection(host, int(port)) for _ in range(concurrency)]
    head = f"POST /v1/orders HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n" \
           "Content-Type: application/json\r\nContent-Length: "

    async def post(slot: int, body: dict) -> int:
        reader, writer = conns[slot]
        payload = json.dumps(body).encode()
        writer.write(f"{head}{len(payload)}\r\n\r\n".encode() + payload)
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return status

    async def close() -> None:
        for _, writer in conns:
            writer.close()

    post.close = close
    return post


def over_http(requests: int, concurrency: int, client: str) -> None:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "live.toml"
        config.write_text(bench_config(200), encoding="utf-8")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "twin.cli", "serve", "--config", str(config), "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"twin serve exited: {server.stderr.read().decode()}")
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise SystemExit("twin serve did not start in 30 s") from None
                    time.sleep(0.1)
            latencies, wall, statuses = asyncio.run(_load(base, requests, concurrency, min(200, requests), client))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    p50, p95, p99 = percentiles(latencies)
    print(f"(b) HTTP POST /v1/orders on loopback ({client} client): {requests:,} requests, {concurrency} in flight, "
          f"{wall:.2f} s, {requests / wall:,.0f} requests/s, statuses {statuses}")
    print(f"    {'latency ms':<28}{'p50':>10}{'p95':>10}{'p99':>10}{'budget p99':>14}")
    print(f"    {'client round trip':<28}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}"
          f"{'35 ms (gateway+auth)':>22}")
    figures.record("http.requests_per_s", requests / wall, "requests/s", "higher")
    figures.record("http.p50_ms", p50, "ms", "lower")
    figures.record("http.p99_ms", p99, "ms", "lower")
    print(f"    (the whole submit->routing path's budget is {sum(BUDGET_MS.values()):.0f} ms: "
          + ", ".join(f"{k} {v:.0f}" for k, v in BUDGET_MS.items()) + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="in-process orders (a)")
    parser.add_argument("--requests", type=int, default=None, help="HTTP requests (b); default min(3000, orders)")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP requests in flight (b)")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx",
                        help="HTTP client for (b): httpx AsyncClient, or a light hand-written one")
    parser.add_argument("--skip-http", action="store_true", help="only run (a)")
    parser.add_argument("--observability", choices=("off", "on", "both"), default="both",
                        help="(a) with metrics and tracing unplugged, on, or both in this run (default)")
    parser.add_argument("--gc", choices=("live", "default", "both"), default="live",
                        help="(a) under the live process's collector settings (live.heap, the default), "
                             "CPython's defaults, or both in this run")
    parser.add_argument("--max-order-notional", default="100000000", metavar="DOLLARS",
                        help="(a) the risk limit per order; 100000 blocks about 8%% of the orders (the larger MSFT "
                             "ones), whose traces are final at once")
    parser.add_argument("--young-threshold", type=int, default=YOUNG_THRESHOLD, metavar="N",
                        help="(a) with --gc live: allocations between collector passes (live.heap's default: "
                             f"{YOUNG_THRESHOLD:,}); fewer, longer passes or more, shorter ones")
    parser.add_argument("--tail", action="store_true",
                        help="(a) also what the slowest 1%% of orders are made of (collector, off CPU, stages)")
    args = parser.parse_args()
    modes = {"off": ["off"], "on": ["metrics+tracing"], "both": ["off", "metrics+tracing"]}[args.observability]
    policies = ["live", "default"] if args.gc == "both" else [args.gc]
    # Latency percentiles move with whatever else the machine runs: say how loaded it was.
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    for mode in modes:
        for policy in policies:
            in_process(args.orders, mode, policy, args.tail, args.max_order_notional, args.young_threshold)
    if not args.skip_http:
        over_http(args.requests or min(3000, args.orders), args.concurrency, args.client)


if __name__ == "__main__":
    main()
