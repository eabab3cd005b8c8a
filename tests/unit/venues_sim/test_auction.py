"""The single-price reopening auction (``venues_sim.auction``): the cross rule, its allocation, and a
book reopened by it; with hypothesis properties (the price maximises executable volume, nobody
trades through a limit, the book afterwards is not crossed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side, TimeInForce
from venues_sim.auction import AuctionOrder, Cross, HeldOrders, cross, match, reopen_book
from venues_sim.book import OrderBook

BUY, SELL = Side.BUY, Side.SELL
DAY = TimeInForce.DAY
TICK = 1  # a one-unit grid keeps the examples small (the venues use a cent)


def orders(*specs: tuple[Side, int | None, int]) -> list[AuctionOrder]:
    return [AuctionOrder(f"o{i}", "P", side, price, qty, i) for i, (side, price, qty) in enumerate(specs)]


def demand_supply(book: list[AuctionOrder], p: int) -> tuple[int, int]:
    demand = sum(o.qty for o in book if o.side is BUY and (o.price is None or o.price >= p))
    supply = sum(o.qty for o in book if o.side is SELL and (o.price is None or o.price <= p))
    return demand, supply


# ------------------------------------------------------------------ the cross rule, by example


def test_the_price_that_trades_most_wins():
    book = orders((BUY, 102, 100), (BUY, 101, 200), (SELL, 100, 150), (SELL, 101, 100))
    # at 100: 300 vs 150 -> 150; at 101: 300 vs 250 -> 250; at 102: 100 vs 250 -> 100
    assert cross(book, 105, TICK) == Cross(101, 250, 50)


def test_equal_volume_goes_to_the_smaller_imbalance():
    book = orders((BUY, 102, 100), (BUY, 100, 60), (SELL, 99, 100), (SELL, 101, 30))
    # 100: demand 160, supply 100 -> 100 (imbalance 60); 101: 100 vs 130 -> 100 (imbalance -30)
    assert cross(book, 100, TICK) == Cross(101, 100, -30)


def test_then_the_price_nearest_the_reference_then_the_lower_one():
    book = orders((BUY, 104, 100), (SELL, 100, 100))  # 100 shares anywhere from 100 to 104, no imbalance
    assert cross(book, 103, TICK).price == 103  # the reference itself is a candidate
    cents = orders((BUY, 10_400, 100), (SELL, 10_000, 100))
    assert cross(cents, 10_260, 100).price == 10_300  # on a cent grid: the reference rounded to it
    assert cross(book, 110, TICK).price == 104
    assert cross(book, 90, TICK).price == 100
    assert cross(orders((BUY, 104, 100), (SELL, 102, 100)), 103, TICK).price == 103


def test_market_orders_cross_at_the_reference_when_no_limit_decides():
    assert cross(orders((BUY, None, 100), (SELL, None, 60)), 5_000, TICK) == Cross(5_000, 60, 40)


def test_no_overlap_is_no_cross():
    assert cross(orders((BUY, 99, 100), (SELL, 101, 100)), 100, TICK).price is None
    assert cross([], 100, TICK).price is None
    with pytest.raises(ValueError, match="reference"):
        cross([], 0, TICK)


def test_allocation_is_price_then_time_priority_at_the_one_price():
    book = orders((BUY, 101, 100), (BUY, 103, 100), (BUY, None, 50), (SELL, 100, 180))
    result, fills, leaves = match(book, 101, TICK)  # 100 and 101 trade 180 with imbalance 70: the reference wins
    assert result.price == 101 and result.volume == 180
    assert [(f.buy_id, f.qty) for f in fills] == [("o2", 50), ("o1", 100), ("o0", 30)]  # market, 103, 101
    assert {f.price for f in fills} == {101}
    assert match(book, 90, TICK)[0].price == 100
    assert leaves == {"o0": 70, "o1": 0, "o2": 0, "o3": 0}


@pytest.mark.parametrize("field, value, problem", [
    ("qty", 0, "qty must be a positive int"),
    ("price", -1, "price must be a positive int or None"),
    ("side", "BUY", "side must be a Side"),
])
def test_a_malformed_auction_order_names_its_field(field, value, problem):
    kwargs = {"order_id": "x", "owner": "P", "side": BUY, "price": 100, "qty": 10, "seq": 0, field: value}
    with pytest.raises(ValueError, match=problem):
        AuctionOrder(**kwargs)


# ------------------------------------------------------------------ a book reopened by the auction


def test_reopening_crosses_resting_and_held_orders_and_rests_what_is_left_in_time_order():
    book = OrderBook("AAA")
    book.add("r-bid", BUY, 100, 100, DAY, "MM")
    book.add("r-ask", SELL, 100, 103, DAY, "MM")
    held = HeldOrders()
    held.hold("AAA", "h-buy", "BD", BUY, 300, 104)  # waited through the halt
    held.hold("AAA", "h-sell", "NOISE", SELL, 50, 102)
    held.hold("AAA", "h-mkt", "NOISE", SELL, 20, None)
    held.hold("BBB", "other", "NOISE", SELL, 20, None)
    reopening = reopen_book(book, held.release("AAA"), 102, TICK)
    assert reopening.cross == Cross(103, 170, 130)
    assert sum(f.qty for f in reopening.fills) == 170 and {f.price for f in reopening.fills} == {103}
    assert book.best_bid() == (104, 130) and book.best_ask() is None  # h-buy's rest, at the top
    assert book.resting_orders() == [("r-bid", "MM", BUY, 100, 100), ("h-buy", "BD", BUY, 104, 130)]
    book.check_invariants()
    assert "other" in held and len(held) == 1  # another symbol's order still waits


def test_a_market_orders_rest_is_canceled_not_rested():
    book = OrderBook("AAA")
    book.add("r-ask", SELL, 50, 101, DAY, "MM")
    reopening = reopen_book(book, orders((BUY, None, 80)), 100, TICK)
    assert reopening.cross.volume == 50 and reopening.canceled == (("o0", "P", 30),)
    assert len(book) == 0


def test_held_orders_cancel_and_refuse_a_repeated_id():
    held = HeldOrders()
    held.hold("AAA", "h1", "P", BUY, 10, 100)
    with pytest.raises(ValueError, match="already held"):
        held.hold("AAA", "h1", "P", BUY, 10, 100)
    assert held.qty("h1") == 10 and held.cancel("h1") == 10 and held.cancel("h1") == 0


# ------------------------------------------------------------------ properties

side = st.sampled_from([BUY, SELL])
price = st.one_of(st.none(), st.integers(1, 40))
auction = st.lists(st.tuples(side, price, st.integers(1, 500)), max_size=25)


@settings(max_examples=200, deadline=None)
@given(auction, st.integers(1, 40))
def test_the_cross_price_maximises_executable_volume(specs, reference):
    book = orders(*specs)
    result = cross(book, reference, TICK)
    # Every integer price from 1 to past the highest limit: none trades more than the cross.
    best = max(min(demand_supply(book, p)) for p in range(1, 42))
    assert result.volume == best
    if best == 0:
        assert result.price is None
        return
    demand, supply = demand_supply(book, result.price)
    assert min(demand, supply) == best and result.imbalance == demand - supply
    # Among the prices that trade as much, none has a smaller imbalance.
    assert all(abs(d - s) >= abs(result.imbalance)
               for d, s in (demand_supply(book, p) for p in range(1, 42)) if min(d, s) == best)


@settings(max_examples=200, deadline=None)
@given(auction, st.integers(1, 40))
def test_no_order_trades_through_its_limit_or_beyond_its_quantity(specs, reference):
    book = orders(*specs)
    result, fills, leaves = match(book, reference, TICK)
    by_id = {o.order_id: o for o in book}
    filled = {o.order_id: 0 for o in book}
    for f in fills:
        assert f.price == result.price and f.qty > 0
        buy, sell = by_id[f.buy_id], by_id[f.sell_id]
        assert buy.side is BUY and (buy.price is None or buy.price >= f.price)
        assert sell.side is SELL and (sell.price is None or sell.price <= f.price)
        filled[f.buy_id] += f.qty
        filled[f.sell_id] += f.qty
    assert sum(f.qty for f in fills) == result.volume
    assert all(filled[o.order_id] + leaves[o.order_id] == o.qty for o in book)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(side, st.integers(1, 40), st.integers(1, 500)), max_size=12), auction,
       st.integers(1, 40))
def test_the_book_after_a_reopening_is_never_crossed_and_keeps_every_share(resting, held_specs, reference):
    book = OrderBook("AAA")
    for i, (s, p, q) in enumerate(resting):
        book.add(f"r{i}", s, q, p, DAY, "MM")  # may trade among themselves: the book stays uncrossed
    before = sum(qty for *_, qty in book.resting_orders())
    held = [AuctionOrder(f"h{i}", "P", s, p, q, i) for i, (s, p, q) in enumerate(held_specs)]
    reopening = reopen_book(book, held, reference, TICK)
    book.check_invariants()
    after = sum(qty for *_, qty in book.resting_orders())
    canceled = sum(qty for *_, qty in reopening.canceled)
    assert before + sum(o.qty for o in held) == after + 2 * sum(f.qty for f in reopening.fills) + canceled
