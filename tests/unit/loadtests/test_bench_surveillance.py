"""A small sample of the surveillance benchmark: it runs as users run it and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_surveillance_sample_prints_rate_and_alerts():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_surveillance.py"),
                           "--events", "3000", "--scenario", str(ROOT / "scenarios" / "smoke.yaml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"events through detectors\s+3,000 in", out), out
    assert re.search(r"rate\s+[0-9,]+ events/s\s+\(target >= 50,000: (MET|NOT MET)\)", out), out
    assert int(re.search(r"alerts\s+([0-9,]+)", out).group(1).replace(",", "")) >= 1, out  # bad actors were caught
