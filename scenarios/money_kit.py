"""The money-flow generator's kit: drafting transfers, outside parties, devices, amounts, the bad-actor pool.

Shared by ``scenarios.money_flow`` (ordinary clients, the public entry point) and
``scenarios.money_typologies`` (the laundering typologies); internal to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from faker.providers.company.en_US import Provider as CompanyNames
from faker.providers.person.en_US import Provider as PersonNames

from components.aml.transfers import TransferKind, Typology
from components.domain.money import PRICE_SCALE

from .config_money import MoneyFlowConfig

NS = 1_000_000_000
MINUTE = 60 * NS
HOUR = 60 * MINUTE
DAY = 24 * HOUR

BRANCHES = tuple(f"BR-{i:03d}" for i in range(1, 21))
"""Branches and ATMs cash goes through: the outside party of a cash deposit or withdrawal.

Device and country: an instruction the client gives (cash at a branch included) carries the
client's device and country; a deposit an outside party instructs (salary, a relative, any
outside depositor, ordinary or not) carries neither."""


@dataclass(slots=True)
class Draft:
    """A transfer before the flow is sorted and numbered."""

    ts_ns: int
    kind: TransferKind
    source: str
    target: str
    amount: int
    device_id: str
    country: str
    beneficiary_name: str = ""


@dataclass(frozen=True, slots=True)
class Client:
    """An ordinary client's profile: where and how it moves money."""

    client_id: str
    accounts: tuple[str, ...]
    country: str
    devices: tuple[str, ...]
    employer: tuple[str, str] | None  # (party id, name)
    pay: int
    pay_period_days: int
    pay_phase_ns: int
    billers: tuple[tuple[str, str], ...]
    beneficiaries: tuple[tuple[str, str], ...]
    household: tuple[str, ...]  # the accounts of the client's household (its own and a partner's)


class NameBook:
    """Faker's en_US first and last names with their frequencies and its company-name formats, drawn
    with the caller's numpy stream: a Faker call per name is a hundred times slower, and a shared Faker
    instance would let one typology's names shift another's."""

    def __init__(self) -> None:
        self.first = tuple(PersonNames.first_names)
        self.last = tuple(PersonNames.last_names)
        self._first_cum = np.cumsum(np.array(list(PersonNames.first_names.values()), dtype=float))
        self._last_cum = np.cumsum(np.array(list(PersonNames.last_names.values()), dtype=float))
        self.suffixes = tuple(CompanyNames.company_suffixes)

    @staticmethod
    def _pick(names: tuple[str, ...], cum: np.ndarray, rng: np.random.Generator) -> str:
        return names[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(names) - 1)]

    def person(self, rng: np.random.Generator) -> str:
        """"First Last", as often as Faker's frequencies say."""
        return f"{self._pick(self.first, self._first_cum, rng)} {self._pick(self.last, self._last_cum, rng)}"

    def company(self, rng: np.random.Generator) -> str:
        """"Last Suffix", "Last-Last" or "Last, Last and Last" (Faker's en_US company formats)."""
        a, b, c = (self._pick(self.last, self._last_cum, rng) for _ in range(3))
        form = int(rng.integers(0, 3))
        if form == 0:
            return f"{a} {self.suffixes[int(rng.integers(0, len(self.suffixes)))]}"
        return f"{a}-{b}" if form == 1 else f"{a}, {b} and {c}"


@lru_cache(maxsize=1)
def name_book() -> NameBook:
    """The one ``NameBook`` (built on first use)."""
    return NameBook()


def child(rng: np.random.Generator) -> np.random.Generator:
    """An independent stream seeded from ``rng`` (one per concern, drawn in a fixed order)."""
    return np.random.default_rng(int(rng.integers(0, 2**63 - 1)))


def dollars(rng: np.random.Generator, median: float, sigma: float, round_to: int = 0) -> int:
    """A lognormal amount in units: whole cents, or whole multiples of ``round_to`` dollars
    (at least one multiple). Integer arithmetic from the cent on: no float reaches the units."""
    value = median * float(np.exp(rng.normal(0.0, sigma)))
    if round_to:
        return max(1, int(round(value / round_to))) * round_to * PRICE_SCALE
    return max(100, int(round(value * 100))) * (PRICE_SCALE // 100)


def roundish(rng: np.random.Generator, share_round: float) -> int:
    """0 (cents) or a rounding step in dollars, ``share_round`` of the time."""
    if rng.random() >= share_round:
        return 0
    return int(rng.choice((10, 50, 100, 100, 500, 1000)))


@dataclass
class Builder:
    """One flow being drafted: parties, devices, transfers, labelled episodes and client profiles."""

    config: MoneyFlowConfig
    start_ns: int
    end_ns: int
    parties: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    drafts: list[Draft] = field(default_factory=list)
    episodes: list[tuple[Typology, tuple[str, ...], list[int]]] = field(default_factory=list)
    probes: list[int] = field(default_factory=list)
    ordinary_end: int = 0
    """Drafts before this index are the ordinary flow (and the sanctioned attempts): no typology's."""
    clients: dict[str, Client] = field(default_factory=dict)
    client_of: dict[str, str] = field(default_factory=dict)  # account id -> client id

    # ------------------------------------------------------------------ ids and parties

    def party(self, rng: np.random.Generator) -> str:
        """A new outside party id (random, so an id says nothing about who made it)."""
        while True:
            pid = f"EXT-{int(rng.integers(0, 10**10)):010d}"
            if pid not in self.parties:
                self.parties.add(pid)
                return pid

    def device(self, rng: np.random.Generator) -> str:
        while True:
            did = f"DV-{int(rng.integers(0, 16**8)):08x}"
            if did not in self.devices:
                self.devices.add(did)
                return did

    def person(self, rng: np.random.Generator) -> str:
        """A person's name drawn from ``rng`` (``NameBook``)."""
        return name_book().person(rng)

    def company(self, rng: np.random.Generator) -> str:
        """A company name drawn from ``rng`` (``NameBook``)."""
        return name_book().company(rng)

    # ------------------------------------------------------------------ drafting

    def add(self, ts: int, kind: TransferKind, source: str, target: str, amount: int, device: str, country: str,
            name: str = "") -> int:
        """Draft one transfer (clipped into the window); its index for labels."""
        ts = min(max(int(ts), self.start_ns), self.end_ns - 1)
        self.drafts.append(Draft(ts, kind, source, target, int(amount), device, country, name))
        return len(self.drafts) - 1

    def usual(self, account_id: str, rng: np.random.Generator) -> tuple[str, str]:
        """(device, country) the account's holder normally instructs from."""
        client = self.clients[self.client_of[account_id]]
        return client.devices[int(rng.integers(0, len(client.devices)))], client.country

    def label(self, typology: Typology, accounts: Iterable[str], indices: list[int]) -> None:
        """Label an episode; of ``accounts`` (in the order given) only those its transfers use."""
        used = {p for i in indices for p in (self.drafts[i].source, self.drafts[i].target)}
        self.episodes.append((typology, tuple(a for a in dict.fromkeys(accounts) if a in used), indices))

    def episode_start(self, rng: np.random.Generator, span_ns: int, earliest_fraction: float = 0.0) -> int:
        """A start that leaves ``span_ns`` inside the window (from ``earliest_fraction`` of it on)."""
        window = self.end_ns - self.start_ns
        lo = self.start_ns + int(window * earliest_fraction)
        hi = max(lo + 1, self.end_ns - span_ns)
        return int(rng.integers(lo, hi))

    def times(self, rng: np.random.Generator, t0: int, span_ns: int, n: int) -> list[int]:
        return sorted(int(t0 + x) for x in rng.integers(0, max(1, span_ns), size=n))


class Pool:
    """The accounts one typology's bad actors use: its own share of those who may act (so adding
    episodes of one typology never changes another's accounts), handed out without reuse until the
    share runs dry, then reshuffled (reused across episodes, never within one). An episode needing
    more accounts than the share holds draws them from everyone who may act."""

    def __init__(self, share: Sequence[str], everyone: Sequence[str], rng: np.random.Generator) -> None:
        self._share = list(share)
        self._everyone = list(everyone)
        self._rng = rng
        self._left: list[str] = []

    def take(self, n: int) -> list[str]:
        """``n`` distinct accounts; ValueError when fewer than ``n`` may act at all."""
        if n > len(self._everyone):
            raise ValueError(f"money: the population has too few accounts ({len(self._everyone)} may act) "
                             f"for an episode needing {n}")
        if n > len(self._share):
            return [self._everyone[int(i)] for i in self._rng.choice(len(self._everyone), size=n, replace=False)]
        out: list[str] = []
        while len(out) < n:
            if not self._left:
                self._left = [self._share[int(i)] for i in self._rng.permutation(len(self._share))]
            account = self._left.pop()
            if account not in out:
                out.append(account)
        return out


def branch(rng: np.random.Generator) -> str:
    """A branch or ATM for a cash deposit or withdrawal."""
    return BRANCHES[int(rng.integers(0, len(BRANCHES)))]
