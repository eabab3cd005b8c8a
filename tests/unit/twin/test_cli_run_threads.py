"""``twin run`` forks its output workers with no other thread alive (the progress bar's refresh thread is
stopped once the day is simulated): a fork copies only the calling thread, so a lock another thread held
at that moment (the console's, stdout's) would stay locked in the child for ever.

The run is a fresh process (as a user's is): a pytest worker may hold threads of earlier tests, and with
another thread alive no worker is forked at all (``reports.figure_pool.pool_size``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reports.figure_pool import fork_available

ROOT = Path(__file__).resolve().parents[3]
SMOKE = ROOT / "scenarios" / "smoke.yaml"

# Records, at each fork, the names of the threads other than the main one; then runs the command as `twin` does.
BOOTSTRAP = r"""
import json, os, sys, threading
seen = []
real_fork = os.fork
def fork():
    seen.append([t.name for t in threading.enumerate() if t is not threading.main_thread()])
    pid = real_fork()
    if pid:
        with open(sys.argv[1], "w") as f:
            json.dump(seen, f)
    return pid
os.fork = fork
os.cpu_count = lambda: 2  # workers are used even on a one-core machine
from twin.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_twin_run_forks_with_only_the_main_thread_alive(tmp_path):
    if not fork_available():  # pragma: no cover - Windows: everything is written in process
        return
    record = tmp_path / "forks.json"
    env = {k: v for k, v in os.environ.items() if k != "TWIN_REPORT_WORKERS"}
    done = subprocess.run([sys.executable, "-c", BOOTSTRAP, str(record), "run", str(SMOKE), "--seed", "7",
                           "--out", str(tmp_path / "run")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(record.read_text()) if record.exists() else []
    assert seen, "the outputs used no forked worker: nothing was checked"
    assert seen == [[]] * len(seen), f"threads alive at a fork: {seen}"
