"""Agent populations: the advisors, clients and accounts a scenario trades for.

``build_population`` turns a scenario's ``population`` section plus a seeded
numpy Generator into a frozen :class:`Population`. Names come from a Faker
instance seeded from that Generator (never the global Faker seed). A few
clients are given names from the caller's sanctions list so AML screening has
something to stop. Ids are deterministic and sequential: ``ADV-001``,
``CL-0001``, ``AC-00001``.

Each concern draws from its own child stream (names, cash, positions,
sanctioned picks, second accounts), so changing how one is generated does not
shift the numbers another one gets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from faker import Faker

from components.domain.money import PRICE_SCALE
from components.reference.accounts import Account

from .config import Scenario

SECOND_ACCOUNT_FRACTION = 0.25
"""Share of clients who hold a second account (e.g. an IRA beside a brokerage account)."""

POSITION_FRACTION = 0.6
"""Share of accounts that start with stock positions, so that sells are possible."""

MAX_POSITIONS = 3
"""Most symbols one account starts holding."""

ODD_LOT_POSITION_FRACTION = 0.1
"""Share of starting positions that are not a whole number of 100-share lots."""


@dataclass(frozen=True, slots=True)
class Advisor:
    """A financial advisor who enters orders for their clients' accounts."""

    advisor_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Population:
    """Everyone on the client side of the platform at the start of the day."""

    advisors: tuple[Advisor, ...]
    accounts: tuple[Account, ...]
    """Start-of-day accounts, as the platform loads them. Credit limits are 0; positions
    are (symbol, quantity) pairs in scenario symbol order, quantities > 0."""
    sanctioned_client_ids: tuple[str, ...] = ()
    """Clients named from the sanctions list, sorted."""

    def account(self, account_id: str) -> Account:
        """The account with this id; KeyError if absent."""
        for acct in self.accounts:
            if acct.account_id == account_id:
                return acct
        raise KeyError(account_id)

    def accounts_of(self, advisor_id: str) -> tuple[Account, ...]:
        """Accounts an advisor manages, in id order."""
        return tuple(a for a in self.accounts if a.advisor_id == advisor_id)

    @property
    def client_ids(self) -> tuple[str, ...]:
        """Distinct client ids in id order."""
        return tuple(dict.fromkeys(a.client_id for a in self.accounts))


def _child(rng: np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(int(rng.integers(0, 2**63 - 1)))


def _person_name(fake: Faker) -> str:
    return f"{fake.first_name()} {fake.last_name()}"


def build_population(
    scenario: Scenario, rng: np.random.Generator, sanctioned_names: list[str]
) -> Population:
    """Advisors, clients and accounts for ``scenario``, deterministic given ``rng``.

    ``sanctioned_names`` (from the OFAC list) supply the names of
    ``scenario.population.sanctioned_clients`` randomly chosen clients;
    ValueError if clients must be sanctioned but no names are given.
    """
    cfg = scenario.population
    n_clients = cfg.advisors * cfg.clients_per_advisor
    if cfg.sanctioned_clients and not sanctioned_names:
        raise ValueError("the scenario wants sanctioned clients but no sanctioned names were given")

    # One child stream per concern, drawn in a fixed order.
    name_rng, cash_rng, pos_rng, sanction_rng, second_rng = (_child(rng) for _ in range(5))
    fake = Faker("en_US")
    fake.seed_instance(int(name_rng.integers(0, 2**63 - 1)))

    advisors = tuple(
        Advisor(f"ADV-{i + 1:03d}", _person_name(fake)) for i in range(cfg.advisors)
    )
    client_names = [_person_name(fake) for _ in range(n_clients)]

    sanctioned_idx = sorted(
        int(i) for i in sanction_rng.choice(n_clients, size=cfg.sanctioned_clients, replace=False)
    )
    names_pool = list(sanctioned_names)
    picks = sanction_rng.permutation(len(names_pool)) if names_pool else []
    for j, idx in enumerate(sanctioned_idx):
        client_names[idx] = names_pool[int(picks[j % len(picks)])]

    accounts_per_client = 1 + (second_rng.random(n_clients) < SECOND_ACCOUNT_FRACTION)
    accounts: list[Account] = []
    for c in range(n_clients):
        client_id = f"CL-{c + 1:04d}"
        advisor_id = advisors[c // cfg.clients_per_advisor].advisor_id
        for _ in range(int(accounts_per_client[c])):
            accounts.append(
                Account(
                    account_id=f"AC-{len(accounts) + 1:05d}",
                    client_id=client_id,
                    client_name=client_names[c],
                    advisor_id=advisor_id,
                    cash=_draw_cash(cash_rng, cfg.cash_min, cfg.cash_max),
                    credit_limit=0,
                    positions=_draw_positions(pos_rng, scenario),
                )
            )
    sanctioned_ids = tuple(f"CL-{i + 1:04d}" for i in sanctioned_idx)
    return Population(advisors, tuple(accounts), sanctioned_ids)


def _draw_cash(rng: np.random.Generator, lo: int, hi: int) -> int:
    """Whole dollars, log-uniform between lo and hi (uniform if lo is zero), in units."""
    lo_d, hi_d = -(-lo // PRICE_SCALE), hi // PRICE_SCALE  # whole dollars inside [lo, hi]
    if hi_d <= lo_d:
        return lo
    if lo_d > 0:
        dollars = int(math.exp(rng.uniform(math.log(lo_d), math.log(hi_d))))
    else:
        dollars = int(rng.integers(lo_d, hi_d + 1))
    return min(max(dollars, lo_d), hi_d) * PRICE_SCALE


def _draw_positions(rng: np.random.Generator, scenario: Scenario) -> tuple[tuple[str, int], ...]:
    """0..MAX_POSITIONS holdings, mostly whole lots of 100 shares."""
    symbols = scenario.symbol_names
    # Fixed number of draws per account keeps this stream aligned across accounts.
    has, count, which, lots, odd, odd_qty = (
        rng.random() < POSITION_FRACTION,
        int(rng.integers(1, MAX_POSITIONS + 1)),
        rng.permutation(len(symbols)),
        rng.integers(1, 11, size=MAX_POSITIONS),
        rng.random(MAX_POSITIONS) < ODD_LOT_POSITION_FRACTION,
        rng.integers(1, 100, size=MAX_POSITIONS),
    )
    if not has:
        return ()
    chosen = sorted(int(i) for i in which[: min(count, len(symbols))])
    return tuple(
        (symbols[i], int(lots[k]) * 100 + (int(odd_qty[k]) if odd[k] else 0))
        for k, i in enumerate(chosen)
    )
