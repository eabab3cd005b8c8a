"""One command run to completion in a fresh process, with what the user waited for: its wall time from
spawn to exit, its own CPU (user + system) and peak resident set, from ``os.wait4`` (the child's usage
alone, not that of other children of the benchmark), and what it printed.

The benchmarks that time a whole process (``bench_trading_day``, ``bench_replay``,
``nautilus_reference``) share this so they measure the same way."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """A finished process: exit code, output, and its wall, CPU and peak memory."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    peak_mib: float


def run_measured(command: list[str], cwd: str | Path, env: dict[str, str]) -> Measured:
    """Run ``command`` in ``cwd`` with exactly ``env``; its output is kept in temporary files (a pipe
    could fill and stall it) and read back once it has exited."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        return Measured(child.returncode, out.read(), err.read(), wall, usage.ru_utime + usage.ru_stime,
                        usage.ru_maxrss / 1024)
