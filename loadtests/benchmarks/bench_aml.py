"""Benchmark: transfers per second through the AML monitor at a realistic size (issue 20).

Generates a labelled money flow (``scenarios.money_flow`` via
``twin.aml_run.flow_for_seed``: ``--clients`` clients over ``--days`` days
with ``--episodes`` of every typology), trains the anomaly model on a normal
period of another seed, then times ``TransactionMonitor.run`` over the flow
(ingest, hourly evaluations with rules, graph checks, the batched forest and
the risk score; decision records and alerts included), with and without the
anomaly model. Prints the rate, the alerts and the recall/precision it got,
so a speed-up that breaks detection shows.

    python loadtests/benchmarks/bench_aml.py [--clients 2000] [--days 7] [--episodes 8] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.aml.monitor import TransactionMonitor  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402
from twin.aml_run import evaluate, flow_for_seed, normal_model  # noqa: E402

TARGET = 1_000
"""Transfers/s the monitor should sustain (a week of 2,000 clients is ~11,000 transfers: seconds, not minutes)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    flow = flow_for_seed(args.seed, args.clients, args.days, args.episodes)
    normal = flow_for_seed(args.seed + 1000, args.clients, args.days, 0)
    model = normal_model(normal.transfers, args.seed + 1000)
    print(f"flow                      {len(flow.transfers):>10,} transfers, {len(flow.labels)} labelled episodes "
          f"({args.clients:,} clients, {args.days} days; built in {time.perf_counter() - t0:.1f}s)")
    print(f"anomaly model             {model.version}")
    for key, name, m in (("rules_graph", "rules + graph", None), ("with_model", "rules + graph + model", model)):
        monitor = TransactionMonitor(None, m)
        start = time.perf_counter()
        monitor.run(flow.transfers)
        seconds = time.perf_counter() - start
        rate = len(flow.transfers) / seconds
        r = evaluate(monitor.alerts, flow.labels)
        verdict = "MET" if rate >= TARGET else "NOT MET"
        print(f"{name:<25} {len(flow.transfers):>10,} in {seconds:.2f}s")
        print(f"  rate                    {rate:>10,.0f} transfers/s  (target >= {TARGET:,}: {verdict})")
        print(f"  decisions               {len(monitor.decisions):>10,}")
        print(f"  alerts                  {len(monitor.alerts):>10,}  (recall {r['recall']}, precision {r['precision']})")
        figures.record(f"transfers_per_s_{key}", rate, "transfers/s", "higher")
        if m is not None:  # quality, not speed: a drop here is a regression too
            figures.record("recall", float(r["recall"] or 0.0), "share", "higher")
            figures.record("precision", float(r["precision"] or 0.0), "share", "higher")
    return 0


if __name__ == "__main__":
    sys.exit(main())
