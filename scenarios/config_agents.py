"""The ``agents`` section of the scenario schema: ABIDES-style agent populations.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports these classes; ``Scenario.agents`` is an ``Agents`` or None). Each
field's default is declared and documented here; counts are per symbol. By
default the agents trade on the scenario's first venue and call it directly;
``mode: network``, ``latency``, ``market_data`` and ``venues`` change that
(docs/agents_network.md). Defaults follow ABIDES' RMSC04 reference
configuration where it has a counterpart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.config.schema import Pattern, Range, Unique

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
    vol_follows_profile: bool = False
    """Scale the diffusion's variance by ``agents.intraday_profile`` (volatility follows activity, the day's
    total variance unchanged). Default false: the same variance all day."""
    shock_vol_boost: Annotated[float, Range(ge=0.0, le=1_000.0)] = 0.0
    """Extra diffusion variance right after a megashock, as a multiple of the normal variance (a turbulent
    spell after news: volatility clusters). Default 0: none."""
    shock_vol_half_life_min: Annotated[float, Range(gt=0.0, le=1_000.0)] = 15.0
    """Minutes for that extra variance to halve. Default 15."""


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
    fair_value_weight: Fraction = 0.0
    """How far the ladder's centre goes from the mid of the book others left toward the maker's own reading of
    the fundamental (information that leads the book: futures, other venues), 0 to 1. Default 0: the mid."""
    fair_value_noise_bps: Annotated[float, Range(ge=0.0, le=10_000.0)] = 0.0
    """Standard deviation of each fair-value reading's error, bps. Default 0."""
    fair_value_watch_s: Annotated[float, Range(ge=0.0, le=3_600.0)] = 0.0
    """With a fair_value_weight, also read fair value this often between requotes and requote when it has moved
    by fair_value_requote_ticks since the last ladder (re-pricing on news). Default 0: never."""
    fair_value_requote_ticks: Annotated[int, Range(ge=1, le=100_000)] = 10
    """The fair-value move that makes a watching maker requote, ticks. Default 10."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.max_size < self.min_size:
            yield "max_size", f"must be >= min_size ({self.min_size}), got {self.max_size}"
        if self.max_spread_ticks < self.min_spread_ticks:
            yield ("max_spread_ticks",
                   f"must be >= min_spread_ticks ({self.min_spread_ticks}), got {self.max_spread_ticks}")


Millis = Annotated[float, Range(ge=0.0, le=60_000.0)]
AGENT_CLASSES = ("market_makers", "value", "momentum", "noise")
"""The agent classes, as named in the ``agents`` section (and in ``latency`` and ``market_data``)."""


@dataclass(frozen=True, slots=True)
class LinkLatency:
    """One-way latency of one agent class's messages to and from a venue (``mode: network`` only).

    Each agent draws its own base once, uniformly in ``[base_ms, base_ms + base_spread_ms]`` (where it
    sits: ABIDES draws each agent's pairwise latency between 21 us and 13 ms), and every message adds an
    exponential jitter of mean ``jitter_ms``; all from the agent's own stream ``agents:net:OWNER``.
    """

    base_ms: Millis = 0.021
    """Smallest one-way latency, ms. Default 0.021 (ABIDES: 21 us, NYC to NJ)."""
    base_spread_ms: Millis = 12.979
    """Per-agent spread of the base above ``base_ms``, ms. Default 12.979 (ABIDES: up to 13 ms, NYC to Seattle)."""
    jitter_ms: Millis = 0.05
    """Mean of the per-message exponential jitter, ms. Default 0.05."""


@dataclass(frozen=True, slots=True)
class VenueLatency:
    """Extra one-way latency on every link to one venue (its distance from everyone)."""

    venue: str
    """The venue's name (one of the scenario's ``venues``)."""
    extra_ms: Millis = 0.0
    """Added to each message to or from this venue, ms. Default 0."""


@dataclass(frozen=True, slots=True)
class AgentLatency:
    """Latency per agent class and venue: a message's one-way delay is the agent's base (its class),
    plus its venue's ``extra_ms``, plus a jitter draw. Colocated market makers default to 20 us."""

    market_makers: LinkLatency = LinkLatency(base_ms=0.02, base_spread_ms=0.0, jitter_ms=0.005)
    """Market makers. Default 0.02 ms, no spread, 0.005 ms jitter (colocated)."""
    value: LinkLatency = LinkLatency()
    """Value agents. Default 0.021-13 ms, 0.05 ms jitter."""
    momentum: LinkLatency = LinkLatency()
    """Momentum agents. Default 0.021-13 ms, 0.05 ms jitter."""
    noise: LinkLatency = LinkLatency()
    """Noise agents. Default 0.021-13 ms, 0.05 ms jitter."""
    venues: Annotated[tuple[VenueLatency, ...], Unique("venue")] = ()
    """Extra latency per venue. Default none."""


AgentClassName = Annotated[str, Pattern(r"market_makers|value|momentum|noise",
                                        "one of market_makers, value, momentum, noise")]


@dataclass(frozen=True, slots=True)
class AgentMarketData:
    """How agents see the market in ``mode: network``: never the live book.

    Classes in ``subscribers`` get a push of each venue's top of book (``depth`` levels a side) every
    ``interval_ms`` (one message per push per subscriber, with its link's latency) and act on the last
    push received. The others query at each wake-up (a request and a response, as ABIDES' value and
    noise agents do) and act when the response arrives, on the book as it was when the query arrived.
    """

    interval_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] = 1_000.0
    """Publication interval of each venue's market data, ms. Default 1000."""
    depth: Annotated[int, Range(ge=1, le=100)] = 1
    """Price levels per side in each snapshot. Default 1 (top of book)."""
    subscribers: tuple[AgentClassName, ...] = ("market_makers",)
    """Classes that subscribe to pushes; the rest query on wake-up. Default market makers."""


@dataclass(frozen=True, slots=True)
class VenueWeight:
    """One venue's share of a ``fixed`` split."""

    venue: str
    """The venue's name (one of the scenario's ``venues``)."""
    weight: Annotated[int, Range(ge=0, le=1_000_000)] = 1
    """Relative share of orders. Default 1."""


@dataclass(frozen=True, slots=True)
class AgentVenues:
    """Which of the scenario's venues agents send their orders to (docs/agents_network.md).

    * ``first``: the scenario's first venue only (the default);
    * ``fixed``: each agent spreads its orders by ``split`` weights, in a smooth weighted round robin
      (deterministic, no draws);
    * ``displayed``: the venue showing the best price on the side the order would take, then the most
      displayed size there, then the earliest listed (as the agent sees the books);
    * ``fees``: the cheapest venue for the order: lowest taker fee if it crosses the agent's view of
      that venue's book, highest maker rebate if it would rest; then the earliest listed.

    Market makers quote on the first venue, or on every venue with ``market_makers: all`` (one
    quoting desk per venue, each with its own inventory).
    """

    rule: Annotated[str, Pattern(r"first|fixed|displayed|fees", "one of first, fixed, displayed, fees")] = "first"
    """How orders are spread. Default first."""
    split: Annotated[tuple[VenueWeight, ...], Unique("venue")] = ()
    """Weights of the ``fixed`` rule (venues not listed get none). Default none: equal weights."""
    market_makers: Annotated[str, Pattern(r"first|all", "first or all")] = "first"
    """Venues market makers quote on. Default first."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.split and not any(w.weight for w in self.split):
            yield "split", "needs at least one weight above 0"


def venue_problems(agents, venues: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(dotted path under ``agents``, problem) for each venue the section names that the scenario lacks."""
    named = [(f"latency.venues[{i}].venue", v.venue) for i, v in enumerate(agents.latency.venues)]
    named += [(f"venues.split[{i}].venue", w.venue) for i, w in enumerate(agents.venues.split)]
    for path, name in named:
        if name not in venues:
            yield path, f"unknown venue {name!r} (scenario venues: {', '.join(venues)})"


@dataclass(frozen=True, slots=True)
class Agents:
    """ABIDES-style agent populations that make the market, per symbol (on the first venue unless
    ``venues`` says otherwise).

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
    intraday_profile: tuple[Annotated[float, Range(gt=0.0, le=1_000.0)], ...] = ()
    """Relative arrival intensity of value, momentum and noise agents over equal slices of the session
    (normalised to average 1: the same expected arrivals as a flat day, moved toward busier slices), e.g.
    ``[3, 1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.3, 2]`` for a U-shaped day in 30-minute slices
    (scenarios/agents/intraday.py). Default empty: flat."""
    mode: Annotated[str, Pattern(r"direct|network", "direct or network")] = "direct"
    """``direct``: agents call the venue and read its live book (fast). ``network``: orders, cancels,
    acks, fills and market data are messages with latency (docs/agents_network.md). Default direct."""
    latency: AgentLatency = AgentLatency()
    """Latency per agent class and venue (``mode: network``)."""
    market_data: AgentMarketData = AgentMarketData()
    """Market data subscription or query (``mode: network``)."""
    venues: AgentVenues = AgentVenues()
    """How agents spread orders over the scenario's venues. Default: the first venue only."""

