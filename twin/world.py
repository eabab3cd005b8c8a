"""``TwinWorld``: everything one twin run needs, built and wired.

``twin.bootstrap.build_twin`` makes it; the runner, the crash injector
(``twin.crashes``), scripted runs and the market rules drive or extend it. It
lives in its own module so that those can name it without importing the
bootstrap, and the bootstrap without importing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy

from components.memory import InMemoryEventLog, SeededStreams
from components.platform import Platform
from components.reference.accounts import AccountDirectory
from scenarios.agents import AgentPopulation
from scenarios.arrivals import OrderIntent
from scenarios.bad_actors import BadActorPlan
from scenarios.block_flow import BlockIntent
from scenarios.config import Scenario
from scenarios.population import Population
from venues_sim.liquidity import MarketMaker, NoiseTrader
from venues_sim.sip import Sip
from venues_sim.venue import SimVenue

from .clock import SimClock
from .market_recorder import MarketRecorder
from .services import Network
from .venue_adapters import SimMarketData, SimVenueGateway
from .venue_stress import StressWindow


class CrashRecovery(Protocol):
    """What a world's crash recovery tells about the run (``twin.crashes.Recovery``)."""

    snapshots: int
    """Component snapshots taken."""
    reconciled: int
    """Venue reports applied again when the OMS restarted."""

    @property
    def restarts(self) -> int:
        """Restarts of every service."""
        ...


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
    recovery: CrashRecovery | None = None
    """Crash recovery (snapshots, restarts), set by ``twin.crashes.ServiceCrasher`` when the
    scenario crashes services."""
    fault_target: Any = None
    """The world as a ``chaos.faults.FaultWorld`` (``twin.fault_target.fault_world``), made when a fault
    is first scheduled on it: fault-free worlds have none."""
    regions: Any = None
    """The world's regions (``twin.regions.TwinRegions``) when the scenario has a ``regions`` section;
    None for the one-region world."""
    bad_actor_plan: BadActorPlan | None = None
    """The labelled bad-actor episodes (``scenarios.bad_actors``), set by the runner when the scenario
    has a ``bad_actors`` section; ``twin.outputs`` writes them as labels.json and links.json."""
    control_plane: Any = None
    """The control plane (``twin.control_plane.TwinControlPlane``), installed only when a run or a
    control-plane fault asks for one: default worlds have none."""
    analytics: Any = None
    """The advisor-facing analytics service off the trade path (``twin.analytics_service``), installed
    only when a run or an analytics fault asks for one."""
    money: Any = None
    """The run's money flow and transfer desk (``twin.money_movement.MoneyMovement``), set when the
    scenario has a ``money`` section; None otherwise."""
    advisor_agents: Any = None
    """The trade-execution agent and its simulated advisors (``twin.advisor_agents.AdvisorAgents``), set
    when the scenario has an ``advisors`` section; None otherwise."""

    @property
    def opening_cash(self) -> dict[str, int]:
        return {a.account_id: a.cash for a in self.population.accounts}

    @property
    def opening_positions(self) -> dict[str, dict[str, int]]:
        return {a.account_id: dict(a.positions) for a in self.population.accounts if a.positions}
