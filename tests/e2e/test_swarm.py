"""The swarm end to end: its short day is deterministic, a swarm seed is too, and CI's 20-seed swarm
(`twin swarm --seeds 20 --workers 2`) passes with zero violations on every submission."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq

from chaos.swarm import SwarmConfig, run_seed
from tests.conftest import ROOT
from tests.e2e.test_fingerprint_baselines import assert_baseline
from tests.e2e.test_twin_determinism import fingerprint_in_new_process


def test_the_swarm_day_is_deterministic():
    assert_baseline("swarm_day.yaml", fingerprint_in_new_process("swarm_day.yaml"))


def test_a_swarm_seed_gives_the_same_faults_and_the_same_run_twice():
    config = SwarmConfig()
    first, second = run_seed(config, 5), run_seed(config, 5)
    assert first.faults and first.faults == second.faults
    assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 64
    assert first.passed, f"{first.check}: {first.problem}"
    assert run_seed(config, 6).faults != first.faults


def test_ci_swarm_of_20_seeds_on_2_workers_passes(tmp_path):
    out = tmp_path / "swarm"
    done = subprocess.run([sys.executable, "-m", "twin.cli", "swarm", "--seeds", "20", "--workers", "2", "--out",
                           str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["seeds"], summary["failed"], summary["failures"]) == (20, 0, [])
    assert summary["seeds_per_minute"] > 0
    assert sum(row["seeds"] for row in summary["kinds"].values()) >= 20  # every seed injected something
    assert len(pq.read_table(out / "seeds.parquet")) == 20
    assert not list(out.glob("seed-*"))  # passing runs keep no folder
    assert "20 seeds run, 0 failed" in done.stdout
