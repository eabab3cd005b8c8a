"""Regression by replay (STYLE 8): each shipped scenario, at its own seed, gives its stored fingerprint.

A change that moves one of these is either a bug or a deliberate change of
behaviour: then update the baseline here in the same commit and say why in
its message. Refactors (moving modules, rewiring bootstraps) must leave them
all where they are.

Each baseline was computed in another process (on another day), so a run that gives it is also the
proof of determinism across processes. Every scenario is run once for it: scenarios whose own e2e
module already makes a run at the default seed (a fresh process, or its module fixture) check their
baseline there (``CHECKED_IN``, with ``assert_baseline``) and are not run again here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from twin.runner import run_scenario

BASELINES = {
    "smoke.yaml": "b8c0ffd22355591388ec73373602e5a808f64aab9961a5a6c311242cb96f1f2d",
    "blocks_day.yaml": "ec35da463f4dd9acba3bfeb0d3716d74ec186ea9af9c3cfad04c07e22a52cda5",
    "crash_day.yaml": "51819f0c1c87e7a5d6ff68d9acb426f8ed7d91321de159af524c04f77ea16e08",
    "sip_day.yaml": "e330c1d66165ab7b8c5a0019880d97be7547ef09562122821bc75a16c5c8730b",
    "rmsc_like.yaml": "c0e5de9c08563a02bf6471b61df9bc8250a2bcabcb00dcb3615ec201f482daef",
    "trading_day.yaml": "1125f77e2ed578d93980532c5f0c4edb03ac40fc516739465accb8cdcd1c4690",
    "quarter.yaml": "357779c9d756528204cfc6df153006fecd4937bcf8f35538011ae3d2ac113253",
    "surveillance_day.yaml": "202f962b4d281583635731a078ae411d5a52000536c3e68d35fd29d0fa160245",
    "faults_day.yaml": "cdd177543ee22c2444006c3a16dd2b815ee439b8255263c7c6b692a0a3cfaf02",
    "region_failover.yaml": "2c3e8a919f1b1b5fb57640ace8e3fdb2fb405d56cfe0fdf443c0aaac5c2fe0f9",
    "swarm_day.yaml": "03905beace52ec49f7c35b1f87f99cc5417f0acd4364bd8a36694d53e8e4b072",
    "aml_day.yaml": "e619e854d1af0b4a98de1e40514a48d4f4b4902eb6e554bda8713b704435acf9",
    "advisor_day.yaml": "175c0fb51b194777005e19d263164968830cdb28fd29468315dac3de2249af94",
    "halt_day.yaml": "6e4104fea73e9e131c54728c124b6b66ea932ee476f4dc7ac64ec5006cb6c35f",
    "rmsc_network.yaml": "f1b539bec8272243e0a4d1fe7b1d67d0d9b97f732342a65829d393477b650678",
}


# scenario -> the e2e module (beside this one) that checks its baseline on a run it makes anyway.
CHECKED_IN = {
    "trading_day.yaml": "test_observability_pii.py",  # the full-day `twin run` in a fresh process
    "smoke.yaml": "test_twin_determinism.py",
    "blocks_day.yaml": "test_twin_determinism.py",
    "crash_day.yaml": "test_twin_determinism.py",
    "sip_day.yaml": "test_market_structure.py",
    "quarter.yaml": "test_regulatory_reports.py",
    "surveillance_day.yaml": "test_surveillance_day.py",
    "faults_day.yaml": "test_faults_day.py",
    "region_failover.yaml": "test_region_failover.py",
    "swarm_day.yaml": "test_swarm.py",
    "aml_day.yaml": "test_aml_day.py",
    "advisor_day.yaml": "test_advisor_day.py",
    "rmsc_like.yaml": "test_rmsc_like.py",
    "halt_day.yaml": "test_halt_day.py",
}


def assert_baseline(scenario: str, fingerprint: str) -> None:
    """``fingerprint`` (a run of ``scenario`` at its own seed) is the stored one."""
    assert fingerprint == BASELINES[scenario], (
        f"{scenario}: fingerprint {fingerprint} is not the stored baseline {BASELINES[scenario]} "
        "(a bug, or a deliberate change of behaviour: then update BASELINES and say why)")


def test_every_shipped_scenario_has_a_baseline():
    assert sorted(p.name for p in SCENARIOS.glob("*.yaml")) == sorted(BASELINES)


@pytest.mark.parametrize("scenario", sorted(CHECKED_IN))
def test_a_baseline_checked_elsewhere_is_checked_there(scenario):
    """The module named in ``CHECKED_IN`` names the scenario and compares a run with its baseline."""
    text = (Path(__file__).parent / CHECKED_IN[scenario]).read_text()
    assert f'"{scenario}"' in text and ("assert_baseline(" in text or "BASELINES[" in text)


@pytest.mark.parametrize("scenario", [name for name in BASELINES if name not in CHECKED_IN])
def test_the_default_seed_gives_the_stored_fingerprint(scenario):
    loaded = load_scenario(SCENARIOS / scenario)
    assert_baseline(scenario, run_scenario(loaded, seed=loaded.seed).fingerprint)
