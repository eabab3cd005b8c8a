"""Simulated exchanges for the twin.

Pure Python, no simpy: whoever drives a venue passes the time in. Modules:

* ``book``: price-time priority limit order book (matching only);
* ``fees``: fee models (``FeeModel`` protocol, ``MakerTakerFees``);
* ``venue``: ``SimVenue``, books + fees + status + execution reports;
* ``liquidity``: ``FairValue``, ``MarketMaker``, ``NoiseTrader`` participants;
* ``stress``: venue stress conditions (``VenueCondition``: down, slow, stale
  book, reject storm, cancels down) and outage windows;
* ``rules``: market rules (``MarketRule``: trading halts, LULD, SSR).
"""

from .book import AddResult, Fill, OrderBook
from .fees import FeeModel, MakerTakerFees
from .venue import SimVenue

__all__ = ["AddResult", "Fill", "FeeModel", "MakerTakerFees", "OrderBook", "SimVenue"]
