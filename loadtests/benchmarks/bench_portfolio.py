"""Benchmark: rebalancing proposal time per household (issue 21).

Generates ``--households`` households from ``--seed`` (``scenarios.households``, default config),
runs ``components.portfolio.rebalance.propose`` on each and prints the time per household (mean,
p50, p95, max), split by outcome (offered / withheld / no action), the optimiser size (variables:
buys per account and security plus one per lot), and the proposal quality: the largest deviation
from target before and after, over offered proposals. scipy is imported before the clock starts.

    python loadtests/benchmarks/bench_portfolio.py [--households N] [--seed N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dataclasses import replace  # noqa: E402

import scipy.optimize  # noqa: E402,F401  (import cost kept out of the timings)

from components.portfolio.rebalance import propose  # noqa: E402
from components.portfolio.universe import reference_prices  # noqa: E402
from scenarios.config_portfolio import PortfolioConfig  # noqa: E402
from scenarios.households import build_households  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.households < 1:
        print("--households must be >= 1", file=sys.stderr)
        return 2
    config = replace(PortfolioConfig(), households=args.households)
    started = time.perf_counter()
    books = build_households(config, args.seed)
    gen_s = time.perf_counter() - started
    prices = reference_prices()
    times: dict[str, list[float]] = {"offered": [], "withheld": [], "no action": []}
    sizes: list[int] = []
    before: list[float] = []
    after: list[float] = []
    for book in books:
        t0 = time.perf_counter()
        result = propose(book, prices, config.as_of, 0, f"B-{book.household.household_id}")
        ms = (time.perf_counter() - t0) * 1e3
        kind = "offered" if result.proposal else "withheld" if result.findings else "no action"
        times[kind].append(ms)
        sizes.append(len(book.lots) + len(book.household.accounts) * len(book.household.policy.targets_bps()))
        if result.proposal and result.drift_after:
            before.append(result.drift_before.max_abs_deviation_bps / 100)
            after.append(result.drift_after.max_abs_deviation_bps / 100)
    every = [t for ts in times.values() for t in ts]
    print(f"households  {len(books)} generated in {gen_s:.2f} s (seed {args.seed})")
    print(f"proposal    per household: mean {statistics.fmean(every):.1f} ms, p50 {_pct(every, 0.5):.1f} ms, "
          f"p95 {_pct(every, 0.95):.1f} ms, max {max(every):.1f} ms; total {sum(every) / 1e3:.2f} s")
    for kind, ts in times.items():
        if ts:
            print(f"  {kind:<10} {len(ts):>5} households, mean {statistics.fmean(ts):.1f} ms")
    print(f"optimiser   about {statistics.fmean(sizes):.0f} variables per household (max {max(sizes)})")
    if before:
        print(f"quality     largest deviation from target over offered proposals: mean {statistics.fmean(before):.1f} "
              f"pts before, {statistics.fmean(after):.1f} pts after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
