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
