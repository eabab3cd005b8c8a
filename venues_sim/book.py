"""Price-time priority limit order book for one symbol.

Owns matching only: which resting orders an incoming order trades with, at what
price and in what quantity, and what is left resting. It knows nothing of fees,
execution reports, venues or time; ``venues_sim.venue`` wraps it for that.

Representation (chosen for the hot path, not for elegance):

* one ``dict`` of price levels per side, keyed by a *signed key*: ``price`` for
  bids, ``-price`` for asks, so that on both sides the best level is the one
  with the largest key;
* one ascending ``list`` of keys per side kept sorted with ``bisect``; the best
  level is always ``keys[-1]``, so the common case (trading at or adding to the
  top of book) touches the end of the list only;
* a ``deque`` of resting orders per level in arrival order (FIFO); a cancel
  zeroes the order in place and leaves it for the matcher to skip, which keeps
  cancel O(1) instead of O(level length);
* one ``dict`` from order id to resting order for cancels and look-ups.

Prices and quantities are plain ints (prices in ``components.domain.money``
units); nothing here allocates beyond one ``Fill`` per trade.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from typing import NamedTuple

from components.domain.orders import Side, TimeInForce

# Module-level aliases: identity checks against these are much cheaper than
# attribute look-ups or Enum hashing inside the matching loop.
_BUY = Side.BUY
_SELL = Side.SELL
_DAY = TimeInForce.DAY
_IOC = TimeInForce.IOC
# ``tuple.__new__(AddResult, (...))`` makes the very NamedTuple ``AddResult(...)`` makes, without the
# Python-level ``__new__`` frame NamedTuple adds (one result per order, one fill per trade: hot path).
_tuple_new = tuple.__new__
_object_new = object.__new__
_SPARE_LEVELS = 64
"""Emptied price levels a book keeps for reuse (see ``OrderBook._spare``)."""


class Fill(NamedTuple):
    """One trade between a resting (maker) order and an incoming (taker) order.

    ``price`` is the maker's resting price; ``maker_leaves`` is what is left of
    the maker order after this trade (0 means it is gone from the book).

    Fill and AddResult are ``typing.NamedTuple`` rather than frozen
    dataclasses: one of each is made per trade and per order on the matching
    hot path, and a tuple is built at once where a frozen dataclass sets each
    field through ``object.__setattr__`` (several times slower). Equally
    immutable, same fields.
    """

    maker_order_id: str
    maker_owner: str
    taker_order_id: str
    taker_owner: str
    price: int
    quantity: int
    maker_leaves: int
    taker_side: Side


class AddResult(NamedTuple):
    """Outcome of ``OrderBook.add``: trades, then what rested or was canceled.

    ``sum(f.quantity for f in fills) + rested_qty + canceled_qty`` always equals
    the quantity submitted.
    """

    fills: list[Fill]
    rested_qty: int
    canceled_qty: int

    @property
    def filled_qty(self) -> int:
        """Shares the incoming order traded."""
        return sum(f.quantity for f in self.fills)


_Resting = list
"""A resting order: ``[order_id, owner, side, price, qty]``, read and written through the indexes below.
``qty`` is its leaves; 0 marks it dead in its queue. A list, not a slotted object: one is made per order
that rests (most participant orders), and a list display costs a fraction of an object and five attribute
stores. It deliberately holds no reference to its level: level -> queue -> order -> level would be a
reference cycle per level, left for the cyclic GC."""
_ID, _OWNER, _SIDE, _PRICE, _QTY = range(5)


class _Level:
    """All resting orders at one price on one side.

    ``total`` is the live size; ``live`` the number of live orders (the queue
    may also hold dead, zero-quantity entries left behind by cancels).
    """

    __slots__ = ("price", "key", "queue", "total", "live")

    def __init__(self, price: int, key: int):
        self.price = price
        self.key = key
        self.queue: deque[_Resting] = deque()
        self.total = 0
        self.live = 0


class OrderBook:
    """A price-time priority limit order book for ``symbol``.

    Incoming orders trade against the opposite side best price first and FIFO
    within a price, at the resting order's price. Market orders (``price is
    None``) and IOC orders never rest; their unfilled remainder is canceled.
    A DAY limit remainder rests at the back of its price level.
    """

    def __init__(self, symbol: str):
        self.symbol = symbol
        self._bid_levels: dict[int, _Level] = {}
        self._ask_levels: dict[int, _Level] = {}
        self._bid_keys: list[int] = []  # ascending; keys[-1] is the best bid
        self._ask_keys: list[int] = []  # ascending negated prices; keys[-1] is the best ask
        self._index: dict[str, _Resting] = {}
        self._spare: list[_Level] = []
        """Emptied levels (queues cleared) for the next new level: a maker's requote empties and refills its whole
        ladder, and a level with its deque is dearer to allocate than to reuse. A level is never read once dropped."""
        self.version = 0
        """Bumped on every change to the book (and by its venue when the venue
        goes up or down): readers such as market data cache what they derive
        from the book and recompute only when this moved."""
        self._top: tuple[int, int, int, int] = (0, 0, 0, 0)
        self._top_version = -1  # the version ``_top`` was read at (``top`` reads a book many times per change)

    # ------------------------------------------------------------------ orders

    def add(
        self,
        order_id: str,
        side: Side,
        quantity: int,
        price: int | None,
        tif: TimeInForce,
        owner: str,
    ) -> AddResult:
        """Match an incoming order, then rest or cancel what is left.

        ``price=None`` is a market order. Raises ``ValueError`` naming the bad
        field for a malformed order or an ``order_id`` that is already resting.
        """
        if type(quantity) is not int or quantity <= 0:
            raise ValueError(f"quantity must be a positive int, got {quantity!r}")
        if price is not None and (type(price) is not int or price <= 0):
            raise ValueError(f"price must be a positive int or None (market), got {price!r}")
        if side is not _BUY and side is not _SELL:
            raise ValueError(f"side must be a Side, got {side!r}")
        if tif is not _DAY and tif is not _IOC:
            raise ValueError(f"tif must be a TimeInForce, got {tif!r}")
        if type(order_id) is not str or not order_id:
            raise ValueError(f"order_id must be a non-empty str, got {order_id!r}")
        if type(owner) is not str or not owner:
            raise ValueError(f"owner must be a non-empty str, got {owner!r}")
        index = self._index
        if order_id in index:
            raise ValueError(f"order_id {order_id!r} is already resting in {self.symbol}")
        self.version += 1

        if side is _BUY:
            opp_levels, opp_keys = self._ask_levels, self._ask_keys
            # A buy crosses an ask when ask <= price, i.e. key (-ask) >= -price.
            limit_key = None if price is None else -price
        else:
            opp_levels, opp_keys = self._bid_levels, self._bid_keys
            # A sell crosses a bid when bid >= price, i.e. key (bid) >= price.
            limit_key = price

        fills: list[Fill] = []
        remaining = quantity
        while remaining and opp_keys:
            key = opp_keys[-1]
            if limit_key is not None and key < limit_key:
                break
            level = opp_levels[key]
            queue = level.queue
            level_price = level.price
            while remaining and queue:
                maker = queue[0]
                maker_qty = maker[_QTY]
                if maker_qty == 0:  # dead entry left by a cancel
                    queue.popleft()
                    continue
                if maker_qty <= remaining:
                    traded = maker_qty
                    maker[_QTY] = 0
                    queue.popleft()
                    level.live -= 1
                    del index[maker[_ID]]
                else:
                    traded = remaining
                    maker[_QTY] = maker_qty - remaining
                level.total -= traded
                remaining -= traded
                fills.append(_tuple_new(
                    Fill, (maker[_ID], maker[_OWNER], order_id, owner, level_price, traded, maker[_QTY], side)
                ))
            if level.live == 0:
                opp_keys.pop()
                del opp_levels[key]
                if len(self._spare) < _SPARE_LEVELS:
                    level.queue.clear()  # dead entries may remain behind the last live one
                    self._spare.append(level)

        if not remaining:
            return _tuple_new(AddResult, (fills, 0, 0))
        if price is None or tif is _IOC:
            return _tuple_new(AddResult, (fills, 0, remaining))
        # Rest the remainder (inlined: most participant orders rest, and a call per order shows).
        if side is _BUY:
            levels, keys, key = self._bid_levels, self._bid_keys, price
        else:
            levels, keys, key = self._ask_levels, self._ask_keys, -price
        # The level and the order are made as their __init__ would make them, without its frame (a maker's
        # requote cancels and posts its whole ladder, so most of its quotes make a new level too); a level
        # is a spare one when there is one (its queue is empty).
        level = levels.get(key)
        if level is None:
            spare = self._spare
            if spare:
                level = spare.pop()
            else:
                level = _object_new(_Level)
                level.queue = deque()
            level.price = price
            level.key = key
            level.total = level.live = 0
            levels[key] = level
            # Most new levels improve or extend the top of book: append is O(1).
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        resting = [order_id, owner, side, price, remaining]  # a _Resting
        level.queue.append(resting)
        level.total += remaining
        level.live += 1
        index[order_id] = resting
        return _tuple_new(AddResult, (fills, remaining, 0))

    def cancel(self, order_id: str) -> int:
        """Remove a resting order; return the quantity removed (0 if not resting)."""
        resting = self._index.pop(order_id, None)
        if resting is None:
            return 0
        self.version += 1
        qty = resting[_QTY]
        resting[_QTY] = 0
        # _level_of and _drop_level, inlined (a maker's requote cancels its whole ladder each time).
        if resting[_SIDE] is _BUY:
            levels, keys, key = self._bid_levels, self._bid_keys, resting[_PRICE]
        else:
            levels, keys, key = self._ask_levels, self._ask_keys, -resting[_PRICE]
        level = levels[key]
        level.total -= qty
        level.live -= 1
        if level.live == 0:
            del levels[key]
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
            if len(self._spare) < _SPARE_LEVELS:
                level.queue.clear()  # it may hold dead entries of earlier cancels
                self._spare.append(level)
        elif len(level.queue) > 2 * level.live + 16:
            # Too many dead entries at a long-lived level: compact so queues
            # (and queue_ahead scans) stay proportional to live orders.
            level.queue = deque(r for r in level.queue if r[_QTY])
        return qty

    def _level_of(self, resting: _Resting) -> _Level:
        if resting[_SIDE] is _BUY:
            return self._bid_levels[resting[_PRICE]]
        return self._ask_levels[-resting[_PRICE]]

    def cancel_all(self, owner: str | None = None) -> list[tuple[str, str, int]]:
        """Cancel every resting order (or only ``owner``'s), e.g. at end of day.

        Returns ``(order_id, owner, qty)`` in the order the orders came to rest,
        which is deterministic.
        """
        if owner is None:
            self.version += 1
            removed = [(r[_ID], r[_OWNER], r[_QTY]) for r in self._index.values()]
            self._bid_levels.clear()
            self._ask_levels.clear()
            self._bid_keys.clear()
            self._ask_keys.clear()
            self._index.clear()
            return removed
        mine = [r[_ID] for r in self._index.values() if r[_OWNER] == owner]
        return [(oid, owner, self.cancel(oid)) for oid in mine]

    # ----------------------------------------------------------------- queries

    def best_bid(self) -> tuple[int, int] | None:
        """``(price, total size)`` of the best bid, or None if there are no bids."""
        if not self._bid_keys:
            return None
        level = self._bid_levels[self._bid_keys[-1]]
        return level.price, level.total

    def best_ask(self) -> tuple[int, int] | None:
        """``(price, total size)`` of the best ask, or None if there are no asks."""
        if not self._ask_keys:
            return None
        level = self._ask_levels[self._ask_keys[-1]]
        return level.price, level.total

    def top(self) -> tuple[int, int, int, int]:
        """``(bid, bid size, ask, ask size)`` in one call; zeros for an empty side."""
        version = self.version
        if version == self._top_version:
            return self._top  # nothing changed since the last read (every change bumps ``version``)
        bid_keys, ask_keys = self._bid_keys, self._ask_keys
        if bid_keys:
            level = self._bid_levels[bid_keys[-1]]
            bid, bid_size = level.price, level.total
        else:
            bid = bid_size = 0
        if ask_keys:
            level = self._ask_levels[ask_keys[-1]]
            ask, ask_size = level.price, level.total
        else:
            ask = ask_size = 0
        top = self._top = (bid, bid_size, ask, ask_size)
        self._top_version = version
        return top

    def depth(self, levels: int = 5) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Up to ``levels`` ``(price, size)`` per side, best first: ``(bids, asks)``."""
        if levels <= 0:
            return [], []
        bid_levels, ask_levels = self._bid_levels, self._ask_levels
        bids = [(bid_levels[k].price, bid_levels[k].total) for k in reversed(self._bid_keys[-levels:])]
        asks = [(ask_levels[k].price, ask_levels[k].total) for k in reversed(self._ask_keys[-levels:])]
        return bids, asks

    def resting_orders(self) -> list[tuple[str, str, Side, int, int]]:
        """``(order_id, owner, side, price, qty)`` of every resting order, in the order they came to
        rest (time priority within a level); for auctions (``venues_sim.auction``), not the hot path."""
        return [(r[_ID], r[_OWNER], r[_SIDE], r[_PRICE], r[_QTY]) for r in self._index.values()]

    def resting_qty(self, order_id: str) -> int:
        """Leaves of a resting order; 0 if it is not (or no longer) resting."""
        resting = self._index.get(order_id)
        return 0 if resting is None else resting[_QTY]

    def queue_ahead(self, order_id: str) -> int:
        """Shares resting ahead of ``order_id`` at its price level.

        Raises ``KeyError`` if the order is not resting: "nothing ahead" and
        "not in the book" must not look the same to a fill model.
        """
        resting = self._index.get(order_id)
        if resting is None:
            raise KeyError(f"order {order_id!r} is not resting in {self.symbol}")
        ahead = 0
        for other in self._level_of(resting).queue:
            if other is resting:
                return ahead
            ahead += other[_QTY]  # dead entries add 0
        raise RuntimeError(f"order {order_id!r} missing from its level queue")  # pragma: no cover

    def owner_of(self, order_id: str) -> str | None:
        """Owner of a resting order, or None if it is not resting."""
        resting = self._index.get(order_id)
        return None if resting is None else resting[_OWNER]

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._index)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index

    def check_invariants(self) -> None:
        """Verify internal consistency; raise ``AssertionError`` on the first break.

        For tests and the twin's invariant checker, not the hot path: levels
        non-empty and sized by their live orders, keys sorted and matching the
        level dicts, every live order indexed, and the book not crossed.
        """
        seen = 0
        for side, levels, keys in (
            (_BUY, self._bid_levels, self._bid_keys),
            (_SELL, self._ask_levels, self._ask_keys),
        ):
            if keys != sorted(keys) or len(set(keys)) != len(keys) or set(keys) != set(levels):
                raise AssertionError(f"{side.value} keys out of order or out of step with levels")
            for key in keys:
                level = levels[key]
                live = [r for r in level.queue if r[_QTY]]
                if not live or level.live != len(live) or level.total != sum(r[_QTY] for r in live):
                    raise AssertionError(f"{side.value} level {level.price}: counts disagree")
                if any(r[_QTY] < 0 for r in level.queue):
                    raise AssertionError(f"{side.value} level {level.price}: negative quantity")
                for r in live:
                    if self._index.get(r[_ID]) is not r or r[_SIDE] is not side or r[_PRICE] != level.price:
                        raise AssertionError(f"order {r[_ID]!r} misfiled")
                seen += len(live)
        if seen != len(self._index):
            raise AssertionError("index holds orders that are not on a level")
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            raise AssertionError(f"book crossed or locked: bid {bid[0]} >= ask {ask[0]}")
