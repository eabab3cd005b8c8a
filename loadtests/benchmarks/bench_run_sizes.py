"""Benchmark: how a whole ``twin run`` grows with the day's order count, for sizing a machine.

A capacity planner's question is "how long and how much memory for a day of N orders?". This runs the
scenario (default trading_day) once per size in ``--orders``, each time with only ``order_flow.orders``
changed (the market, the population and the seed stay as they are), as ``python -m twin.cli run`` in a
fresh process measured from spawn to exit (``measured_process``: wall, CPU, peak resident memory of the
process and the workers it waited for). It prints a row per size with the run's own phases, then a straight
line through the points (least squares): seconds and MiB per 1,000 orders, and what a day costs before its
first order (the intercept: the market, the world, the imports). ``--plot FILE`` draws both against
orders. The line is a fit of what was measured here, on this machine; read it as a guide within the range
measured, not far beyond it.

    python loadtests/benchmarks/bench_run_sizes.py [--orders 5000,20000,50000] [--scenario FILE] [--seed S]
                                                   [--plot FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks.measured_process import run_measured  # noqa: E402

DEFAULT_ORDERS = (5_000, 20_000, 50_000)
COUNTS = re.compile(r"^orders (\d+)\s+events (\d+)", re.M)
PHASES = re.compile(r"simulate ([0-9.]+)s, invariants ([0-9.]+)s, outputs ([0-9.]+)s\)")


@dataclass(frozen=True)
class Size:
    """One whole run at one order count (``requested``: the scenario's ``order_flow.orders``; ``orders``: what
    the run took in, duplicates and retries included), as measured from outside, and the phases it printed."""

    requested: int
    orders: int
    events: int
    wall_s: float
    cpu_s: float
    peak_mib: float
    simulate_s: float
    outputs_s: float


def order_counts(text: str) -> list[int]:
    """``--orders``: comma-separated positive whole numbers, at least two (a line needs two points)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if len(counts) < 2 or min(counts) <= 0 or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"expected at least two different positive counts, got {text!r}")
    return sorted(counts)


def scenario_with_orders(source: dict, orders: int, folder: Path) -> Path:
    """A copy of the scenario (parsed YAML) with ``order_flow.orders`` set, written into ``folder``."""
    data = {**source, "order_flow": {**(source.get("order_flow") or {}), "orders": orders}}
    path = folder / f"orders-{orders}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_size(scenario: Path, orders: int, seed: int | None, out: Path) -> Size:
    command = [sys.executable, "-m", "twin.cli", "run", str(scenario), "--out", str(out), "--quiet"]
    if seed is not None:
        command += ["--seed", str(seed)]
    run = run_measured(command, ROOT, dict(os.environ))
    counts, phases = COUNTS.search(run.stdout), PHASES.search(run.stdout)
    if run.returncode != 0 or counts is None or phases is None:
        raise SystemExit(f"orders {orders}: twin run exited {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return Size(orders, int(counts.group(1)), int(counts.group(2)), run.wall_s, run.cpu_s, run.peak_mib,
                float(phases.group(1)), float(phases.group(3)))


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``y = slope * x + intercept``."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return slope, my - slope * mx


def plot(sizes: list[Size], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [s.requested for s in sizes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(xs, [s.wall_s for s in sizes], "o-", label="whole run (wall)")
    left.plot(xs, [s.simulate_s for s in sizes], "s--", label="simulate")
    left.plot(xs, [s.outputs_s for s in sizes], "^--", label="outputs")
    left.set(xlabel="orders in the day", ylabel="seconds", title="Time")
    left.legend()
    right.plot(xs, [s.peak_mib for s in sizes], "o-")
    right.set(xlabel="orders in the day", ylabel="MiB", title="Peak resident memory")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=order_counts, default=list(DEFAULT_ORDERS),
                        help="order counts, comma-separated (default 5000,20000,50000)")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "trading_day.yaml")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--plot", type=Path, default=None, help="draw time and memory against orders (PNG)")
    args = parser.parse_args(argv)
    if not args.scenario.is_file():
        parser.error(f"--scenario: no such file: {args.scenario}")
    source = yaml.safe_load(args.scenario.read_text(encoding="utf-8"))
    if not isinstance(source, dict):
        parser.error(f"--scenario: {args.scenario} is not a scenario (a YAML mapping)")
    if "service_times" in source:  # read relative to the scenario file, which the copies are not beside
        parser.error(f"--scenario: {args.scenario} names a service_times file relative to itself; "
                     "give a scenario without one")
    print(f"scenario {args.scenario.name}, order_flow.orders in {', '.join(map(str, args.orders))}, one run each; "
          f"load average at the start {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(f"  {'orders':>8} {'taken in':>9} {'events':>9} {'wall s':>8} {'CPU s':>8} {'simulate s':>11} {'outputs s':>10} "
          f"{'peak MiB':>9}", flush=True)
    sizes: list[Size] = []
    with tempfile.TemporaryDirectory() as tmp:
        for orders in args.orders:
            scenario = scenario_with_orders(source, orders, Path(tmp))
            size = run_size(scenario, orders, args.seed, Path(tmp) / f"out-{orders}")
            sizes.append(size)
            print(f"  {orders:8,d} {size.orders:9,d} {size.events:9,d} {size.wall_s:8.2f} {size.cpu_s:8.2f} {size.simulate_s:11.2f} "
                  f"{size.outputs_s:10.2f} {size.peak_mib:9.0f}", flush=True)
    xs = [float(s.requested) for s in sizes]
    wall_slope, wall_base = fit(xs, [s.wall_s for s in sizes])
    peak_slope, peak_base = fit(xs, [s.peak_mib for s in sizes])
    print(f"fit (least squares over these {len(sizes)} runs): wall {wall_slope * 1000:.3f} s per 1,000 orders "
          f"+ {wall_base:.1f} s; peak {peak_slope * 1000:.1f} MiB per 1,000 orders + {peak_base:.0f} MiB")
    if args.plot is not None:
        plot(sizes, args.plot)
        print(f"plot: {args.plot}")
    figures.record("wall_s_per_1000_orders", wall_slope * 1000, "s", "lower")
    figures.record("peak_mib_per_1000_orders", peak_slope * 1000, "MiB", "lower")
    figures.record("largest_wall_s", sizes[-1].wall_s, "s", "lower")
    figures.record("largest_peak_mib", sizes[-1].peak_mib, "MiB", "lower")
    return 0


if __name__ == "__main__":
    sys.exit(main())
