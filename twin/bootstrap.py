"""The twin bootstrap: one place that builds the platform on simulated ports.

``build_twin`` creates the simpy world, the sim adapters (clock, network,
venue gateway, market data), the production components wired to them, the
simulated venues with their liquidity providers (the ``liquidity`` section's
market makers and noise traders, or the ``agents`` section's populations when
a scenario has one), the client population, and the market recorder that
samples the primary venue for the market-realism report. Venue models (fee
model, price improvement, replayed recorded day) and the optional SIP come from
``twin.market_structure``. Nothing else in the code base decides that it is
simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

import simpy

from components.business_days import BusinessCalendar
from components.clearing import InMemoryClearing, SeededFailModel
from components.ledger import Ledger
from components.memory import InMemoryEventLog, SeededStreams, SequentialIds
from components.oms import Oms
from components.order_entry import OrderEntry
from components.platform import SERVICE_OF, SERVICES, Platform
from components.post_trade import PostTrade
from components.settlement_rail import SettlementRail
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import default_sanctions_list, sdn_individual_names
from components.risk.engine import RiskEngine
from components.routing import SmartOrderRouter
from scenarios.agents import AgentPopulation, build_agents
from scenarios.arrivals import OrderIntent, order_intents
from scenarios.block_flow import BlockIntent, block_intents
from scenarios.config import NEW_YORK, Scenario
from scenarios.population import Population, build_population
from venues_sim.liquidity import MarketMaker, NoiseTrader, standard_participants
from venues_sim.sip import Sip
from venues_sim.venue import SimVenue

from .clock import SimClock
from .market_recorder import MarketRecorder
from .market_rules import install_market_rules
from .market_structure import build_sip, build_venues, fee_model, feed_sip
from .services import Network, build_service
from .venue_adapters import SimMarketData, SimVenueGateway
from .venue_stress import StressWindow, schedule_venue_stress

if TYPE_CHECKING:  # twin.crashes imports this module
    from .crashes import Recovery

PRE_OPEN_NS = 60 * 1_000_000_000
"""Simulation starts this long before the open so market makers have quoted."""
SETTLEMENT_RUN = time(9, 0)
"""Settlement runs at 09:00 New York on each business day (as ``Session.settlement_ns``)."""


@dataclass
class TwinWorld:
    """Everything one run needs, built and wired; the runner drives it."""

    scenario: Scenario
    seed: int
    env: simpy.Environment
    clock: SimClock
    streams: SeededStreams
    log: InMemoryEventLog
    platform: Platform
    network: Network
    gateway: SimVenueGateway
    venues: dict[str, SimVenue]
    market_data: SimMarketData
    accounts: AccountDirectory
    population: Population
    intents: list[OrderIntent]
    sanctioned_accounts: frozenset[str]
    makers: list[MarketMaker] = field(default_factory=list)
    noise: list[NoiseTrader] = field(default_factory=list)
    agents: AgentPopulation | None = None
    market_recorder: MarketRecorder | None = None
    block_intents: list[BlockIntent] = field(default_factory=list)
    stress: list[StressWindow] = field(default_factory=list)
    sip: Sip | None = None
    recovery: Recovery | None = None
    """Crash recovery (snapshots, restarts), set by ``twin.crashes.schedule_crashes`` when the
    scenario crashes services."""

    @property
    def opening_cash(self) -> dict[str, int]:
        return {a.account_id: a.cash for a in self.population.accounts}

    @property
    def opening_positions(self) -> dict[str, dict[str, int]]:
        return {a.account_id: dict(a.positions) for a in self.population.accounts if a.positions}


def settlement_rail(scenario: Scenario, streams: SeededStreams) -> SettlementRail | None:
    """Clearing with seeded fails when the scenario asks for them; None keeps the plain T+N path."""
    cfg = scenario.settlement
    if cfg.fail_probability == 0:
        return None
    calendar = BusinessCalendar()
    seed = int(streams.stream("settlement-fails").integers(0, 2**63 - 1))
    clearing = InMemoryClearing(calendar.settlement_date_fn(scenario.session.settlement_days),
                                calendar.next_business_day, SeededFailModel(cfg.fail_probability, seed),
                                cfg.max_retries)  # fmt: skip
    return SettlementRail(
        clearing,
        day_of=lambda ns: datetime.fromtimestamp(ns / 1e9, NEW_YORK).date(),
        run_ns=lambda day: _ns_of(datetime.combine(day, SETTLEMENT_RUN, NEW_YORK)),
    )


def settlement_horizon_ns(scenario: Scenario) -> int:
    """When the last settlement run can happen: the settlement date plus every retry."""
    day = scenario.session.settlement_date()
    if scenario.settlement.fail_probability:
        day = BusinessCalendar().add_business_days(day, scenario.settlement.max_retries)
    return _ns_of(datetime.combine(day, SETTLEMENT_RUN, NEW_YORK))


def _ns_of(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1) * 1_000


def build_twin(scenario: Scenario, seed: int) -> TwinWorld:
    streams = SeededStreams(seed)
    env = simpy.Environment()
    session = scenario.session
    clock = SimClock(env, session.open_ns() - PRE_OPEN_NS)
    ids = SequentialIds()
    log = InMemoryEventLog()

    sanctions = default_sanctions_list()
    planted = list(sdn_individual_names(scenario.population.sanctioned_clients))
    population = build_population(scenario, streams.stream("population"), planted)
    accounts = AccountDirectory(
        Account(a.account_id, a.client_id, a.client_name, a.advisor_id, a.cash, a.credit_limit, a.positions)
        for a in population.accounts
    )
    sanctioned = frozenset(a.account_id for a in population.accounts if sanctions.is_sanctioned(a.client_name))

    symbols = [s.symbol for s in scenario.symbols]
    gateway = SimVenueGateway(clock, streams, log, {v.name: v.latency_ms for v in scenario.venues},
                              scenario.network.jitter_ms, {v.name: v.latency_model for v in scenario.venues})
    sip = build_sip(scenario, clock, streams)
    venues = build_venues(scenario, symbols, gateway.receive, clock, sip)
    for venue in venues.values():
        gateway.attach(venue)
    market_data = SimMarketData(clock, venues, {s.symbol: s.reference_price for s in scenario.symbols},
                                nbbo=None if sip is None else sip.published)

    oms = Oms(clock, ids, log)
    settlement_ns = session.settlement_ns()
    risk = RiskEngine(scenario.risk.to_limits(), accounts, market_data, sanctions, scenario.risk.restricted)
    platform = Platform(
        clock=clock,
        oms=oms,
        entry=OrderEntry(set(symbols).__contains__, accounts.entitled, oms.create),
        risk=risk,
        router=SmartOrderRouter({v.name: fee_model(v).routing_schedule() for v in scenario.venues},
                                market_data, ids, clock,
                                max_quote_age_ns=int(scenario.routing.max_quote_age_ms * 1_000_000),
                                position=risk.position),
        venues=gateway,
        post_trade=PostTrade(oms, clock, lambda _trade_ns: settlement_ns, settlement_rail(scenario, streams)),
        ledger=Ledger({a.account_id: a.cash for a in population.accounts},
                      {a.account_id: dict(a.positions) for a in population.accounts}),
        account_known=lambda account_id: accounts.get(account_id) is not None,
    )
    network = Network(clock, streams, SERVICE_OF, scenario.network.hop_ms, scenario.network.jitter_ms)
    for name in SERVICES:
        latency = scenario.services.get(name)
        network.attach(build_service(name, clock, streams, latency.median_ms, latency.p99_ms, platform.handle))
    oms_service = network.services["oms"]
    gateway.connect(oms_service.deliver)

    world = TwinWorld(
        scenario=scenario, seed=seed, env=env, clock=clock, streams=streams, log=log, platform=platform,
        network=network, gateway=gateway, venues=venues, market_data=market_data, accounts=accounts,
        population=population, intents=order_intents(scenario, population, streams.stream("order-flow")),
        sanctioned_accounts=sanctioned, sip=sip,
    )
    if scenario.blocks.count:  # its own stream, drawn only when blocks are on: other draws stay put
        world.block_intents = block_intents(scenario, population, streams.stream("blocks"))
    if scenario.replay is not None:
        pass  # the recorded day is the market: no liquidity providers or agents
    elif scenario.agents is None:
        _add_liquidity(world)
    else:
        _add_agents(world)
    primary = venues[scenario.venues[0].name]
    world.market_recorder = MarketRecorder(
        primary, symbols, tapes=world.agents.tapes if world.agents is not None else None)
    world.stress = schedule_venue_stress(world)
    install_market_rules(world)
    if sip is not None:
        feed_sip(sip, venues, symbols, clock, scenario.sip.poll_ms, session.close_ns(),
                 sweep=scenario.sip.stale_after_s is not None)
    return world


def _add_liquidity(world: TwinWorld) -> None:
    """A fair-value path per symbol, a market maker per symbol and venue, noise traders."""
    scenario = world.scenario
    makers, noise = standard_participants(scenario.symbols, list(world.venues.values()), scenario.liquidity,
                                          world.streams.stream, world.clock.now_ns())
    world.makers.extend(makers)
    world.noise.extend(noise)


def _add_agents(world: TwinWorld) -> None:
    """The scenario's agent populations on the primary (first) venue."""
    scenario, session = world.scenario, world.scenario.session
    world.agents = build_agents(
        scenario.agents, scenario.symbols, world.venues[scenario.venues[0].name], world.streams.stream,
        start_ns=world.clock.now_ns(), open_ns=session.open_ns(), close_ns=session.close_ns(),
    )
