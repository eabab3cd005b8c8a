"""Scenario sections for the market rules added in issue 18 (``market_rules`` in a scenario).

``scenarios.config.MarketRules`` holds the rules' switches; the two sections with
parameters of their own are declared here. Everything is opt-in: a scenario that
leaves them out installs exactly the rules it did before (same fingerprint).

* ``luld_plan``: limit up-limit down as in the LULD plan (``venues_sim.rules.LuldPlan``,
  docs/market_rules.md): bands by tier and price around a rolling five-minute mean
  reference price, limit states, trading pauses with a reopening auction.
* ``previous_close``: a symbol's prior-day close where it is not its ``reference_price`` (an
  overnight gap), for Rule 201's 10% trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.config.fields import Symbol
from components.config.schema import MONEY, Range
from components.domain.money import to_units


@dataclass(frozen=True, slots=True)
class LuldPlanConfig:
    """The LULD plan on every scenario symbol (tier 1 unless named in ``tier2_symbols``).

    The opening reference price is each symbol's ``reference_price`` (standing in for the
    primary listing market's opening print). The defaults are the plan's own numbers."""

    tier2_symbols: tuple[Symbol, ...] = ()
    """Tier 2 symbols (10% bands above $3.00); the rest are tier 1 (5%). Default none."""
    limit_state_s: Annotated[float, Range(gt=0.0, le=3_600.0)] = 15.0
    """A limit state lasting this long becomes a trading pause, seconds. Default 15."""
    pause_s: Annotated[float, Range(gt=0.0, le=3_600.0)] = 300.0
    """Length of a trading pause, ended by a reopening auction, seconds. Default 300."""
    window_s: Annotated[float, Range(gt=0.0, le=3_600.0)] = 300.0
    """The reference price is the mean trade price over this trailing window, seconds. Default 300."""
    move_bps: Annotated[int, Range(ge=1, le=10_000)] = 100
    """The reference price moves only when the window's mean is this far from it, bps. Default 100 (1%)."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if len(set(self.tier2_symbols)) != len(self.tier2_symbols):
            yield "tier2_symbols", f"must not repeat a symbol, got {list(self.tier2_symbols)}"


@dataclass(frozen=True, slots=True)
class PreviousClose:
    """The prior trading day's close of one symbol (Rule 201 measures its 10% decline from it)."""

    symbol: Symbol
    """The symbol (required; a scenario symbol)."""
    price: Annotated[int, MONEY, Range(gt=0, le=to_units("1000000"))]
    """Its close (required), e.g. "22.50"."""
