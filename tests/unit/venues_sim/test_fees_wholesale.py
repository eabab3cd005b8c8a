"""Fixed-fee venues and a wholesaler's price improvement (venues_sim.fees, venues_sim.wholesale)."""

from __future__ import annotations

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, Liquidity
from venues_sim.fees import FeeModel, FixedFee
from venues_sim.venue import SimVenue
from venues_sim.wholesale import PriceImprovement

ASK, BID = 1_900_100, 1_899_900


def test_fixed_fee_charges_the_same_whatever_the_liquidity():
    fees = FixedFee(10)
    assert isinstance(fees, FeeModel)
    assert fees.fee(Liquidity.TAKER, 100) == 1_000
    assert fees.fee(Liquidity.MAKER, 100) == 1_000
    with pytest.raises(ValueError):
        FixedFee(0.001)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        fees.fee("TAKER", 1)  # type: ignore[arg-type]


def child(cid: str, side: Side, qty: int, venue: str = "WHSL", limit: int | None = None) -> ChildOrder:
    order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
    return ChildOrder(cid, "O1", venue, "AAA", side, qty, order_type, limit, TimeInForce.IOC)


def wholesaler(units: int, nbbo=None) -> tuple[SimVenue, list]:
    reports: list = []
    v = SimVenue("WHSL", FixedFee(10), ["AAA"], reports.append, fill_price=PriceImprovement(units, nbbo))
    v.submit_agent_order("A1", "MM", "AAA", Side.SELL, 500, ASK, TimeInForce.DAY, 0)
    v.submit_agent_order("B1", "MM", "AAA", Side.BUY, 500, BID, TimeInForce.DAY, 0)
    return v, reports


def fills(reports):
    return [r for r in reports if r.kind is ExecKind.FILL]


def test_wholesaler_improves_over_its_own_quote_and_charges_the_fixed_fee():
    v, reports = wholesaler(5)
    v.submit(child("C1", Side.BUY, 100), 1)
    v.submit(child("C2", Side.SELL, 200, limit=BID), 2)
    buy, sell = fills(reports)
    assert (buy.last_px, buy.fee, buy.liquidity) == (ASK - 5, 1_000, Liquidity.TAKER)
    assert (sell.last_px, sell.fee) == (BID + 5, 2_000)


def test_wholesaler_improves_over_the_nbbo_when_given_one():
    nbbo_ask = ASK - 100  # another venue shows a better offer
    v, reports = wholesaler(5, nbbo=lambda symbol: (BID, nbbo_ask))
    v.submit(child("C1", Side.BUY, 100, limit=ASK), 1)
    (buy,) = fills(reports)
    assert buy.last_px == nbbo_ask - 5
    assert buy.last_px <= ASK  # never worse than the limit or the book


def test_improvement_is_never_worse_than_the_matched_price():
    v, reports = wholesaler(5, nbbo=lambda symbol: (0, ASK + 10_000))  # a stale, wide NBBO
    v.submit(child("C1", Side.BUY, 100), 1)
    assert fills(reports)[0].last_px == ASK
    model = PriceImprovement(0)
    assert model.taker_price("AAA", Side.BUY, ASK, BID, ASK) == ASK
    with pytest.raises(ValueError):
        PriceImprovement(-1)


def test_resting_fills_are_not_improved():
    v, reports = wholesaler(5)
    v.submit(ChildOrder("C1", "O1", "WHSL", "AAA", Side.BUY, 100, OrderType.LIMIT, BID - 100,
                        TimeInForce.DAY), 1)
    v.submit_agent_order("S2", "NOISE", "AAA", Side.SELL, 600, None, TimeInForce.IOC, 2)
    maker = [r for r in fills(reports) if r.liquidity is Liquidity.MAKER]
    assert maker and maker[0].last_px == BID - 100 and maker[0].fee == 1_000

