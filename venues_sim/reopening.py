"""A venue's side of halts and LULD pauses that reopen: held orders, the reopening auction, resumption.

``ReopeningDesk`` is the part of ``venues_sim.venue.SimVenue`` that runs the
state machine around a halt with a reopening (``TradingHalt(auction=True)``
or a ``LuldPlan`` pause); ``venue.py`` keeps continuous matching:

1. **Halted.** A DAY order a market rule refuses is acknowledged and *held*
   for the reopening (``HeldOrders``); an IOC order cannot wait and is
   refused. A held order may be canceled; held orders still there at the
   close end with the day.
2. **Reopened by auction** (``reopen``): the book's resting orders and the
   held ones cross at one price (``venues_sim.auction``); our executions are
   FILLs at that price, a market order's unfilled rest is canceled.
3. **Resumed without an auction** (``resume``): in the US the primary listing
   market runs the reopening auction and the other venues resume continuous
   trading only after its reopening print. A venue that is not the primary
   sends its held orders to the book in arrival order, as new orders
   (continuous matching: a held order that meets the book trades as the
   taker), when the primary has reopened.

A DOWN venue crosses and releases nothing: its held orders are canceled
(``VENUE_DOWN``) and its book is left as it was.

``reopen_market`` runs a symbol's reopening on several venues: on every venue
(each crosses its own orders: the twin's behaviour before the primary's
reopening was modelled) or on the primary only, the others resuming after it.

Each reopening or resumption's trades are kept on the venue as ``TapePrint``
(``SimVenue.reopening_prints``, ``venues_sim.prints``): one ``REOPENING``
print per auction that crossed (its volume at the cross price), and a
``REGULAR`` print for each trade a participant's released order made. Our own
released orders' taker fills are not printed here: like every taker fill of
ours they are on the tape only when the scenario prints our fills
(``tape.own_fills``), and TCA adds them itself otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, Liquidity, VenueStatus

from .auction import NO_CROSS, HeldOrders, Reopening, reopen_book
from .book import AddResult, Fill, OrderBook
from .prints import SaleCondition, TapePrint

if TYPE_CHECKING:  # pragma: no cover
    from .fees import FeeModel
    from .rules import MarketRule

# Reason codes (venue.py re-exports them with its others).
VENUE_DOWN = "VENUE_DOWN"
MARKET_REMAINDER = "MARKET_REMAINDER"
END_OF_DAY = "END_OF_DAY"

_UP = VenueStatus.UP
_DAY = TimeInForce.DAY
_FILL = ExecKind.FILL
_ACK = ExecKind.ACK
_CANCELED = ExecKind.CANCELED
_MAKER = Liquidity.MAKER

EVERY_VENUE = "every_venue"
PRIMARY = "primary"
REOPENING_MODES = (EVERY_VENUE, PRIMARY)


@dataclass(frozen=True, slots=True)
class Resumption:
    """What a venue that is not the primary did when ``symbol`` resumed after the primary's reopening.

    ``released``: the held orders sent to the book, in arrival order; ``fills``: the trades they made
    (``venues_sim.book.Fill``, the released order the taker); ``canceled``: ``(order_id, owner, qty)``
    ended without trading to the book (a DOWN venue's held orders)."""

    symbol: str
    released: int
    fills: tuple[Fill, ...]
    canceled: tuple[tuple[str, str, int], ...]


class ReopeningDesk:
    """The reopening half of ``SimVenue`` (a mixin: the attributes below are the venue's)."""

    name: str
    fees: FeeModel
    our_owner: str
    _status: VenueStatus
    _rules: list[MarketRule]
    _children: dict[str, ChildOrder]
    _agent_orders: dict[str, str]
    _held: HeldOrders
    reopening_prints: list[TapePrint]

    if TYPE_CHECKING:  # pragma: no cover  (SimVenue's)
        def book(self, symbol: str) -> OrderBook: ...
        def _report(self, kind: ExecKind, child_id: str, order_id: str, now_ns: int, **fields: object) -> None: ...
        def _printed(self, symbol: str, fills: list, now_ns: int) -> None: ...
        def _entry_price(self, symbol: str, side: Side, price: int | None, tif: TimeInForce,
                         now_ns: int) -> tuple[int | None, TimeInForce]: ...
        def _execute(self, child: ChildOrder, price: int | None, tif: TimeInForce, now_ns: int) -> AddResult: ...
        def _enter_agent_order(self, order_id: str, owner: str, symbol: str, side: Side, qty: int,
                               price: int | None, tif: TimeInForce, now_ns: int) -> AddResult: ...

    def _init_reopening(self) -> None:
        self._held = HeldOrders()  # DAY orders waiting for a reopening (rules' halts with one)
        self.reopening_prints = []
        """Prints of this venue's reopening auctions and resumptions (``venues_sim.prints``), in order."""

    # ------------------------------------------------------------ 1. halted: orders held

    def _holds(self, symbol: str, tif: TimeInForce, now_ns: int) -> bool:
        """A DAY order a rule refuses waits for the reopening instead (a halt with one)."""
        return tif is _DAY and any(r.holds_for_auction(symbol, now_ns) for r in self._rules)

    def _hold_child(self, child: ChildOrder, now_ns: int) -> None:
        """ACK one of our children and hold it for the reopening."""
        self._children[child.child_id] = child
        self._held.hold(child.symbol, child.child_id, self.our_owner, child.side, child.quantity,
                        None if child.order_type is OrderType.MARKET else child.limit_price)
        self._report(_ACK, child.child_id, child.order_id, now_ns, leaves_qty=child.quantity)

    def _refused_agent_order(self, book: OrderBook, order_id: str, owner: str, symbol: str, side: Side,
                             qty: int, price: int | None, tif: TimeInForce, now_ns: int) -> AddResult:
        """A participant's order a rule refused: held for the reopening (a DAY order while the symbol
        waits for one: ``AddResult`` as if it rested) or canceled whole."""
        if type(qty) is not int or qty <= 0:
            raise ValueError(f"quantity must be a positive int, got {qty!r}")
        if self._holds(symbol, tif, now_ns):
            if order_id in book:
                raise ValueError(f"order_id {order_id!r} is already resting in {symbol}")
            self._held.hold(symbol, order_id, owner, side, qty, price)  # raises for a malformed one
            self._agent_orders[order_id] = symbol
            return AddResult([], qty, 0)
        return AddResult([], 0, qty)

    def _end_held(self, now_ns: int) -> int:
        """End of day: orders still held never reopened and end with the day (ours: END_OF_DAY)."""
        count = 0
        for _, held in self._held.release_all():
            count += 1
            if held.owner == self.our_owner:
                child = self._children[held.order_id]
                self._report(_CANCELED, held.order_id, child.order_id, now_ns, last_qty=held.qty,
                             reason=END_OF_DAY)
        return count

    # ------------------------------------------------------------ 2. the reopening auction

    def reopen(self, symbol: str, reference: int, now_ns: int) -> Reopening:
        """Reopen ``symbol`` after a halt or a pause: the book's resting orders and the orders held
        meanwhile cross at one price (``venues_sim.auction``, ``reference`` breaks ties).

        Our children get FILL reports at the cross price (charged as maker executions: the fee
        models have no auction fee) and CANCELED (``MARKET_REMAINDER``) for a market order's
        unfilled rest; participants' filled orders are forgotten as any maker's. The prints reach
        the rules (``on_trade``) and, as one ``REOPENING`` print, ``reopening_prints``. A DOWN venue
        crosses nothing: its held orders are canceled (``VENUE_DOWN``), its book stays as it was."""
        book = self.book(symbol)
        held = self._held.release(symbol)
        if self._status is not _UP:
            return self._down(symbol, held, now_ns)
        result = reopen_book(book, held, reference)
        our, agent_orders = self.our_owner, self._agent_orders
        for fill in result.fills:
            for order_id, owner, leaves in ((fill.buy_id, fill.buy_owner, fill.buy_leaves),
                                            (fill.sell_id, fill.sell_owner, fill.sell_leaves)):
                if owner == our:
                    child = self._children[order_id]
                    self._report(_FILL, order_id, child.order_id, now_ns, last_qty=fill.qty, last_px=fill.price,
                                 leaves_qty=leaves, liquidity=_MAKER, fee=self.fees.fee(_MAKER, fill.qty))
                elif leaves == 0:
                    agent_orders.pop(order_id, None)
        self._end_unfilled(result.canceled, MARKET_REMAINDER, now_ns)
        if result.cross.price is not None and result.fills:
            self.reopening_prints.append(TapePrint(symbol, self.name, now_ns, result.cross.price,
                                                   result.cross.volume, SaleCondition.REOPENING))
        if self._rules:
            self._printed(symbol, list(result.fills), now_ns)  # AuctionFill has a price, as Fill
        return result

    def _down(self, symbol: str, held: list, now_ns: int) -> Reopening:
        result = Reopening(symbol, NO_CROSS, (), tuple((o.order_id, o.owner, o.qty) for o in held))
        self._end_unfilled(result.canceled, VENUE_DOWN, now_ns)
        return result

    def _end_unfilled(self, ended: tuple[tuple[str, str, int], ...], reason: str, now_ns: int) -> None:
        """Orders a reopening ended unfilled: CANCELED reports for ours, participants' forgotten."""
        for order_id, owner, qty in ended:
            if owner == self.our_owner:
                child = self._children[order_id]
                self._report(_CANCELED, order_id, child.order_id, now_ns, last_qty=qty, reason=reason)
            else:
                self._agent_orders.pop(order_id, None)

    # ------------------------------------------------------------ 3. resumption after the primary

    def resume(self, symbol: str, now_ns: int) -> Resumption:
        """Resume continuous trading in ``symbol`` without an auction (this venue is not the primary
        listing market, which has just reopened): the held orders go to the book in arrival order as
        new orders, each matched as it arrives (the rules' price bands in effect apply), so one that
        meets the book trades as the taker: ours get taker FILLs (fee as any taker's), and what is
        left of a market order is canceled (``MARKET_REMAINDER``). The book's resting orders stay as
        they were. A DOWN venue releases nothing: its held orders are canceled (``VENUE_DOWN``)."""
        self.book(symbol)  # KeyError naming the venue for a symbol not traded here
        held = self._held.release(symbol)
        if self._status is not _UP:
            down = self._down(symbol, held, now_ns)
            return Resumption(symbol, 0, (), down.canceled)
        fills: list[Fill] = []
        our, agent_orders = self.our_owner, self._agent_orders
        for o in held:
            if o.owner == our:
                child = self._children[o.order_id]
                price, tif = self._entry_price(symbol, o.side, o.price, _DAY, now_ns)
                result = self._execute(child, price, tif, now_ns)
            else:
                result = self._enter_agent_order(o.order_id, o.owner, symbol, o.side, o.qty, o.price, _DAY, now_ns)
                if not result.rested_qty:
                    agent_orders.pop(o.order_id, None)  # done: filled, or a market order's rest canceled
                for fill in result.fills:  # a participant's trade: on the tape (ours are our fills')
                    self.reopening_prints.append(TapePrint(symbol, self.name, now_ns, fill.price, fill.quantity,
                                                           SaleCondition.REGULAR))
            fills.extend(result.fills)
        return Resumption(symbol, len(held), tuple(fills), ())


def reopen_market(venues: Sequence[ReopeningDesk], symbol: str, reference: int, now_ns: int,
                  mode: str = EVERY_VENUE, record: list | None = None,
                  defer: Callable[[Callable[[], None]], None] | None = None) -> int | None:
    """Reopen ``symbol`` on ``venues`` at ``now_ns``; returns the reopening price (None: no cross).

    ``mode`` ``every_venue``: every venue runs its own auction; the price is the first crossing
    venue's (in the order given). ``primary``: ``venues[0]`` (the primary listing market) runs the
    auction and its price is the reopening price; then every other venue resumes continuous trading
    (``ReopeningDesk.resume``), after the primary's print. ``defer(fn)``: run the resumptions as
    ``fn`` later (the caller's clock, at the same instant, once the rules have taken the reopening:
    a LULD pause's new reference and bands then collar the released orders); None: at once. A DOWN
    primary cancels its held orders and the others resume all the same (the real plan lets them
    resume when the primary cannot reopen; the twin does not wait). ``record`` gets
    ``(venue, now_ns, Reopening)`` for each auction and, with ``primary``, ``(venue, now_ns,
    Resumption)`` for each resumption."""
    if mode not in REOPENING_MODES:
        raise ValueError(f"mode must be one of {', '.join(REOPENING_MODES)}, got {mode!r}")
    auctions = venues if mode == EVERY_VENUE else venues[:1]
    price = None
    for venue in auctions:
        reopening = venue.reopen(symbol, reference, now_ns)
        if record is not None:
            record.append((venue.name, now_ns, reopening))
        if price is None and reopening.cross.price is not None:
            price = reopening.cross.price
    others = venues[len(auctions):]
    if others:
        def resume_others() -> None:
            for venue in others:
                resumption = venue.resume(symbol, now_ns)
                if record is not None:
                    record.append((venue.name, now_ns, resumption))

        if defer is None:
            resume_others()
        else:
            defer(resume_others)
    return price
