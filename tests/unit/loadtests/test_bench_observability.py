"""A small sample of bench_observability, so a broken benchmark fails the tests (figures not checked)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_observability_sample_prints_both_configurations_and_the_twin_share():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_observability.py"),
                           "--orders", "300", "--scenario", str(ROOT / "scenarios" / "smoke.yaml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^\s+off\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+$", out, re.M), out
    assert re.search(r"^\s+on\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\(p99 target 250 us: (MET|NOT MET)\)", out, re.M), out
    assert re.search(r"metrics feeds alone: [0-9.]+ us CPU per order", out), out
    assert re.search(r"observability outputs [0-9.]+ s = [0-9.]+% of the run.*\(target <= 15%: (MET|NOT MET)\)", out), out
