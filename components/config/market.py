"""The market both runtimes trade in: symbols, venues (fees, latency, stress), liquidity, routing.

Typed, frozen and validated by ``components.config.schema``; each field's
default is declared and documented here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated, Iterator

from components.domain.money import CENT, to_units
from components.domain.venues import FeeSchedule

from .fields import FeePerShare, Fraction, Millis, Symbol
from .schema import MONEY, Pattern, Range


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """How one venue's link delays are drawn (``twin.latency``).

    ``fixed_jitter``: ``venues[i].latency_ms`` plus exponential jitter of mean
    ``jitter_ms`` (``network.jitter_ms`` when left out); the default model.
    ``fat_tail``: a log-normal body (``median_ms``, ``p99_ms``) mixed with a
    Pareto tail (probability ``tail_probability``, shape ``tail_alpha``,
    starting at ``tail_scale_ms``), times a spike multiplier that grows with
    the recent message rate on the link (an exponentially decaying counter of
    half-life ``burst_halflife_ms``): ``1 + burst_gain * max(0, rate /
    burst_rate_per_s - 1)``.
    """

    kind: Annotated[str, Pattern(r"fixed_jitter|fat_tail", "one of fixed_jitter, fat_tail")] = "fixed_jitter"
    """Model (``fixed_jitter`` or ``fat_tail``). Default fixed_jitter."""
    jitter_ms: Millis | None = None
    """fixed_jitter: mean exponential jitter, ms. Default ``network.jitter_ms``."""
    median_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: median of the body, ms. Default the venue's ``latency_ms``."""
    p99_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: 99th percentile of the body, ms. Default 3 x median."""
    tail_probability: Annotated[float, Range(ge=0.0, le=0.5)] = 0.01
    """fat_tail: share of draws from the Pareto tail. Default 0.01."""
    tail_alpha: Annotated[float, Range(gt=0.5, le=10.0)] = 1.5
    """fat_tail: Pareto shape (smaller = heavier). Default 1.5."""
    tail_scale_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: where the Pareto tail starts, ms. Default the body's p99."""
    burst_rate_per_s: Annotated[float, Range(ge=0.0, le=10_000_000.0)] = 0.0
    """fat_tail: message rate on the link above which delays spike; 0 = no spikes. Default 0."""
    burst_gain: Annotated[float, Range(ge=0.0, le=1_000.0)] = 1.0
    """fat_tail: extra multiple of the delay per multiple of ``burst_rate_per_s`` exceeded. Default 1."""
    burst_halflife_ms: Annotated[float, Range(gt=0.0, le=600_000.0)] = 100.0
    """fat_tail: half-life of the message-rate counter, ms. Default 100."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.kind == "fixed_jitter":
            for name in ("median_ms", "p99_ms", "tail_scale_ms"):
                if getattr(self, name) is not None:
                    yield name, "only applies to kind fat_tail"
        elif self.jitter_ms is not None:
            yield "jitter_ms", "only applies to kind fixed_jitter"
        if self.median_ms is not None and self.p99_ms is not None and self.p99_ms < self.median_ms:
            yield "p99_ms", f"must be >= median_ms ({self.median_ms}), got {self.p99_ms}"


@dataclass(frozen=True, slots=True)
class SymbolConfig:
    """One tradable instrument."""

    symbol: Symbol
    """Ticker (required)."""
    reference_price: Annotated[int, MONEY, Range(gt=0, le=to_units("1000000"))]
    """Starting mid price in units (required), e.g. "190.00"; a whole number of cents."""
    daily_vol_bps: Annotated[int, Range(ge=1, le=10_000)] = 150
    """Daily volatility of the price path in basis points. Default 150 (1.5%)."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.reference_price % CENT:
            yield "reference_price", "must be a whole number of cents (the NMS tick), e.g. \"190.00\""


@dataclass(frozen=True, slots=True)
class VenueStress:
    """One stress behaviour of a venue (``venues_sim.stress``), scheduled or random.

    Give ``at`` (+ ``duration_s``) for one scheduled window, or
    ``rate_per_hour`` (+ ``duration_s`` as the mean) for Poisson-random windows
    over the session drawn from the seeded stream ``stress:<venue>:<index>``.
    """

    kind: Annotated[str, Pattern(r"DOWN|SLOW|STALE_BOOK|REJECT_STORM|SUBMIT_ONLY_DOWN",
                                 "one of DOWN, SLOW, STALE_BOOK, REJECT_STORM, SUBMIT_ONLY_DOWN")]
    """What happens to the venue (required)."""
    at: time | None = None
    """Start of a scheduled window, "HH:MM" New York time. Default none."""
    duration_s: Annotated[float, Range(gt=0.0, le=86_400.0)] = 60.0
    """Length of the scheduled window, or mean length of random ones, seconds. Default 60."""
    rate_per_hour: Annotated[float, Range(ge=0.0, le=3_600.0)] = 0.0
    """Random windows per hour (Poisson arrivals) instead of ``at``. Default 0 (none)."""
    extra_ms: Millis = 50.0
    """SLOW only: extra one-way latency on the venue links, ms. Default 50."""
    fraction: Fraction = 0.5
    """REJECT_STORM only: share of our new orders rejected (VENUE_THROTTLED). Default 0.5."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if (self.at is None) == (self.rate_per_hour == 0):
            yield "at", "give exactly one of at (a scheduled window) or rate_per_hour > 0 (random windows)"


@dataclass(frozen=True, slots=True)
class Venue:
    """A simulated exchange and what it costs to reach and to trade on it."""

    name: Annotated[str, Pattern(r"[A-Z][A-Z0-9_]{0,15}", "an upper-case venue code like 'XNAS'")]
    """Venue code (required), e.g. a MIC like XNAS."""
    maker_rebate: FeePerShare = to_units("0.0020")
    """Paid to us per share when our resting order is hit; negative charges the maker. Default $0.0020."""
    taker_fee: FeePerShare = to_units("0.0030")
    """Charged per share when we take liquidity; negative is an inverted-venue rebate. Default $0.0030."""
    latency_ms: Millis = 0.5
    """One-way network latency from our router to the venue, ms. Default 0.5."""
    stress: tuple[VenueStress, ...] = ()
    """Stress behaviours (outages, slowness, stale book, reject storms). Default none."""
    fee_model: Annotated[str, Pattern(r"maker_taker|fixed", "one of maker_taker, fixed")] = "maker_taker"
    """``maker_taker`` (``maker_rebate``/``taker_fee``) or ``fixed`` (``fixed_fee`` per share
    whatever the liquidity: a wholesaler or dark venue). Default maker_taker."""
    fixed_fee: FeePerShare = 0
    """Per-share fee of a ``fixed`` fee model, charged to taker and maker alike. Default $0."""
    price_improvement: Annotated[int, MONEY, Range(ge=0, le=to_units("0.0100"))] = 0
    """Per-share improvement of our marketable orders over the NBBO (SIP's when the scenario
    has one, else the venues' direct quotes) or, failing that, the venue's own quote:
    a wholesaler. Default $0 (fills at the book price)."""
    latency_model: LatencyModel | None = None
    """Distribution of this venue's link delays (``fixed_jitter`` or ``fat_tail``).
    Default none: ``latency_ms`` plus ``network.jitter_ms`` exponential jitter."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.fee_model != "fixed" and self.fixed_fee:
            yield "fixed_fee", "only applies to fee_model fixed"

    def routing_schedule(self) -> FeeSchedule:
        """What the smart order router ranks this venue by, in both runtimes.

        ``maker_taker``: ``maker_rebate`` and ``taker_fee`` as configured. ``fixed``:
        a taker pays ``fixed_fee`` a share and a maker pays it too, i.e. a maker
        rebate of ``-fixed_fee``.
        """
        if self.fee_model == "fixed":
            return FeeSchedule(maker_rebate=-self.fixed_fee, taker_fee=self.fixed_fee)
        return FeeSchedule(self.maker_rebate, self.taker_fee)


@dataclass(frozen=True, slots=True)
class Liquidity:
    """The market participants that make the simulated books tradable."""

    market_maker_levels: Annotated[int, Range(ge=1, le=50)] = 3
    """Price levels a market maker quotes on each side, per venue. Default 3."""
    market_maker_size: Annotated[int, Range(ge=1, le=1_000_000)] = 500
    """Shares per quoted level. Default 500."""
    market_maker_spread_ticks: Annotated[int, Range(ge=1, le=1_000)] = 2
    """Quoted spread in ticks (cents). Default 2."""
    requote_s: Annotated[float, Range(gt=0.0, le=3_600.0)] = 1.0
    """Seconds between market maker requotes. Default 1."""
    noise_traders: Annotated[int, Range(ge=0, le=10_000)] = 4
    """Number of noise traders. Default 4."""
    noise_rate_per_s: Annotated[float, Range(ge=0.0, le=10_000.0)] = 0.5
    """Orders per second per noise trader. Default 0.5."""
    noise_market_fraction: Fraction = 0.3
    """Share of noise orders that are MARKET. Default 0.3."""


@dataclass(frozen=True, slots=True)
class Routing:
    """Smart order router settings."""

    max_quote_age_ms: Annotated[float, Range(gt=0.0, le=3_600_000.0)] = 1_000.0
    """A venue whose quote is older than this is not routed to (stale market data). Default 1000."""


DEFAULT_VENUES = (
    Venue("XNAS", to_units("0.0020"), to_units("0.0030"), 0.5),
    Venue("ARCX", to_units("0.0021"), to_units("0.0030"), 0.6),
    Venue("BATS", to_units("0.0025"), to_units("0.0030"), 0.7),
)
"""Three lit venues, the default of a scenario and of ``live.toml``."""
DEFAULT_SYMBOLS = (
    SymbolConfig("AAPL", to_units("190.00"), 150),
    SymbolConfig("MSFT", to_units("415.00"), 140),
    SymbolConfig("SPY", to_units("560.00"), 90),
)
"""A scenario's default instruments."""
DEFAULT_MARKET_SYMBOLS = (
    SymbolConfig("AAPL", to_units("190.00"), 150),
    SymbolConfig("MSFT", to_units("415.00"), 140),
    SymbolConfig("NVDA", to_units("135.00"), 300),
    SymbolConfig("XOM", to_units("118.00"), 130),
    SymbolConfig("SPY", to_units("560.00"), 90),
)
"""The default scenario's (``trading_day``) instruments, which ``live.toml`` starts from
(a test keeps the two equal)."""
