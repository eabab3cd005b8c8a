"""Queue position: our resting order waits its turn behind size already at its price.

The book is price-time FIFO, so a child that joins a level behind 500 shares
does not fill until those 500 shares trade or are canceled; a cancel ahead of
it moves it up the queue.
"""

from __future__ import annotations

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
P = 50 * 10_000


def setup() -> tuple[SimVenue, list[ExecutionReport]]:
    reports: list[ExecutionReport] = []
    venue = SimVenue("XNAS", MakerTakerFees(20, 30), ["AAA"], reports.append)
    # 500 shares bid at P ahead of us, from two participants.
    venue.submit_agent_order("mm1", "MM", "AAA", BUY, 300, P, DAY, 1)
    venue.submit_agent_order("mm2", "MM", "AAA", BUY, 200, P, DAY, 2)
    venue.submit(ChildOrder("c1", "ORD-1", "XNAS", "AAA", BUY, 100, OrderType.LIMIT, P, DAY), 3)
    return venue, reports


def our_fills(reports: list[ExecutionReport]) -> list[int]:
    return [r.last_qty for r in reports if r.kind is ExecKind.FILL]


def test_joins_behind_the_size_already_at_its_price():
    venue, reports = setup()
    assert venue.book("AAA").queue_ahead("c1") == 500
    assert venue.book("AAA").best_bid() == (P, 600)


def test_no_fill_until_the_500_ahead_have_traded():
    venue, reports = setup()
    venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 499, P, IOC, 4)
    assert our_fills(reports) == [] and venue.leaves("c1") == 100
    assert venue.book("AAA").queue_ahead("c1") == 1
    venue.submit_agent_order("s2", "NOISE", "AAA", SELL, 1, P, IOC, 5)
    assert our_fills(reports) == [] and venue.book("AAA").queue_ahead("c1") == 0
    venue.submit_agent_order("s3", "NOISE", "AAA", SELL, 40, P, IOC, 6)
    assert our_fills(reports) == [40] and venue.leaves("c1") == 60


def test_one_sell_through_the_queue_fills_those_ahead_first():
    venue, reports = setup()
    result = venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 550, P, IOC, 4)
    assert [(f.maker_order_id, f.quantity) for f in result.fills] == [("mm1", 300), ("mm2", 200), ("c1", 50)]
    assert our_fills(reports) == [50] and venue.leaves("c1") == 50


def test_a_cancel_ahead_moves_us_up():
    venue, reports = setup()
    assert venue.cancel_agent_order("mm1") == 300
    assert venue.book("AAA").queue_ahead("c1") == 200
    venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 250, P, IOC, 4)
    assert our_fills(reports) == [50] and venue.leaves("c1") == 50


def test_cancels_ahead_and_behind():
    venue, reports = setup()
    venue.submit_agent_order("mm3", "MM", "AAA", BUY, 1_000, P, DAY, 4)  # behind us
    venue.cancel_agent_order("mm2")
    venue.cancel_agent_order("mm3")  # behind: does not change our place
    assert venue.book("AAA").queue_ahead("c1") == 300
    venue.cancel_agent_order("mm1")
    assert venue.book("AAA").queue_ahead("c1") == 0
    venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 100, P, IOC, 5)
    assert our_fills(reports) == [100] and venue.leaves("c1") == 0


def test_a_better_priced_order_arriving_later_trades_first():
    venue, reports = setup()
    venue.submit_agent_order("mm4", "MM", "AAA", BUY, 100, P + 100, DAY, 4)
    venue.submit_agent_order("s1", "NOISE", "AAA", SELL, 600, P, IOC, 5)
    assert our_fills(reports) == []  # 100 at P+1c, then the 500 ahead of us
    assert venue.book("AAA").queue_ahead("c1") == 0
