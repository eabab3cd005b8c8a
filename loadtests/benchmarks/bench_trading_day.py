"""Benchmark: a whole ``twin run`` of a scenario, this tree against a baseline commit, on this machine.

Issue 19's headline target is a ratio: trading_day's whole process (from ``twin run`` start to the report
written) at least 1.5x faster than the code it was timed on, with peak memory under 250 MiB. Machines here
have differed by 3.5x in speed between sessions, so the baseline's quoted "22 s" means nothing on another
machine: this script measures the baseline in the same run.

The baseline is a git commit (default ``7ce3fcc``, the code of 25 November that issue 19 timed, whose
trading_day has the same fingerprint as today's) exported with ``git archive`` into a scratch folder and
run from there (``python -m twin.cli run`` with that folder first on ``PYTHONPATH``: the tree's own
modules, the project's installed libraries). Both commands run ``--runs`` times, alternating (the order
swapped every other round, so a machine that slows down or warms up hurts neither side more), each in a
fresh process measured from spawn to exit with ``os.wait4`` (``measured_process``): wall time, CPU (user + system, the process
and the children it waited for: the output and figure workers) and peak resident memory (the largest of
the process and those children, as ``/usr/bin/time`` reports it). Both must print the same fingerprint (the
baseline runs its own copy of the scenario file where it has one: the keys that code reads).
Prints every run, the medians and their ratios against the targets; headline figures go to ``make bench``.

    python loadtests/benchmarks/bench_trading_day.py [--baseline REF] [--runs N] [--scenario FILE] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks.measured_process import run_measured  # noqa: E402

BASELINE = "7ce3fcc"
"""The code issue 19 timed (25 November): trading_day's fingerprint is the same as today's."""
SPEEDUP_TARGET = 1.5
PEAK_TARGET_MIB = 250.0
FINGERPRINT = re.compile(r"fingerprint ([0-9a-f]{64})")


@dataclass(frozen=True)
class Run:
    """One whole ``twin run`` process, as measured from outside."""

    wall_s: float
    cpu_s: float
    peak_mib: float
    fingerprint: str


def export(ref: str, into: Path) -> str:
    """``git archive`` of ``ref`` unpacked into ``into``; returns the full commit id."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True,
                            text=True)
    if commit.returncode != 0:
        raise SystemExit(f"--baseline: {ref!r} is not a commit of this repository ({commit.stderr.strip()})")
    archive = subprocess.Popen(["git", "archive", commit.stdout.strip()], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"--baseline: git archive of {ref!r} failed")
    return commit.stdout.strip()


def own_copy(scenario: Path, tree: Path) -> Path:
    """The baseline tree's own version of a scenario file of this repository (its keys are the ones that code
    reads); a file from elsewhere as it is."""
    try:
        copy = tree / scenario.relative_to(ROOT)
    except ValueError:
        return scenario
    return copy if copy.is_file() else scenario


def run_once(tree: Path, scenario: Path, seed: int | None, out: Path) -> Run:
    """``python -m twin.cli run`` of ``tree`` (its folder first on the path, started from it) in a fresh
    process; its wall, CPU and peak from ``os.wait4``."""
    command = [sys.executable, "-m", "twin.cli", "run", str(scenario), "--out", str(out), "--quiet"]
    if seed is not None:
        command += ["--seed", str(seed)]
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(tree)}
    run = run_measured(command, tree, env)
    found = FINGERPRINT.search(run.stdout)
    if run.returncode != 0 or not found:
        raise SystemExit(f"{tree}: twin run exited {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return Run(run.wall_s, run.cpu_s, run.peak_mib, found.group(1))


def line(label: str, run: Run) -> str:
    return f"  {label:<10} wall {run.wall_s:7.2f} s   CPU {run.cpu_s:7.2f} s   peak {run.peak_mib:6.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit to compare with (default {BASELINE})")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, alternating (default 3)")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "trading_day.yaml")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs: must be at least 1, got {args.runs}")
    scenario = args.scenario.resolve()
    if not scenario.is_file():
        parser.error(f"--scenario: no such file: {args.scenario}")
    runs: dict[str, list[Run]] = {"baseline": [], "this tree": []}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        commit = export(args.baseline, base)
        trees = {"baseline": base, "this tree": ROOT}
        print(f"scenario {scenario.name}, baseline {commit[:12]} ({args.baseline}) against this tree, "
              f"{args.runs} run(s) each, alternating; load average at the start "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        scenarios = {"baseline": own_copy(scenario, base), "this tree": scenario}
        for i in range(args.runs):
            order = ("baseline", "this tree") if i % 2 == 0 else ("this tree", "baseline")
            for label in order:
                run = run_once(trees[label], scenarios[label], args.seed, Path(tmp) / f"out-{label[:4]}-{i}")
                runs[label].append(run)
                print(line(label, run), flush=True)
    prints = {r.fingerprint for rs in runs.values() for r in rs}
    if len(prints) != 1:
        raise SystemExit(f"the runs disagree on the fingerprint: {sorted(prints)}")
    med = {label: Run(*(statistics.median(getattr(r, f) for r in rs) for f in ("wall_s", "cpu_s", "peak_mib")),
                      rs[0].fingerprint) for label, rs in runs.items()}
    old, new = med["baseline"], med["this tree"]
    by_wall, by_cpu = old.wall_s / new.wall_s, old.cpu_s / new.cpu_s
    print(f"fingerprint {new.fingerprint} (both)")
    print("medians")
    print(line("baseline", old))
    print(line("this tree", new))
    print(f"speed-up, baseline / this tree: {by_wall:.2f}x by wall, {by_cpu:.2f}x by CPU "
          f"(target >= {SPEEDUP_TARGET}x: {'MET' if by_wall >= SPEEDUP_TARGET else 'NOT MET'} by wall, "
          f"{'MET' if by_cpu >= SPEEDUP_TARGET else 'NOT MET'} by CPU)")
    print(f"peak memory {new.peak_mib:.0f} MiB (target < {PEAK_TARGET_MIB:.0f} MiB: "
          f"{'MET' if new.peak_mib < PEAK_TARGET_MIB else 'NOT MET'}; baseline {old.peak_mib:.0f} MiB)")
    figures.record("whole_process_s", new.wall_s, "s", "lower")
    figures.record("whole_process_cpu_s", new.cpu_s, "s", "lower")
    figures.record("peak_mib", new.peak_mib, "MiB", "lower")
    figures.record("speedup_by_wall", by_wall, "x", "higher")
    figures.record("speedup_by_cpu", by_cpu, "x", "higher")
    return 0


if __name__ == "__main__":
    sys.exit(main())
