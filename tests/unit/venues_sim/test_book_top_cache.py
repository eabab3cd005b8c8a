"""``OrderBook.top`` is cached per ``version``: after any sequence of adds and cancels it must
equal the top read fresh from the book's depth."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import Side, TimeInForce
from venues_sim.book import OrderBook

ops = st.lists(st.tuples(st.sampled_from(["add", "cancel", "cancel_all"]), st.booleans(),
                         st.integers(1, 50), st.integers(95, 105), st.booleans(), st.integers(0, 30)),
               max_size=60)


def fresh_top(book: OrderBook) -> tuple[int, int, int, int]:
    bids, asks = book.depth(1)
    bid, bid_size = bids[0] if bids else (0, 0)
    ask, ask_size = asks[0] if asks else (0, 0)
    return bid, bid_size, ask, ask_size


@settings(max_examples=200, deadline=None)
@given(ops)
def test_top_always_matches_the_book(steps):
    book = OrderBook("AAPL")
    placed: list[str] = []
    for i, (op, buy, qty, price, market, pick) in enumerate(steps):
        if op == "add":
            order_id = f"O{i}"
            book.add(order_id, Side.BUY if buy else Side.SELL, qty, None if market else price,
                     TimeInForce.IOC if market else TimeInForce.DAY, "mm" if buy else "lp")
            placed.append(order_id)
        elif op == "cancel" and placed:
            book.cancel(placed[pick % len(placed)])
        elif op == "cancel_all":
            book.cancel_all("mm" if buy else None)
        assert book.top() == fresh_top(book)
        assert book.top() == fresh_top(book)  # the cached read
