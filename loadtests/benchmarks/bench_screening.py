"""Benchmark: sanctions screening latency and quality against the packaged OFAC list (issue 20).

Latency: ``NameScreener.screen`` per name, p50/p99/max over ``--names``
random names (seeded Faker ``en_US`` "first last" names, the twin's client
form, mixed with perturbed listed names so the fuzzy path does real work),
against the full packaged list (SDN primary names plus alt.csv aliases). The
index is built once first (its time is printed on its own). Each name is
screened once: no result cache exists, so this is the cold cost.

Quality: over the whole list, the share of names caught (outcome BLOCK) as
listed and under each perturbation (``PERTURBATIONS``: case, accents, word
order, a dropped middle name, one typo in a token of 5+ letters); and the
false-positive rate (BLOCK, and REVIEW-or-BLOCK) on ``--clients`` seeded
Faker names. ``--sweep`` prints the same figures for other block thresholds.

    python loadtests/benchmarks/bench_screening.py [--names N] [--clients N] [--sample N] [--sweep]

``--sample N`` measures quality on every N-th listed name only (a quick run).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.aml.screening import (  # noqa: E402
    MINOR_TOKEN_LEN,
    TYPO_MIN_LEN,
    NameScreener,
    Outcome,
    ScreeningThresholds,
)
from components.reference.sanctions import default_sanctions_list, name_tokens  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402

ACCENTED = {"A": "Á", "E": "É", "I": "Í", "O": "Ö", "U": "Ü", "N": "Ñ", "C": "Ç",
            "a": "à", "e": "è", "i": "ï", "o": "ô", "u": "ú", "n": "ñ", "c": "ç"}  # fmt: skip
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def change_case(name: str, rng: random.Random) -> str:
    """Each letter upper or lower at random."""
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in name)


def add_accents(name: str, rng: random.Random) -> str:
    """Accent every letter that has an accented form (at least one is changed if any can be)."""
    return "".join(ACCENTED.get(ch, ch) for ch in name)


def swap_order(name: str, rng: random.Random) -> str:
    """The tokens in reverse order, punctuation dropped ("SMITH, John" -> "John SMITH")."""
    return " ".join(reversed(name_tokens(name)))


def drop_middle(name: str, rng: random.Random) -> str | None:
    """One significant token other than the first and last dropped; None if the name has
    fewer than three significant tokens."""
    tokens = name_tokens(name)
    middle = [i for i, t in enumerate(tokens) if len(t) > MINOR_TOKEN_LEN][1:-1]
    if not middle:
        return None
    drop = rng.choice(middle)
    return " ".join(t for i, t in enumerate(tokens) if i != drop)


def typo(name: str, rng: random.Random) -> str | None:
    """One edit (substitute, insert, delete, or swap two neighbours) in one token of at
    least TYPO_MIN_LEN letters; None if the name has no such token."""
    tokens = name_tokens(name)
    long = [i for i, t in enumerate(tokens) if len(t) >= TYPO_MIN_LEN and t.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    t = tokens[i]
    p = rng.randrange(len(t))
    kind = rng.randrange(4)
    if kind == 0:
        t = t[:p] + rng.choice(LETTERS.replace(t[p], "")) + t[p + 1:]
    elif kind == 1:
        t = t[:p] + rng.choice(LETTERS) + t[p:]
    elif kind == 2:
        t = t[:p] + t[p + 1:]
    else:
        p = min(p, len(t) - 2)
        t = t[:p] + t[p + 1] + t[p] + t[p + 2:] if t[p] != t[p + 1] else t[:p] + "X" + t[p + 1:]
    tokens[i] = t
    return " ".join(tokens)


PERTURBATIONS: dict[str, Callable[[str, random.Random], str | None]] = {
    "as listed": lambda name, rng: name,
    "case changed": change_case,
    "accents added": add_accents,
    "word order swapped": swap_order,
    "middle name dropped": drop_middle,
    "one typo (token >= 5)": typo,
}


def client_names(count: int, seed: int = 20) -> list[str]:
    """``count`` seeded Faker en_US "first last" names (the twin population's form)."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [f"{fake.first_name()} {fake.last_name()}" for _ in range(count)]


def catch_rates(screener: NameScreener, names: Iterable[str], seed: int = 20) -> dict[str, tuple[int, int]]:
    """Per perturbation: (variants caught as BLOCK, variants tried)."""
    rng = random.Random(seed)
    out = {kind: [0, 0] for kind in PERTURBATIONS}
    for name in names:
        for kind, perturb in PERTURBATIONS.items():
            variant = perturb(name, rng)
            if variant is None:
                continue
            out[kind][1] += 1
            out[kind][0] += screener.screen(variant).outcome is Outcome.BLOCK
    return {kind: (c, n) for kind, (c, n) in out.items()}


def false_positives(screener: NameScreener, names: Iterable[str]) -> tuple[int, int, int]:
    """(BLOCK count, REVIEW count, names screened) over names not on the list."""
    block = review = total = 0
    for name in names:
        outcome = screener.screen(name).outcome
        total += 1
        block += outcome is Outcome.BLOCK
        review += outcome is Outcome.REVIEW
    return block, review, total


def latencies_ms(screener: NameScreener, names: list[str]) -> list[float]:
    out = []
    for name in names:
        start = time.perf_counter()
        screener.screen(name)
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=5000, help="names timed (default 5000)")
    parser.add_argument("--clients", type=int, default=5000, help="non-listed names for the false-positive rate")
    parser.add_argument("--sample", type=int, default=1, help="quality on every N-th listed name (default 1: all)")
    parser.add_argument("--sweep", action="store_true", help="also print figures for other block thresholds")
    args = parser.parse_args(argv)
    for flag in ("names", "clients", "sample"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1")

    sanctions = default_sanctions_list()
    start = time.perf_counter()
    screener = NameScreener(sanctions)
    build_s = time.perf_counter() - start
    listed = [entry.name for entry in sanctions.entries]
    print(f"list           {sanctions.list_name}: {len(listed):,} names (primary and aliases)")
    print(f"index build    {build_s:.2f}s (once per list)")
    t = screener.thresholds
    print(f"thresholds     block >= {t.block}, review >= {t.review}")

    rng = random.Random(7)
    clients = client_names(args.names, seed=7)
    picks = rng.choices(listed, k=len(clients))
    timed = [c if rng.random() < 0.8 else (typo(n, rng) or n) for c, n in zip(clients, picks)]
    lat = latencies_ms(screener, timed)
    print(f"latency        {len(lat):,} names (80% Faker, 20% listed with a typo): "
          f"p50 {pct(lat, 0.5):.3f} ms, p99 {pct(lat, 0.99):.3f} ms, max {lat[-1]:.3f} ms")  # fmt: skip
    figures.record("index_build_s", build_s, "s", "lower")
    figures.record("latency_p50_ms", pct(lat, 0.5), "ms", "lower")
    figures.record("latency_p99_ms", pct(lat, 0.99), "ms", "lower")

    sample = listed[:: args.sample]
    others = client_names(args.clients)
    for block in ([t.block] + ([85.0, 88.0, 92.0, 95.0] if args.sweep else [])):
        s = screener if block == t.block else NameScreener(sanctions, ScreeningThresholds(block, min(t.review, block)))
        print(f"quality at block >= {block} ({len(sample):,} listed names):")
        for kind, (caught, tried) in catch_rates(s, sample).items():
            print(f"  {kind:<24} {caught:>6,} / {tried:<6,} caught  {100 * caught / tried:6.2f}%")
        blocked, review, total = false_positives(s, others)
        if block == t.block:  # quality, not speed: a drop here is a regression too
            figures.record("false_positive_block_pct", 100 * blocked / total, "%", "lower")
        print(f"  false positives on {total:,} Faker names: {blocked} blocked ({100 * blocked / total:.2f}%), "
              f"{review} for review ({100 * review / total:.2f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
