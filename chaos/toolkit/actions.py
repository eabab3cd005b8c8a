"""Chaos Toolkit actions: inject faults into a twin run, or into the live stack from outside.

Twin: ``run_twin_scenario`` runs a scenario with a fault plan into a state folder and makes it the
run the probes measure; ``reset_twin`` (a rollback) makes the fault-free baseline current again.

Live stack (``twin serve`` with nats-server and PostgreSQL, or a simulated FIX venue): processes
are started, killed and restarted by pid files in a state folder; nothing here imports ``live``.
``start_process`` waits until a TCP port accepts connections (or a URL answers 200).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from .twin_runs import baseline_run, compare_with_baseline, run_with_faults

__all__ = ["run_twin_scenario", "reset_twin", "start_process", "kill_process", "stop_process",
           "restart_process", "ensure_process"]


def run_twin_scenario(state_dir: str, scenario: str, name: str = "faulted", seed: int | None = None,
                      faults: list[dict[str, Any]] | None = None, config_changes: list[dict[str, Any]] | None = None,
                      analytics: bool = False, full_outputs: bool = False) -> dict[str, Any]:
    """Run ``scenario`` with the fault plan ``faults`` into ``state_dir/name`` and make it the current
    run (the one the probes measure). Returns the run's figures (its chaos.json): faults, order-path
    latency, final order statuses, invariants, control plane and analytics summaries, and under
    ``baseline`` the same figures of the fault-free run of the same scenario, seed and workload (made
    if missing, as the probes do) with the difference per final status, so that a report can tell the
    fault's effect from what the day does anyway."""
    run_dir = Path(state_dir) / name
    figures = run_with_faults(scenario, run_dir, seed, faults or (), config_changes or (), analytics, full_outputs)
    base = baseline_run(state_dir, scenario, seed, config_changes, analytics)
    figures["baseline"] = compare_with_baseline(figures, base)
    (run_dir / "chaos.json").write_text(json.dumps(figures, indent=2, sort_keys=True))
    (Path(state_dir) / "current").write_text(str(run_dir.resolve()))
    return figures


def reset_twin(state_dir: str) -> bool:
    """Rollback: the fault-free baseline is the current run again. True if a faulted run was current."""
    marker = Path(state_dir) / "current"
    if marker.exists():
        marker.unlink()
        return True
    return False


# -- live stack: processes by pid file ------------------------------------------------------------
def _pid_file(state_dir: str, name: str) -> Path:
    return Path(state_dir) / f"{name}.pid"


def _argv_file(state_dir: str, name: str) -> Path:
    return Path(state_dir) / f"{name}.argv"


def start_process(state_dir: str, name: str, command: str, ready_port: int | None = None,
                  ready_url: str | None = None, timeout_s: float = 30.0, cwd: str | None = None,
                  env: dict[str, str] | None = None) -> int:
    """Start ``command`` (a shell-quoted command line, not run by a shell) as ``name``; its pid goes to
    ``state_dir/NAME.pid`` and its output to ``NAME.log``. Waits until ``ready_port`` accepts
    connections on 127.0.0.1 or ``ready_url`` answers 200; returns the pid."""
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    argv = shlex.split(command)
    log = open(folder / f"{name}.log", "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                            env={**os.environ, **(env or {})})  # fmt: skip
    log.close()
    _pid_file(state_dir, name).write_text(str(proc.pid))
    _argv_file(state_dir, name).write_text(command + "\n" + (cwd or "") + "\n")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name}: exited with {proc.returncode} before it was ready (see {name}.log)")
        if _ready(ready_port, ready_url):
            return proc.pid
        time.sleep(0.1)
    raise TimeoutError(f"{name}: not ready after {timeout_s} s")


def _ready(port: int | None, url: str | None) -> bool:
    if port is None and url is None:
        return True
    try:
        if port is not None:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=0.5):
                pass
        if url is not None:
            with urllib.request.urlopen(url, timeout=1.0) as response:  # noqa: S310 (an operator's URL)
                return response.status == 200
        return True
    except OSError:
        return False


def _signal(state_dir: str, name: str, sig: int, wait_s: float) -> bool:
    pid_file = _pid_file(state_dir, name)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pid_file.unlink()
        return False
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
        except ChildProcessError:  # not our child: poll its existence
            done = 0 if _alive(pid) else pid
        if done:
            break
        time.sleep(0.05)
    pid_file.unlink()
    return True


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by the process that started it, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # Linux: the state letter follows the parenthesised command name
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def kill_process(state_dir: str, name: str) -> bool:
    """SIGKILL the process ``name`` (a crash: no shutdown of its own). False if it was not running."""
    return _signal(state_dir, name, signal.SIGKILL, 10.0)


def stop_process(state_dir: str, name: str, timeout_s: float = 15.0) -> bool:
    """SIGTERM the process ``name`` and wait for it to exit (a clean shutdown)."""
    return _signal(state_dir, name, signal.SIGTERM, timeout_s)


def restart_process(state_dir: str, name: str, ready_port: int | None = None, ready_url: str | None = None,
                    timeout_s: float = 30.0, hard: bool = True) -> int:
    """Kill (``hard``) or stop ``name`` and start it again with the command it was started with."""
    argv_file = _argv_file(state_dir, name)
    if not argv_file.exists():
        raise FileNotFoundError(f"{argv_file}: {name} was never started by start_process")
    command, cwd = (argv_file.read_text().split("\n") + [""])[:2]
    (kill_process if hard else stop_process)(state_dir, name)
    return start_process(state_dir, name, command, ready_port, ready_url, timeout_s, cwd or None)


def ensure_process(state_dir: str, name: str, ready_port: int | None = None, ready_url: str | None = None,
                   timeout_s: float = 30.0) -> int:
    """Rollback: ``name`` running again (started with its recorded command if it is not); its pid."""
    pid_file = _pid_file(state_dir, name)
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        return int(pid_file.read_text())
    command, cwd = (_argv_file(state_dir, name).read_text().split("\n") + [""])[:2]
    return start_process(state_dir, name, command, ready_port, ready_url, timeout_s, cwd or None)
