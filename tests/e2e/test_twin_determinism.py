"""Same scenario + seed => same fingerprint, in separate processes; another seed differs.

A run in a fresh process must give the baseline stored in ``test_fingerprint_baselines`` (computed in
another process, on another day): the fresh process is the second of the two runs compared.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline

SCRIPT = (
    "import sys; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "s = load_scenario(sys.argv[1]); r = run_scenario(s, seed=int(sys.argv[2]) if sys.argv[2:] else s.seed);"
    "print(r.fingerprint)"
)


def fingerprint_in_new_process(scenario: str, seed: int | None = None) -> str:
    """The fingerprint of ``scenario`` (a file in scenarios/) run in a new Python process, at ``seed``
    (default: the scenario's own seed)."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / scenario),
                          *([] if seed is None else [str(seed)])], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("scenario", ["smoke.yaml", "blocks_day.yaml", "crash_day.yaml"])
def test_same_seed_same_fingerprint_across_processes(scenario):
    assert_baseline(scenario, fingerprint_in_new_process(scenario))


def test_different_seed_different_fingerprint(smoke_scenario):
    from twin.runner import run_scenario

    assert run_scenario(smoke_scenario, seed=1).fingerprint != run_scenario(smoke_scenario, seed=2).fingerprint


# trading_day's cross-process check is the full-day run in test_observability_pii.py: a fresh
# `twin run` process must give the fingerprint stored by test_fingerprint_baselines.py.
