"""The scenario schema: typed, frozen configuration for one simulated trading day.

Every section is a frozen slots dataclass; each field's default is declared
(and documented) right here. ``load_scenario`` / ``parse_scenario`` turn a
YAML file into a :class:`Scenario` through the generic validator in
``scenarios.schema``: unknown keys, wrong types and out-of-range values are
refused with one :class:`ScenarioError` naming the dotted field and line, e.g.
``trading_day.yaml:23: venues[1].taker_fee: must be a decimal amount like
"0.0030" (at most 4 decimal places), got 'abc'``.

Money fields are written as decimal dollar strings in YAML and held as integer
units (``components.domain.money``: 1 dollar = 10_000 units). Rates in basis
points are ints; fractions are floats in [0, 1]; latencies are float ms.
Times are America/New_York wall-clock times on ``session.date``.
The optional ``agents`` section (ABIDES-style agent populations) is declared
in ``scenarios.config_agents``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Annotated, Iterator
from zoneinfo import ZoneInfo

from components.domain.money import CENT, to_units
from components.business_days import BusinessCalendar
from components.risk.policies import RiskLimits

from .config_agents import Agents, Fundamental, MarketMakerAgents, MomentumAgents, NoiseAgents, ValueAgents
from .config_faults import Crash, Crashes, TradingStateChange
from .config_market import LatencyModel, Replay, Sip
from .config_post_trade import Blocks, Settlement
from .schema import DOCUMENT, MONEY, NonEmpty, Pattern, Range, ScenarioError, Unique, build

__all__ = [
    "DOCUMENT",
    "BUILTIN_SCENARIOS",
    "NEW_YORK",
    "Agents",
    "Blocks",
    "Crash",
    "Crashes",
    "TradingStateChange",
    "LatencyModel",
    "Replay",
    "Sip",
    "Fundamental",
    "MarketMakerAgents",
    "MomentumAgents",
    "NoiseAgents",
    "ValueAgents",
    "Liquidity",
    "MarketRules",
    "Network",
    "OrderFlow",
    "PopulationConfig",
    "Risk",
    "Routing",
    "Scenario",
    "Settlement",
    "ScenarioError",
    "ServiceLatency",
    "Services",
    "Session",
    "SymbolConfig",
    "TradingHalt",
    "Venue",
    "VenueStress",
    "builtin_scenario_path",
    "load_scenario",
    "parse_scenario",
]

NEW_YORK = ZoneInfo("America/New_York")
"""The exchange time zone: session times and settlement time are wall-clock here."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SETTLEMENT_TIME = time(9, 0)

Fraction = Annotated[float, Range(ge=0.0, le=1.0)]
Bps = Annotated[int, Range(ge=0, le=10_000)]
Millis = Annotated[float, Range(ge=0.0, le=60_000.0)]
FeePerShare = Annotated[int, MONEY, Range(ge=-to_units("0.0100"), le=to_units("0.0100"))]
Cash = Annotated[int, MONEY, Range(ge=0, le=to_units("1000000000000"))]

_SYMBOL = Pattern(r"[A-Z][A-Z0-9.]{0,9}", "an upper-case ticker like 'AAPL' or 'BRK.B'")


def _to_ns(moment: datetime) -> int:
    """An aware datetime to integer UTC nanoseconds since the epoch, exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True, slots=True)
class Session:
    """The trading session, in New York wall-clock time."""

    date: date = date(2026, 11, 24)
    """Trade date (ISO, a weekday). Default: Tuesday 2026-11-24."""
    open: time = time(9, 30)
    """Session open, "HH:MM" New York time. Default 09:30."""
    close: time = time(16, 0)
    """Session close, "HH:MM" New York time, after ``open``. Default 16:00."""
    settlement_days: Annotated[int, Range(ge=1, le=10)] = 1
    """Settlement cycle in business days (T+1 in the US since May 2024). Default 1."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.close <= self.open:
            yield "close", f"must be after open ({self.open:%H:%M}), got {self.close:%H:%M}"
        if self.date.weekday() >= 5:
            yield "date", f"must be a weekday, got {self.date:%A} {self.date.isoformat()}"

    def at_ns(self, moment: time) -> int:
        """UTC nanoseconds of ``moment`` (New York time) on ``date``."""
        return _to_ns(datetime.combine(self.date, moment, NEW_YORK))

    def open_ns(self) -> int:
        """UTC nanoseconds of the open on ``date`` in New York."""
        return self.at_ns(self.open)

    def close_ns(self) -> int:
        """UTC nanoseconds of the close on ``date`` in New York."""
        return self.at_ns(self.close)

    def settlement_date(self) -> date:
        """``date`` plus ``settlement_days`` business days (weekends skipped; no holiday calendar)."""
        return BusinessCalendar().add_business_days(self.date, self.settlement_days)

    def settlement_ns(self) -> int:
        """UTC nanoseconds of 09:00 New York on the settlement date."""
        return _to_ns(datetime.combine(self.settlement_date(), _SETTLEMENT_TIME, NEW_YORK))


@dataclass(frozen=True, slots=True)
class SymbolConfig:
    """One tradable instrument."""

    symbol: Annotated[str, _SYMBOL]
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


@dataclass(frozen=True, slots=True)
class PopulationConfig:
    """Advisors, their clients and the clients' accounts."""

    advisors: Annotated[int, Range(ge=1, le=10_000)] = 20
    """Number of financial advisors. Default 20."""
    clients_per_advisor: Annotated[int, Range(ge=1, le=10_000)] = 8
    """Clients per advisor. Default 8."""
    cash_min: Cash = to_units("50000")
    """Smallest starting cash balance of an account. Default $50,000."""
    cash_max: Cash = to_units("2000000")
    """Largest starting cash balance (balances are log-uniform in between). Default $2,000,000."""
    sanctioned_clients: Annotated[int, Range(ge=0, le=10_000)] = 1
    """Clients whose names come from the sanctions list (AML must stop them). Default 1."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.cash_max < self.cash_min:
            yield "cash_max", "must be >= cash_min"
        clients = self.advisors * self.clients_per_advisor
        if self.sanctioned_clients > clients:
            yield "sanctioned_clients", f"must be <= the number of clients ({clients})"


@dataclass(frozen=True, slots=True)
class OrderFlow:
    """Client order arrivals over the session.

    ``orders`` new client orders arrive on a U-shaped intraday curve; on top of
    them, ``duplicate_fraction`` / ``resubmit_fraction`` / ``cancel_fraction``
    of those orders are followed by a duplicate (new client order id), a retry
    with the same client order id, or a cancel request.
    """

    orders: Annotated[int, Range(ge=0, le=10_000_000)] = 5000
    """New client orders over the session; 0 is a market-only day. Default 5000."""
    market_fraction: Fraction = 0.3
    """Share of orders that are MARKET (the rest LIMIT). Default 0.3."""
    ioc_fraction: Fraction = 0.1
    """Share of orders with time in force IOC (the rest DAY). Default 0.1."""
    limit_offset_bps: Bps = 20
    """Limit prices are drawn within +/- this many bps of the touch (positive = aggressive). Default 20."""
    mean_shares: Annotated[int, Range(ge=1, le=1_000_000)] = 200
    """Mean order size in shares; mostly round lots, some odd lots. Default 200."""
    cancel_fraction: Fraction = 0.05
    """Share of orders followed by a cancel request seconds later. Default 0.05."""
    duplicate_fraction: Fraction = 0.01
    """Share of orders resubmitted by mistake with a new client order id, ms later. Default 0.01."""
    resubmit_fraction: Fraction = 0.005
    """Share of orders retried with the same client order id (idempotency). Default 0.005."""
    u_shape: Annotated[float, Range(gt=0.0, le=100.0)] = 3.0
    """Arrival intensity at open/close relative to midday (1 = flat, < 1 = hump). Default 3."""


@dataclass(frozen=True, slots=True)
class Risk:
    """Pre-trade risk limits."""

    max_order_notional: Cash = to_units("1000000")
    """Largest notional of one order. Default $1,000,000."""
    max_daily_notional_per_account: Cash = to_units("5000000")
    """Largest gross notional an account may trade in the day. Default $5,000,000."""
    collar_bps: Bps = 500
    """Limit prices further than this from the reference are refused. Default 500 (5%)."""
    concentration_max_bps: Bps = 4000
    """Largest share of an account's value in one symbol after the trade. Default 4000 (40%)."""
    restricted: tuple[Annotated[str, _SYMBOL], ...] = ()
    """Symbols on the restricted list (must be scenario symbols). Default none."""
    duplicate_window_s: Annotated[float, Range(ge=0.0, le=86_400.0)] = 5.0
    """Identical orders from one account within this many seconds are suspected duplicates. Default 5."""

    def to_limits(self) -> RiskLimits:
        """These limits as the risk engine's ``RiskLimits`` (both runtimes build them here)."""
        return RiskLimits(
            max_order_notional=self.max_order_notional,
            max_daily_notional_per_account=self.max_daily_notional_per_account,
            collar_bps=self.collar_bps,
            concentration_max_bps=self.concentration_max_bps,
            duplicate_window_ns=int(round(self.duplicate_window_s * 1e9)),
        )


@dataclass(frozen=True, slots=True)
class ServiceLatency:
    """Service time of one platform service: a log-normal fixed by its median and p99."""

    median_ms: Annotated[float, Range(gt=0.0, le=60_000.0)]
    """Median service time, ms."""
    p99_ms: Annotated[float, Range(gt=0.0, le=60_000.0)]
    """99th percentile service time, ms; at least the median."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.p99_ms < self.median_ms:
            yield "p99_ms", f"must be >= median_ms ({self.median_ms}), got {self.p99_ms}"


@dataclass(frozen=True, slots=True)
class Services:
    """Service times of the platform's services; give only the ones to change."""

    gateway: ServiceLatency = ServiceLatency(4.0, 12.0)
    """Order entry gateway. Default median 4 ms, p99 12 ms."""
    oms: ServiceLatency = ServiceLatency(3.0, 10.0)
    """Order management system. Default 3 / 10 ms."""
    risk: ServiceLatency = ServiceLatency(2.0, 8.0)
    """Pre-trade risk. Default 2 / 8 ms."""
    router: ServiceLatency = ServiceLatency(1.5, 5.0)
    """Smart order router. Default 1.5 / 5 ms."""
    post_trade: ServiceLatency = ServiceLatency(2.0, 6.0)
    """Allocation, confirmation, settlement. Default 2 / 6 ms."""

    @staticmethod
    def names() -> tuple[str, ...]:
        return ("gateway", "oms", "risk", "router", "post_trade")

    def get(self, name: str) -> ServiceLatency:
        """Latency of the named service; KeyError for an unknown name."""
        if name not in self.names():
            raise KeyError(name)
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class Network:
    """Latency of each internal hop between services."""

    hop_ms: Millis = 0.3
    """Mean one-way latency of an internal service hop, ms. Default 0.3."""
    jitter_ms: Millis = 0.2
    """Random extra latency per hop (scale), ms. Default 0.2."""


@dataclass(frozen=True, slots=True)
class TradingHalt:
    """A scheduled halt of one symbol on every venue (``venues_sim.rules.TradingHalt``)."""

    symbol: Annotated[str, _SYMBOL]
    """Halted symbol (required; a scenario symbol)."""
    at: time
    """Start of the halt, "HH:MM" New York time (required)."""
    duration_s: Annotated[float, Range(gt=0.0, le=86_400.0)] = 300.0
    """Length of the halt, seconds. Default 300."""


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Market-wide rules every venue enforces (``venues_sim.rules``). Default: none."""

    halts: tuple[TradingHalt, ...] = ()
    """Scheduled trading halts; new orders are refused (HALTED), resting ones kept. Default none."""
    luld_band_bps: Bps = 0
    """Limit-up/limit-down band around each symbol's reference price, bps; 0 = off. Default 0."""
    luld_pause_s: Annotated[float, Range(gt=0.0, le=3_600.0)] = 300.0
    """Trading pause after a trade at a band edge, seconds. Default 300."""
    ssr_symbols: tuple[Annotated[str, _SYMBOL], ...] = ()
    """Symbols under the short-sale restriction (no short sale at or below the national best bid). Default none."""


@dataclass(frozen=True, slots=True)
class Routing:
    """Smart order router settings."""

    max_quote_age_ms: Annotated[float, Range(gt=0.0, le=3_600_000.0)] = 1_000.0
    """A venue whose quote is older than this is not routed to (stale market data). Default 1000."""


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


_DEFAULT_SYMBOLS = (
    SymbolConfig("AAPL", to_units("190.00"), 150),
    SymbolConfig("MSFT", to_units("415.00"), 140),
    SymbolConfig("SPY", to_units("560.00"), 90),
)
_DEFAULT_VENUES = (
    Venue("XNAS", to_units("0.0020"), to_units("0.0030"), 0.5),
    Venue("ARCX", to_units("0.0021"), to_units("0.0030"), 0.6),
    Venue("BATS", to_units("0.0025"), to_units("0.0030"), 0.7),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: everything but the seed-driven randomness of a run."""

    name: Annotated[str, Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", "a short name of letters, digits, '_', '-', '.'")]
    """Scenario name (required); used in output directory names."""
    description: str = ""
    """Free text for people. Default empty."""
    seed: Annotated[int, Range(ge=0, le=2**63 - 1)] = 42
    """Seed used when the command line gives none. Default 42."""
    session: Session = field(default_factory=Session)
    """Trade date and hours. Default 2026-11-24 09:30-16:00 New York, T+1."""
    symbols: Annotated[tuple[SymbolConfig, ...], NonEmpty("symbol"), Unique("symbol")] = _DEFAULT_SYMBOLS
    """Instruments. Default AAPL 190.00, MSFT 415.00, SPY 560.00."""
    venues: Annotated[tuple[Venue, ...], NonEmpty("venue"), Unique("name")] = _DEFAULT_VENUES
    """Venues. Default XNAS, ARCX, BATS."""
    population: PopulationConfig = field(default_factory=PopulationConfig)
    """Advisors, clients, accounts. Default 20 advisors x 8 clients."""
    order_flow: OrderFlow = field(default_factory=OrderFlow)
    """Client order arrivals. Default 5000 orders."""
    risk: Risk = field(default_factory=Risk)
    """Pre-trade risk limits."""
    services: Services = field(default_factory=Services)
    """Service time distributions per service."""
    network: Network = field(default_factory=Network)
    """Internal hop latency."""
    routing: Routing = field(default_factory=Routing)
    """Smart order router settings (quote staleness)."""
    market_rules: MarketRules = field(default_factory=MarketRules)
    """Halts, LULD bands, short-sale restriction. Default none."""
    liquidity: Liquidity = field(default_factory=Liquidity)
    """Market makers and noise traders (unused when ``agents`` is given)."""
    agents: Agents | None = None
    """ABIDES-style agent populations (value, momentum, noise, adaptive market makers). Default none."""
    blocks: Blocks = field(default_factory=Blocks)
    """Advisor block orders with pre-trade allocation statements. Default none."""
    settlement: Settlement = field(default_factory=Settlement)
    """Settlement fails, retries and buy-ins. Default: no fails."""
    crashes: Crashes = field(default_factory=Crashes)
    """Hosted services that crash mid-day and restart from snapshot + replay (at-least-once redelivery).
    Default none."""
    trading_state: tuple[TradingStateChange, ...] = ()
    """Kill-switch flips by an operator during the day ({at, state, reason}). Default none."""
    sip: Sip | None = None
    """A SIP consolidating venue quotes; risk and analytics see its delayed NBBO. Default none."""
    replay: Replay | None = None
    """A recorded day replayed in place of the simulated venues and their liquidity. Default none."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        known = {s.symbol for s in self.symbols}
        for i, symbol in enumerate(self.risk.restricted):
            if symbol not in known:
                yield f"risk.restricted[{i}]", f"unknown symbol {symbol!r} (scenario symbols: {', '.join(sorted(known))})"
        rules = self.market_rules
        named = [(f"market_rules.halts[{i}].symbol", h.symbol) for i, h in enumerate(rules.halts)]
        named += [(f"market_rules.ssr_symbols[{i}]", s) for i, s in enumerate(rules.ssr_symbols)]
        for path, symbol in named:
            if symbol not in known:
                yield path, f"unknown symbol {symbol!r} (scenario symbols: {', '.join(sorted(known))})"
        if self.replay is not None:
            if self.agents is not None:
                yield "replay", "cannot be combined with agents (a recorded day has its own market)"
            if rules.halts or rules.luld_band_bps or rules.ssr_symbols:
                yield "replay", "cannot be combined with market_rules (the replay venue does not enforce them)"
            for i, v in enumerate(self.venues):
                if v.stress:
                    yield f"venues[{i}].stress", "cannot be combined with replay"
                if v.price_improvement:
                    yield f"venues[{i}].price_improvement", "cannot be combined with replay"

    @property
    def session_open_ns(self) -> int:
        """UTC nanoseconds of the session open."""
        return self.session.open_ns()

    @property
    def session_close_ns(self) -> int:
        """UTC nanoseconds of the session close."""
        return self.session.close_ns()

    @property
    def settlement_ns(self) -> int:
        """UTC nanoseconds of settlement: 09:00 New York, ``settlement_days`` business days after the trade date."""
        return self.session.settlement_ns()

    @property
    def symbol_names(self) -> tuple[str, ...]:
        return tuple(s.symbol for s in self.symbols)

    @property
    def venue_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.venues)

    def symbol(self, symbol: str) -> SymbolConfig:
        """The named symbol's configuration; KeyError if absent."""
        for s in self.symbols:
            if s.symbol == symbol:
                return s
        raise KeyError(symbol)

    def venue(self, name: str) -> Venue:
        """The named venue's configuration; KeyError if absent."""
        for v in self.venues:
            if v.name == name:
                return v
        raise KeyError(name)


# --------------------------------------------------------------------------- loading

BUILTIN_SCENARIOS = ("trading_day", "smoke", "rmsc_like", "blocks_day", "crash_day", "sip_day")
"""Scenario files shipped as package data in ``scenarios/``."""


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse scenario YAML text; ``source`` names it in error messages."""
    return build(Scenario, text, source)


def load_scenario(path: str | Path) -> Scenario:
    """Read and parse a scenario file; errors are reported as ``<path>:<line>: <field>: <problem>``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), 1, DOCUMENT, f"not UTF-8 text: {exc.reason}") from None
    scenario = parse_scenario(text, str(path))
    if scenario.replay is not None:  # recorded files are named relative to the scenario file
        r = scenario.replay
        scenario = replace(scenario, replay=Replay(str(path.parent / r.quotes), str(path.parent / r.trades)))
    return scenario


def builtin_scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name (``"trading_day"``, ``"smoke"``); KeyError if unknown."""
    if name not in BUILTIN_SCENARIOS:
        raise KeyError(f"no built-in scenario {name!r}; have {', '.join(BUILTIN_SCENARIOS)}")
    return Path(str(resources.files(__package__).joinpath(f"{name}.yaml")))

