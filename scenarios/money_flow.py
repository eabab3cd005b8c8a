"""Money movement: every client's ordinary transfers plus bad actors' labelled laundering typologies.

``generate_money_flow`` turns a scenario's ``money`` section
(``scenarios.config_money``) and the population's accounts into a
:class:`MoneyFlow`: the transfer instructions of the window, sorted by time
and numbered ``TR-0000001``..., and the :class:`TypologyLabel` ground truth
of each enacted episode (docs/aml_money_flow.md). Pure: numpy (and Faker's name lists), no
simulation; the twin (``twin.money_movement``) sends each transfer through
the transfer desk at its time, and monitoring can read a flow directly.

Ordinary clients: each has a home country and one or two devices, maybe an
employer paying a salary (weekly, fortnightly or monthly), billers, and a
stable set of beneficiaries; a household (a client's own second account, and
some pairs of clients) moves money internally. Amounts are lognormal, whole
cents or round dollars. To keep the typologies from being trivially separable
(precision must be a real measurement), ordinary clients also sometimes move
a large or round amount, deposit cash just under the reporting threshold,
pay a company many other clients pay, log in from a new device or travel.

Bad actors enact the typologies with accounts drawn from the population
(they keep their ordinary flow too), through outside parties with the same id
and naming scheme as ordinary ones. Each concern draws from its own child
stream in a fixed order, so adding episodes of one typology does not change
the ordinary flow or another typology's episodes. The typologies are built in
``scenarios.money_typologies``, on the drafting kit of ``scenarios.money_kit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from components.aml.transfers import Transfer, TransferKind, Typology, TypologyLabel
from components.domain.money import PRICE_SCALE
from components.reference.accounts import Account

from .config_money import MoneyFlowConfig
from .money_kit import DAY, HOUR, MINUTE, NS, Builder, Client, Pool, branch, child, dollars, roundish
from .money_typologies import TYPOLOGY_BUILDERS

__all__ = ["DAY", "HOUR", "MINUTE", "NS", "MoneyFlow", "generate_money_flow"]

HOME_COUNTRIES = ("US", "CA", "GB", "MX", "DE", "IN", "FR")
HOME_WEIGHTS = (0.86, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02)
TRAVEL_COUNTRIES = ("CA", "GB", "MX", "FR", "DE", "IT", "ES", "JP", "AE", "BR", "TR", "HK")
"""Where ordinary clients travel (some overlap with ``money_typologies.SHIFT_COUNTRIES``, on purpose)."""
# Ordinary behaviour, per client (shares of the transfers besides payroll).
KIND_SHARES = {"bill": 0.34, "external": 0.24, "internal": 0.14, "family_in": 0.14, "cash_in": 0.07, "cash_out": 0.07}
BIG_FRACTION = 0.03
"""Ordinary transfers multiplied by 8-30x (a car, a deposit on a house): big amounts are not only crime."""
NEAR_THRESHOLD_CASH_FRACTION = 0.06
"""Ordinary cash deposits that land just under the reporting threshold (a business owner's takings)."""
NEW_DEVICE_FRACTION = 0.025
"""Ordinary instructions from a device the client never used before (a new phone)."""
TRAVEL_FRACTION = 0.015
"""Ordinary instructions from abroad (on holiday), usually from a known device."""
ONE_OFF_FRACTION = 0.02
"""Ordinary external transfers to a new, one-off beneficiary."""
HOUSEHOLD_FRACTION = 0.2
"""Share of clients paired into two-client households that move money between them."""
COLLECTOR_FRACTION = 0.04
"""Ordinary clients who collect many payments within a day (a landlord's rents, a tutor's fees): a benign fan-in."""
PAYER_FRACTION = 0.03
"""Ordinary clients who pay many people within hours (a small business paying contractors): a benign fan-out."""
COMPANIES = 40
"""Employers and billers many clients share (so one beneficiary paid by many is also ordinary)."""


@dataclass(frozen=True, slots=True)
class MoneyFlow:
    """One window of money movement: transfers sorted by ``ts_ns`` and the typology labels."""

    transfers: tuple[Transfer, ...] = ()
    labels: tuple[TypologyLabel, ...] = ()
    sanctioned_attempts: tuple[str, ...] = ()
    """Transfer ids of the external transfers to a sanctioned name (``sanctioned_beneficiary_attempts``):
    not a typology, but each must be blocked."""

    def labels_record(self) -> dict:
        """What ``aml_labels.json`` holds."""
        return {"labels": [label.to_record() for label in self.labels],
                "sanctioned_attempts": list(self.sanctioned_attempts)}


def generate_money_flow(config: MoneyFlowConfig, accounts: Sequence[Account],
                        rng: np.random.Generator | int, start_ns: int, end_ns: int, *,
                        exclude_accounts: Iterable[str] = (),
                        sanctioned_names: Sequence[str] = ()) -> MoneyFlow:  # fmt: skip
    """The window's transfers and labels, deterministic for a seed (or a seeded Generator).

    ``exclude_accounts`` never act as bad actors (the twin passes the accounts whose holders
    screening blocks, so labelled transfers are not blocked for another reason; they still have
    ordinary flow, which the desk blocks). ``sanctioned_names`` supply the beneficiaries of
    ``sanctioned_beneficiary_attempts``; ValueError if attempts are asked for without names.
    """
    if end_ns <= start_ns:
        raise ValueError(f"money flow window is empty: start_ns {start_ns} >= end_ns {end_ns}")
    if config.sanctioned_beneficiary_attempts and not sanctioned_names:
        raise ValueError("money.sanctioned_beneficiary_attempts needs sanctioned names, none were given")
    if not accounts:
        return MoneyFlow()
    rng = np.random.default_rng(rng)
    # one child stream per concern, drawn in a fixed order
    profile_rng, ordinary_rng, probe_rng, pool_rng = (child(rng) for _ in range(4))
    typology_rngs = {t: child(rng) for t in Typology}
    hubs_rng = child(rng)
    b = Builder(config, start_ns, end_ns)
    _profiles(b, accounts, profile_rng)
    _ordinary(b, ordinary_rng)
    _probes(b, probe_rng, sanctioned_names)
    _benign_hubs(b, hubs_rng)
    b.ordinary_end = len(b.drafts)
    excluded = set(exclude_accounts)
    may_act = [a.account_id for a in accounts if a.account_id not in excluded]
    shuffled = [may_act[int(i)] for i in pool_rng.permutation(len(may_act))]
    for k, typology in enumerate(Typology):  # every typology has its share, whether it is on or not
        pool = Pool(shuffled[k::len(Typology)], may_act, typology_rngs[typology])
        for _ in range(config.typologies.count(typology)):
            TYPOLOGY_BUILDERS[typology](b, typology_rngs[typology], pool)
    return _finish(b)


HISTORY_PREFIX = "TRH"
"""Transfer id prefix of a history period (``generate_history``), so its ids never collide with the window's."""


def generate_history(config: MoneyFlowConfig, accounts: Sequence[Account], rng: np.random.Generator | int,
                     history_rng: np.random.Generator, start_ns: int, end_ns: int) -> MoneyFlow:
    """An ordinary period of the same clients before a window: no typologies, no sanctioned attempts.

    ``rng`` must be in the state ``generate_money_flow`` got it in (a fresh generator of the same seed): the
    clients' profiles (employers, billers, beneficiaries, devices, countries) are its first child stream, so
    the history pays the same companies and people as the window. Their ordinary transfers and benign hubs
    come from ``history_rng`` (so the history is not a time-shifted copy of the window's draws). Ids are
    ``TRH-...``. The AML monitor takes it as warm-up history (``TransactionMonitor.warm``).
    """
    if end_ns <= start_ns:
        raise ValueError(f"money flow history is empty: start_ns {start_ns} >= end_ns {end_ns}")
    if not accounts:
        return MoneyFlow()
    profile_rng = child(np.random.default_rng(rng))  # the first child, as generate_money_flow draws it
    ordinary_rng, hubs_rng = child(history_rng), child(history_rng)
    b = Builder(config, start_ns, end_ns)
    _profiles(b, accounts, profile_rng)
    _ordinary(b, ordinary_rng)
    _benign_hubs(b, hubs_rng)
    b.ordinary_end = len(b.drafts)
    return _finish(b, HISTORY_PREFIX)


def _finish(b: Builder, prefix: str = "TR") -> MoneyFlow:
    order = sorted(range(len(b.drafts)), key=lambda i: (b.drafts[i].ts_ns, i))
    ids = {i: f"{prefix}-{n + 1:07d}" for n, i in enumerate(order)}
    transfers = tuple(Transfer(ids[i], d.ts_ns, d.kind, d.source, d.target, d.amount, d.device_id, d.country,
                               d.beneficiary_name) for i in order for d in (b.drafts[i],))  # fmt: skip
    labels = []
    for n, (typology, accounts, indices) in enumerate(b.episodes):
        times = [b.drafts[i].ts_ns for i in indices]
        labels.append(TypologyLabel(f"ML-{n + 1:04d}", typology, accounts, tuple(sorted(ids[i] for i in indices)),
                                    min(times), max(times)))
    return MoneyFlow(transfers, tuple(labels), tuple(sorted(ids[i] for i in b.probes)))


# ---------------------------------------------------------------------- ordinary clients


def _profiles(b: Builder, accounts: Sequence[Account], rng: np.random.Generator) -> None:
    by_client: dict[str, list[str]] = {}
    for a in accounts:
        by_client.setdefault(a.client_id, []).append(a.account_id)
        b.client_of[a.account_id] = a.client_id
    companies = [(b.party(rng), b.company(rng)) for _ in range(COMPANIES)]
    client_ids = list(by_client)
    # two-client households: a random pairing of a share of clients
    order = [client_ids[int(i)] for i in rng.permutation(len(client_ids))]
    paired = order[: int(len(order) * HOUSEHOLD_FRACTION) // 2 * 2]
    partner = {x: y for x, y in zip(paired[::2], paired[1::2])} | {y: x for x, y in zip(paired[::2], paired[1::2])}
    shared_relative: dict[str, tuple[str, str]] = {}
    for cid in client_ids:
        country = str(rng.choice(HOME_COUNTRIES, p=HOME_WEIGHTS))
        devices = tuple(b.device(rng) for _ in range(1 + int(rng.random() < 0.45)))
        employed = rng.random() < 0.7
        employer = companies[int(rng.integers(0, COMPANIES // 2))] if employed else None
        pay = dollars(rng, 2_800.0, 0.5, 10 if rng.random() < 0.3 else 0)
        period = int(rng.choice((7, 14, 14, 30)))
        phase = int(rng.integers(0, period)) * DAY + int(rng.integers(5, 10)) * HOUR
        billers = tuple(companies[COMPANIES // 2 + int(i)]
                        for i in rng.choice(COMPANIES - COMPANIES // 2, size=int(rng.integers(1, 5)), replace=False))
        beneficiaries = [(b.party(rng), b.person(rng)) for _ in range(int(rng.integers(1, 4)))]
        if rng.random() < 0.2:  # tuition, a landlord's agency: a company paid by many clients
            beneficiaries.append(companies[int(rng.integers(0, COMPANIES))])
        other = partner.get(cid)
        if other is not None:  # a household shares a relative they both send money to
            relative = shared_relative.setdefault(min(cid, other), (b.party(rng), b.person(rng)))
            beneficiaries.append(relative)
        own = tuple(by_client[cid])
        household = own + (tuple(by_client[other]) if other else ())
        b.clients[cid] = Client(cid, own, country, devices, employer, pay, period, phase, billers,
                                 tuple(beneficiaries), household)


def _ordinary(b: Builder, rng: np.random.Generator) -> None:
    kinds = list(KIND_SHARES)
    shares = np.array(list(KIND_SHARES.values()))
    shares = shares / shares.sum()
    days = (b.end_ns - b.start_ns) / DAY
    threshold_dollars = b.config.ctr_threshold // PRICE_SCALE
    for client in b.clients.values():
        home = client.accounts[0]
        if client.employer is not None:  # payroll: the same employer, about the same amount, on schedule
            t = b.start_ns + client.pay_phase_ns
            while t < b.end_ns:
                amount = client.pay if rng.random() < 0.7 else dollars(rng, client.pay / PRICE_SCALE, 0.05)
                b.add(t + int(rng.integers(0, HOUR)), TransferKind.DEPOSIT, client.employer[0], home, amount,
                      "", "", client.employer[1])
                t += client.pay_period_days * DAY
        n = int(rng.poisson(b.config.transfers_per_client_day * days))
        for _ in range(n):
            kind = kinds[int(rng.choice(len(kinds), p=shares))]
            account = client.accounts[int(rng.integers(0, len(client.accounts)))]
            others = [a for a in client.household if a != account]
            if kind == "internal" and not others:
                kind = "external"
            ts = _daytime(b, rng)
            device, country = _ordinary_origin(b, client, rng)
            big = rng.random() < BIG_FRACTION
            scale = float(rng.uniform(8.0, 30.0)) if big else 1.0
            if kind == "bill":
                name_id, name = client.billers[int(rng.integers(0, len(client.billers)))]
                amount = dollars(rng, 180.0 * scale, 0.7, roundish(rng, 0.3))
                b.add(ts, TransferKind.WITHDRAWAL, account, name_id, amount, device, country, name)
            elif kind == "external":
                if rng.random() < ONE_OFF_FRACTION:
                    name_id, name = b.party(rng), b.person(rng)
                else:
                    name_id, name = client.beneficiaries[int(rng.integers(0, len(client.beneficiaries)))]
                amount = dollars(rng, 1_200.0 * scale, 0.9, roundish(rng, 0.6))
                b.add(ts, TransferKind.EXTERNAL, account, name_id, amount, device, country, name)
            elif kind == "internal":
                target = others[int(rng.integers(0, len(others)))]
                amount = dollars(rng, 2_000.0 * scale, 0.9, roundish(rng, 0.7))
                b.add(ts, TransferKind.INTERNAL, account, target, amount, device, country)
            elif kind == "family_in":
                name_id, name = client.beneficiaries[int(rng.integers(0, len(client.beneficiaries)))]
                amount = dollars(rng, 800.0 * scale, 0.9, roundish(rng, 0.6))
                b.add(ts, TransferKind.DEPOSIT, name_id, account, amount, "", "", name)  # they instruct, not us
            elif kind == "cash_in":
                if rng.random() < NEAR_THRESHOLD_CASH_FRACTION:  # legitimately just under the threshold
                    amount = int(threshold_dollars * rng.uniform(0.82, 0.99)) * PRICE_SCALE
                else:
                    amount = dollars(rng, 300.0 * scale, 0.8, roundish(rng, 0.5))
                b.add(ts, TransferKind.DEPOSIT, branch(rng), account, max(amount, PRICE_SCALE), device, country)
            else:  # cash out, ATM-like: multiples of $20 or $100
                amount = dollars(rng, 200.0 * scale, 0.7, 20 if rng.random() < 0.6 else 100)
                b.add(ts, TransferKind.WITHDRAWAL, account, branch(rng), amount, device, country)


def _daytime(b: Builder, rng: np.random.Generator) -> int:
    """A time in the window, mostly in North American waking hours (UTC 12:00-04:00)."""
    midnight = b.start_ns - b.start_ns % DAY
    for _ in range(20):  # redraw what falls outside the window rather than pile it on its edges
        day = int(rng.integers(0, (b.end_ns - midnight) // DAY + 1))
        ts = midnight + day * DAY + int((float(rng.normal(19.0, 3.5)) % 24.0) * HOUR)
        if b.start_ns <= ts < b.end_ns:
            return ts
    return int(rng.integers(b.start_ns, b.end_ns))


def _ordinary_origin(b: Builder, client: Client, rng: np.random.Generator) -> tuple[str, str]:
    device = client.devices[int(rng.integers(0, len(client.devices)))]
    country = client.country
    if rng.random() < NEW_DEVICE_FRACTION:
        device = b.device(rng)
    if rng.random() < TRAVEL_FRACTION:
        country = str(rng.choice([c for c in TRAVEL_COUNTRIES if c != client.country]))
    return device, country


def _benign_hubs(b: Builder, rng: np.random.Generator) -> None:
    """Ordinary fans: a few clients collect from, or pay out to, as many people as a fan episode does."""
    w = b.config.fan_width
    for client in b.clients.values():
        collects, pays = rng.random() < COLLECTOR_FRACTION, rng.random() < PAYER_FRACTION
        account = client.accounts[0]
        if collects:
            rent = dollars(rng, 1_800.0, 0.3, 50)
            for ts in b.times(rng, b.episode_start(rng, 30 * HOUR), 30 * HOUR, int(rng.integers(w - 1, 2 * w + 1))):
                amount = rent if rng.random() < 0.5 else dollars(rng, rent / PRICE_SCALE, 0.2, 50)
                b.add(ts, TransferKind.DEPOSIT, b.party(rng), account, amount, "", "", b.person(rng))
        if pays:
            device, country = b.usual(account, rng)
            for ts in b.times(rng, b.episode_start(rng, 8 * HOUR), 8 * HOUR, int(rng.integers(w - 1, 2 * w + 1))):
                amount = dollars(rng, 2_500.0, 0.6, roundish(rng, 0.6))
                b.add(ts, TransferKind.EXTERNAL, account, b.party(rng), amount, device, country, b.person(rng))


def _probes(b: Builder, rng: np.random.Generator, names: Sequence[str]) -> None:
    """External transfers to a sanctioned name, as listed or slightly changed (case, word order)."""
    accounts = list(b.client_of)
    for _ in range(b.config.sanctioned_beneficiary_attempts):
        account = accounts[int(rng.integers(0, len(accounts)))]
        name = names[int(rng.integers(0, len(names)))]
        how = int(rng.integers(0, 3))
        if how == 1:
            name = name.lower()
        elif how == 2 and ", " in name:  # "LAST, First" written "First LAST"
            last, first = name.split(", ", 1)
            name = f"{first} {last}"
        device, country = b.usual(account, rng)
        amount = dollars(rng, 4_000.0, 0.8, 100)
        b.probes.append(b.add(_daytime(b, rng), TransferKind.EXTERNAL, account, b.party(rng), amount, device,
                              country, name))
