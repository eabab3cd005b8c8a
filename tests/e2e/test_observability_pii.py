"""No PII in any log line of a twin run: ``twin run`` with ``TWIN_LOG_FORMAT=json`` in its own process,
everything it writes to stdout and stderr scanned for every account number, client id, client name
and advisor name of the run's population (the twin holds no API tokens: live sessions, which do, are
scanned in tests/integration/test_live_metrics.py and test_prometheus_scrape.py).

``trading_day`` (the acceptance: a full day) is marked slow; smoke runs in seconds. The same run, made
in a fresh process, must also give the scenario's stored fingerprint (tests/e2e/test_fingerprint_baselines.py):
that baseline was computed in another process on another day, so this is trading_day's cross-process
determinism check too (one full day instead of three).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import BASELINES
from twin.bootstrap import build_twin

ROOT = Path(__file__).resolve().parents[2]


def pii_of(scenario_file: Path) -> set[str]:
    """Every account number, client id, client name and advisor name the scenario's population holds
    (built exactly as the run builds it: same scenario, same seed)."""
    scenario = load_scenario(scenario_file)
    population = build_twin(scenario, scenario.seed).population
    found = {v for a in population.accounts for v in (a.account_id, a.client_id, a.client_name)}
    found |= {a.name for a in population.advisors}
    return {v for v in found if v}


@pytest.mark.parametrize("name", ["smoke.yaml", pytest.param("trading_day.yaml", marks=pytest.mark.slow)])
def test_no_log_line_of_a_twin_run_holds_pii(tmp_path, name):
    scenario = SCENARIOS / name
    secrets = pii_of(scenario)
    assert len(secrets) > 10
    done = subprocess.run([sys.executable, "-m", "twin.cli", "run", str(scenario), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "TWIN_LOG_FORMAT": "json", "PYTHONWARNINGS": "default"}, timeout=3600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (done.stdout + done.stderr).splitlines()
    assert any("fingerprint" in line for line in lines)  # the run's own report lines were captured
    leaked = sorted({s for s in secrets for line in lines if s in line})
    assert not leaked, leaked[:10]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["fingerprint"] == BASELINES[name]
