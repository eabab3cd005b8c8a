"""scenarios/region_failover.yaml: same seed => same fingerprint in separate processes, the failover
happened with RPO 0 and every invariant green, and the failover benchmark's sample run."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline

SCRIPT = (
    "import sys, json; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]));"
    "f = r.world.regions.summary()['failovers'];"
    "print(json.dumps([r.fingerprint, [(x['old'], x['new'], x['rpo_events'], x['rto_ms']) for x in f]]))"
)


def test_region_failover_is_deterministic_and_loses_nothing_acknowledged():
    """In a fresh process, at the scenario's seed: the stored baseline (made in another process), and one
    failover east -> west with nothing acknowledged lost."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "region_failover.yaml")],
                         capture_output=True, text=True, check=True)
    fingerprint, failovers = json.loads(out.stdout.strip().splitlines()[-1])
    assert_baseline("region_failover.yaml", fingerprint)
    [(old, new, rpo, rto_ms)] = failovers
    assert (old, new, rpo) == ("east", "west", 0)
    assert rto_ms >= 1500.0  # at least detection (5 missed 100 ms heartbeats) + the 1 s promotion


def test_bench_failover_sample(capsys):
    from loadtests.benchmarks.bench_failover import main

    assert main(["--seeds", "1", "--first-seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "seeds with RPO > 0: 0" in out and "RTO ms: p50" in out
