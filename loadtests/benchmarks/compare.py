"""Compare two ``bench.json`` files (``run_all.py``): a line per figure, regressions flagged.

    python loadtests/benchmarks/compare.py OLD.json NEW.json [--threshold 0.10] [--warn-only]

For each figure (``bench_x/name``, plus each benchmark's ``wall_s`` and
``max_rss_mib``) it prints the old and new value and a ratio oriented so that
**above 1 is better**: new/old for a figure where higher is better, old/new
where lower is better. A figure that got worse by more than the threshold
(default 10%: a rate fell below 0.9x, or a time rose above 1.1x) is a
REGRESSION, as is a benchmark that succeeded in OLD and failed in NEW. Figures
in only one file are listed as added or gone, not judged.

Exit code: 0 if nothing regressed (or ``--warn-only``), 1 if something did,
2 if a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

BETTER = ("lower", "higher")
# Per-benchmark entries run_all.py measures for every benchmark, compared like figures.
PROCESS_FIGURES = (("wall_s", "s"), ("max_rss_mib", "MiB"))


@dataclass(frozen=True, slots=True)
class Row:
    """One figure's comparison. ``ratio`` is oriented so above 1 is better (None: not comparable)."""

    key: str
    unit: str
    old: float | None
    new: float | None
    ratio: float | None
    status: str  # ok, better, REGRESSION, FAILED, only in OLD, only in NEW, n/a


def load(path: str | Path) -> dict[str, dict]:
    """``{"bench_x/name": {"value", "unit", "better"}}`` plus ``{"bench_x/": {"rc"}}`` markers,
    from a bench.json; ``ValueError`` naming the file and field when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    benches = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(benches, dict):
        raise ValueError(f"{path}: no 'benchmarks' object (is this a bench.json from run_all.py?)")
    flat: dict[str, dict] = {}
    for bench, entry in benches.items():
        where = f"{path}: benchmarks.{bench}"
        if not isinstance(entry, dict) or not isinstance(entry.get("figures", {}), dict):
            raise ValueError(f"{where}: expected an object with a 'figures' object")
        flat[f"{bench}/"] = {"rc": entry.get("rc", 0)}
        for name, fig in entry.get("figures", {}).items():
            flat[f"{bench}/{name}"] = _checked(fig, f"{where}.figures.{name}")
        for name, unit in PROCESS_FIGURES:
            if isinstance(entry.get(name), (int, float)) and not isinstance(entry.get(name), bool):
                flat[f"{bench}/{name}"] = {"value": entry[name], "unit": unit, "better": "lower"}
    return flat


def _checked(fig: object, where: str) -> dict:
    if not isinstance(fig, dict):
        raise ValueError(f"{where}: expected an object with value, unit, better")
    value, better = fig.get("value"), fig.get("better")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}.value: must be a finite number, got {value!r}")
    if better not in BETTER:
        raise ValueError(f"{where}.better: must be 'lower' or 'higher', got {better!r}")
    return {"value": value, "unit": str(fig.get("unit", "")), "better": better}


def ratio(old: float, new: float, better: str) -> float | None:
    """How much better NEW is than OLD, as a factor (above 1 is better); None if a value is negative."""
    if old < 0 or new < 0:
        return None
    top, bottom = (new, old) if better == "higher" else (old, new)
    if bottom == 0:
        return 1.0 if top == 0 else math.inf
    return top / bottom


def worse_by(old: float, new: float, better: str) -> float:
    """The fraction by which NEW is worse than OLD in the figure's own terms (0 if not worse)."""
    if old == new:
        return 0.0
    change = (old - new) if better == "higher" else (new - old)
    if change <= 0:
        return 0.0
    return math.inf if old == 0 else change / abs(old)


def compare(old: dict[str, dict], new: dict[str, dict], threshold: float = 0.10) -> list[Row]:
    """A ``Row`` per figure in either file, in name order."""
    rows = []
    for key in sorted(k for k in old.keys() | new.keys() if not k.endswith("/")):
        bench = key.split("/", 1)[0] + "/"
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            here = a or b
            rows.append(Row(key, here["unit"], a and a["value"], b and b["value"], None,
                            "only in OLD" if b is None else "only in NEW"))
            continue
        better = b["better"]
        r = ratio(a["value"], b["value"], better)
        if worse_by(a["value"], b["value"], better) > threshold:
            status = "REGRESSION"
        elif r is None:
            status = "n/a"
        else:
            status = "better" if r > 1 + threshold else "ok"
        rows.append(Row(key, b["unit"], a["value"], b["value"], r, status))
    for bench in sorted(k for k in new if k.endswith("/")):
        if new[bench]["rc"] != 0 and old.get(bench, {"rc": 0})["rc"] == 0:
            rows.append(Row(bench + "rc", "", old.get(bench, {}).get("rc"), new[bench]["rc"], None, "FAILED"))
    return rows


def regressed(rows: list[Row]) -> list[Row]:
    """The rows that make the comparison fail."""
    return [r for r in rows if r.status in ("REGRESSION", "FAILED")]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def render(rows: list[Row]) -> str:
    """The table compare prints."""
    width = max([len(r.key) for r in rows] + [6])
    lines = [f"{'figure':<{width}}  {'unit':<10} {'old':>14} {'new':>14} {'ratio (>1 better)':>18}  status"]
    for r in rows:
        shown = "-" if r.ratio is None else ("inf" if math.isinf(r.ratio) else f"{r.ratio:.3f}x")
        lines.append(f"{r.key:<{width}}  {r.unit:<10} {_fmt(r.old):>14} {_fmt(r.new):>14} {shown:>18}  {r.status}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="bench.json of the baseline")
    parser.add_argument("new", help="bench.json of the change")
    parser.add_argument("--threshold", type=float, default=0.10,
                        help="how much worse a figure may get before it is a regression (default 0.10 = 10%%)")
    parser.add_argument("--warn-only", action="store_true", help="report regressions but exit 0")
    opts = parser.parse_args(argv)
    if not (opts.threshold >= 0 and math.isfinite(opts.threshold)):
        parser.error(f"--threshold: must be a finite number >= 0, got {opts.threshold}")
    try:
        old, new = load(opts.old), load(opts.new)
    except ValueError as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    rows = compare(old, new, opts.threshold)
    print(render(rows))
    bad = regressed(rows)
    if bad:
        print(f"{len(bad)} regression(s) over {opts.threshold:.0%}: {', '.join(r.key for r in bad)}"
              + (" (warning only)" if opts.warn_only else ""))
        return 0 if opts.warn_only else 1
    print(f"no regression over {opts.threshold:.0%} ({len(rows)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
