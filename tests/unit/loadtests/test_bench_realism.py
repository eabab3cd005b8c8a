"""A small sample of loadtests/benchmarks/bench_realism.py: it prints the NBBO build and facts times."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "loadtests" / "benchmarks" / "bench_realism.py"


def test_bench_realism_sample_prints_what_it_measured():
    done = subprocess.run([sys.executable, str(BENCH), "--quotes", "20000", "--venues", "4", "--trades", "500"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"input\s+20,000 quotes over 4 venues, 500 trades \(seed 1\)", out), out
    changes = int(re.search(r"nbbo\s+[0-9.]+ s wall, [0-9.]+ s CPU -> ([0-9,]+) NBBO changes", out)[1].replace(",", ""))
    assert 0 < changes <= 20_000
    facts = r"facts\s+[0-9.]+ s wall, [0-9.]+ s CPU \(23,[0-9]{3} one-second samples, 389 one-minute returns\)"
    assert re.search(facts, out), out


def test_bench_realism_rejects_a_bad_count():
    done = subprocess.run([sys.executable, str(BENCH), "--venues", "0"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "--venues must be >= 1" in done.stderr
