"""The laundering typologies bad actors enact in a money flow, one builder per ``Typology``.

Each builder drafts one labelled episode into the ``Builder`` (``scenarios.money_kit``) with
accounts from the bad-actor ``Pool``, drawing from its typology's own child stream
(``scenarios.money_flow.generate_money_flow`` calls them). docs/aml_money_flow.md tabulates the shapes.
"""

from __future__ import annotations

import numpy as np

from components.aml.transfers import TransferKind, Typology
from components.domain.money import PRICE_SCALE

from .money_kit import HOUR, MINUTE, DAY, Builder, Pool, branch, dollars

SHIFT_COUNTRIES = ("RU", "NG", "AE", "VN", "PA", "CY", "TR", "HK", "KY", "UA")
"""Where a geo/device shift instructs from."""
SHIFT_HISTORY = 3
"""Instructions an account has made before its geo/device shift (when the pool has such an account)."""
SHIFT_CANDIDATES = 20
"""Accounts of the pool tried for that history."""


def _width(b: Builder, rng: np.random.Generator) -> int:
    w = b.config.fan_width
    return int(rng.integers(w, 2 * w + 1))


def _split(rng: np.random.Generator, total: int, n: int, round_to: int = 100) -> list[int]:
    """``total`` units split into ``n`` uneven parts, rounded to ``round_to`` dollars, each > 0."""
    weights = rng.uniform(0.6, 1.4, size=n)
    step = round_to * PRICE_SCALE
    return [max(step, int(total * w / weights.sum()) // step * step) for w in weights]


def _fan_in(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """k sources (mules of the firm, and outside depositors) pay one collector within hours."""
    k = _width(b, rng)
    internal = int(rng.integers((k + 1) // 2, k + 1))
    collector, *mules = pool.take(1 + internal)
    span = int(rng.integers(2, 25)) * HOUR
    t0 = b.episode_start(rng, span)
    idx = []
    for n, ts in enumerate(b.times(rng, t0, span, k)):
        amount = dollars(rng, 4_500.0, 0.35, 100 if rng.random() < 0.5 else 0)
        if n < internal:
            device, country = b.usual(mules[n], rng)
            idx.append(b.add(ts, TransferKind.INTERNAL, mules[n], collector, amount, device, country))
        else:
            idx.append(b.add(ts, TransferKind.DEPOSIT, b.party(rng), collector, amount, "", "", b.person(rng)))
    b.label(Typology.FAN_IN, [collector, *mules], idx)


def _fan_out(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """A funding deposit, then one account pays k targets (mules, outside beneficiaries) within hours."""
    k = _width(b, rng)
    internal = int(rng.integers(0, k // 2 + 1))
    source, *mules = pool.take(1 + internal)
    total = dollars(rng, 40_000.0, 0.4, 1000)
    span = int(rng.integers(2, 25)) * HOUR
    t0 = b.episode_start(rng, span + 6 * HOUR)
    device, country = b.usual(source, rng)
    idx = [b.add(t0, TransferKind.DEPOSIT, b.party(rng), source, total, "", "", b.company(rng))]
    start = t0 + int(rng.integers(10 * MINUTE, 6 * HOUR))
    for n, (ts, amount) in enumerate(zip(b.times(rng, start, span, k), _split(rng, total, k))):
        if n < internal:
            idx.append(b.add(ts, TransferKind.INTERNAL, source, mules[n], amount, device, country))
        else:
            idx.append(b.add(ts, TransferKind.EXTERNAL, source, b.party(rng), amount, device, country, b.person(rng)))
    b.label(Typology.FAN_OUT, [source, *mules], idx)


def _cycle(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """Funds go round a ring of 3-5 accounts, hours apart, losing a little at each hop."""
    ring = pool.take(int(rng.integers(3, 6)))
    amount = dollars(rng, 30_000.0, 0.5, 0)
    gaps = [int(g) for g in rng.integers(1 * HOUR, 12 * HOUR, size=len(ring))]
    t = b.episode_start(rng, sum(gaps) + HOUR)
    idx = []
    for n, account in enumerate(ring):
        t += gaps[n]
        device, country = b.usual(account, rng)
        idx.append(b.add(t, TransferKind.INTERNAL, account, ring[(n + 1) % len(ring)], amount, device, country))
        amount = int(amount * rng.uniform(0.97, 0.995)) // 100 * 100  # a fee or a cut kept at each hop
    b.label(Typology.CYCLE, ring, idx)


def _scatter_gather(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """One account pays k mules within hours; each mule passes (most of) it on to one final account."""
    k = _width(b, rng)
    source, final, *mules = pool.take(2 + k)
    total = dollars(rng, 45_000.0, 0.4, 1000)
    span = int(rng.integers(1, 7)) * HOUR
    t0 = b.episode_start(rng, span + 30 * HOUR)
    device, country = b.usual(source, rng)
    idx = []
    for mule, ts, amount in zip(mules, b.times(rng, t0, span, k), _split(rng, total, k)):
        idx.append(b.add(ts, TransferKind.INTERNAL, source, mule, amount, device, country))
        onward = int(amount * rng.uniform(0.95, 1.0)) // PRICE_SCALE * PRICE_SCALE
        m_device, m_country = b.usual(mule, rng)
        later = ts + int(rng.integers(2 * HOUR, 24 * HOUR))
        idx.append(b.add(later, TransferKind.INTERNAL, mule, final, onward, m_device, m_country))
    b.label(Typology.SCATTER_GATHER, [source, *mules, final], idx)


def _gather_scatter(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """k sources pay a hub within hours; the hub then pays k' targets out."""
    k_in, k_out = _width(b, rng), _width(b, rng)
    internal = int(rng.integers(k_in // 2, k_in + 1))
    hub, *mules = pool.take(1 + internal)
    span = int(rng.integers(2, 13)) * HOUR
    t0 = b.episode_start(rng, 2 * span + 12 * HOUR)
    idx = []
    total = 0
    for n, ts in enumerate(b.times(rng, t0, span, k_in)):
        amount = dollars(rng, 5_000.0, 0.3, 100 if rng.random() < 0.5 else 0)
        total += amount
        if n < internal:
            device, country = b.usual(mules[n], rng)
            idx.append(b.add(ts, TransferKind.INTERNAL, mules[n], hub, amount, device, country))
        else:
            idx.append(b.add(ts, TransferKind.DEPOSIT, b.party(rng), hub, amount, "", "", b.person(rng)))
    out_start = t0 + span + int(rng.integers(HOUR, 12 * HOUR))
    device, country = b.usual(hub, rng)
    kept = int(total * rng.uniform(0.93, 0.99))
    for ts, amount in zip(b.times(rng, out_start, span, k_out), _split(rng, kept, k_out)):
        idx.append(b.add(ts, TransferKind.EXTERNAL, hub, b.party(rng), amount, device, country, b.person(rng)))
    b.label(Typology.GATHER_SCATTER, [hub, *mules], idx)


def _velocity(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """Two or three rounds of: a deposit, passed down a chain of accounts minutes per hop, then out."""
    chain = pool.take(int(rng.integers(2, 4)))
    exit_id, exit_name = b.party(rng), b.person(rng)
    rounds = int(rng.integers(2, 4))
    t = b.episode_start(rng, rounds * 8 * HOUR)
    idx = []
    for _ in range(rounds):
        amount = dollars(rng, 25_000.0, 0.5, 100)
        idx.append(b.add(t, TransferKind.DEPOSIT, b.party(rng), chain[0], amount, "", "", b.company(rng)))
        for n, account in enumerate(chain):
            t += int(rng.integers(2 * MINUTE, 20 * MINUTE))
            amount = int(amount * rng.uniform(0.98, 1.0)) // PRICE_SCALE * PRICE_SCALE
            device, country = b.usual(account, rng)
            if n + 1 < len(chain):
                idx.append(b.add(t, TransferKind.INTERNAL, account, chain[n + 1], amount, device, country))
            else:
                idx.append(b.add(t, TransferKind.EXTERNAL, account, exit_id, amount, device, country, exit_name))
        t += int(rng.integers(2 * HOUR, 8 * HOUR))
    b.label(Typology.VELOCITY, chain, idx)


def _structuring(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """4-8 cash deposits each just below the threshold (together well above it), over days and
    one to three accounts, at different branches."""
    accounts = pool.take(int(rng.integers(1, 4)))
    n = int(rng.integers(4, 9))
    span = min(b.end_ns - b.start_ns - HOUR, int(rng.integers(2, 5)) * DAY)
    t0 = b.episode_start(rng, span)
    threshold = b.config.ctr_threshold
    idx = []
    for ts in b.times(rng, t0, span, n):
        account = accounts[int(rng.integers(0, len(accounts)))]
        step = int(rng.choice((10, 50, 100))) * PRICE_SCALE
        amount = int(threshold * rng.uniform(0.80, 0.995)) // step * step
        amount = min(max(amount, PRICE_SCALE), threshold - PRICE_SCALE)  # strictly under, even for tiny thresholds
        device, country = b.usual(account, rng)
        idx.append(b.add(ts, TransferKind.DEPOSIT, branch(rng), account, amount, device, country))
    b.label(Typology.STRUCTURING, accounts, idx)


def _shared_beneficiary(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """3+ accounts of different clients pay one outside person, once or twice each, within days."""
    want = int(rng.integers(3, max(4, b.config.fan_width) + 1))
    payers: list[str] = []
    for account in pool.take(want * 2):  # unrelated: one account per client
        if all(b.client_of[account] != b.client_of[p] for p in payers) and len(payers) < want:
            payers.append(account)
    party_id, name = b.party(rng), b.person(rng)
    span = int(rng.integers(1, 4)) * DAY
    t0 = b.episode_start(rng, span)
    idx = []
    for account in payers:
        device, country = b.usual(account, rng)
        for ts in b.times(rng, t0, span, int(rng.integers(1, 3))):
            amount = dollars(rng, 4_000.0, 0.4, 100 if rng.random() < 0.8 else 0)
            idx.append(b.add(ts, TransferKind.EXTERNAL, account, party_id, amount, device, country, name))
    b.label(Typology.SHARED_BENEFICIARY, payers, idx)


def _geo_device_shift(b: Builder, rng: np.random.Generator, pool: Pool) -> None:
    """An established account suddenly instructs 2-4 transfers out from a new country on a new device,
    to new beneficiaries, within hours. Established: of up to ``SHIFT_CANDIDATES`` accounts of the
    pool, the first with ``SHIFT_HISTORY`` ordinary instructions of its own (from its usual devices)
    before the shift, else the one with the most; the shift comes after them, in the second half of
    the window. Only the ordinary flow counts, so other typologies never change this one."""
    span = int(rng.integers(1, 7)) * HOUR
    t0 = b.episode_start(rng, span, earliest_fraction=0.5)
    best: tuple[int, str, int] | None = None  # (instructions before the shift, account, the last one's time)
    for _ in range(SHIFT_CANDIDATES):
        (candidate,) = pool.take(1)
        own = sorted(d.ts_ns for d in b.drafts[:b.ordinary_end] if d.device_id and (d.source == candidate or (
            d.kind is TransferKind.DEPOSIT and d.target == candidate)))[:SHIFT_HISTORY]  # its own instructions
        fits = [t for t in own if t + HOUR < b.end_ns - span]
        if best is None or len(fits) > best[0]:
            best = (len(fits), candidate, fits[-1] if fits else 0)
        if len(fits) == SHIFT_HISTORY:
            break
    assert best is not None
    _, account, last = best
    t0 = max(t0, last + HOUR)
    home = b.clients[b.client_of[account]].country
    country = str(rng.choice([c for c in SHIFT_COUNTRIES if c != home]))
    device = b.device(rng)
    targets = [(b.party(rng), b.person(rng)) for _ in range(int(rng.integers(1, 3)))]
    idx = []
    for ts in b.times(rng, t0, span, int(rng.integers(2, 5))):
        party_id, name = targets[int(rng.integers(0, len(targets)))]
        amount = dollars(rng, 9_000.0, 0.6, 100 if rng.random() < 0.6 else 0)
        idx.append(b.add(ts, TransferKind.EXTERNAL, account, party_id, amount, device, country, name))
    b.label(Typology.GEO_DEVICE_SHIFT, [account], idx)


TYPOLOGY_BUILDERS = {
    Typology.FAN_IN: _fan_in,
    Typology.FAN_OUT: _fan_out,
    Typology.CYCLE: _cycle,
    Typology.SCATTER_GATHER: _scatter_gather,
    Typology.GATHER_SCATTER: _gather_scatter,
    Typology.VELOCITY: _velocity,
    Typology.STRUCTURING: _structuring,
    Typology.SHARED_BENEFICIARY: _shared_beneficiary,
    Typology.GEO_DEVICE_SHIFT: _geo_device_shift,
}
"""How each typology is enacted (one builder per ``Typology``)."""

