"""Build a scenario's agent populations: one fundamental and one set of agents per symbol.

``build_agents`` turns the ``agents`` section of a scenario into live agents
on one venue (the scenario's first, the "primary"), each with its own named
stream from ``stream(name)``, and lists their first wake-ups in a fixed
order. It knows nothing of simpy: the twin schedules the wake-ups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from components.domain.money import CENT
from components.config.market import SymbolConfig
from scenarios.config_agents import Agents
from venues_sim.liquidity import NoiseTrader
from venues_sim.venue import SimVenue

from .base import Agent
from .fundamental import MeanRevertingFundamental
from .market_maker import AdaptiveMarketMaker
from .momentum import MomentumTrader
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
    fundamentals: dict[str, MeanRevertingFundamental] = field(default_factory=dict)
    agents: list[Agent] = field(default_factory=list)
    first_wakes: list[int] = field(default_factory=list)
    """``first_wakes[i]`` is when ``agents[i]`` first wakes (UTC ns)."""

    @property
    def tapes(self) -> dict[str, TradeTape]:
        return self.venue.tapes

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
) -> AgentPopulation:
    """Agents for every symbol on ``venue``. Makers start quoting from
    ``start_ns`` (pre-open); everyone else first wakes after ``open_ns``."""
    front = TapedVenue(venue)
    population = AgentPopulation(front)
    sizes = OrderSizeModel(config.order_size_scale)
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
        )
        population.fundamentals[sym] = fundamental

        def add(agent: Agent, first_from: int) -> None:
            population.agents.append(agent)
            population.first_wakes.append(agent.first_wake(first_from))

        mm = config.market_makers
        for i in range(mm.count):
            add(AdaptiveMarketMaker(
                front, sym, stream(f"agents:mm:{sym}:{i}"), f"AMM-{sym}-{i}",
                reference_price=s.reference_price, tick=tick, mean_wake_s=mm.mean_wake_s,
                levels=mm.levels, level_spacing_ticks=mm.level_spacing_ticks, pov=mm.pov,
                min_size=mm.min_size, max_size=mm.max_size, min_spread_ticks=mm.min_spread_ticks,
                max_spread_ticks=mm.max_spread_ticks, vol_alpha=mm.vol_alpha, vol_spread_mult=mm.vol_spread_mult,
                imbalance_skew_ticks=mm.imbalance_skew_ticks,
                inventory_skew_ticks_per_1000=mm.inventory_skew_ticks_per_1000, max_inventory=mm.max_inventory,
                refill_delay_ms=mm.refill_delay_ms if mm.refill_on_empty else None,
            ), start_ns)
        v = config.value
        for i in range(v.count):
            add(ValueTrader(
                front, sym, fundamental, stream(f"agents:value:{sym}:{i}"), f"VAL-{sym}-{i}", sizes,
                mean_wake_s=v.mean_wake_s, observation_noise_bps=v.observation_noise_bps, horizon_s=v.horizon_s,
                aggressive_fraction=v.aggressive_fraction, depth_spread=v.depth_spread,
                threshold_ticks=v.threshold_ticks,
            ), open_ns)
        m = config.momentum
        for i in range(m.count):
            add(MomentumTrader(
                front, sym, stream(f"agents:momentum:{sym}:{i}"), f"MOM-{sym}-{i}", sizes,
                mean_wake_s=m.mean_wake_s, short_window=m.short_window, long_window=m.long_window,
                threshold_bps=m.threshold_bps,
            ), open_ns)
        n = config.noise
        reference = BookMid(front.book(sym), s.reference_price, tick)
        for i in range(n.count):
            rng = stream(f"agents:noise:{sym}:{i}")
            trader = NoiseTrader(
                [front], sym, reference, rng, f"NOISE-{sym}-{i}", n.market_fraction, n.mean_size,
                limit_range_ticks=n.limit_range_ticks,
            )
            add(NoiseAgent(trader, rng, n.mean_wake_s), open_ns)
    return population
