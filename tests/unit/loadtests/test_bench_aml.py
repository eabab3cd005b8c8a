"""A small sample of the AML monitoring benchmark: it runs as users run it and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_aml_sample_prints_rate_alerts_and_quality():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_aml.py"),
                           "--clients", "150", "--days", "3", "--episodes", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"anomaly model\s+iforest-1\.0/seed=1007/n=\d+", out), out
    rates = re.findall(r"rate\s+[0-9,]+ transfers/s\s+\(target >= 1,000: (?:MET|NOT MET)\)", out)
    assert len(rates) == 2, out
    alerts = [int(n.replace(",", "")) for n in re.findall(r"alerts\s+([0-9,]+)", out)]
    assert len(alerts) == 2 and min(alerts) >= 1, out  # labelled episodes were caught
