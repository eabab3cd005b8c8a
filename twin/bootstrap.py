"""The twin bootstrap: the one place that chooses the simulated world.

``build_twin`` chooses the simulated ports (a simpy environment and its
``SimClock``, sequential ids, an in-memory event log, the venue gateway and
market data of ``twin.venue_adapters`` with network latency, a seeded clearing
adapter when the scenario fails settlements) and the scenario's accounts (the
generated client population), and hands them with the scenario's
configuration to ``components.kernel.build_platform``, the wiring the live
bootstrap calls too. It then hosts the platform's handlers as simulated
services on a ``Network``, and builds what only the twin has: the simulated
venues (fee model, price improvement, replayed recorded day, optional SIP:
``twin.market_structure``) with their liquidity providers (the ``liquidity``
section's market makers and noise traders, or the ``agents`` section's
populations when a scenario has one), the client order and block intents,
venue stress, market rules and the market recorder that samples the primary
venue for the market-realism report. Nothing else in the code base decides
that it is simulated.
"""

from __future__ import annotations

import os

import simpy

from components.business_days import BusinessCalendar
from components.aml.screening import screener_for
from components.clearing import InMemoryClearing, SeededFailModel
from components.kernel import build_platform
from components.columnar_log import ColumnarEventLog
from components.memory import InMemoryEventLog, SeededStreams, SequentialIds
from components.platform import SERVICE_OF, SERVICES
from components.reference.accounts import AccountDirectory
from components.reference.sanctions import default_sanctions_list, sdn_individual_names
from components.settlement_time import settlement_run_ns
from scenarios.agents import build_agents
from scenarios.arrivals import order_intents
from scenarios.block_flow import block_intents
from scenarios.config import Scenario
from scenarios.population import build_population
from venues_sim.liquidity import standard_participants

from .clock import SimClock
from .market_recorder import MarketRecorder
from .market_rules import install_market_rules
from .market_structure import build_sip, build_venues, feed_sip
from .market_view import build_router_view, print_own_fills
from .service_pool import host_service, service_profile
from .services import Network
from .venue_adapters import SimMarketData, SimVenueGateway
from .fault_target import schedule_venue_stress
from .world import TwinWorld

PRE_OPEN_NS = 60 * 1_000_000_000
"""Simulation starts this long before the open so market makers have quoted."""

EVENT_LOGS = {"columnar": ColumnarEventLog, "list": InMemoryEventLog}
"""The twin's event log kinds: ``columnar`` keeps events packed, 512 at a time (about 32 bytes per event
in the log, against ~850 bytes per event of process growth with the tuples), ``list`` keeps the
``OrderEvent`` tuples. Both give equal events."""
DEFAULT_EVENT_LOG = "columnar"
"""Columnar since 2026-12-06: a 100,000-order day's peak is 318-320 MiB against 755-756 MiB with the list (issue 19's
< 400 MiB), for 2.0-2.4 us of packing per event on the simulation's hot path (+5-7% of bench_lifecycle's
simulate CPU, where events are most of the work; ~0.1 s of trading_day's ~13 s). Same events and
fingerprints with either: docs/run_performance.md, "The columnar log by default" (2026-12-06).
``TWIN_EVENT_LOG=list`` switches a run back."""


def new_event_log(kind: str | None = None) -> InMemoryEventLog | ColumnarEventLog:
    """The event log of one run: ``kind``, else ``$TWIN_EVENT_LOG``, else ``DEFAULT_EVENT_LOG``."""
    kind = kind or os.environ.get("TWIN_EVENT_LOG") or DEFAULT_EVENT_LOG
    if kind not in EVENT_LOGS:
        raise ValueError(f"TWIN_EVENT_LOG: unknown event log {kind!r} (one of {', '.join(EVENT_LOGS)})")
    return EVENT_LOGS[kind]()


def seeded_clearing(scenario: Scenario, streams: SeededStreams) -> InMemoryClearing | None:
    """Clearing with seeded fails when the scenario asks for them; None keeps the plain T+N path."""
    cfg = scenario.settlement
    if cfg.fail_probability == 0:
        return None
    calendar = BusinessCalendar()
    seed = int(streams.stream("settlement-fails").integers(0, 2**63 - 1))
    return InMemoryClearing(calendar.settlement_date_fn(scenario.session.settlement_days),
                            calendar.next_business_day, SeededFailModel(cfg.fail_probability, seed),
                            cfg.max_retries)  # fmt: skip


def settlement_horizon_ns(scenario: Scenario) -> int:
    """When the last settlement run can happen: the settlement date plus every retry."""
    day = scenario.session.settlement_date()
    if scenario.settlement.fail_probability:
        day = BusinessCalendar().add_business_days(day, scenario.settlement.max_retries)
    return settlement_run_ns(day)


def build_twin(scenario: Scenario, seed: int, event_log: str | None = None) -> TwinWorld:
    """The scenario's world for one run with ``seed``: built, wired, its day scheduled up to the runner.
    ``event_log``: the log kind (``new_event_log``)."""
    streams = SeededStreams(seed)
    env = simpy.Environment()
    session = scenario.session
    clock = SimClock(env, session.open_ns() - PRE_OPEN_NS)
    ids = SequentialIds()
    log = new_event_log(event_log)
    plan = None
    if scenario.regions is not None:  # several regions: the platform runs on the primary's clock and log
        from .regions import plan_regions

        plan = plan_regions(scenario.regions, clock, streams)
        log = plan.log  # type: ignore[assignment]

    sanctions = default_sanctions_list()
    planted = list(sdn_individual_names(scenario.population.sanctioned_clients))
    population = build_population(scenario, streams.stream("population"), planted)
    accounts = AccountDirectory(population.accounts)
    # the risk engine's decision (the fuzzy screener at the block threshold), which the sanctions invariant checks
    screener = screener_for(sanctions)
    sanctioned = frozenset(a.account_id for a in population.accounts if screener.screen(a.client_name).blocked)

    symbols = [s.symbol for s in scenario.symbols]
    gateway = SimVenueGateway(clock, streams, log, {v.name: v.latency_ms for v in scenario.venues},
                              scenario.network.jitter_ms, {v.name: v.latency_model for v in scenario.venues})
    sip = build_sip(scenario, clock, streams)
    venues = build_venues(scenario, symbols, gateway.receive, clock, sip)
    for venue in venues.values():
        gateway.attach(venue)
    market_data = SimMarketData(clock, venues, {s.symbol: s.reference_price for s in scenario.symbols},
                                nbbo=None if sip is None else sip.published,
                                view=build_router_view(scenario, clock, streams, venues, sip))  # None: books

    platform = build_platform(
        clock=clock if plan is None else plan.clock, ids=ids, log=log, gateway=gateway, market_data=market_data,
        accounts=accounts,
        sanctions=sanctions, symbols=symbols, venues=scenario.venues, risk=scenario.risk, routing=scenario.routing,
        settlement_days=session.settlement_days, clearing=seeded_clearing(scenario, streams),
    )
    network = Network(clock, streams, SERVICE_OF, scenario.network.hop_ms, scenario.network.jitter_ms)
    profile = service_profile(scenario)  # None: the hand-set services (a measured one from `twin calibrate`)
    for name in SERVICES:
        network.attach(host_service(name, scenario, clock, streams, platform.handle, profile))
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
    if scenario.tape.own_fills:  # our taker fills printed to the market (default off: agents read the tape)
        print_own_fills(world)
    primary = venues[scenario.venues[0].name]
    world.market_recorder = MarketRecorder(
        primary, symbols, tapes=world.agents.tapes if world.agents is not None else None)
    world.stress = schedule_venue_stress(world)
    if plan is not None:
        from .regions import install_regions

        install_regions(world, plan)
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
    """The scenario's agent populations on the primary (first) venue, or spread over all of them
    (``agents.venues``, docs/agents_network.md)."""
    scenario, session = world.scenario, world.scenario.session
    world.agents = build_agents(
        scenario.agents, scenario.symbols, world.venues[scenario.venues[0].name], world.streams.stream,
        start_ns=world.clock.now_ns(), open_ns=session.open_ns(), close_ns=session.close_ns(),
        venues=[world.venues[v.name] for v in scenario.venues],
    )
