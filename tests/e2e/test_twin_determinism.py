"""Same scenario + seed => same fingerprint, in separate processes; another seed differs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import SCENARIOS

SCRIPT = (
    "import sys; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]), seed=int(sys.argv[2])); print(r.fingerprint)"
)


def fingerprint_in_new_process(scenario: str, seed: int) -> str:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / scenario), str(seed)],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("scenario", ["smoke.yaml", "blocks_day.yaml", "crash_day.yaml"])
def test_same_seed_same_fingerprint_across_processes(scenario):
    first = fingerprint_in_new_process(scenario, 11)
    second = fingerprint_in_new_process(scenario, 11)
    assert len(first) == 64
    assert first == second


def test_different_seed_different_fingerprint(smoke_scenario):
    from twin.runner import run_scenario

    assert run_scenario(smoke_scenario, seed=1).fingerprint != run_scenario(smoke_scenario, seed=2).fingerprint


# trading_day's cross-process check is the full-day run in test_observability_pii.py: a fresh
# `twin run` process must give the fingerprint stored by test_fingerprint_baselines.py.
