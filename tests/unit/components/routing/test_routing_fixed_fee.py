"""The router ranks a fixed-fee venue (a wholesaler) by its fee, like any taker fee.

The schedules come from the venues' configuration (``Venue.routing_schedule``), as in both runtimes.
"""

from __future__ import annotations

from components.config.market import Venue
from components.domain.orders import OrderType
from components.memory import SequentialIds
from components.routing import SmartOrderRouter

from .test_routing import PX, TICK, FakeMarketData


def route(world, fees):
    md = FakeMarketData()
    for venue in fees:
        md.set(venue, ask=PX, ask_size=1_000, bid=PX - TICK, bid_size=1_000)
    order = world.approved(quantity=100, order_type=OrderType.MARKET, limit_price=None)
    return [c.venue for c in SmartOrderRouter(fees, md, SequentialIds()).route(order).children]


def test_cheaper_fixed_fee_wins_at_the_same_quote(world):
    fees = {"XNAS": Venue("XNAS", 20, 30).routing_schedule(),
            "WHSL": Venue("WHSL", fee_model="fixed", fixed_fee=10).routing_schedule()}
    assert route(world, fees) == ["WHSL"]


def test_dearer_fixed_fee_loses_at_the_same_quote(world):
    fees = {"XNAS": Venue("XNAS", 20, 30).routing_schedule(),
            "WHSL": Venue("WHSL", fee_model="fixed", fixed_fee=40).routing_schedule()}
    assert route(world, fees) == ["XNAS"]
