"""A small sample of loadtests/benchmarks/bench_verified_start.py: it builds a keyed log, runs the real
verified starts and both restarts (two passes, one pass), and prints what it measured."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_verified_start_sample_times_every_check_and_both_restarts(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_verified_start.py"),
                           "--events", "3000", "--every", "500", "--keep", str(tmp_path), "--restart"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"built 3,000 events \+ anchors every 500", out), out
    assert re.search(r"\(a\) full verification.*\s[0-9.]+ s\n", out), out
    assert "verified start: ok=True records=3000 anchors=6 keyed=True hashes_from=0" in out, out
    assert "hashes_from=3000" in out, out  # (c): the chain after the last anchor only
    assert re.search(r"restart: one_pass=False records=3000 .* rebuild_ms=\d+", out), out
    assert re.search(r"restart: one_pass=True records=3000 .* rebuild_ms=\d+", out), out
    assert re.search(r"restart: one pass [0-9.]+ s vs two passes [0-9.]+ s", out), out
