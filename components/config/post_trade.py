"""The ``blocks`` and ``settlement`` sections of the scenario schema.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports these classes). Both default to off, so a scenario that leaves them
out runs exactly as before (same event log, same fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from .schema import Pattern, Range

Fraction = Annotated[float, Range(ge=0.0, le=1.0)]


@dataclass(frozen=True, slots=True)
class Blocks:
    """Advisor block orders: several of one advisor's accounts bought as one block.

    Arrivals come from their own seeded stream (``blocks``), so turning blocks
    on does not change the ordinary order flow's draws.
    """

    count: Annotated[int, Range(ge=0, le=1_000_000)] = 0
    """Block submissions over the session. Default 0 (no blocks)."""
    accounts: Annotated[int, Range(ge=1, le=1_000)] = 4
    """Accounts per block (capped by the advisor's accounts). Default 4."""
    mean_shares: Annotated[int, Range(ge=1, le=1_000_000)] = 300
    """Mean shares requested per account line (mostly round lots). Default 300."""
    market_fraction: Fraction = 0.5
    """Share of blocks that are MARKET (the rest DAY LIMIT around the touch). Default 0.5."""
    limit_offset_bps: Annotated[int, Range(ge=0, le=10_000)] = 10
    """LIMIT blocks are priced within +/- this many bps of the touch. Default 10."""
    policy: Annotated[str, Pattern(r"pro_rata|rotational", "an allocation policy: pro_rata or rotational")] = (
        "rotational")
    """Allocation policy for every block. Default rotational (fair ties over time)."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """Settlement fails, retries and buy-ins (through the in-memory clearing adapter).

    Each attempt fails with ``fail_probability``, decided by a hash of a seed
    drawn from the named stream ``settlement-fails`` and the instruction; a
    failed instruction is retried on each following business day, and after
    ``max_retries`` retries the fail is closed by a buy-in.
    """

    fail_probability: Fraction = 0.0
    """Chance that one settlement attempt fails. Default 0 (everything settles on its date)."""
    max_retries: Annotated[int, Range(ge=0, le=10)] = 3
    """Retries (next business days) before a buy-in is required. Default 3."""
