"""ABIDES-style market participants for the twin's simulated venues.

One small module per agent type, each drawing only from the numpy stream it
is given and never reading a clock: ``ValueTrader`` (value), ``MomentumTrader``
(momentum), ``AdaptiveMarketMaker`` (market_maker) and ``NoiseAgent`` (noise,
wrapping ``venues_sim.liquidity.NoiseTrader``), plus the fundamental value
process they watch (fundamental), their order sizes (sizes), the venue front
that records the trade tape (tape), the message layer of ``agents.mode:
network`` and the venue-spreading rules (network) and ``build_agents``
(builder), which turns a scenario's ``agents`` section into a population.
Importable without simpy.
"""

from .base import Agent
from .builder import AgentPopulation, build_agents
from .fundamental import MeanRevertingFundamental
from .market_maker import AdaptiveMarketMaker
from .momentum import MomentumTrader
from .network import AgentNetwork, MessageCount, NetworkFront, VenueChooser
from .noise import BookMid, NoiseAgent
from .sizes import OrderSizeModel
from .tape import TapedVenue, TradeTape
from .value import ValueTrader

__all__ = [
    "AdaptiveMarketMaker",
    "Agent",
    "AgentNetwork",
    "AgentPopulation",
    "BookMid",
    "MeanRevertingFundamental",
    "MessageCount",
    "MomentumTrader",
    "NetworkFront",
    "NoiseAgent",
    "OrderSizeModel",
    "TapedVenue",
    "TradeTape",
    "ValueTrader",
    "VenueChooser",
    "build_agents",
]
