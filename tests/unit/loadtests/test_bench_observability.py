"""A small sample of bench_observability, so a broken benchmark fails the tests (figures not checked).

bench_hot_path's off-and-on rows are checked by its own sample (tests/unit/loadtests/test_benchmarks.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_observability_sample_prints_the_three_configurations_and_the_twin_comparison():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_observability.py"),
                           "--orders", "300", "--scenario", str(ROOT / "scenarios" / "smoke.yaml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    row = r"\s+[0-9.]+" * 4
    assert re.search(rf"^\s+off{row}$", out, re.M), out
    for mode in ("metrics", r"metrics\+tracing"):
        assert re.search(rf"^\s+{mode}{row}\s+\(p99 target 250 us: (MET|NOT MET)\)", out, re.M), out
    assert re.search(r"traces off the submit path: [0-9.]+ spans per order; SDK spans made [0-9]+ us CPU", out), out
    assert re.search(r"metrics feeds alone: [0-9.]+ us CPU per order", out), out
    assert re.search(r"fingerprint [0-9a-f]{12} \(both runs\)", out), out
    assert re.search(r"on costs [+-][0-9.]+% CPU, [+-][0-9.]+% wall \(target <= 15% on CPU: (MET|NOT MET)\)", out), out

