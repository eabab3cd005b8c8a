"""twin.run_timing: phases back to back from the process's start, the whole process, peak memory."""

from __future__ import annotations

import os
import time

from twin import run_timing
from twin.run_timing import RunClock, peak_rss_bytes, process_started_at


def test_the_process_started_before_this_test_and_after_boot():
    started, source = process_started_at()
    assert source == "kernel"  # Linux: /proc/self/stat
    assert started <= time.time()
    # this test process has run for less than its parent's lifetime, and more than nothing
    assert time.time() - started < time.time() - os.stat("/proc/1").st_mtime + 60


def test_phases_are_back_to_back_and_the_whole_process_covers_them():
    clock = RunClock(started_at=time.time() - 1.0, source="test")
    clock.mark("load")
    time.sleep(0.02)
    clock.mark("build")
    clock.mark("build")  # a phase marked twice adds up
    record = clock.record()
    assert list(record["phases_s"]) == ["load", "build"]
    assert record["phases_s"]["load"] >= 1.0 and record["phases_s"]["build"] >= 0.02
    assert record["whole_process_wall_s"] >= sum(record["phases_s"].values()) - 0.002
    assert record["peak_rss_mib"] > 0 and record["process_start"] == "test"
    assert list(record["phases_cpu_s"]) == ["load", "build"] and record["phases_cpu_s"]["build"] >= 0
    assert "whole process" in clock.line() and "peak memory" in clock.line()


def test_only_a_process_first_run_counts_from_the_process_start(monkeypatch):
    monkeypatch.setattr(run_timing, "_FIRST_RUN", [True])
    first, second = RunClock.for_run(), RunClock.for_run()
    assert first.source in ("kernel", "import") and second.source == "run"
    assert first.started_at < second.started_at


def test_peak_memory_grows_with_what_was_held():
    before = peak_rss_bytes()
    block = bytearray(64 * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    assert peak_rss_bytes() >= before and peak_rss_bytes() >= 64 * 2**20


def test_a_finished_child_counts_in_cpu_and_peak_memory():
    """The report's figures are drawn in forked workers: their CPU and their peak count in the run's."""
    cpu_before = run_timing.cpu_seconds()
    pid = os.fork()
    if pid == 0:  # the child: hold a large block and burn some CPU, then leave at once
        block = bytearray(1_200 * 2**20)
        block[::4096] = b"y" * len(block[::4096])
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
    assert run_timing.cpu_seconds() - cpu_before >= 0.25  # this process itself only waited
    assert peak_rss_bytes() >= 1_200 * 2**20
