"""The bad_actors section: off by default, validated, and planned deterministically per actor."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from components.config.schema import ScenarioError
from scenarios.bad_actors import plan_bad_actors
from scenarios.block_flow import block_intents
from scenarios.config import load_scenario, parse_scenario
from scenarios.config_bad_actors import BadActor, BadActors
from scenarios.population import build_population
from tests.conftest import SCENARIOS


def test_default_is_off_and_plans_nothing():
    scenario = parse_scenario("name: x\n")
    assert scenario.bad_actors == BadActors() and not scenario.bad_actors.active
    population = build_population(scenario, np.random.default_rng(1), ["A B"])
    assert plan_bad_actors(scenario, population, [], np.random.default_rng(1)).intents == ()


@pytest.mark.parametrize("text,field", [
    ("bad_actors: {spoofer: {episodes: -1}}", "bad_actors.spoofer.episodes"),
    ("bad_actors: {closer: {aggressiveness: 0}}", "bad_actors.closer.aggressiveness"),
    ("bad_actors: {spoofr: {episodes: 1}}", "bad_actors.spoofr"),
])
def test_bad_input_names_the_field(text, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        parse_scenario(f"name: x\n{text}\n", "s.yaml")


def _plan(scenario, seed=3):
    population = build_population(scenario, np.random.default_rng(seed), ["A B"])
    blocks = block_intents(scenario, population, np.random.default_rng(seed + 1))
    return plan_bad_actors(scenario, population, blocks, np.random.default_rng(seed + 2)), population


def test_plan_is_deterministic_labelled_and_feasible():
    scenario = load_scenario(SCENARIOS / "surveillance_day.yaml")
    plan, population = _plan(scenario)
    again, _ = _plan(scenario)
    assert plan == again
    by_pattern = {}
    for e in plan.episodes:
        by_pattern[e.pattern] = by_pattern.get(e.pattern, 0) + 1
        assert scenario.session_open_ns <= e.start_ns <= e.end_ns <= scenario.session_close_ns + 10**9 * 60
    assert set(by_pattern) == {"spoofing", "wash_trade", "marking_the_close", "front_running"}
    coids = {i.client_order_id for i in plan.intents if i.kind == "normal"}
    assert all(c in coids for e in plan.episodes for c in e.client_order_ids)
    held = {(a.account_id, s): q for a in population.accounts for s, q in a.positions}
    sold: dict = {}
    for i in plan.intents:
        if i.kind == "normal" and i.side.value == "SELL" and i.client_order_id.startswith(("BA-SPO", "BA-WAS")):
            sold[(i.account_id, i.symbol)] = sold.get((i.account_id, i.symbol), 0) + i.quantity
    assert all(q <= held[k] for k, q in sold.items())  # sells come out of start-of-day holdings


def test_one_actor_does_not_move_another():
    scenario = load_scenario(SCENARIOS / "surveillance_day.yaml")
    plan, _ = _plan(scenario)
    fewer, _ = _plan(replace(scenario, bad_actors=replace(scenario.bad_actors, closer=BadActor(episodes=0))))
    spoofs = [e for e in plan.episodes if e.pattern == "spoofing"]
    assert [(e.accounts, e.start_ns) for e in spoofs] == [(e.accounts, e.start_ns) for e in fewer.episodes
                                                          if e.pattern == "spoofing"]
    assert not [e for e in fewer.episodes if e.pattern == "marking_the_close"]
