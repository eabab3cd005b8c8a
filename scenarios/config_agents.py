"""The ``agents`` section of the scenario schema: ABIDES-style agent populations.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports these classes; ``Scenario.agents`` is an ``Agents`` or None). Each
field's default is declared and documented here; counts are per symbol, and
the agents trade on the scenario's first venue. Defaults follow ABIDES'
RMSC04 reference configuration where it has a counterpart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.config.schema import Range

Fraction = Annotated[float, Range(ge=0.0, le=1.0)]
Seconds = Annotated[float, Range(gt=0.0, le=86_400.0)]
AgentCount = Annotated[int, Range(ge=0, le=100_000)]


@dataclass(frozen=True, slots=True)
class Fundamental:
    """The fundamental value of each symbol that value agents trade toward.

    An Ornstein-Uhlenbeck process around the symbol's ``reference_price``
    whose diffusion is the symbol's ``daily_vol_bps``, plus Poisson megashocks
    of random sign (ABIDES' SparseMeanRevertingOracle); see
    ``scenarios/agents/fundamental.py``.
    """

    half_life_min: Annotated[float, Range(gt=0.0, le=1_000_000.0)] = 120.0
    """Minutes for a deviation from the mean to halve. Default 120."""
    megashocks_per_hour: Annotated[float, Range(ge=0.0, le=3_600.0)] = 0.5
    """Mean arrival rate of megashocks. Default 0.5 per hour (0 turns them off)."""
    megashock_mean_bps: Annotated[float, Range(ge=0.0, le=5_000.0)] = 50.0
    """Mean size of a megashock, bps of the reference price; the sign is a coin flip. Default 50."""
    megashock_std_bps: Annotated[float, Range(ge=0.0, le=5_000.0)] = 10.0
    """Standard deviation of a megashock's size, bps. Default 10."""


@dataclass(frozen=True, slots=True)
class ValueAgents:
    """Value agents (``scenarios/agents/value.py``): trade toward a noisy view of the fundamental."""

    count: AgentCount = 102
    """Agents per symbol. Default 102 (ABIDES RMSC04)."""
    mean_wake_s: Seconds = 175.0
    """Mean gap between an agent's wake-ups (exponential). Default 175 s (ABIDES lambda_a 5.7e-12/ns)."""
    observation_noise_bps: Annotated[float, Range(ge=0.0, le=10_000.0)] = 3.2
    """Standard deviation of an observation of the fundamental, bps. Default 3.2 (ABIDES sigma_n = r_bar/100)."""
    horizon_s: Annotated[float, Range(ge=0.0, le=86_400.0)] = 1_800.0
    """How far ahead an agent projects its estimate (mean reversion). Default 1800 s."""
    aggressive_fraction: Fraction = 0.1
    """Share of orders sent at the far touch (crossing); the rest are passive. Default 0.1."""
    depth_spread: Annotated[int, Range(ge=1, le=100)] = 2
    """Passive orders are priced up to this many spreads back from the far touch. Default 2."""
    threshold_ticks: Annotated[int, Range(ge=0, le=10_000)] = 0
    """No order unless value and mid differ by more than this. Default 0."""


@dataclass(frozen=True, slots=True)
class MomentumAgents:
    """Momentum agents (``scenarios/agents/momentum.py``): trade with the short vs long moving average."""

    count: AgentCount = 12
    """Agents per symbol. Default 12 (ABIDES RMSC04)."""
    mean_wake_s: Seconds = 37.0
    """Mean gap between wake-ups (exponential). Default 37 s (ABIDES RMSC04)."""
    short_window: Annotated[int, Range(ge=1, le=10_000)] = 20
    """Mids in the short moving average. Default 20."""
    long_window: Annotated[int, Range(ge=2, le=10_000)] = 50
    """Mids in the long moving average (must exceed short_window). Default 50."""
    threshold_bps: Annotated[float, Range(ge=0.0, le=10_000.0)] = 0.0
    """Trade only when the averages differ by more than this. Default 0."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.long_window <= self.short_window:
            yield "long_window", f"must be > short_window ({self.short_window}), got {self.long_window}"


@dataclass(frozen=True, slots=True)
class NoiseAgents:
    """Noise agents: ``venues_sim`` NoiseTraders priced off the book mid (``scenarios/agents/noise.py``)."""

    count: AgentCount = 1000
    """Agents per symbol. Default 1000 (ABIDES RMSC04)."""
    mean_wake_s: Seconds = 23_400.0
    """Mean gap between wake-ups (exponential). Default 23400 s: about one order per agent per day, as in ABIDES."""
    market_fraction: Fraction = 0.5
    """Share of noise orders that are MARKET (the rest limits near the mid). Default 0.5."""
    limit_range_ticks: Annotated[int, Range(ge=0, le=1_000)] = 2
    """Limits are within this many ticks of the mid, either side. Default 2."""
    mean_size: Annotated[int, Range(ge=1, le=1_000_000)] = 100
    """Mean order size (geometric). Default 100."""


@dataclass(frozen=True, slots=True)
class MarketMakerAgents:
    """Adaptive market makers (``scenarios/agents/market_maker.py``): a ladder sized and widened by the market."""

    count: AgentCount = 2
    """Makers per symbol. Default 2 (ABIDES RMSC04)."""
    mean_wake_s: Seconds = 60.0
    """Mean gap between requotes (exponential). Default 60 s (ABIDES RMSC04)."""
    levels: Annotated[int, Range(ge=1, le=100)] = 10
    """Price levels per side. Default 10 (ABIDES num_ticks)."""
    level_spacing_ticks: Annotated[int, Range(ge=1, le=1_000)] = 1
    """Ticks between ladder levels. Default 1."""
    pov: Fraction = 0.025
    """Size per level as a share of the volume traded since the last requote. Default 0.025 (ABIDES)."""
    min_size: Annotated[int, Range(ge=1, le=1_000_000)] = 100
    """Smallest size per level. Default 100."""
    max_size: Annotated[int, Range(ge=1, le=1_000_000)] = 5_000
    """Largest size per level. Default 5000."""
    min_spread_ticks: Annotated[int, Range(ge=1, le=1_000)] = 1
    """Quoted spread in a calm market. Default 1 tick."""
    max_spread_ticks: Annotated[int, Range(ge=1, le=10_000)] = 50
    """Widest quoted spread. Default 50 ticks."""
    vol_alpha: Annotated[float, Range(gt=0.0, le=1.0)] = 0.3
    """Weight of the newest mid move in the volatility average. Default 0.3."""
    vol_spread_mult: Annotated[float, Range(ge=0.0, le=100.0)] = 1.0
    """Spread widening per standard deviation of the mid's move over one requote gap, each side. Default 1."""
    imbalance_skew_ticks: Annotated[float, Range(ge=0.0, le=1_000.0)] = 4.0
    """Centre shift toward the aggressors at full buy/sell imbalance. Default 4 ticks (ABIDES price skew)."""
    inventory_skew_ticks_per_1000: Annotated[float, Range(ge=0.0, le=1_000.0)] = 1.0
    """Centre shift away from inventory per 1,000 shares held. Default 1 tick."""
    max_inventory: Annotated[int, Range(ge=1, le=100_000_000)] = 50_000
    """At this many shares long (short) the maker stops bidding (offering). Default 50000."""
    refill_on_empty: bool = True
    """Requote early when the last of its bids or asks has filled (as ABIDES makers
    react to book imbalance). Default true."""
    refill_delay_ms: Annotated[float, Range(ge=0.0, le=60_000.0)] = 500.0
    """Reaction delay before that early requote, ms. Default 500."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.max_size < self.min_size:
            yield "max_size", f"must be >= min_size ({self.min_size}), got {self.max_size}"
        if self.max_spread_ticks < self.min_spread_ticks:
            yield ("max_spread_ticks",
                   f"must be >= min_spread_ticks ({self.min_spread_ticks}), got {self.max_spread_ticks}")


@dataclass(frozen=True, slots=True)
class Agents:
    """ABIDES-style agent populations that make the market, per symbol, on the first venue.

    When a scenario has this section, these agents replace the ``liquidity``
    section's market makers and noise traders (that section is then unused).
    """

    fundamental: Fundamental = Fundamental()
    """The fundamental value process."""
    value: ValueAgents = ValueAgents()
    """Value agents. Default 102 per symbol."""
    momentum: MomentumAgents = MomentumAgents()
    """Momentum agents. Default 12 per symbol."""
    noise: NoiseAgents = NoiseAgents()
    """Noise agents. Default 1000 per symbol."""
    market_makers: MarketMakerAgents = MarketMakerAgents()
    """Adaptive market makers. Default 2 per symbol."""
    order_size_scale: Annotated[float, Range(gt=0.0, le=1_000.0)] = 1.0
    """Multiplies value and momentum order sizes (mostly 100-share lots). Default 1."""
