"""A small sample of loadtests/benchmarks/bench_portfolio.py: it prints proposal time per household."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "loadtests" / "benchmarks" / "bench_portfolio.py"


def test_bench_portfolio_sample_prints_time_per_household_and_quality():
    done = subprocess.run([sys.executable, str(BENCH), "--households", "8", "--seed", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"households\s+8 generated in [0-9.]+ s \(seed 3\)", out), out
    assert re.search(r"proposal\s+per household: mean [0-9.]+ ms, p50 [0-9.]+ ms, p95 [0-9.]+ ms, max [0-9.]+ ms", out), out
    assert re.search(r"quality\s+largest deviation .*: mean [0-9.]+ pts before, [0-9.]+ pts after", out), out


def test_bench_portfolio_rejects_a_bad_count():
    done = subprocess.run([sys.executable, str(BENCH), "--households", "0"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "--households must be >= 1" in done.stderr
