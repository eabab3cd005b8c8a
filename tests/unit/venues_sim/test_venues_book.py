"""Unit and property tests for venues_sim.book.OrderBook."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side, TimeInForce
from venues_sim.book import AddResult, OrderBook

BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
T = 100  # one cent tick in units
P = 100 * 10_000  # $100.00


def book_with(*orders: tuple[str, Side, int, int]) -> OrderBook:
    """A book with DAY limits (id, side, qty, price) resting, owner 'MM'."""
    book = OrderBook("XYZ")
    for order_id, side, qty, price in orders:
        result = book.add(order_id, side, qty, price, DAY, "MM")
        assert result.rested_qty == qty
    return book


def test_time_priority_same_price_fills_in_arrival_order():
    book = book_with(("a1", SELL, 100, P), ("a2", SELL, 100, P))
    result = book.add("t", BUY, 150, P, DAY, "BD")
    assert [(f.maker_order_id, f.quantity, f.maker_leaves) for f in result.fills] == [
        ("a1", 100, 0),
        ("a2", 50, 50),
    ]
    assert result.rested_qty == 0 and result.canceled_qty == 0
    assert book.resting_qty("a2") == 50
    assert book.best_ask() == (P, 50)


def test_price_priority_better_price_first_at_maker_price():
    book = book_with(("hi", SELL, 100, P + 2 * T), ("lo", SELL, 100, P), ("mid", SELL, 100, P + T))
    result = book.add("t", BUY, 250, P + 2 * T, DAY, "BD")
    assert [(f.maker_order_id, f.price, f.quantity) for f in result.fills] == [
        ("lo", P, 100),
        ("mid", P + T, 100),
        ("hi", P + 2 * T, 50),
    ]
    # Sell side mirrors: highest bid first.
    book = book_with(("b1", BUY, 10, P - T), ("b2", BUY, 10, P))
    result = book.add("s", SELL, 15, P - T, DAY, "BD")
    assert [(f.maker_order_id, f.price, f.quantity) for f in result.fills] == [("b2", P, 10), ("b1", P - T, 5)]
    assert all(f.taker_side is SELL for f in result.fills)


def test_partial_fill_of_taker_rests_remainder_at_its_limit():
    book = book_with(("a", SELL, 30, P))
    result = book.add("t", BUY, 100, P + T, DAY, "BD")
    assert result.filled_qty == 30 and result.rested_qty == 70 and result.canceled_qty == 0
    assert book.best_bid() == (P + T, 70)
    assert book.best_ask() is None
    assert book.resting_qty("t") == 70


def test_limit_that_does_not_cross_rests_without_trading():
    book = book_with(("a", SELL, 30, P + T))
    result = book.add("b", BUY, 10, P, DAY, "BD")
    assert result == AddResult([], 10, 0)
    assert book.depth() == ([(P, 10)], [(P + T, 30)])


def test_market_order_sweeps_levels_and_remainder_is_canceled():
    book = book_with(("a1", SELL, 100, P), ("a2", SELL, 200, P + T), ("a3", SELL, 300, P + 5 * T))
    result = book.add("m", BUY, 700, None, DAY, "BD")
    assert [(f.price, f.quantity) for f in result.fills] == [(P, 100), (P + T, 200), (P + 5 * T, 300)]
    assert result.canceled_qty == 100 and result.rested_qty == 0
    assert book.best_ask() is None and book.best_bid() is None
    assert len(book) == 0


def test_market_order_into_empty_book_is_all_canceled():
    result = OrderBook("XYZ").add("m", SELL, 50, None, IOC, "BD")
    assert result == AddResult([], 0, 50)


def test_ioc_remainder_canceled_never_rests():
    book = book_with(("a", SELL, 40, P))
    result = book.add("i", BUY, 100, P, IOC, "BD")
    assert result.filled_qty == 40 and result.canceled_qty == 60 and result.rested_qty == 0
    assert "i" not in book and book.best_bid() is None
    # An IOC that does not cross at all is canceled whole.
    book = book_with(("a", SELL, 40, P + T))
    assert book.add("i2", BUY, 10, P, IOC, "BD") == AddResult([], 0, 10)


def test_day_orders_rest_at_back_of_queue():
    book = book_with(("b1", BUY, 10, P), ("b2", BUY, 20, P))
    book.add("b3", BUY, 30, P, DAY, "BD")
    assert book.best_bid() == (P, 60)
    assert book.queue_ahead("b1") == 0
    assert book.queue_ahead("b2") == 10
    assert book.queue_ahead("b3") == 30


def test_cancel_removes_and_returns_qty_then_zero():
    book = book_with(("b1", BUY, 10, P), ("b2", BUY, 20, P), ("b3", BUY, 5, P - T))
    assert book.cancel("b1") == 10
    assert book.cancel("b1") == 0
    assert book.cancel("nope") == 0
    assert book.best_bid() == (P, 20)
    assert book.queue_ahead("b2") == 0
    assert book.cancel("b2") == 20
    assert book.best_bid() == (P - T, 5)
    book.check_invariants()


def test_canceled_order_is_skipped_by_matching():
    book = book_with(("a1", SELL, 10, P), ("a2", SELL, 10, P), ("a3", SELL, 10, P))
    book.cancel("a2")
    result = book.add("t", BUY, 20, P, IOC, "BD")
    assert [f.maker_order_id for f in result.fills] == ["a1", "a3"]
    book.check_invariants()


def test_queue_ahead_after_partial_fill_and_unknown_raises():
    book = book_with(("a1", SELL, 100, P), ("a2", SELL, 50, P))
    book.add("t", BUY, 60, None, IOC, "BD")
    assert book.queue_ahead("a2") == 40
    with pytest.raises(KeyError):
        book.queue_ahead("a1-gone")


def test_depth_best_first_and_limited():
    book = book_with(*[(f"b{i}", BUY, 10 + i, P - i * T) for i in range(7)], ("a", SELL, 5, P + T))
    bids, asks = book.depth(3)
    assert bids == [(P, 10), (P - T, 11), (P - 2 * T, 12)]
    assert asks == [(P + T, 5)]
    assert book.depth(0) == ([], [])


def test_cancel_all_by_owner_and_everything():
    book = OrderBook("XYZ")
    book.add("x1", BUY, 10, P, DAY, "BD")
    book.add("m1", BUY, 20, P, DAY, "MM")
    book.add("x2", SELL, 30, P + T, DAY, "BD")
    assert book.cancel_all(owner="BD") == [("x1", "BD", 10), ("x2", "BD", 30)]
    assert book.best_bid() == (P, 20) and book.best_ask() is None
    book.add("m2", SELL, 5, P + 2 * T, DAY, "MM")
    assert book.cancel_all() == [("m1", "MM", 20), ("m2", "MM", 5)]
    assert len(book) == 0 and book.depth() == ([], [])
    book.check_invariants()


def test_order_id_reusable_after_done_but_not_while_resting():
    book = book_with(("a", SELL, 10, P))
    with pytest.raises(ValueError, match="order_id"):
        book.add("a", SELL, 10, P, DAY, "MM")
    book.cancel("a")
    assert book.add("a", SELL, 10, P, DAY, "MM").rested_qty == 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"price": 0}, "price"),
        ({"price": -100}, "price"),
        ({"price": 100.0}, "price"),
        ({"side": "BUY?"}, "side"),
        ({"tif": "GTC"}, "tif"),
        ({"order_id": ""}, "order_id"),
        ({"owner": ""}, "owner"),
    ],
)
def test_bad_inputs_raise_value_error_naming_field(kwargs, field):
    args = {"order_id": "o", "side": BUY, "quantity": 10, "price": P, "tif": DAY, "owner": "MM"}
    args.update(kwargs)
    book = OrderBook("XYZ")
    with pytest.raises(ValueError, match=field):
        book.add(**args)
    assert len(book) == 0


def test_long_lived_level_compacts_dead_entries():
    book = book_with(("anchor", BUY, 1, P))
    for i in range(200):
        book.add(f"x{i}", BUY, 1, P, DAY, "MM")
        book.cancel(f"x{i}")
    level = book._bid_levels[P]
    assert len(level.queue) < 40
    book.check_invariants()


# ---------------------------------------------------------------- property test

_op = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from([BUY, SELL]),
        st.integers(1, 500),
        st.one_of(st.none(), st.integers(95, 105)),  # price in ticks; None = market
        st.sampled_from([DAY, IOC]),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 60)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_op, max_size=80))
def test_random_adds_and_cancels_keep_book_sound(ops):
    book = OrderBook("XYZ")
    submitted: dict[str, int] = {}
    filled: dict[str, int] = {}
    canceled: dict[str, int] = {}
    ids: list[str] = []
    for op in ops:
        if op[0] == "add":
            _, side, qty, ticks, tif = op
            order_id = f"o{len(ids)}"
            ids.append(order_id)
            submitted[order_id] = qty
            result = book.add(order_id, side, qty, None if ticks is None else ticks * T, tif, "own")
            assert result.filled_qty + result.rested_qty + result.canceled_qty == qty
            for f in result.fills:
                assert f.quantity > 0 and f.maker_leaves >= 0
                assert f.maker_leaves == book.resting_qty(f.maker_order_id)
                if ticks is not None:  # never worse than the taker's limit
                    assert f.price <= ticks * T if side is BUY else f.price >= ticks * T
                filled[f.maker_order_id] = filled.get(f.maker_order_id, 0) + f.quantity
                filled[order_id] = filled.get(order_id, 0) + f.quantity
            canceled[order_id] = result.canceled_qty
        elif ids:
            order_id = ids[op[1] % len(ids)]
            canceled[order_id] = canceled.get(order_id, 0) + book.cancel(order_id)
        bid, ask = book.best_bid(), book.best_ask()
        if bid and ask:
            assert bid[0] < ask[0]
        bids, asks = book.depth(100)
        assert all(size > 0 for _, size in bids + asks)
        book.check_invariants()
    for order_id, qty in submitted.items():
        resting = book.resting_qty(order_id)
        assert resting >= 0
        assert filled.get(order_id, 0) + resting + canceled.get(order_id, 0) == qty
    assert sum(submitted.values()) == sum(filled.values()) + sum(map(book.resting_qty, ids)) + sum(
        canceled.values()
    )
