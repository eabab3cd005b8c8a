"""What the hot path's slowest orders are made of (``bench_hot_path.py --tail``).

Each timed order leaves one ``OrderSample``: its wall time, the CPU time of the
thread that ran it, each handler's wall time by stage, the garbage collector's
pauses that landed inside it and what the order was (symbol, side, type).
``composition`` takes the slowest ``fraction`` of the orders (1%: the ones
above p99) and says what made each slow, in this order of precedence:

* ``collector pass``: a garbage-collector pass ran inside the order;
* ``off CPU``: its wall time exceeds its CPU time by more than
  ``OFF_CPU_SHARE`` of its excess over the median order (the thread was
  preempted or stalled: the machine's other work, not ours);
* ``more CPU``: the order itself computed longer; the stage whose time grew
  most over its median is named.

Then the tail's mean per stage against the median order's, and the shapes
(symbol/side/type) and run positions of the tail against the whole run, so a
kind of order or a periodic cost stands out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median

OFF_CPU_SHARE = 0.5
"""An order is "off CPU" when wall - CPU covers more than this share of its excess over the median wall time."""

OUTSIDE = "outside handlers"
"""The part of an order's wall time no handler accounts for: the service, the runtime, the reply's view, logging."""


@dataclass(slots=True)
class OrderSample:
    """One timed order (nanoseconds)."""

    index: int
    shape: str
    wall_ns: int
    cpu_ns: int
    gc_ns: int = 0
    stages: dict[str, int] = field(default_factory=dict)

    def stage_ns(self, name: str) -> int:
        if name == OUTSIDE:
            return max(0, self.wall_ns - sum(self.stages.values()))
        return self.stages.get(name, 0)


def cause(sample: OrderSample, median_wall: float) -> str:
    """Why ``sample`` is slow (see the module docstring)."""
    if sample.gc_ns:
        return "collector pass"
    excess = sample.wall_ns - median_wall
    if excess > 0 and sample.wall_ns - sample.cpu_ns > OFF_CPU_SHARE * excess:
        return "off CPU"
    return "more CPU"


def composition(samples: list[OrderSample], stage_names: list[str], fraction: float = 0.01) -> list[str]:
    """Lines describing the slowest ``fraction`` of ``samples`` (at least one order)."""
    if not samples:
        raise ValueError("samples: no orders were timed")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    ranked = sorted(samples, key=lambda s: s.wall_ns, reverse=True)
    tail = ranked[:max(1, round(len(samples) * fraction))]
    names = [*stage_names, OUTSIDE]
    median_wall = median(s.wall_ns for s in samples)
    median_cpu = median(s.cpu_ns for s in samples)
    median_stage = {n: median(s.stage_ns(n) for s in samples) for n in names}
    lines = [f"slowest {len(tail):,} of {len(samples):,} orders (wall >= {tail[-1].wall_ns / 1e3:,.1f} us; "
             f"median order: wall {median_wall / 1e3:.1f} us, CPU {median_cpu / 1e3:.1f} us)"]

    by_cause: dict[str, list[OrderSample]] = {}
    for s in tail:
        by_cause.setdefault(cause(s, median_wall), []).append(s)
    lines.append(f"  {'cause':<18}{'orders':>8}{'share':>8}{'wall us':>10}{'CPU us':>10}{'off-CPU us':>12}"
                 f"{'GC us':>10}  largest stage excess (count)")
    for name in ("collector pass", "off CPU", "more CPU"):
        group = by_cause.get(name, [])
        if not group:
            continue
        n = len(group)
        grown = Counter(max(names, key=lambda st: s.stage_ns(st) - median_stage[st]) for s in group)
        lines.append(f"  {name:<18}{n:>8,}{n / len(tail):>8.0%}"
                     f"{sum(s.wall_ns for s in group) / n / 1e3:>10.1f}"
                     f"{sum(s.cpu_ns for s in group) / n / 1e3:>10.1f}"
                     f"{sum(s.wall_ns - s.cpu_ns for s in group) / n / 1e3:>12.1f}"
                     f"{sum(s.gc_ns for s in group) / n / 1e3:>10.1f}  "
                     + ", ".join(f"{st} {c}" for st, c in grown.most_common(3)))

    lines.append(f"  {'stage':<18}{'median us':>10}{'tail mean us':>14}{'excess us':>11}")
    for st in names:
        mean = sum(s.stage_ns(st) for s in tail) / len(tail)
        lines.append(f"  {st:<18}{median_stage[st] / 1e3:>10.1f}{mean / 1e3:>14.1f}"
                     f"{(mean - median_stage[st]) / 1e3:>11.1f}")

    everyone, slow = Counter(s.shape for s in samples), Counter(s.shape for s in tail)
    lines.append("  shape: share of the tail vs of all orders: " + ", ".join(
        f"{shape} {slow[shape] / len(tail):.0%} vs {count / len(samples):.0%}"
        for shape, count in sorted(everyone.items())))
    walls: dict[str, list[int]] = {}
    for s in samples:
        walls.setdefault(s.shape, []).append(s.wall_ns)
    lines.append("  shape: median wall us: " + ", ".join(
        f"{shape} {median(w) / 1e3:.0f}" for shape, w in sorted(walls.items())))
    last = max(s.index for s in samples) + 1
    tenths = Counter(min(9, s.index * 10 // last) for s in tail)
    lines.append("  run position (tenths of the run): " + " ".join(f"{tenths[i]}" for i in range(10)))
    lines.append(f"  in bursts: {bursts(tail):.0%} of the tail within {BURST} orders of another tail order "
                 f"({min(1.0, 2 * BURST * len(tail) / len(samples)):.0%} if they landed at random)")
    return lines


BURST = 2
"""Orders either side that count as the same burst."""


def bursts(tail: list[OrderSample]) -> float:
    """The share of ``tail`` within ``BURST`` orders of another of its orders (slowness that comes in runs:
    a cold cache after a collector pass, or the machine's other work, rather than one order's own)."""
    if not tail:
        return 0.0
    at = sorted(s.index for s in tail)
    near = sum(1 for i, x in enumerate(at)
               if (i > 0 and x - at[i - 1] <= BURST) or (i + 1 < len(at) and at[i + 1] - x <= BURST))
    return near / len(at)
