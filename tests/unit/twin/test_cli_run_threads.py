"""``twin run`` forks its output workers with no other thread alive (the progress bar's refresh thread is
stopped once the day is simulated): a fork copies only the calling thread, so a lock another thread held
at that moment (the console's, stdout's) would stay locked in the child for ever."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reports.figure_pool import fork_available
from twin.cli import main

SMOKE = Path(__file__).resolve().parents[3] / "scenarios" / "smoke.yaml"


def test_twin_run_forks_with_only_the_main_thread_alive(tmp_path, monkeypatch):
    if not fork_available():  # pragma: no cover - Windows: everything is written in process
        return
    seen: list[list[str]] = []
    real_fork = os.fork

    def fork() -> int:
        seen.append([t.name for t in threading.enumerate() if t is not threading.main_thread()])
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.delenv("TWIN_REPORT_WORKERS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers are used even on a one-core machine
    assert main(["run", str(SMOKE), "--seed", "7", "--out", str(tmp_path / "run")]) == 0
    assert seen, "the outputs used no forked worker: nothing was checked"
    assert seen == [[]] * len(seen), f"threads alive at a fork: {seen}"
