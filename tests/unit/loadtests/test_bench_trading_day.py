"""bench_trading_day: a whole ``twin run`` of this tree against a baseline commit, in one run of the script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "loadtests" / "benchmarks" / "bench_trading_day.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_a_sample_against_the_last_commit_prints_both_runs_and_the_ratios():
    done = run("--baseline", "HEAD", "--scenario", "scenarios/smoke.yaml", "--runs", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert len(re.findall(r"^  (baseline|this tree)\s+wall\s+[0-9.]+ s\s+CPU\s+[0-9.]+ s\s+peak\s+\d+ MiB$", out,
                          re.M)) == 4, out  # one run each, then the two medians
    assert re.search(r"^fingerprint [0-9a-f]{64} \(both\)$", out, re.M), out
    assert re.search(r"speed-up, baseline / this tree: [0-9.]+x by wall, [0-9.]+x by CPU \(target >= 1.5x: "
                     r"(MET|NOT MET) by wall", out), out
    assert re.search(r"peak memory \d+ MiB \(target < 250 MiB: (MET|NOT MET)", out), out


def test_a_baseline_that_is_no_commit_is_named_in_the_error():
    done = run("--baseline", "no-such-ref-0000", "--scenario", "scenarios/smoke.yaml", "--runs", "1")
    assert done.returncode != 0 and "--baseline: 'no-such-ref-0000' is not a commit" in done.stderr, done.stderr
