"""Build a scenario's agent populations: one fundamental and one set of agents per symbol.

``build_agents`` turns the ``agents`` section of a scenario into live agents,
each with its own named stream from ``stream(name)``, and lists their first
wake-ups in a fixed order. By default they trade on one venue (the scenario's
first, the "primary") and call it directly, through one shared ``TapedVenue``.
With ``agents.venues`` they spread over every venue (one front per agent, a
tape per symbol shared by every venue), and with ``agents.mode: network``
each agent reaches the venues through its own ``NetworkFront``
(``scenarios.agents.network``, docs/agents_network.md). It knows nothing of
simpy: the twin schedules the wake-ups (``AgentPopulation.network.start`` in
network mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from components.domain.money import CENT
from components.config.market import SymbolConfig
from scenarios.config_agents import Agents, venue_problems
from venues_sim.liquidity import NoiseTrader
from venues_sim.venue import SimVenue

from .base import Agent
from .fundamental import FairValueReading, MeanRevertingFundamental
from .intraday import IntradayProfile
from .market_maker import AdaptiveMarketMaker
from .momentum import MomentumTrader
from .network import NS_PER_MS, AgentNetwork, Latency, MessageCount, SpreadFront, VenueChooser
from .noise import BookMid, NoiseAgent
from .sizes import OrderSizeModel
from .tape import TapedVenue, TradeTape
from .value import ValueTrader

SESSION_SECONDS = 390 * 60
"""A regular US session; a symbol's ``daily_vol_bps`` is spread over it."""

_NS_PER_MIN = 60_000_000_000


@dataclass
class AgentPopulation:
    """The agents of one run and where they trade."""

    venue: TapedVenue
    """The primary venue's front (its tapes are every venue's: they are shared)."""
    fundamentals: dict[str, MeanRevertingFundamental] = field(default_factory=dict)
    agents: list[Agent] = field(default_factory=list)
    first_wakes: list[int] = field(default_factory=list)
    """``first_wakes[i]`` is when ``agents[i]`` first wakes (UTC ns)."""
    fronts: list[TapedVenue] = field(default_factory=list)
    """Every venue's front the agents reach, in the scenario's order (the primary's first)."""
    network: AgentNetwork | None = None
    """The message layer in ``mode: network`` (it schedules the agents); None in direct mode."""
    messages: MessageCount = field(default_factory=MessageCount)
    """Wake-ups and messages (network mode: the network's count; direct mode: wake-ups, counted by the twin)."""
    rule: str = "first"

    @property
    def tapes(self) -> dict[str, TradeTape]:
        return self.venue.tapes

    @property
    def mode(self) -> str:
        return "direct" if self.network is None else "network"

    def summary(self) -> dict:
        """For summary.json: which mode ran, where agents traded, and the message count (ABIDES-style)."""
        tapes = self.tapes.values()
        return {"mode": self.mode, "venues": [f.name for f in self.fronts], "venue_rule": self.rule,
                "orders_by_venue": {f.name: f.sent for f in self.fronts},
                "agents": len(self.agents), "orders": sum(t.orders for t in tapes),
                "trades": sum(len(t) for t in tapes), "messages": self.messages.as_dict()}

    def count(self, prefix: str) -> int:
        """Agents whose owner starts with ``prefix`` (e.g. "VAL-")."""
        return sum(1 for a in self.agents if a.owner.startswith(prefix))


def build_agents(
    config: Agents,
    symbols: Sequence[SymbolConfig],
    venue: SimVenue,
    stream: Callable[[str], np.random.Generator],
    *,
    start_ns: int,
    open_ns: int,
    close_ns: int,
    tick: int = CENT,
    venues: Sequence[SimVenue] = (),
) -> AgentPopulation:
    """Agents for every symbol on ``venue`` (and ``venues``, the scenario's others in order, when
    ``config.venues`` spreads over them). Makers start quoting from ``start_ns`` (pre-open); everyone
    else first wakes after ``open_ns``. Raises ``ValueError`` naming the field for a venue the section
    names that is not among them."""
    others = [v for v in venues if v is not venue]
    for path, problem in venue_problems(config, tuple(v.name for v in [venue, *others])):
        raise ValueError(f"agents.{path}: {problem}")
    if config.venues.rule == "first" and config.venues.market_makers == "first":
        others = []  # the first venue only: no front on the others
    all_venues = [venue, *others]
    front = TapedVenue(venue)
    population = AgentPopulation(front, fronts=[front, *(TapedVenue(v, front.tapes) for v in others)],
                                 rule=config.venues.rule)
    links = _Links(config, population, all_venues, stream)
    front_for = links.front_for
    sizes = OrderSizeModel(config.order_size_scale)
    # value, momentum and noise arrivals (and, if asked, the fundamental's variance) follow it; None: flat
    profile = IntradayProfile(config.intraday_profile, open_ns, close_ns) if config.intraday_profile else None
    for s in symbols:
        sym = s.symbol
        f = config.fundamental
        fundamental = MeanRevertingFundamental(
            s.reference_price, stream(f"agents:fundamental:{sym}"),
            vol_bps_per_sqrt_s=s.daily_vol_bps / math.sqrt(SESSION_SECONDS),
            half_life_s=f.half_life_min * 60.0,
            megashocks_per_hour=f.megashocks_per_hour,
            megashock_mean_bps=f.megashock_mean_bps,
            megashock_std_bps=f.megashock_std_bps,
            start_ns=start_ns, end_ns=close_ns, tick=tick,
            profile=profile if f.vol_follows_profile else None,
            shock_vol_boost=f.shock_vol_boost, shock_vol_half_life_s=f.shock_vol_half_life_min * 60.0,
        )
        population.fundamentals[sym] = fundamental

        def add(agent: Agent, first_from: int, link=front) -> None:
            population.agents.append(agent)
            first = agent.first_wake(first_from)
            population.first_wakes.append(first)
            if population.network is not None:
                population.network.drive(agent, link, first)

        mm = config.market_makers
        for i, vi in ((i, vi) for i in range(mm.count) for vi in links.maker_venues):
            # the primary's desk keeps the one-venue names; another venue's desk is named after it
            desk = "" if vi == 0 else all_venues[vi].name
            owner = f"AMM-{sym}-{i}-{desk}" if desk else f"AMM-{sym}-{i}"
            link = front_for(owner, sym, "market_makers", pinned=vi)
            add(AdaptiveMarketMaker(
                link, sym, stream(f"agents:mm:{sym}:{i}:{desk}" if desk else f"agents:mm:{sym}:{i}"), owner,
                reference_price=s.reference_price, tick=tick, mean_wake_s=mm.mean_wake_s,
                levels=mm.levels, level_spacing_ticks=mm.level_spacing_ticks, pov=mm.pov,
                min_size=mm.min_size, max_size=mm.max_size, min_spread_ticks=mm.min_spread_ticks,
                max_spread_ticks=mm.max_spread_ticks, vol_alpha=mm.vol_alpha, vol_spread_mult=mm.vol_spread_mult,
                imbalance_skew_ticks=mm.imbalance_skew_ticks,
                inventory_skew_ticks_per_1000=mm.inventory_skew_ticks_per_1000, max_inventory=mm.max_inventory,
                refill_delay_ms=mm.refill_delay_ms if mm.refill_on_empty else None,
                fair_value=FairValueReading(fundamental, stream(f"agents:mm-fair:{owner}"), mm.fair_value_noise_bps)
                if mm.fair_value_weight > 0 else None,
                fair_value_weight=mm.fair_value_weight, fair_value_watch_s=mm.fair_value_watch_s,
                fair_value_requote_ticks=mm.fair_value_requote_ticks,
                # centred on fair value, two makers' first ladders may cross; no trades before the open
                post_only_before_ns=open_ns if mm.fair_value_weight > 0 else None,
            ), start_ns, link)
        v = config.value
        for i in range(v.count):
            link = front_for(f"VAL-{sym}-{i}", sym, "value")
            add(ValueTrader(
                link, sym, fundamental, stream(f"agents:value:{sym}:{i}"), f"VAL-{sym}-{i}", sizes,
                mean_wake_s=v.mean_wake_s, observation_noise_bps=v.observation_noise_bps, horizon_s=v.horizon_s,
                aggressive_fraction=v.aggressive_fraction, depth_spread=v.depth_spread,
                threshold_ticks=v.threshold_ticks, profile=profile,
            ), open_ns, link)
        m = config.momentum
        for i in range(m.count):
            link = front_for(f"MOM-{sym}-{i}", sym, "momentum")
            add(MomentumTrader(
                link, sym, stream(f"agents:momentum:{sym}:{i}"), f"MOM-{sym}-{i}", sizes,
                mean_wake_s=m.mean_wake_s, short_window=m.short_window, long_window=m.long_window,
                threshold_bps=m.threshold_bps, profile=profile,
            ), open_ns, link)
        n = config.noise
        shared = BookMid(front.book(sym), s.reference_price, tick)  # one venue, direct: one live mid for all
        for i in range(n.count):
            rng = stream(f"agents:noise:{sym}:{i}")
            link = front_for(f"NOISE-{sym}-{i}", sym, "noise")
            reference = shared if link is front else BookMid(link.book(sym), s.reference_price, tick)
            trader = NoiseTrader(
                [link], sym, reference, rng, f"NOISE-{sym}-{i}", n.market_fraction, n.mean_size,
                limit_range_ticks=n.limit_range_ticks,
            )
            add(NoiseAgent(trader, rng, n.mean_wake_s, profile), open_ns, link)
    return population


class _Links:
    """Each agent's way to the venues: the primary's shared front (one venue, direct: as it always
    was), a ``SpreadFront`` (direct, many venues) or a ``NetworkFront`` (network mode)."""

    def __init__(self, config: Agents, population: AgentPopulation, venues: list[SimVenue],
                 stream: Callable[[str], np.random.Generator]):
        self.config = config
        self.fronts = population.fronts
        self.stream = stream
        spread = config.venues
        self.spreads = spread.rule != "first" and len(venues) > 1
        self.maker_venues = range(len(venues)) if spread.market_makers == "all" else range(1)
        split = {w.venue: w.weight for w in spread.split}
        self.weights = [split.get(v.name, 0) for v in venues] if split else [1] * len(venues)
        self.fees = [v.fees for v in venues]
        extra = {x.venue: x.extra_ms for x in config.latency.venues}
        if config.mode == "network":
            population.network = AgentNetwork(
                self.fronts, list(population.fronts[0].tapes), interval_ns=int(config.market_data.interval_ms * NS_PER_MS),
                depth=config.market_data.depth, venue_extra_ns=[int(extra.get(v.name, 0.0) * NS_PER_MS) for v in venues])
            population.messages = population.network.counts
        self.network = population.network

    def front_for(self, owner: str, symbol: str, klass: str, pinned: int | None = None):
        """The front for agent ``owner`` of class ``klass``; ``pinned``: a maker's desk on that venue only."""
        if self.network is None:
            if pinned is not None:
                return self.fronts[pinned]
            if not self.spreads:
                return self.fronts[0]
            return SpreadFront(self.fronts, self._chooser(None))
        config = self.config
        return self.network.front_for(
            owner, symbol, Latency.from_config(getattr(config.latency, klass)), self.stream(f"agents:net:{owner}"),
            self._chooser(pinned), klass in config.market_data.subscribers)

    def _chooser(self, pinned: int | None) -> VenueChooser:
        rule = self.config.venues.rule if self.spreads else "first"
        return VenueChooser(rule, self.weights, self.fees, pinned=pinned)
