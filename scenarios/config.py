"""The scenario: one simulated trading day, typed and frozen.

A scenario is the shared market and platform sections (``components.config``:
session, symbols, venues, population, risk, routing, liquidity, blocks,
settlement; the live stack reads the same ones from ``live.toml``) plus what
only the twin needs, declared here: order flow, service times, internal
network, market rules, agent populations (``scenarios.config_agents``),
faults (``scenarios.config_faults``), the SIP and replayed days
(``scenarios.config_market``). ``load_scenario`` / ``parse_scenario`` turn a
YAML file into a :class:`Scenario` through the one config walker
(``components.config.walker``, which reads ``live.toml`` too): unknown keys,
wrong types and out-of-range values are refused with one :class:`ScenarioError`
naming the line and the dotted field, e.g. ``trading_day.yaml:23:
venues[1].taker_fee: must be a decimal amount like "0.0030" (at most 4
decimal places), got 'abc'``.

Money fields are written as decimal dollar strings in YAML and held as integer
units (``components.domain.money``: 1 dollar = 10_000 units). Rates in basis
points are ints; fractions are floats in [0, 1]; latencies are float ms.
Times are America/New_York wall-clock times on ``session.date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Iterator

from components.config.fields import Bps, Fraction, Millis, Symbol
from components.config.market import DEFAULT_SYMBOLS, DEFAULT_VENUES, Liquidity, Routing, SymbolConfig, Venue
from components.config.population import PopulationConfig
from components.config.post_trade import Blocks, Settlement
from components.config.risk import Risk
from components.config.schema import DOCUMENT, NonEmpty, Pattern, Range, ScenarioError, Unique
from components.config.walker import build
from components.config.yaml_reader import read_yaml
from components.config.session import Session

from .config_agents import Agents, venue_problems
from .config_advisors import Advisors
from .config_bad_actors import BadActors
from .config_regions import Regions
from .config_faults import NS, Crashes, FaultSpec, TradingStateChange
from .config_market import MarketView, Replay, Sip, Tape
from .config_money import MoneyFlowConfig
from .config_rules import LuldPlanConfig, PreviousClose

# --------------------------------------------------------------------------- sections


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


_Replica = Annotated[int, Range(ge=1, le=1024)]


@dataclass(frozen=True, slots=True)
class Replicas:
    """Replicas per platform service: a service with ``c`` replicas is one queue in front of ``c``
    servers (``twin.service_pool``). Default 1 each (one server, as the twin always had)."""

    gateway: _Replica = 1
    """Order entry gateway replicas. Default 1."""
    oms: _Replica = 1
    """OMS replicas. Default 1."""
    risk: _Replica = 1
    """Pre-trade risk replicas. Default 1."""
    router: _Replica = 1
    """Smart order router replicas. Default 1."""
    post_trade: _Replica = 1
    """Post-trade replicas. Default 1."""

    def get(self, name: str) -> int:
        """Replicas of the named service; KeyError for an unknown name."""
        if name not in Services.names():
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

    symbol: Symbol
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
    ssr_symbols: tuple[Symbol, ...] = ()
    """Symbols under the short-sale restriction (no short sale at or below the national best bid). Default none."""
    halt_auction: bool = False
    """Halts reopen with a single-price auction: DAY orders wait for it instead of being refused
    (docs/market_rules.md). Default false (halts refuse new orders and end without an auction)."""
    luld_plan: LuldPlanConfig | None = None
    """LULD as in the plan: rolling reference, bands by tier, limit states, pauses with a reopening
    auction (``scenarios.config_rules``). Not with ``luld_band_bps``. Default none."""
    ssr_trigger: bool = False
    """Rule 201's trigger: a trade 10% under a symbol's previous close (its ``reference_price``)
    restricts it for the rest of the day and the next (``ssr_symbols`` carries it in). Default false."""
    previous_close: tuple[PreviousClose, ...] = ()
    """Prior-day closes ({symbol, price}) for symbols that gapped overnight; the rest closed at their
    ``reference_price``. Default none."""
    reopening: Annotated[str, Pattern(r"every_venue|primary", "one of every_venue, primary")] = "every_venue"
    """Who reopens a halt or a LULD pause: ``every_venue`` runs an auction on each venue; ``primary``
    on the first scenario venue only (the primary listing market), the others resuming continuous
    trading after its reopening print (docs/market_rules.md). Default every_venue."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if len({c.symbol for c in self.previous_close}) != len(self.previous_close):
            yield "previous_close", "must give each symbol once"
        if self.luld_plan is not None and self.luld_band_bps:
            yield "luld_plan", "cannot be combined with luld_band_bps (the plan sets its own bands)"
        if self.reopening != "every_venue" and not (self.halt_auction or self.luld_plan is not None):
            yield "reopening", "only applies with halt_auction or luld_plan (what reopens by auction)"

    @property
    def any(self) -> bool:
        """True when any rule is on."""
        return bool(self.halts or self.luld_band_bps or self.ssr_symbols or self.luld_plan is not None
                    or self.ssr_trigger)


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
    symbols: Annotated[tuple[SymbolConfig, ...], NonEmpty("symbol"), Unique("symbol")] = DEFAULT_SYMBOLS
    """Instruments. Default AAPL 190.00, MSFT 415.00, SPY 560.00."""
    venues: Annotated[tuple[Venue, ...], NonEmpty("venue"), Unique("name")] = DEFAULT_VENUES
    """Venues. Default XNAS, ARCX, BATS."""
    population: PopulationConfig = field(default_factory=PopulationConfig)
    """Advisors, clients, accounts. Default 20 advisors x 8 clients."""
    order_flow: OrderFlow = field(default_factory=OrderFlow)
    """Client order arrivals. Default 5000 orders."""
    risk: Risk = field(default_factory=Risk)
    """Pre-trade risk limits."""
    services: Services = field(default_factory=Services)
    """Service time distributions per service."""
    service_times: str | None = None
    """A measured service-time profile (``scenarios.service_times``, written by ``twin calibrate``),
    relative to the scenario file; the services it lists take its distributions instead of
    ``services``. Default none (the hand-set ``services``)."""
    replicas: Replicas = field(default_factory=Replicas)
    """Replicas per service (a pool behind one queue). Default 1 each."""
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
    faults: tuple[FaultSpec, ...] = ()
    """Faults of the catalogue injected during the day ({kind, at, duration_s, ...}: docs/faults.md).
    Default none."""
    sip: Sip | None = None
    """A SIP consolidating venue quotes; risk and analytics see its delayed NBBO. Default none."""
    replay: Replay | None = None
    """A recorded day replayed in place of the simulated venues and their liquidity. Default none."""
    market_view: MarketView = field(default_factory=MarketView)
    """Where the router's quotes come from: ``book`` (now, no delay), ``direct_feed`` or ``sip``
    (docs/router_view.md). Default book."""
    tape: Tape = field(default_factory=Tape)
    """Whether our own fills are printed on the market's tape. Default off."""
    bad_actors: BadActors = field(default_factory=BadActors)
    """Labelled abusive episodes for surveillance backtests (``scenarios.config_bad_actors``). Default: all off."""
    regions: Regions | None = None
    """Two or more regions with replication and failover (``scenarios.config_regions``, docs/regions.md).
    Default none: one region, the world as it always was."""
    advisors: Advisors | None = None
    """The trade-execution agent, its approving advisors and its hard limits (``scenarios.config_advisors``,
    docs/trade_execution_agent.md). Default none: no agent runs."""
    money: MoneyFlowConfig | None = None
    """Money movement with labelled laundering typologies, screened by the transfer desk
    (``scenarios.config_money``, docs/aml_money_flow.md). Default none: no transfers."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        known = {s.symbol for s in self.symbols}
        for i, symbol in enumerate(self.risk.restricted):
            if symbol not in known:
                yield f"risk.restricted[{i}]", f"unknown symbol {symbol!r} (scenario symbols: {', '.join(sorted(known))})"
        rules = self.market_rules
        named = [(f"market_rules.halts[{i}].symbol", h.symbol) for i, h in enumerate(rules.halts)]
        named += [(f"market_rules.ssr_symbols[{i}]", s) for i, s in enumerate(rules.ssr_symbols)]
        if rules.luld_plan is not None:
            named += [(f"market_rules.luld_plan.tier2_symbols[{i}]", s)
                      for i, s in enumerate(rules.luld_plan.tier2_symbols)]
        named += [(f"market_rules.previous_close[{i}].symbol", c.symbol) for i, c in enumerate(rules.previous_close)]
        for path, symbol in named:
            if symbol not in known:
                yield path, f"unknown symbol {symbol!r} (scenario symbols: {', '.join(sorted(known))})"
        venues = {v.name for v in self.venues}
        for i, fault in enumerate(self.faults):
            if fault.venue is not None and fault.venue not in venues:
                yield f"faults[{i}].venue", f"unknown venue {fault.venue!r} (scenario venues: {', '.join(sorted(venues))})"
        yield from _timing_problems(self)
        yield from _region_problems(self)
        if self.market_view.source == "sip" and self.sip is None:
            yield "market_view.source", "sip needs a sip section (the SIP whose NBBO the router reads)"
        if self.market_view.source != "book" and self.replay is not None:
            yield "market_view.source", f"{self.market_view.source} cannot be combined with replay"
        if self.agents is not None:  # `twin validate` names a latency/split venue the scenario lacks
            for path, problem in venue_problems(self.agents, self.venue_names):
                yield f"agents.{path}", problem
        if self.tape.own_fills and self.replay is not None:
            yield "tape.own_fills", "cannot be combined with replay (our fills on a recorded day are hypothetical)"
        if self.replay is not None:
            if self.agents is not None:
                yield "replay", "cannot be combined with agents (a recorded day has its own market)"
            if rules.any:
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


SESSION_ONLY_FAMILIES = frozenset({"venues"})
"""Fault families that act only on the session's trading: a venue takes orders from the open to the close.
Others may act outside it (a stored event corrupted overnight is caught by the end-of-run audit; messages
and services carry post-trade work after the close), so their times are not checked against the session."""


def _timing_problems(scenario: "Scenario") -> Iterator[tuple[str, str]]:
    """Venue faults and kill-switch flips that could change nothing: starting after the session's close
    (a typo such as 11:40 for 09:40 would make a game day where nothing happened), or a venue fault over
    before the open. A venue fault before the open that lasts into the session is kept."""
    session = scenario.session
    open_ns, close_ns = session.open_ns(), session.close_ns()
    window = f"the session is {session.open:%H:%M}-{session.close:%H:%M}"
    for i, fault in enumerate(scenario.faults):
        cls = fault.fault_class()
        if cls is None or cls.family not in SESSION_ONLY_FAMILIES:
            continue
        start = fault.start_ns(session)
        if start > close_ns:
            offset = f" + {fault.offset_s:g} s" if fault.offset_s else ""
            yield f"faults[{i}].at", f"{fault.at:%H:%M}{offset} is after the close, when venues take no order: {window}"
        elif fault.duration_s is not None and start + int(round(fault.duration_s * NS)) <= open_ns:
            yield f"faults[{i}].duration_s", f"the fault is over before the open: {window}"
    for i, change in enumerate(scenario.trading_state):  # the kill switch gates new orders: none after the close
        if session.at_ns(change.at) > close_ns:
            yield f"trading_state[{i}].at", f"{change.at:%H:%M} is after the close, when no order comes: {window}"


def _region_problems(scenario: Scenario) -> Iterator[tuple[str, str]]:
    """A fault's ``region`` / ``peer`` must name one of the scenario's regions (docs/regions.md)."""
    regions = () if scenario.regions is None else scenario.regions.names
    for i, fault in enumerate(scenario.faults):
        for name in ("region", "peer"):
            value = getattr(fault, name, None)
            if value is not None and value not in regions:
                have = f"scenario regions: {', '.join(regions)}" if regions else "the scenario has no regions section"
                yield f"faults[{i}].{name}", f"unknown region {value!r} ({have})"


# --------------------------------------------------------------------------- loading

BUILTIN_SCENARIOS = ("trading_day", "smoke", "rmsc_like", "blocks_day", "crash_day", "sip_day")
"""Scenario files shipped as package data in ``scenarios/``."""


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse scenario YAML text; ``source`` names it in error messages."""
    document = read_yaml(text, source, ScenarioError)
    if document.root is None:  # unlike live.toml, a scenario has a required field to point at
        raise ScenarioError(source, 1, DOCUMENT, "file is empty; a scenario needs at least `name:`")
    return build(Scenario, document)


def load_scenario(path: str | Path, replay_files: bool = True) -> Scenario:
    """Read and parse a scenario file; errors are reported as ``<path>:<line>: <field>: <problem>``.
    ``replay_files``: a ``replay`` section's files must exist (False for a caller that replaces the
    section, such as ``twin replay --scenario``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), 1, DOCUMENT, f"not UTF-8 text: {exc.reason}") from None
    scenario = parse_scenario(text, str(path))
    if scenario.service_times is not None:  # as the recorded files below: relative to the scenario file
        scenario = replace(scenario, service_times=str(path.parent / scenario.service_times))
        from .service_times import ProfileError, load_profile

        try:  # a bad profile is the scenario's error, found by `twin validate` too
            load_profile(scenario.service_times, Services.names())
        except ProfileError as exc:
            line = next((i for i, row in enumerate(text.splitlines(), 1) if row.startswith("service_times:")), 1)
            raise ScenarioError(str(path), line, "service_times", str(exc)) from None
    if scenario.replay is not None:  # recorded files are named relative to the scenario file
        r = scenario.replay
        scenario = replace(scenario, replay=Replay(str(path.parent / r.quotes), str(path.parent / r.trades)))
        for key in ("quotes", "trades") if replay_files else ():  # missing: the scenario's error, as validate says
            named = getattr(scenario.replay, key)
            if not Path(named).is_file():
                lines = text.splitlines()
                start = next((i for i, row in enumerate(lines) if row.startswith("replay:")), 0)
                line = next((i for i, row in enumerate(lines[start:], start + 1) if f"{key}:" in row), start + 1)
                raise ScenarioError(str(path), line, f"replay.{key}", f"no such file: {named}")
    return scenario


def builtin_scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name (``"trading_day"``, ``"smoke"``); KeyError if unknown."""
    if name not in BUILTIN_SCENARIOS:
        raise KeyError(f"no built-in scenario {name!r}; have {', '.join(BUILTIN_SCENARIOS)}")
    return Path(str(resources.files(__package__).joinpath(f"{name}.yaml")))

