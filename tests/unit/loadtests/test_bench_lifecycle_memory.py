"""bench_lifecycle's memory figures on a small sample: memory per recorded event for each event log,
the columnar log's own buffers, and the other log's day run in a process of its own."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks.bench_lifecycle import day_in_child, print_memory, run_day  # noqa: E402


def test_each_event_log_reports_its_memory_per_event_and_the_same_day(capsys):
    columnar = run_day(200, 1, event_log="columnar")
    listed, peak = day_in_child(200, 1, "list")
    assert (columnar.event_log, listed.event_log) == ("columnar", "list")
    assert columnar.settled == listed.settled == 200 and columnar.events == listed.events > 1_000
    # The columnar log's buffers: well under the 200 bytes per event of issue 19 (a list log has none).
    assert 0 < columnar.log_bytes / columnar.events < 200 and listed.log_bytes is None
    assert listed.rss_growth_bytes > 0 and peak > 0
    print_memory(listed, peak, 1e6, 1e6)
    print_memory(columnar, peak, 1e6, 1e6)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] == "list" and "B/event" not in out[0]
    assert out[1].split()[0] == "columnar" and "event log buffers" in out[1]
    cpu_ratio = round(1e6 / (columnar.settled / columnar.cpu_s))
    assert out[1].endswith(f"(CPU 1/{cpu_ratio})")
