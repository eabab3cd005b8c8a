"""Benchmark: order book (and venue) operations per second on one core.

Owns nothing but measurement. A seeded random mix of operations runs against a
live book pre-filled around a mid price:

* ``add``    a passive DAY limit that rests (1 to 20 ticks from the mid);
* ``cancel`` a cancel of a random order this driver placed (it may already be
             gone, which is a real-world cancel too);
* ``match``  a marketable order (IOC limit a few ticks through, or market)
             that trades against one or more resting orders.

The op stream is generated before timing so random draws are not measured.
Each call is timed individually (per-kind figures include ~60 ns of timer
overhead); the overall figure is wall time of the whole loop without per-call
timers, so it also pays for the driver's own work (id strings, bookkeeping)
and the cyclic GC. The same mix is then run through ``SimVenue`` (agent orders, no
reports) to show the venue wrapper's cost.

Usage: ``python loadtests/benchmarks/bench_book.py [--ops N] [--seed S]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components.domain.orders import Side, TimeInForce  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402
from venues_sim.book import OrderBook  # noqa: E402
from venues_sim.fees import MakerTakerFees  # noqa: E402
from venues_sim.venue import SimVenue  # noqa: E402

MID = 100 * 10_000
TICK = 100
KINDS = ("add", "cancel", "match")
MIX = (0.45, 0.40, 0.15)  # add / cancel / match


def make_ops(n: int, seed: int) -> list[tuple]:
    """Pre-draw ``n`` operations: (kind, side, qty, price|None, tif, cancel pick)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(3, size=n, p=MIX).tolist()
    sides = rng.integers(0, 2, size=n).tolist()
    qtys = (rng.integers(1, 10, size=n) * 100).tolist()
    away = rng.integers(1, 21, size=n).tolist()
    through = rng.integers(0, 4, size=n).tolist()
    market = (rng.random(n) < 0.2).tolist()
    picks = rng.random(n).tolist()
    ops = []
    for i in range(n):
        side = Side.BUY if sides[i] else Side.SELL
        kind = kinds[i]
        if kind == 0:
            price = MID - away[i] * TICK if side is Side.BUY else MID + away[i] * TICK
            ops.append((0, side, qtys[i], price, TimeInForce.DAY, 0.0))
        elif kind == 1:
            ops.append((1, side, 0, None, None, picks[i]))
        else:
            price = None if market[i] else (MID + through[i] * TICK if side is Side.BUY else MID - through[i] * TICK)
            ops.append((2, side, qtys[i], price, TimeInForce.IOC, 0.0))
    return ops


def prefill(add, levels: int = 20, per_level: int = 10) -> list[str]:
    """Rest ``per_level`` orders on each of ``levels`` ticks per side."""
    ids = []
    for lvl in range(1, levels + 1):
        for k in range(per_level):
            for side, price in ((Side.BUY, MID - lvl * TICK), (Side.SELL, MID + lvl * TICK)):
                oid = f"P{len(ids)}"
                add(oid, side, 200, price, TimeInForce.DAY)
                ids.append(oid)
    return ids


def run_timed(ops: list[tuple], add, cancel) -> tuple[list[int], list[float], int]:
    """Run ``ops`` timing each call; return counts, seconds per kind, shares filled."""
    ids = prefill(add)
    counts = [0, 0, 0]
    secs = [0.0, 0.0, 0.0]
    filled = 0
    clock = time.perf_counter
    for seq, (kind, side, qty, price, tif, pick) in enumerate(ops):
        if kind == 1:
            if not ids:
                continue
            # Swap-remove a random id: O(1) bookkeeping outside the timer.
            j = int(pick * len(ids))
            oid = ids[j]
            ids[j] = ids[-1]
            ids.pop()
            t0 = clock()
            cancel(oid)
            secs[1] += clock() - t0
        else:
            oid = f"O{seq}"
            t0 = clock()
            result = add(oid, side, qty, price, tif)
            secs[kind] += clock() - t0
            filled += result.filled_qty
            if result.rested_qty:
                ids.append(oid)
        counts[kind] += 1
    return counts, secs, filled


def run_untimed(ops: list[tuple], add, cancel) -> float:
    """Run ``ops`` with one timer around the whole loop; return seconds."""
    ids = prefill(add)
    t0 = time.perf_counter()
    for seq, (kind, side, qty, price, tif, pick) in enumerate(ops):
        if kind == 1:
            if ids:
                j = int(pick * len(ids))
                oid = ids[j]
                ids[j] = ids[-1]
                ids.pop()
                cancel(oid)
        else:
            oid = f"O{seq}"
            if add(oid, side, qty, price, tif).rested_qty:
                ids.append(oid)
    return time.perf_counter() - t0


def report(title: str, ops: list[tuple], add_factory) -> None:
    # Collect the previous run's garbage first so it is not billed to this one;
    # the cyclic GC stays enabled during the run, as it is in the twin.
    gc.collect()
    add, cancel = add_factory()
    counts, secs, filled = run_timed(ops, add, cancel)
    del add, cancel
    gc.collect()
    add, cancel = add_factory()
    total = run_untimed(ops, add, cancel)
    print(f"\n{title}")
    for i, kind in enumerate(KINDS):
        rate = counts[i] / secs[i] if secs[i] else 0.0
        us = 1e6 * secs[i] / counts[i] if counts[i] else 0.0
        print(f"  {kind:<7} {counts[i]:>9,d} ops  {rate:>12,.0f} ops/s  {us:7.2f} us/op")
        figures.record(f"{title.split()[0].lower()}.{kind}_us_per_op", us, "us/op", "lower")
    done = sum(counts)
    print(f"  overall {done:>9,d} ops  {done / total:>12,.0f} ops/s  ({total:.2f} s wall, {filled:,d} shares filled)")
    figures.record(f"{title.split()[0].lower()}.overall_ops_per_s", done / total, "ops/s", "higher")


def book_factory():
    book = OrderBook("BENCH")

    def add(oid, side, qty, price, tif):
        return book.add(oid, side, qty, price, tif, "AGENT")

    return add, book.cancel


def venue_factory():
    venue = SimVenue("BENCH", MakerTakerFees(maker_rebate=20, taker_fee=30), ["BENCH"], lambda r: None)

    def add(oid, side, qty, price, tif):
        return venue.submit_agent_order(oid, "AGENT", "BENCH", side, qty, price, tif, 0)

    return add, venue.cancel_agent_order


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=300_000, help="operations per run (default 300000)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the op mix")
    parser.add_argument("--no-venue", action="store_true", help="skip the SimVenue run")
    args = parser.parse_args(argv)
    ops = make_ops(args.ops, args.seed)
    mix = ", ".join(f"{k} {m:.0%}" for k, m in zip(KINDS, MIX))
    print(f"bench_book: {args.ops:,d} ops, seed {args.seed}, mix {mix}, Python {sys.version.split()[0]}")
    report("OrderBook", ops, book_factory)
    if not args.no_venue:
        report("SimVenue (agent orders)", ops, venue_factory)


if __name__ == "__main__":
    main()
