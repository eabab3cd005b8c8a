"""Populations are deterministic per seed, well-formed, and carry the sanctioned clients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from components.reference.accounts import Account
from scenarios.config import load_scenario, parse_scenario
from scenarios.population import Advisor, Population, build_population

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "scenarios"
SANCTIONED = ["AL-ZAWAHIRI, Ayman", "BOUT, Viktor", "KIM, Jong Un"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO_DIR / "trading_day.yaml")


def _build(scenario, seed: int) -> Population:
    return build_population(scenario, np.random.default_rng(seed), SANCTIONED)


def test_same_seed_same_population(scenario) -> None:
    assert _build(scenario, 1) == _build(scenario, 1)


def test_different_seed_different_population(scenario) -> None:
    a, b = _build(scenario, 1), _build(scenario, 2)
    assert a != b
    assert [x.name for x in a.advisors] != [x.name for x in b.advisors]
    assert [x.cash for x in a.accounts] != [x.cash for x in b.accounts]


def test_global_faker_seed_is_not_used(scenario) -> None:
    from faker import Faker

    Faker.seed(12345)
    first = _build(scenario, 3)
    Faker.seed(999)
    assert _build(scenario, 3) == first


def test_shape_and_ids(scenario) -> None:
    pop = _build(scenario, 5)
    cfg = scenario.population
    assert [a.advisor_id for a in pop.advisors] == [f"ADV-{i:03d}" for i in range(1, cfg.advisors + 1)]
    assert all(isinstance(a, Advisor) and a.name for a in pop.advisors)
    assert len(pop.client_ids) == cfg.advisors * cfg.clients_per_advisor
    assert list(pop.client_ids) == [f"CL-{i:04d}" for i in range(1, len(pop.client_ids) + 1)]
    assert [a.account_id for a in pop.accounts] == [f"AC-{i:05d}" for i in range(1, len(pop.accounts) + 1)]
    assert len(pop.accounts) >= len(pop.client_ids)
    for advisor in pop.advisors:
        clients = {a.client_id for a in pop.accounts_of(advisor.advisor_id)}
        assert len(clients) == cfg.clients_per_advisor


def test_accounts_are_sane(scenario) -> None:
    pop = _build(scenario, 6)
    symbols = set(scenario.symbol_names)
    cfg = scenario.population
    for acct in pop.accounts:
        assert isinstance(acct, Account)  # the platform's own account type, no copy
        assert type(acct.cash) is int and cfg.cash_min <= acct.cash <= cfg.cash_max
        assert acct.credit_limit == 0
        for symbol, qty in acct.positions:
            assert symbol in symbols and type(qty) is int and qty > 0
        assert len({s for s, _ in acct.positions}) == len(acct.positions)
    holders = [a for a in pop.accounts if a.positions]
    assert len(holders) > len(pop.accounts) // 3, "sells need starting positions"
    assert any(qty % 100 == 0 for a in holders for _, qty in a.positions)


def test_sanctioned_clients_get_sanctioned_names(scenario) -> None:
    pop = _build(scenario, 7)
    assert len(pop.sanctioned_client_ids) == scenario.population.sanctioned_clients == 1
    flagged = [a for a in pop.accounts if a.client_id in pop.sanctioned_client_ids]
    assert flagged and all(a.client_name in SANCTIONED for a in flagged)
    others = [a for a in pop.accounts if a.client_id not in pop.sanctioned_client_ids]
    assert not any(a.client_name in SANCTIONED for a in others)


def test_many_sanctioned_clients_and_name_reuse() -> None:
    s = parse_scenario("name: x\npopulation: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 4}\n")
    pop = build_population(s, np.random.default_rng(0), ["ONE, A", "TWO, B"])
    assert len(pop.sanctioned_client_ids) == 4
    names = {a.client_name for a in pop.accounts if a.client_id in pop.sanctioned_client_ids}
    assert names == {"ONE, A", "TWO, B"}


def test_sanctioned_clients_need_names(scenario) -> None:
    with pytest.raises(ValueError, match="sanctioned"):
        build_population(scenario, np.random.default_rng(0), [])
    none = parse_scenario("name: x\npopulation: {sanctioned_clients: 0}\n")
    assert build_population(none, np.random.default_rng(0), []).sanctioned_client_ids == ()


def test_account_lookup(scenario) -> None:
    pop = _build(scenario, 8)
    assert pop.account("AC-00001") == pop.accounts[0]
    with pytest.raises(KeyError):
        pop.account("AC-99999")


def test_cash_bounds_respected_when_equal() -> None:
    s = parse_scenario("name: x\npopulation: {cash_min: '1000.50', cash_max: '1000.50', sanctioned_clients: 0}\n")
    pop = build_population(s, np.random.default_rng(0), [])
    assert {a.cash for a in pop.accounts} == {10_005_000}
