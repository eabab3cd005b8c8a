"""A small sample of loadtests/benchmarks/bench_report_figures.py: it prints each mode's cost and whether the
pages are the same bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from reports.summary import write_summary
from tests.unit.reports.test_figure_pool import every_section_summary

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "loadtests" / "benchmarks" / "bench_report_figures.py"


def test_bench_report_figures_sample_prints_both_modes_and_the_same_page(tmp_path):
    run_dir = tmp_path / "run"
    summary, events, orders = every_section_summary(run_dir)
    write_summary(summary, run_dir / "summary.json")
    events.to_parquet(run_dir / "events.parquet")
    orders.to_parquet(run_dir / "orders.parquet")
    done = subprocess.run([sys.executable, str(BENCH), "--run-dir", str(run_dir), "--workers", "2", "--repeat", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = re.findall(r"^\s+([12])\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s", done.stdout, re.MULTILINE)
    assert [r[0] for r in rows] == ["1", "2"], done.stdout
    (_, _, alone_cpu, alone_workers, _), (_, _, _, pooled_workers, _) = rows
    assert float(alone_workers) == 0 < float(pooled_workers)  # in process, then on workers
    assert float(alone_cpu) > 0
    assert re.search(r"workers' memory \(2 workers; .*\): largest RSS of one worker [0-9]+ MiB", done.stdout)
    assert "report.html identical in every mode: yes" in done.stdout


def test_bench_report_figures_names_a_folder_that_is_not_a_run(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--run-dir", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "not a run folder (no summary.json" in done.stderr
