"""Benchmark: `twin replay` of a million top-of-book quotes, against NautilusTrader's figures from issue 12.

Workload (issue 12): 1,000,000 top-of-book quotes for one symbol on one venue
(a random-walk bid in whole cents from 190.00, a one-cent spread, evenly spread
over 09:30-16:00 New York), no trades, zero fees, and a 100-share MARKET order
every 100th quote alternating buy and sell (``twin.replay_orders.EveryNthQuote``
through the strategy hook), each through the real order entry, risk engine,
router, OMS and the replay venue's fill path.

The day is written as parquet first (not timed). Then the real command,
``python -m twin.cli replay ...``, runs in a subprocess: the whole-process
figure is that subprocess's wall time (interpreter start, imports, reading the
day, simulating, checking, writing every output) and its peak RSS. The
simulation loop rate is quotes per second of the run's ``simulate`` phase, as
the command prints it.

    python loadtests/benchmarks/bench_replay.py [--quotes N] [--every K] [--profile FILE]

``--profile FILE`` runs the subprocess under cProfile (slower; for finding costs).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
OPEN_NS = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York
SESSION_NS = int(6.5 * 3600 * 1e9)

NAUTILUS = {"run_s": 13.0, "prep_s": 1.3, "peak_mib": 530.0}
"""NautilusTrader 1.221 on the same workload: measured elsewhere, from issue 12 (not measured here)."""

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=1_000_000, help="quotes in the day (default 1,000,000)")
    parser.add_argument("--every", type=int, default=100, help="an order every K-th quote (default 100)")
    parser.add_argument("--profile", default=None, help="write a cProfile of the command to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_replay_") as tmp:
        folder = Path(tmp)
        day = folder / "day"
        day.mkdir()
        write_day(day, args.quotes)
        (folder / "scenario.yaml").write_text(SCENARIO)
        strategy = "twin.replay_orders:EveryNthQuote"
        if args.every != 100:
            strategy = "bench_strategy:_Every"  # the same strategy at another rate, in a module of its own
            (folder / "bench_strategy.py").write_text(
                "from twin.replay_orders import EveryNthQuote\n\n\n"
                f"class _Every(EveryNthQuote):\n    def __init__(self):\n        super().__init__(every={args.every})\n")
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        command = [sys.executable, *profile, "-m", "twin.cli", "replay", "--market", str(day),
                   "--strategy", strategy, "--scenario", str(folder / "scenario.yaml"), "--out", str(folder / "out")]
        env = {"PYTHONPATH": f"{ROOT}:{folder}", "PATH": "/usr/bin:/bin"}
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
        whole = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
    policy_line = next(line for line in done.stdout.splitlines() if line.startswith("policy "))
    phases = dict((k, float(v)) for k, v in re.findall(r"(\w+) ([0-9.]+)s", policy_line.split("(", 1)[1]))
    orders = int(re.search(r"orders (\d+)", done.stdout).group(1))
    fills = int(re.search(r"fills (\d+)", done.stdout).group(1))
    loop = args.quotes / phases["simulate"]
    nautilus_whole = NAUTILUS["run_s"] + NAUTILUS["prep_s"]
    print(f"workload              {args.quotes:,} quotes, {orders:,} MARKET orders (every {args.every}th quote), "
          f"{fills:,} fills")
    print(f"phases (in process)   " + ", ".join(f"{k} {v:.2f}s" for k, v in phases.items()))
    print(f"simulation loop       {loop:,.0f} quotes/s ({phases['simulate']:.2f}s)")
    print(f"whole process         {whole:.2f}s (subprocess wall: start, read the day, simulate, check, write outputs)")
    print(f"whole process CPU     {cpu:.2f}s user+sys (less sensitive than wall to other load on the machine)")
    print(f"peak RSS              {peak_mib:,.0f} MiB")
    print(f"NautilusTrader 1.221  run() {NAUTILUS['run_s']:.1f}s + data prep {NAUTILUS['prep_s']:.1f}s = "
          f"{nautilus_whole:.1f}s, {NAUTILUS['peak_mib']:.0f} MiB (measured elsewhere, from issue 12)")
    if args.quotes == 1_000_000:
        target = nautilus_whole / 2
        print(f"target whole process  <= {target:.2f}s (2x faster): {'MET' if whole <= target else 'NOT MET'} "
              f"({nautilus_whole / whole:.2f}x)")
        print(f"target peak memory    < {NAUTILUS['peak_mib']:.0f} MiB: "
              f"{'MET' if peak_mib < NAUTILUS['peak_mib'] else 'NOT MET'}")
    else:
        print("targets               apply to the 1,000,000-quote day only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
