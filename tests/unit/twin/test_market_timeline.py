"""twin.market_recorder.MarketTimeline: the consolidated top recorded on change, within the session,
and written with its units; the fronts it installs on a built world only forward."""

from __future__ import annotations

import pyarrow.parquet as pq

from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from tests.conftest import SCENARIOS
from twin.market_files import write_market_timeline
from twin.market_recorder import MarketTimeline
from venues_sim.fees import FixedFee
from venues_sim.venue import SimVenue

BUY, SELL, DAY = Side.BUY, Side.SELL, TimeInForce.DAY


def _venues():
    return {name: SimVenue(name, FixedFee(0), ["XYZ"], lambda report: None) for name in ("A", "B")}


def _rows(timeline, symbol="XYZ"):
    cols = timeline.nbbo[symbol]
    return [tuple(cols[k][i] for k in ("t_ns", "bid", "bid_size", "ask", "ask_size")) for i in range(len(cols["t_ns"]))]


def test_records_the_consolidated_top_when_it_changes_inside_the_session():
    venues = _venues()
    timeline = MarketTimeline(venues, ["XYZ"], open_ns=100, close_ns=1_000)
    venues["A"].submit_agent_order("a1", "mm", "XYZ", BUY, 100, 1_000_000, DAY, 0)
    timeline.check("XYZ", 50)  # before the open: not recorded
    venues["A"].submit_agent_order("a2", "mm", "XYZ", SELL, 200, 1_000_200, DAY, 0)
    venues["B"].submit_agent_order("b1", "mm", "XYZ", BUY, 300, 1_000_000, DAY, 0)  # same bid: sizes add up
    timeline.check("XYZ", 200)
    timeline.check("XYZ", 300)  # nothing moved: no row
    venues["B"].submit_agent_order("b2", "mm", "XYZ", BUY, 10, 990_000, DAY, 0)  # behind the top: no row
    timeline.check("XYZ", 350)
    venues["B"].set_status(VenueStatus.DOWN)  # a DOWN venue publishes nothing
    timeline.check("XYZ", 400)
    timeline.check("XYZ", 2_000)  # after the close: not recorded
    assert _rows(timeline) == [(200, 1_000_000, 400, 1_000_200, 200), (400, 1_000_000, 100, 1_000_200, 200)]


def test_writes_both_files_with_units_and_sources(tmp_path):
    venues = _venues()
    timeline = MarketTimeline(venues, ["XYZ"], open_ns=0, close_ns=1_000)
    venues["A"].submit_agent_order("a1", "mm", "XYZ", BUY, 100, 1_000_000, DAY, 0)
    timeline.check("XYZ", 10)
    write_market_timeline(timeline, None, tmp_path)
    nbbo = pq.read_table(tmp_path / "market_nbbo.parquet")
    assert nbbo.to_pydict() == {"symbol": ["XYZ"], "t_ns": [10], "bid": [1_000_000], "bid_size": [100], "ask": [0],
                                "ask_size": [0]}
    meta = nbbo.schema.metadata
    assert meta[b"twin.price_scale"] == b"10000" and meta[b"twin.session_close_ns"] == b"1000"
    assert meta[b"twin.nbbo_source"] == b"venue-tops" and b"_ns" in meta[b"twin.time_columns"]
    prints = pq.read_table(tmp_path / "market_prints.parquet")
    assert prints.num_rows == 0 and prints.schema.metadata[b"twin.prints_source"] == b"none"


def test_attach_puts_forwarding_fronts_before_the_venues():
    from scenarios.config import load_scenario
    from twin.bootstrap import build_twin

    world = build_twin(load_scenario(SCENARIOS / "smoke.yaml"), 7)
    real = dict(world.gateway.venues)
    timeline = MarketTimeline.attach(world)
    assert timeline.nbbo_source == "venue-tops" and timeline.interval_ns == 1_000_000_000
    front = world.gateway.venues["XNAS"]
    assert front is not real["XNAS"] and front.name == "XNAS" and front.book("AAPL") is real["XNAS"].book("AAPL")
    trader = world.noise[0]
    result = trader.venues[0].submit_agent_order("t-1", trader.owner, trader.symbol, BUY, 5, None,
                                                 TimeInForce.IOC, world.clock.now_ns())
    assert result.canceled_qty + sum(f.quantity for f in result.fills) == 5  # forwarded to the real book
    assert world.venues["XNAS"] is real["XNAS"]  # the world's own table is untouched


def test_an_order_through_a_front_is_recorded_at_once():
    from twin.market_recorder import _Announcing

    class Clock:
        t = 500

        def now_ns(self):
            return self.t

    venues = _venues()
    timeline = MarketTimeline(venues, ["XYZ"], open_ns=0, close_ns=1_000)
    timeline._clock = Clock()
    front = _Announcing(venues["A"], timeline, ("submit_agent_order", "cancel_agent_order"))
    front.submit_agent_order("a1", "mm", "XYZ", BUY, 100, 1_000_000, DAY, 500)
    assert front.name == "A" and _rows(timeline) == [(500, 1_000_000, 100, 0, 0)]
    Clock.t = 600
    assert front.cancel_agent_order("a1") == 100  # a cancel names no symbol: every symbol is checked
    assert _rows(timeline)[-1] == (600, 0, 0, 0, 0)
