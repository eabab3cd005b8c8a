"""Synthetic wealth-management clients with outcomes, for training and monitoring the models.

``generate_clients(seed, day, n, shift)`` gives ``n`` client profiles (``components.models``)
plus their ground-truth outcomes: whether each churns, and the best advisor action. A batch is
a pure function of (seed, day, n, shift): its numbers come from the named stream
``clients:<day>`` of ``SeededStreams(seed)`` and its names from a Faker instance seeded from
that stream, so two processes give the same clients.

``shift`` (0..1) moves the population the way an acquisition campaign aimed at younger, digital
self-directed investors would: younger, shorter tenure, smaller accounts, more logins and
trades, fewer advisor contacts, more cash. It also moves what drives churn (``concept``):
for the shifted clients digital engagement, not advisor contact, keeps them, so a model
trained before the shift both sees unfamiliar inputs and is wrong more often.

The protected ``group`` ("A"/"B") is synthetic and mildly correlated with age.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

from components.memory import SeededStreams
from components.models.features import RISK_PROFILES, ClientProfile
from components.models.next_best_action import ACTIONS

LABEL_NOISE = 0.15
"""Share of best-action labels replaced by a random action."""
NAME_POOL = 64
"""First and last names drawn from Faker per batch (names are not features: variety is enough)."""


@dataclass(frozen=True, slots=True)
class ClientBatch:
    """One day's clients and their outcomes, row-aligned."""

    day: int
    shift: float
    clients: tuple[ClientProfile, ...]
    churned: np.ndarray
    """bool per client."""
    best_action: np.ndarray
    """index into ``ACTIONS`` per client."""

    @property
    def groups(self) -> np.ndarray:
        return np.array([c.group for c in self.clients])


def generate_clients(seed: int, day: int, n: int, shift: float = 0.0) -> ClientBatch:
    """One deterministic batch (see the module docstring); ValueError naming the bad argument."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    if isinstance(day, bool) or not isinstance(day, int) or day < 0:
        raise ValueError(f"day: must be an integer >= 0, got {day!r}")
    if not 0.0 <= shift <= 1.0:
        raise ValueError(f"shift: must be within [0, 1], got {shift!r}")
    rng = SeededStreams(seed).stream(f"clients:{day}")
    fake = Faker("en_US")
    fake.seed_instance(int(rng.integers(0, 2**63 - 1)))
    # Faker is slow per call (~0.5 ms): draw a pool of names once, then pair them with numpy.
    firsts = [fake.first_name() for _ in range(NAME_POOL)]
    lasts = [fake.last_name() for _ in range(NAME_POOL)]
    s = shift
    age = np.clip(rng.normal(58 - 18 * s, 11, n), 21, 90).round().astype(int)
    tenure = np.clip(rng.gamma(2.0, 5.0 * (1 - 0.75 * s), n), 0.1, 45).round(1)
    aum = np.clip(10 ** rng.normal(5.7 - 0.8 * s, 0.45, n), 5_000, 50_000_000).astype(np.int64)
    accounts = 1 + rng.poisson(0.8 - 0.4 * s, n)
    trades = rng.poisson(4 + 6 * s, n)
    logins = rng.poisson(3 + 5 * s, n)
    contacts = rng.poisson(3.0 * (1 - 0.7 * s), n)
    cash = np.clip(rng.beta(2 + 1.5 * s, 12 - 5 * s, n), 0, 1).round(4)
    risk = rng.choice(3, n, p=np.array([0.35, 0.45, 0.20]) * (1 - s) + np.array([0.1, 0.4, 0.5]) * s)
    group = np.where(rng.random(n) < 0.5 + 0.004 * (age - 58), "A", "B")

    # Churn: advisor contact and tenure keep the traditional client; for the shifted (digital)
    # share of the population, engagement in the app does instead.
    concept = s * rng.random(n)  # how "digital" each client is
    logit = (-0.6 - 0.12 * tenure - 0.35 * contacts * (1 - concept) + 3.0 * cash
             - 0.5 * (np.log10(aum) - 5.5) - 0.15 * logins * concept + 0.06 * trades * concept)
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))

    best = np.zeros(n, dtype=int)  # rebalance unless a rule below fits better
    best[(risk == 2) & (trades >= 6)] = ACTIONS.index("tax_loss_harvest")
    best[cash > 0.25] = ACTIONS.index("cash_sweep")
    best[age >= 62] = ACTIONS.index("retirement_review")
    noisy = rng.random(n) < LABEL_NOISE
    best[noisy] = rng.integers(0, len(ACTIONS), int(noisy.sum()))

    picks = rng.integers(0, NAME_POOL, (n, 2))
    names = [f"{firsts[a]} {lasts[b]}" for a, b in picks]
    clients = tuple(
        ClientProfile(f"CL-{day:03d}-{i + 1:05d}", names[i], int(age[i]), float(tenure[i]), int(aum[i]),
                      int(accounts[i]), int(trades[i]), int(logins[i]), int(contacts[i]), float(cash[i]),
                      RISK_PROFILES[int(risk[i])], str(group[i]))
        for i in range(n))
    return ClientBatch(day, shift, clients, churned, best)
