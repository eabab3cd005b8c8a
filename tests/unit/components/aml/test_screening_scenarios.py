"""Fuzzy screening on the shipped scenarios' populations: only the planted (listed) clients hit.

A generated (Faker) client that screened BLOCK or REVIEW would change that
scenario's risk decisions and so its stored fingerprint; this names the
scenario and client instead of leaving a fingerprint mismatch to explain.
"""

from __future__ import annotations

import pytest

from components.aml.screening import Outcome, screener_for
from components.memory import SeededStreams
from components.reference.sanctions import default_sanctions_list, sdn_individual_names
from scenarios.config import load_scenario
from scenarios.population import build_population
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_only_planted_clients_screen_as_hits(path):
    scenario = load_scenario(path)
    planted = list(sdn_individual_names(scenario.population.sanctioned_clients))
    population = build_population(scenario, SeededStreams(scenario.seed).stream("population"), planted)
    sanctions = default_sanctions_list()
    screener = screener_for(sanctions)
    hits = {a.client_name for a in population.accounts if screener.screen(a.client_name).outcome is not Outcome.CLEAR}
    listed = {a.client_name for a in population.accounts if sanctions.is_sanctioned(a.client_name)}
    assert hits == listed, (path.name, sorted(hits - listed))
    planted_names = {a.client_name for a in population.accounts if a.client_id in population.sanctioned_client_ids}
    assert planted_names <= hits
