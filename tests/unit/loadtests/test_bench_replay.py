"""A small sample of loadtests/benchmarks/bench_replay.py: it runs the real `twin replay` and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_replay_sample_prints_loop_rate_whole_process_and_peak_memory():
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "bench_replay.py"),
                           "--quotes", "3000", "--every", "50"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"workload\s+3,000 quotes, 60 MARKET orders \(every 50th quote\), 60 fills", out), out
    assert re.search(r"simulation loop\s+[0-9,]+ quotes/s, [0-9,]+ orders/s", out), out
    assert re.search(r"whole process\s+[0-9.]+s wall \(child process", out), out
    assert re.search(r"whole process CPU\s+[0-9.]+s user\+sys", out), out
    assert re.search(r"peak RSS\s+[0-9,]+ MiB", out), out
    for phase in ("start and imports", "read the day", "build \\(read included\\)", "simulate", "check",
                  "write the run folder", "write the comparison"):  # each phase: wall, CPU, peak RSS by its end
        assert re.search(rf"\n  {phase}\s+[0-9.]+\s+[0-9.]+\s+[0-9,]+ MiB", out), (phase, out)
    for part in ("events frame", "events.sqlite \\(hash-chained log\\)", "TCA", "metrics, traces, SLOs",
                 "surveillance", "report.html"):  # where the writing goes, under the write phase
        assert re.search(rf"\n    write: {part}( \[worker\])?\s+[0-9.]+\s+[0-9.]+\s+[0-9,]+ MiB", out), (part, out)
    assert out.index("  write the run folder") < out.index("    write: TCA") < out.index("  write the comparison")
    assert "reference quoted by issue 12 from the machine it was written on, not in this run" in out
    assert re.search(r"\nread the day\s+[0-9.]+s wall, [0-9.]+s CPU \(ready to simulate", out), out
    assert re.search(r"ratio\s+NautilusTrader whole / ours: [0-9.]+x by wall", out), out
    # The load phase on its own (issue 19): read, check and build the venue, with the target's verdict.
    assert re.search(r"\nday ready to simulate [0-9.]+s wall, [0-9.]+s CPU \(read and check [0-9.]+s wall, "
                     r"[0-9.]+s CPU, .*target < 1 s per 1,000,000 quotes: (MET|NOT MET)\)", out), out


def test_a_million_quote_times_stay_inside_the_session_in_order():
    """The benchmark day's times: int64 arithmetic must not wrap (a wrapped day replays in a burst at the start)."""
    sys.path.insert(0, str(ROOT))
    from loadtests.benchmarks.bench_replay import OPEN_NS, SESSION_NS, quote_times

    times = quote_times(1_000_000)
    assert times[0] == OPEN_NS and times[-1] < OPEN_NS + SESSION_NS
    assert bool((times[1:] > times[:-1]).all())
