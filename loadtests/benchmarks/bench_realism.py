"""Benchmark: the realism report's NBBO builder and facts on a large recorded-shaped day (issue 18).

Generates ``--quotes`` per-venue quote updates of one symbol over ``--venues`` venues through a
09:30-16:00 session (a random-walk mid in cents, each venue quoting around it) and ``--trades``
trades, all with numpy from ``--seed``; then times ``nbbo_from_venue_quotes`` (per-venue quotes ->
NBBO changes) and ``day_facts`` (1 s sampling, returns at 1 s / 1 min / 5 min, ACFs, spread, depth,
intraday profile) and prints both (wall and process CPU time), with the NBBO's row count.
Target: a million quotes in a second or two, not minutes.

    python loadtests/benchmarks/bench_realism.py [--quotes N] [--venues N] [--trades N] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from reports.stylized_facts import Tape, day_facts, nbbo_from_venue_quotes  # noqa: E402

OPEN_NS = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York
SESSION_NS = 23_400 * 1_000_000_000
CENT = 100


def synthetic_quotes(n: int, venues: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``n`` quote updates (time-sorted): venue codes, and bids/asks a few cents around a walking mid."""
    t = np.sort(rng.integers(OPEN_NS, OPEN_NS + SESSION_NS, n))
    mid_cents = 10_000 + np.cumsum(rng.integers(-1, 2, n))  # $100.00 walking by a cent
    venue = rng.integers(0, venues, n)
    bid = (mid_cents - rng.integers(0, 3, n)) * CENT
    ask = (mid_cents + 1 + rng.integers(0, 3, n)) * CENT
    bid_size = rng.integers(1, 20, n) * 100
    ask_size = rng.integers(1, 20, n) * 100
    empty = rng.random(n) < 0.001  # now and then a venue pulls a side
    bid[empty], bid_size[empty] = 0, 0
    return t, venue, bid, bid_size, ask, ask_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=12)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("quotes", "venues", "trades"):
        if getattr(args, name) < 1:
            print(f"--{name} must be >= 1", file=sys.stderr)
            return 2
    rng = np.random.default_rng(args.seed)
    quotes = synthetic_quotes(args.quotes, args.venues, rng)
    trade_t = np.sort(rng.integers(OPEN_NS, OPEN_NS + SESSION_NS, args.trades))
    tape = Tape(trade_t, np.full(args.trades, 10_000 * CENT, np.int64), rng.integers(1, 10, args.trades) * 100)

    started, cpu = time.perf_counter(), time.process_time()
    book = nbbo_from_venue_quotes(*quotes)
    nbbo_s, nbbo_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    facts = day_facts(book, tape, OPEN_NS, OPEN_NS + SESSION_NS)
    facts_s, facts_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"input   {args.quotes:,} quotes over {args.venues} venues, {args.trades:,} trades (seed {args.seed})")
    print(f"nbbo    {nbbo_s:.3f} s wall, {nbbo_cpu:.3f} s CPU -> {len(book):,} NBBO changes "
          f"({args.quotes / nbbo_s / 1e6:.2f} M quotes/s wall)")
    print(f"facts   {facts_s:.3f} s wall, {facts_cpu:.3f} s CPU ({facts['samples']:,} one-second samples, "
          f"{facts['returns']['1min']['count']} one-minute returns)")
    print(f"total   {nbbo_s + facts_s:.3f} s wall, {nbbo_cpu + facts_cpu:.3f} s CPU "
          f"(wall exceeds CPU when other processes share the cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
