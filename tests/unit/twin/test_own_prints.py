"""Our own child fills on the market's tape (``tape.own_fills``, issue 18): a taker fill of ours is a print
the market sees (the agents' tape, the run's market prints), once; off by default."""

from __future__ import annotations

import pyarrow.parquet as pq

from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder
from scenarios.config import parse_scenario
from twin.bootstrap import build_twin
from twin.market_files import write_market_timeline
from twin.market_recorder import MarketTimeline

D = PRICE_SCALE
MS = 1_000_000

BASE = """
name: prints_test
session: {date: "2026-11-24", open: "09:30", close: "09:40"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, latency_ms: 0.5}, {name: BATS, latency_ms: 0.5}]
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
order_flow: {orders: 0}
liquidity: {noise_traders: 0}
"""
AGENTS = """
agents:
  value: {count: 0}
  momentum: {count: 0}
  noise: {count: 0}
  market_makers: {count: 1}
"""
ON = "tape: {own_fills: true}\n"


def at_open(world) -> None:
    world.env.run(until=world.clock.to_sim(world.scenario.session.open_ns()) + MS)


def take(world, venue: str, side: Side, qty: int, child_id: str = "CH-1") -> ChildOrder:
    """Send a marketable child of ours through the gateway and let it reach the venue."""
    child = ChildOrder(child_id, "O-1", venue, "AAPL", side, qty, OrderType.MARKET, None, TimeInForce.IOC)
    world.gateway.send(child)
    world.env.run(until=world.env.now + 5 * MS)
    return child


def rest(world, venue: str, side: Side, qty: int, price: int) -> None:
    world.venues[venue].submit_agent_order(f"P-{venue}-{side.value}", "MM", "AAPL", side, qty, price,
                                           TimeInForce.DAY, world.clock.now_ns())


def test_off_by_default_our_fill_is_not_printed():
    world = build_twin(parse_scenario(BASE), seed=1)
    at_open(world)
    rest(world, "BATS", Side.SELL, 300, 190 * D)
    take(world, "BATS", Side.BUY, 100)
    assert world.gateway.own_prints is None
    timeline = MarketTimeline.attach(world)
    assert timeline.prints(None)["AAPL"]["qty"] == []


def test_our_taker_fill_reaches_the_market_prints_once_with_the_venue_time(tmp_path):
    world = build_twin(parse_scenario(BASE + ON), seed=1)
    timeline = MarketTimeline.attach(world)
    at_open(world)
    rest(world, "BATS", Side.SELL, 300, 190 * D)
    rest(world, "XNAS", Side.BUY, 300, 189 * D)
    take(world, "BATS", Side.BUY, 100)
    take(world, "XNAS", Side.SELL, 50, "CH-2")
    fills = world.gateway.venue_fills
    prints = timeline.prints(None)["AAPL"]
    assert prints["qty"] == [100, 50] and prints["price"] == [190 * D, 189 * D]
    assert prints["t_ns"] == [f.timestamp_ns for f in fills]
    write_market_timeline(timeline, None, tmp_path)
    meta = pq.read_table(tmp_path / "market_prints.parquet").schema.metadata
    assert meta[b"twin.prints_include_own_fills"] == b"true"
    assert b"own taker fills" in meta[b"twin.prints_source"]


def test_a_maker_fill_of_ours_is_not_printed_again():
    world = build_twin(parse_scenario(BASE + ON), seed=1)
    at_open(world)
    child = ChildOrder("CH-R", "O-1", "BATS", "AAPL", Side.SELL, 100, OrderType.LIMIT, 190 * D, TimeInForce.DAY)
    world.gateway.send(child)
    world.env.run(until=world.env.now + 5 * MS)
    world.venues["BATS"].submit_agent_order("AGG", "NOISE", "AAPL", Side.BUY, 100, None, TimeInForce.IOC,
                                            world.clock.now_ns())  # an aggressor takes our resting sell
    assert [f.liquidity.value for f in world.gateway.venue_fills] == ["MAKER"]
    assert world.gateway.own_prints.printed == 0


def test_with_agents_our_fill_on_their_venue_goes_on_their_tape_and_counts_in_its_volume():
    world = build_twin(parse_scenario(BASE + AGENTS + ON), seed=1)
    timeline = MarketTimeline.attach(world)
    at_open(world)
    tape = world.agents.tapes["AAPL"]
    before = (len(tape), tape.volume, tape.buy_volume)
    rest(world, "XNAS", Side.SELL, 300, 191 * D)  # the agents' venue is the first one
    take(world, "XNAS", Side.BUY, 100)
    assert (len(tape), tape.volume, tape.buy_volume) == (before[0] + 1, before[1] + 100, before[2] + 100)
    assert tape.prices[-1] == 191 * D and tape.aggressor[-1] == 1
    recorder_like = type("R", (), {"trades": lambda self: {"AAPL": {"t_ns": tape.times, "price": tape.prices,
                                                                       "qty": tape.quantities}}})()
    prints = timeline.prints(recorder_like)["AAPL"]
    assert prints["price"].count(191 * D) == 1  # on the tape once, not again from our own rows
    take(world, "BATS", Side.BUY, 1, "CH-2")  # no liquidity on BATS: nothing filled, nothing printed
    assert world.gateway.own_prints.printed == 1
