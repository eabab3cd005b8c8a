"""Single-price auction: the reopening cross after a trading halt or a LULD pause.

Owns the auction's arithmetic and the orders that wait for it; ``SimVenue.reopen``
applies the result (execution reports, the book afterwards).

The cross (the rule, also in docs/market_rules.md):

* every order in the auction (the book's resting orders and the orders held
  during the halt) is willing to buy at or below its limit, or sell at or
  above it; a market order at any price;
* the cross may be at any price on the tick grid (a cent), not only at a
  limit price: between two neighbouring limit prices demand and supply do not
  change, so the candidates are every limit price, the reference price (the
  last sale before the halt, or the LULD reference price, on the grid) and one
  tick either side of each; that finds the best price on the whole grid;
* at a price ``p`` the executable volume is ``min(demand(p), supply(p))``
  with ``demand(p)`` = market buys + buys limited at ``>= p`` and
  ``supply(p)`` = market sells + sells limited at ``<= p``;
* the cross price maximises executable volume; ties go to the smallest
  absolute imbalance ``|demand(p) - supply(p)|``, then to the price closest
  to the reference, then to the lower price (so the result never depends on
  input order);
* no volume: no cross (``Cross.price`` None) and every order stays as it was.

Executions are allocated in price-time priority on each side (market orders
first, then the best limit, then arrival), all at the one cross price. What
is left of a limit order goes back to the book in its arrival order (the
post-cross book is never crossed: a remaining buy at or above a remaining
sell would have raised the volume at the sell's price); what is left of a
market order is canceled. Prices are integer units, exact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Iterable

from components.domain.money import CENT
from components.domain.orders import Side, TimeInForce

from .book import OrderBook

_BUY = Side.BUY


@dataclass(frozen=True, slots=True)
class AuctionOrder:
    """One order in an auction: ``price`` None is a market order; ``seq`` its arrival rank."""

    order_id: str
    owner: str
    side: Side
    price: int | None
    qty: int
    seq: int

    def __post_init__(self) -> None:
        if type(self.qty) is not int or self.qty <= 0:
            raise ValueError(f"qty must be a positive int, got {self.qty!r}")
        if self.price is not None and (type(self.price) is not int or self.price <= 0):
            raise ValueError(f"price must be a positive int or None (market), got {self.price!r}")
        if not isinstance(self.side, Side):
            raise ValueError(f"side must be a Side, got {self.side!r}")


@dataclass(frozen=True, slots=True)
class Cross:
    """The auction's outcome: ``price`` None when nothing can trade.

    ``imbalance`` is ``demand - supply`` at the price (positive: buyers left over)."""

    price: int | None
    volume: int
    imbalance: int


@dataclass(frozen=True, slots=True)
class AuctionFill:
    """One execution at the cross price between a buy and a sell; leaves after it."""

    buy_id: str
    buy_owner: str
    sell_id: str
    sell_owner: str
    price: int
    qty: int
    buy_leaves: int
    sell_leaves: int


NO_CROSS = Cross(None, 0, 0)


def cross(orders: Iterable[AuctionOrder], reference: int, tick: int = CENT) -> Cross:
    """The single price at which ``orders`` cross (rule in the module docstring); ``tick`` is the
    price grid (the limit prices are on it)."""
    if type(reference) is not int or reference <= 0:
        raise ValueError(f"reference must be a positive int, got {reference!r}")
    if type(tick) is not int or tick <= 0:
        raise ValueError(f"tick must be a positive int, got {tick!r}")
    market_buy = market_sell = 0
    buys: dict[int, int] = {}  # limit price -> quantity
    sells: dict[int, int] = {}
    for o in orders:
        if o.price is None:
            if o.side is _BUY:
                market_buy += o.qty
            else:
                market_sell += o.qty
        elif o.side is _BUY:
            buys[o.price] = buys.get(o.price, 0) + o.qty
        else:
            sells[o.price] = sells.get(o.price, 0) + o.qty
    buy_prices = sorted(buys)
    sell_prices = sorted(sells)
    # demand(p): buys limited at >= p -> suffix sums over ascending prices; supply(p): prefix sums.
    buy_suffix = [0] * (len(buy_prices) + 1)
    for i in range(len(buy_prices) - 1, -1, -1):
        buy_suffix[i] = buy_suffix[i + 1] + buys[buy_prices[i]]
    sell_prefix = [0]
    for p in sell_prices:
        sell_prefix.append(sell_prefix[-1] + sells[p])
    best: tuple[int, int, int, int] | None = None  # (-volume, |imbalance|, distance, price)
    best_imbalance = 0
    on_grid = max(tick, (reference + tick // 2) // tick * tick)
    anchors = set(buy_prices) | set(sell_prices) | {on_grid}
    candidates = {q for p in anchors for q in (p - tick, p, p + tick) if q > 0}
    for p in sorted(candidates):
        demand = market_buy + buy_suffix[bisect_left(buy_prices, p)]
        supply = market_sell + sell_prefix[bisect_right(sell_prices, p)]
        volume = min(demand, supply)
        key = (-volume, abs(demand - supply), abs(p - reference), p)
        if best is None or key < best:
            best, best_imbalance = key, demand - supply
    assert best is not None  # the reference is always among the candidates
    if best[0] == 0:
        return NO_CROSS
    return Cross(best[3], -best[0], best_imbalance)


def _priority(o: AuctionOrder) -> tuple[int, int, int]:
    """Sort key, best first: market orders, then the most aggressive limit, then arrival."""
    if o.price is None:
        return (0, 0, o.seq)
    return (1, -o.price if o.side is _BUY else o.price, o.seq)


def match(orders: list[AuctionOrder], reference: int,
          tick: int = CENT) -> tuple[Cross, list[AuctionFill], dict[str, int]]:
    """Cross ``orders``: the cross, its executions, and every order's leaves (by order id)."""
    result = cross(orders, reference, tick)
    leaves = {o.order_id: o.qty for o in orders}
    if result.price is None:
        return result, [], leaves
    price = result.price
    eligible_buys = sorted((o for o in orders if o.side is _BUY and (o.price is None or o.price >= price)),
                           key=_priority)
    eligible_sells = sorted((o for o in orders if o.side is not _BUY and (o.price is None or o.price <= price)),
                            key=_priority)
    fills: list[AuctionFill] = []
    remaining = result.volume
    b = s = 0
    while remaining:
        buy, sell = eligible_buys[b], eligible_sells[s]
        qty = min(leaves[buy.order_id], leaves[sell.order_id], remaining)
        leaves[buy.order_id] -= qty
        leaves[sell.order_id] -= qty
        remaining -= qty
        fills.append(AuctionFill(buy.order_id, buy.owner, sell.order_id, sell.owner, price, qty,
                                 leaves[buy.order_id], leaves[sell.order_id]))
        if not leaves[buy.order_id]:
            b += 1
        if not leaves[sell.order_id]:
            s += 1
    return result, fills, leaves


@dataclass(frozen=True, slots=True)
class Reopening:
    """What a venue's reopening auction in one symbol did.

    ``canceled``: ``(order_id, owner, qty)`` of market-order remainders, which never rest."""

    symbol: str
    cross: Cross
    fills: tuple[AuctionFill, ...]
    canceled: tuple[tuple[str, str, int], ...]


def reopen_book(book: OrderBook, held: list[AuctionOrder], reference: int, tick: int = CENT) -> Reopening:
    """Run the reopening auction on ``book``: its resting orders (first, in time priority) and the
    ``held`` ones (in their arrival order) cross at one price; limit remainders go back on the book in
    that order, market remainders are canceled."""
    resting = [AuctionOrder(oid, owner, side, price, qty, i)
               for i, (oid, owner, side, price, qty) in enumerate(book.resting_orders())]
    base = len(resting)
    orders = resting + [AuctionOrder(o.order_id, o.owner, o.side, o.price, o.qty, base + i)
                        for i, o in enumerate(held)]
    result, fills, leaves = match(orders, reference, tick)
    if not fills and not held:
        return Reopening(book.symbol, result, (), ())  # nothing to do: leave the book untouched
    book.cancel_all()
    canceled: list[tuple[str, str, int]] = []
    for o in orders:  # arrival order: the book keeps time priority
        left = leaves[o.order_id]
        if not left:
            continue
        if o.price is None:
            canceled.append((o.order_id, o.owner, left))
            continue
        added = book.add(o.order_id, o.side, left, o.price, TimeInForce.DAY, o.owner)
        assert not added.fills, "the post-cross book is never crossed"
    return Reopening(book.symbol, result, tuple(fills), tuple(canceled))


class HeldOrders:
    """Orders waiting for their symbol's reopening auction, in arrival order."""

    def __init__(self) -> None:
        self._orders: dict[str, tuple[str, AuctionOrder]] = {}  # order id -> (symbol, order)
        self._seq = 0

    def hold(self, symbol: str, order_id: str, owner: str, side: Side, qty: int, price: int | None) -> None:
        """Hold one order (``ValueError`` for a malformed one or an id already held)."""
        if order_id in self._orders:
            raise ValueError(f"order_id {order_id!r} is already held for the {symbol} auction")
        self._seq += 1
        self._orders[order_id] = (symbol, AuctionOrder(order_id, owner, side, price, qty, self._seq))

    def cancel(self, order_id: str) -> int:
        """Remove a held order; the quantity removed (0 if not held)."""
        held = self._orders.pop(order_id, None)
        return 0 if held is None else held[1].qty

    def qty(self, order_id: str) -> int:
        """Quantity of a held order (0 if not held)."""
        held = self._orders.get(order_id)
        return 0 if held is None else held[1].qty

    def release(self, symbol: str) -> list[AuctionOrder]:
        """Every order held for ``symbol``, in arrival order, no longer held."""
        mine = [o for s, o in self._orders.values() if s == symbol]
        for o in mine:
            del self._orders[o.order_id]
        return mine

    def release_all(self) -> list[tuple[str, AuctionOrder]]:
        """Every held ``(symbol, order)``, in arrival order, no longer held (end of day)."""
        everything = list(self._orders.values())
        self._orders.clear()
        return everything

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)
