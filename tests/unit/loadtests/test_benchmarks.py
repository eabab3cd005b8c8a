"""A small sample of every benchmark, so a broken benchmark fails the tests.

Each runs as its users run it (``python loadtests/benchmarks/bench_X.py``) on a
few hundred items instead of the default hundred thousand; the figures are not
checked (timings belong to the benchmarks), only that each finishes and prints
the lines its readers look for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_bench(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / name), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_lifecycle_sample_settles_every_order_and_prints_the_ceiling():
    out = run_bench("bench_lifecycle.py", "--orders", "300", "--no-table")  # the table: test_bench_lifecycle.py
    assert re.search(r"lifecycles settled\s+300\b", out), out
    assert re.search(r"ratio rate / raw\s+[0-9.]+\s+\(target >= 0.00909: (MET|NOT MET);", out), out
    ceiling = re.search(r"plumbing ceiling\s+([0-9,]+) /s\s+\((\d+) kernel events", out)
    assert ceiling and int(ceiling.group(2)) == 17, out


def test_plumbing_ceiling_runs_every_hop_of_every_lifecycle():
    sys.path.insert(0, str(ROOT))
    from loadtests.benchmarks.bench_lifecycle import plumbing_ceiling_rate

    rate, kernel_events = plumbing_ceiling_rate(2_000)  # asserts every hop was handled
    assert kernel_events == 17
    assert rate > 0


def test_bench_book_sample():
    out = run_bench("bench_book.py", "--ops", "3000")
    assert re.search(r"overall\s+3,000 ops", out), out


def test_bench_eventstore_sample():
    out = run_bench("bench_eventstore.py", "--events", "3000", "--batch", "500", "--single", "20", "--tail", "1000")
    assert "recover from snapshot + replay of the tail" in out, out
    # Wall and CPU (brackets) per figure: the CPU figure is the one to compare on a shared machine.
    assert re.search(r"replay \+ verify, one pass \(read_verified\)\s+3,000 in\s+[0-9.]+s\s+=\s+[0-9,]+/s "
                     r"\[CPU\s+[0-9.]+s =\s+[0-9,]+/s\] \(target 5 s per 1,000,000: (MET|NOT MET)\)", out), out
    assert "peak memory" in out, out


def test_bench_hot_path_sample():
    out = run_bench("bench_hot_path.py", "--orders", "300", "--requests", "60", "--concurrency", "4", "--client", "raw",
                    "--gc", "both")
    assert re.search(r"60 requests, 4 in flight.*statuses \{201: 60\}", out), out
    # Each in-process run says which collector settings it ran under and every pass it saw.
    for policy in (r"as live \(live.heap.settle_heap\)", "CPython's defaults"):
        for mode in ("off", r"metrics\+tracing"):  # both observability settings measured in the one run
            assert re.search(rf"observability {mode}, garbage collector {policy}: 300 orders .* us CPU per order",
                             out), out
    assert len(re.findall(r"garbage collector passes while timed: gen0 [0-9,]+ passes", out)) == 4, out
