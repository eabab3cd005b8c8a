"""Benchmark: region failover over many seeds: RPO (must be 0 every time) and RTO p50 / p99.

Workload: ``scenarios/region_failover.yaml`` (two regions, east primary, west synchronous
standby 30 ms away, 300 client orders over 45 minutes). Each seed runs the scenario with its
own order flow and market, and the primary region is killed at the scenario's kill time plus a
seed-drawn offset in ``[0, --spread-s)`` seconds (stream ``bench-failover:kill``), so the kill
lands at a different point of the flow every time. Measured per seed, from the run's
``TwinRegions.summary()`` (summary.json ``regions``):

* RPO: acknowledged trade-critical events the survivor lacks (the invariant
  ``replicas_agree_rpo_zero`` checks the same; every other invariant must hold too);
* RTO: simulated time from the kill to the first client order the new primary acknowledged
  (detection by missed heartbeats + the promotion procedure + the wait for the next order);
* the detection and promotion times, replication lag and the wait of held acknowledgements.

    python loadtests/benchmarks/bench_failover.py [--seeds 100] [--first-seed 1] [--spread-s 60] [--workers 1]

Exits non-zero if any seed has RPO > 0 or a failed invariant.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "region_failover.yaml"
MS = 1_000_000


def one_seed(task: tuple[str, int, float]) -> dict:
    """Run one seed with a drawn kill; what it measured."""
    from chaos.faults.regions import RegionKill
    from components.memory import SeededStreams
    from scenarios.config import load_scenario
    from twin.fault_target import fault_world
    from twin.runner import run_scenario

    path, seed, spread_s = task
    scenario = load_scenario(path)
    kills = [f.to_fault(scenario.session) for f in scenario.faults if f.kind == "region_kill"]
    if not kills:
        raise SystemExit(f"{path}: no region_kill in faults")
    offset = int(SeededStreams(seed).stream("bench-failover:kill").uniform(0, spread_s) * 1e9)
    kill = RegionKill(kills[0].region, kills[0].at_ns + offset)
    started = time.perf_counter()
    result = run_scenario(replace(scenario, faults=()), seed, check=False,
                          setup=lambda world: fault_world(world).schedule(kill))
    summary = result.world.regions.summary()
    failovers = summary["failovers"]
    row = {"seed": seed, "wall_s": time.perf_counter() - started, "failed": [r.name for r in result.invariants
                                                                            if not r.passed]}
    if failovers:
        f = failovers[0]
        row.update(rpo=f["rpo_events"], rto_ms=f["rto_ms"], detect_ms=(f["detected_ns"] - f["fault_ns"]) / MS,
                   promote_ms=(f["promoted_ns"] - f["detected_ns"]) / MS, retried=f["retried_client_requests"])
    else:
        row.update(rpo=None, rto_ms=None)
        row["failed"].append("no failover")
    row["lag_p99_ms"] = summary["replication_lag_ms"].get("west", {}).get("p99")
    row["commit_wait_p50_ms"] = summary["commit_wait_ms"].get("p50")
    return row


class _InProcess:
    """``--workers 1``: run the seeds here, one after the other (a pool's ``map`` without a pool)."""

    def __enter__(self) -> "_InProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, tasks):
        return map(fn, tasks)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q, method="nearest")) if values else float("nan")


def report(rows: list[dict], wall_s: float) -> list[str]:
    """The printed figures."""
    rpo = [r["rpo"] for r in rows if r["rpo"] is not None]
    rto = [r["rto_ms"] for r in rows if r["rto_ms"] is not None]
    failed = [r for r in rows if r["failed"] or r["rpo"]]
    lags = [r["lag_p99_ms"] for r in rows if r["lag_p99_ms"]]
    waits = [r["commit_wait_p50_ms"] for r in rows if r["commit_wait_p50_ms"]]
    lines = [
        f"region failover over {len(rows)} seeds ({SCENARIO.name}), {wall_s:.1f} s wall",
        f"  RPO (acknowledged trade-critical events lost): max {max(rpo, default=0)}, "
        f"seeds with RPO > 0: {sum(1 for x in rpo if x)}",
        f"  RTO ms: p50 {_pct(rto, 50):.1f}  p99 {_pct(rto, 99):.1f}  max {max(rto, default=float('nan')):.1f}"
        f"  (n={len(rto)})",
        f"  detection ms p50 {_pct([r['detect_ms'] for r in rows if 'detect_ms' in r], 50):.1f}; promotion ms "
        f"p50 {_pct([r['promote_ms'] for r in rows if 'promote_ms' in r], 50):.1f}",
        f"  replication lag p99 ms (median over seeds) {_pct(lags, 50):.2f};"
        f" held acknowledgement wait p50 ms (median over seeds) {_pct(waits, 50):.2f}",
        f"  seeds failing (RPO > 0 or an invariant): {len(failed)}"
        + (f" -> {[(r['seed'], r['failed'], r['rpo']) for r in failed][:5]}" if failed else ""),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--spread-s", type=float, default=60.0, help="kill offset drawn in [0, this) seconds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scenario", default=str(SCENARIO))
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.spread_s <= 0 or args.workers < 1:
        parser.error("--seeds and --workers must be >= 1, --spread-s > 0")
    tasks = [(args.scenario, seed, args.spread_s) for seed in range(args.first_seed, args.first_seed + args.seeds)]
    started = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(args.workers) if args.workers > 1 else _InProcess() as pool:
        for row in pool.map(one_seed, tasks):
            rows.append(row)
            print(f"seed {row['seed']}: RPO {row['rpo']} RTO {row['rto_ms']} ms"
                  + (f" FAILED {row['failed']}" if row["failed"] else ""), file=sys.stderr, flush=True)
    for line in report(rows, time.perf_counter() - started):
        print(line)
    from loadtests.benchmarks import figures

    rto = [r["rto_ms"] for r in rows if r["rto_ms"] is not None]
    if rto:
        figures.record("rto_p50_ms", _pct(rto, 50), "ms", "lower")
        figures.record("rto_p99_ms", _pct(rto, 99), "ms", "lower")
    figures.record("rpo_max_events", max((r["rpo"] for r in rows if r["rpo"] is not None), default=0), "events", "lower")
    return 1 if any(r["failed"] or r["rpo"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
