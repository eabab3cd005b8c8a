"""scenarios/region_failover.yaml: same seed => same fingerprint in separate processes, the failover
happened with RPO 0 and every invariant green, and the failover benchmark's sample run."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import SCENARIOS

SCRIPT = (
    "import sys, json; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]), seed=int(sys.argv[2]));"
    "f = r.world.regions.summary()['failovers'];"
    "print(json.dumps([r.fingerprint, [(x['old'], x['new'], x['rpo_events'], x['rto_ms']) for x in f]]))"
)


def _run_in_new_process(seed: int) -> str:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "region_failover.yaml"), str(seed)],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_region_failover_is_deterministic_and_loses_nothing_acknowledged():
    import json

    first, second = _run_in_new_process(16), _run_in_new_process(16)
    assert first == second
    fingerprint, failovers = json.loads(first)
    assert len(fingerprint) == 64
    [(old, new, rpo, rto_ms)] = failovers
    assert (old, new, rpo) == ("east", "west", 0)
    assert rto_ms >= 1500.0  # at least detection (5 missed 100 ms heartbeats) + the 1 s promotion


def test_bench_failover_sample(capsys):
    from loadtests.benchmarks.bench_failover import main

    assert main(["--seeds", "1", "--first-seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "seeds with RPO > 0: 0" in out and "RTO ms: p50" in out
