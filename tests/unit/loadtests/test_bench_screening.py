"""A small sample of loadtests/benchmarks/bench_screening.py: it prints latency and quality figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_screening_sample_prints_latency_catch_rates_and_false_positives():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_screening.py"),
                           "--names", "200", "--clients", "300", "--sample", "200"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"list\s+OFAC SDN: [0-9,]+ names", out), out
    assert re.search(r"latency\s+200 names .*: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms", out), out
    assert re.search(r"as listed\s+83 / 83\s+caught\s+100.00%", out), out
    for kind in ("case changed", "accents added", "word order swapped", "middle name dropped"):
        assert re.search(rf"{kind}\s+([0-9,]+) / \1\s+caught\s+100.00%", out), (kind, out)
    assert re.search(r"one typo \(token >= 5\)\s+[0-9,]+ / [0-9,]+\s+caught", out), out
    assert re.search(r"false positives on 300 Faker names: \d+ blocked \([0-9.]+%\), \d+ for review", out), out


def test_bench_screening_rejects_a_bad_count():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_screening.py"),
                           "--names", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "--names must be >= 1" in done.stderr
