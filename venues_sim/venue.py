"""A simulated exchange: order books per symbol, fees, status, execution reports.

Owns the venue's side of the order lifecycle for the broker-dealer's child
orders (ACK, FILL, CANCELED, REJECTED reports, each with a venue-unique exec
id) and the entry points for simulated market participants. Matching itself is
``venues_sim.book``; pricing of fills is a ``venues_sim.fees.FeeModel``.

Time is passed in (``now_ns``) by whoever drives the venue; nothing here reads
a clock or imports simpy. An optional ``venues_sim.wholesale.FillPriceModel``
prices our TAKER fills (a wholesaler's price improvement); without one a
taker gets the matched price. Reports are delivered synchronously to
``on_report`` after the book has been updated, so a handler that re-enters the
venue sees a consistent book.

Refusals are data: a bad or untimely child order gets a REJECTED report with a
machine-readable reason, never an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import (
    ChildOrder,
    ExecKind,
    ExecutionReport,
    Liquidity,
    Quote,
    VenueStatus,
)

from .book import AddResult, Fill, OrderBook
from .fees import FeeModel
from .reopening import END_OF_DAY, MARKET_REMAINDER, VENUE_DOWN, ReopeningDesk
from .rules import LULD_BAND  # also the reason a resting order beyond the band is canceled
from .stress import VenueCondition

if TYPE_CHECKING:  # pragma: no cover
    from .rules import MarketRule
    from .wholesale import FillPriceModel

# Reason codes on REJECTED / CANCELED reports (VENUE_DOWN, MARKET_REMAINDER and END_OF_DAY are
# venues_sim.reopening's, imported above: the reopening uses them too).
WRONG_VENUE = "WRONG_VENUE"
UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
DUPLICATE_CHILD_ID = "DUPLICATE_CHILD_ID"
INVALID_QUANTITY = "INVALID_QUANTITY"
INVALID_PRICE = "INVALID_PRICE"
INVALID_ORDER = "INVALID_ORDER"  # side / time in force / order type not understood
UNKNOWN_ORDER = "UNKNOWN_ORDER"
TOO_LATE = "TOO_LATE"
IOC_REMAINDER = "IOC_REMAINDER"
CANCEL_REQUESTED = "CANCEL_REQUESTED"
REPLACED = "REPLACED"  # canceled by a cancel/replace; the new child carries on
MARKET_CLOSED = "MARKET_CLOSED"  # a child arriving after the venue's day ended, before it reopens

_UP = VenueStatus.UP
_FILL = ExecKind.FILL
_ACK = ExecKind.ACK
_REJECTED = ExecKind.REJECTED
_CANCELED = ExecKind.CANCELED
_MARKET = OrderType.MARKET
_LIMIT = OrderType.LIMIT
_MAKER = Liquidity.MAKER
_TAKER = Liquidity.TAKER


class SimVenue(ReopeningDesk):
    """One simulated exchange trading ``symbols``.

    Halts and pauses that reopen (orders held meanwhile, the reopening auction, resuming after the
    primary's auction) are ``venues_sim.reopening.ReopeningDesk``'s; this class matches continuously.

    ``our_owner`` is the book owner tag of the broker-dealer's own child orders;
    every other owner is a simulated market participant. Reports about our
    orders go to ``on_report``; participants learn their outcome from the
    ``AddResult`` they get back.

    CANCELED reports carry the quantity removed in ``last_qty`` (``last_px``
    0) and ``leaves_qty`` 0.
    """

    def __init__(
        self,
        name: str,
        fees: FeeModel,
        symbols: list[str],
        on_report: Callable[[ExecutionReport], None],
        our_owner: str = "BD",
        fill_price: FillPriceModel | None = None,
    ):
        if not name:
            raise ValueError("name must be a non-empty str")
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"symbols must be unique, got {symbols!r}")
        self.name = name
        self.fees = fees
        self.our_owner = our_owner
        self.fill_price = fill_price  # None: takers get the matched price
        self._on_report = on_report
        self._books: dict[str, OrderBook] = {s: OrderBook(s) for s in symbols}
        self._children: dict[str, ChildOrder] = {}  # every child we accepted, done or not
        self._closed_until_ns = -1  # see end_of_day: before then, our new children are refused
        self._agent_orders: dict[str, str] = {}  # resting participant order id -> symbol
        self._exec_seq = 0
        self._status = _UP
        self._conditions: list[VenueCondition] = []  # active stress conditions (venues_sim.stress)
        self._rules: list[MarketRule] = []  # market rules (venues_sim.rules)
        self._init_reopening()  # orders held for a reopening, the reopenings' prints
        self.duplicate_submits = 0  # our children sent again and ignored (``submit``)
        self.publishes_book_top = True
        """True while ``quote`` publishes the books' tops as they are (UP, no stress condition):
        readers such as the market timeline then read ``OrderBook.top`` without building a Quote."""

    # ------------------------------------------------------------ properties

    @property
    def status(self) -> VenueStatus:
        """UP or DOWN. A DOWN venue rejects and does not trade; its book is kept."""
        return self._status

    def set_status(self, status: VenueStatus) -> None:
        """Take the venue down or bring it back (resting orders stay on the book)."""
        if not isinstance(status, VenueStatus):
            raise ValueError(f"status must be a VenueStatus, got {status!r}")
        if status is not self._status:
            for book in self._books.values():
                book.version += 1  # what the book publishes changed (see OrderBook.version)
        self._status = status
        self._published_changed()

    @property
    def conditions(self) -> tuple[VenueCondition, ...]:
        """Stress conditions currently applied, in the order they began."""
        return tuple(self._conditions)

    def add_condition(self, condition: VenueCondition, now_ns: int) -> None:
        """Put the venue under a stress condition until ``remove_condition``."""
        condition.on_start(self, now_ns)
        self._conditions.append(condition)
        self._bump_versions()
        self._published_changed()

    def remove_condition(self, condition: VenueCondition, now_ns: int) -> None:
        """End a condition (``ValueError`` if it is not applied)."""
        self._conditions.remove(condition)
        condition.on_end(self, now_ns)
        self._bump_versions()
        self._published_changed()

    def _published_changed(self) -> None:
        self.publishes_book_top = self._status is _UP and not self._conditions

    def add_rule(self, rule: MarketRule) -> None:
        """Enforce a market rule (halts, LULD, SSR) from now on."""
        self._rules.append(rule)

    def _rule_refusal(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        for rule in self._rules:
            reason = rule.refuse(symbol, side, price, short, now_ns)
            if reason:
                return reason
        return ""

    @property
    def rules(self) -> tuple[MarketRule, ...]:
        """The market rules enforced here, in the order added."""
        return tuple(self._rules)

    def _collar(self, symbol: str, side: Side, price: int | None, now_ns: int) -> int | None:
        """The price an incoming order trades at under the rules' price bands (``MarketRule.price_band``):
        a buy at most the upper band (a market buy: at it), a sell at least the lower one. Resting
        orders on the other side beyond the band (left there when the band moved) are canceled
        ``LULD_BAND`` first rather than traded with, so nothing trades outside the band."""
        for rule in self._rules:
            band = rule.price_band(symbol, now_ns)
            if band is None:
                continue
            lower, upper = band
            book = self._books[symbol]
            if side is Side.BUY:
                price = upper if price is None or price > upper else price
                best = book.best_ask()
                if best is not None and best[0] < lower:
                    self._cancel_beyond(book, Side.SELL, lambda px: px < lower, now_ns)
            else:
                price = lower if price is None or price < lower else price
                best = book.best_bid()
                if best is not None and best[0] > upper:
                    self._cancel_beyond(book, Side.BUY, lambda px: px > upper, now_ns)
        return price

    def _cancel_beyond(self, book: OrderBook, side: Side, beyond: Callable[[int], bool], now_ns: int) -> None:
        for order_id, owner, resting_side, px, qty in book.resting_orders():
            if resting_side is side and beyond(px):
                book.cancel(order_id)
                if owner == self.our_owner:
                    child = self._children[order_id]
                    self._report(_CANCELED, order_id, child.order_id, now_ns, last_qty=qty, reason=LULD_BAND)
                else:
                    self._agent_orders.pop(order_id, None)

    def _printed(self, symbol: str, fills: list, now_ns: int) -> None:
        """Tell the rules about an order that reached the book: its trade prints (LULD pauses on a move
        to its band), then that the book changed (the LULD plan looks for a limit state)."""
        for rule in self._rules:
            for fill in fills:
                rule.on_trade(symbol, fill.price, now_ns)
            rule.on_book_change(symbol, now_ns)

    def _bump_versions(self) -> None:
        for book in self._books.values():
            book.version += 1  # what the book publishes may have changed

    @property
    def symbols(self) -> list[str]:
        """Symbols traded here, in configuration order."""
        return list(self._books)

    def book(self, symbol: str) -> OrderBook:
        """The order book for ``symbol`` (``KeyError`` if not traded here)."""
        try:
            return self._books[symbol]
        except KeyError:
            raise KeyError(f"venue {self.name} does not trade {symbol!r}") from None

    def quote(self, symbol: str, now_ns: int) -> Quote:
        """Top of book as a ``Quote``; zero prices/sizes for an empty side.

        A DOWN venue publishes nothing, so its quote is all zeros.
        """
        book = self._books.get(symbol)
        if book is None:
            book = self.book(symbol)  # raises the KeyError naming the venue
        if self._status is not _UP:
            return Quote(self.name, symbol, 0, 0, 0, 0, now_ns)
        bid, bid_size, ask, ask_size = book.top()
        quote = Quote(self.name, symbol, bid, bid_size, ask, ask_size, now_ns)
        for condition in self._conditions:
            quote = condition.published(quote)
        return quote

    def leaves(self, child_id: str) -> int:
        """Resting quantity of one of our child orders (0 if not resting)."""
        child = self._children.get(child_id)
        if child is None:
            return 0
        return self._books[child.symbol].resting_qty(child_id) or self._held.qty(child_id)

    # ------------------------------------------------------------ our orders

    def submit(self, child: ChildOrder, now_ns: int) -> None:
        """Accept one of our child orders: ACK, FILL reports, then CANCELED for
        an IOC or market remainder; or a single REJECTED report.

        Idempotent by child id: the very same child sent again (an at-least-once
        re-send: a router that died between recording and sending it, or a bus
        redelivery) is ignored, whether it still rests or is done, and whatever
        the venue's status, so it is never acked, filled or refused twice
        (``duplicate_submits`` counts them). Another child with an id the venue
        already holds is refused ``DUPLICATE_CHILD_ID`` (FIX OrdRejReason 6)."""
        held = self._children.get(child.child_id)
        if held is not None:
            if held == child:
                self.duplicate_submits += 1
                return
            self._report(_REJECTED, child.child_id, child.order_id, now_ns, reason=DUPLICATE_CHILD_ID)
            return
        reason = self._check_child(child) or (self._stress_refusal(child, now_ns) if self._conditions else "")
        if not reason and self._rules:
            reason = self._child_rule_refusal(child, now_ns)
            if reason and now_ns >= self._closed_until_ns and self._holds(child.symbol, child.time_in_force, now_ns):
                self._hold_child(child, now_ns)  # ACKed, waiting for the reopening
                return
        if not reason and now_ns < self._closed_until_ns:
            reason = MARKET_CLOSED
        if reason:
            self._report(_REJECTED, child.child_id, child.order_id, now_ns, reason=reason)
            return
        self._accept(child, now_ns)

    def _accept(self, child: ChildOrder, now_ns: int) -> None:
        """ACK and match a child that passed every check."""
        self._children[child.child_id] = child
        price = None if child.order_type is _MARKET else child.limit_price
        tif = child.time_in_force
        if self._rules:
            price, tif = self._entry_price(child.symbol, child.side, price, tif, now_ns)
        # _report(_ACK, ..., leaves_qty=child.quantity), built here: one ACK per child (hot path).
        self._exec_seq += 1
        self._on_report(ExecutionReport(_ACK, self.name, child.child_id, child.order_id, now_ns, 0, 0, child.quantity,
                                         None, 0, "", f"{self.name}-E{self._exec_seq}"))
        self._execute(child, price, tif, now_ns)

    def _entry_price(self, symbol: str, side: Side, price: int | None, tif: TimeInForce,
                     now_ns: int) -> tuple[int | None, TimeInForce]:
        """The price and time in force an incoming order (``price`` None: market) matches with under the
        rules' price bands (``_collar``): a market order collared to a band edge never rests."""
        collared = self._collar(symbol, side, price, now_ns)
        return collared, TimeInForce.IOC if price is None and collared is not None else tif

    def _execute(self, child: ChildOrder, price: int | None, tif: TimeInForce, now_ns: int) -> AddResult:
        """Match one of our acknowledged children at ``price`` / ``tif``: taker FILLs, then CANCELED for
        an IOC or market remainder."""
        qty = child.quantity
        is_market = child.order_type is _MARKET
        pricing = self.fill_price
        book = self._books[child.symbol]
        if pricing is not None:
            own_bid, _, own_ask, _ = book.top()  # the quote the order arrived at
        result = book.add(child.child_id, child.side, qty, price, tif, self.our_owner)
        fills = result.fills
        if fills:
            leaves = qty
            name, child_id, order_id = self.name, child.child_id, child.order_id
            fee, our = self.fees.fee, self.our_owner
            for fill in fills:
                traded = fill.quantity
                leaves -= traded
                # _report(_FILL, ...) built here, positionally: one or more per child (hot path).
                self._exec_seq += 1
                self._on_report(ExecutionReport(
                    _FILL, name, child_id, order_id, now_ns, traded,
                    fill.price if pricing is None else pricing.taker_price(
                        child.symbol, child.side, fill.price, own_bid, own_ask),
                    leaves, _TAKER, fee(_TAKER, traded), "", f"{name}-E{self._exec_seq}"))
                if fill.maker_owner == our:  # _after_fill, its agent case inlined
                    self._after_fill(fill, now_ns)
                elif fill.maker_leaves == 0:
                    self._agent_orders.pop(fill.maker_order_id, None)
        if self._rules:
            self._printed(child.symbol, result.fills, now_ns)
        if result.canceled_qty:
            self._report(
                _CANCELED,
                child.child_id,
                child.order_id,
                now_ns,
                last_qty=result.canceled_qty,
                reason=MARKET_REMAINDER if is_market else IOC_REMAINDER,
            )
        return result

    def _check_child(self, child: ChildOrder) -> str:
        """Reason code to reject ``child``, or "" to accept it."""
        if self._status is not _UP:
            return VENUE_DOWN
        if child.venue != self.name:
            return WRONG_VENUE
        if child.symbol not in self._books:
            return UNKNOWN_SYMBOL
        if child.child_id in self._children or child.child_id in self._books[child.symbol]:
            return DUPLICATE_CHILD_ID  # also never collide with a participant's resting id
        qty = child.quantity
        if type(qty) is not int or qty <= 0:
            return INVALID_QUANTITY
        if child.order_type is _LIMIT:
            px = child.limit_price
            if type(px) is not int or px <= 0:
                return INVALID_PRICE
        elif child.order_type is not _MARKET:
            return INVALID_ORDER
        if not isinstance(child.side, Side) or not isinstance(child.time_in_force, TimeInForce):
            return INVALID_ORDER
        return ""

    def _condition_refusal(self, child: ChildOrder, now_ns: int) -> str:
        """Reason an active stress condition or a market rule refuses ``child``, or ""."""
        return self._stress_refusal(child, now_ns) or (self._child_rule_refusal(child, now_ns) if self._rules else "")

    def _stress_refusal(self, child: ChildOrder, now_ns: int) -> str:
        """Reason an active stress condition refuses ``child``, or ""."""
        for condition in self._conditions:
            reason = condition.refuse_submit(child, now_ns)
            if reason:
                return reason
        return ""

    def _child_rule_refusal(self, child: ChildOrder, now_ns: int) -> str:
        price = None if child.order_type is _MARKET else child.limit_price
        return self._rule_refusal(child.symbol, child.side, price, child.short, now_ns)

    def _cancel_refusal(self, child_id: str, now_ns: int) -> str:
        for condition in self._conditions:
            reason = condition.refuse_cancel(child_id, now_ns)
            if reason:
                return reason
        return ""

    def cancel(self, child_id: str, now_ns: int) -> int:
        """Cancel one of our resting child orders; return the quantity removed.

        Emits CANCELED (removed qty in ``last_qty``), or REJECTED with
        ``UNKNOWN_ORDER`` (never seen), ``TOO_LATE`` (already filled or
        canceled), ``VENUE_DOWN``, or a stress condition's reason.
        """
        child = self._children.get(child_id)
        order_id = "" if child is None else child.order_id
        reason = VENUE_DOWN if self._status is not _UP else self._cancel_refusal(child_id, now_ns)
        if reason:
            self._report(ExecKind.REJECTED, child_id, order_id, now_ns, reason=reason)
            return 0
        if child is None:
            self._report(ExecKind.REJECTED, child_id, order_id, now_ns, reason=UNKNOWN_ORDER)
            return 0
        qty = self._books[child.symbol].cancel(child_id)
        if qty == 0 and self._held:
            qty = self._held.cancel(child_id)  # waiting for a reopening auction
        if qty == 0:
            self._report(ExecKind.REJECTED, child_id, order_id, now_ns, reason=TOO_LATE)
            return 0
        self._report(ExecKind.CANCELED, child_id, order_id, now_ns, last_qty=qty, reason=CANCEL_REQUESTED)
        return qty

    def replace(self, child_id: str, new_child: ChildOrder, now_ns: int) -> bool:
        """Cancel/replace: cancel resting ``child_id``, then submit ``new_child``.

        Nothing is touched unless the whole replace can go through: it is
        refused with one REJECTED report on ``new_child.child_id`` (reason
        ``VENUE_DOWN``, ``UNKNOWN_ORDER``, ``TOO_LATE`` when the old child is no
        longer working, ``INVALID_ORDER`` for a different symbol or side, or
        any reason ``submit`` would give the new child). Otherwise the old
        child gets CANCELED (``REPLACED``) and the new one the reports of
        ``submit``. The new child queues behind its price level: a replace
        loses time priority, as cancel + new does. Returns True if replaced.
        """
        old = self._children.get(child_id)
        reason = (self._check_child(new_child) or self._cancel_refusal(child_id, now_ns)
                  or self._condition_refusal(new_child, now_ns))
        if not reason:
            if old is None:
                reason = UNKNOWN_ORDER
            elif old.symbol != new_child.symbol or old.side is not new_child.side:
                reason = INVALID_ORDER
            elif child_id not in self._books[old.symbol]:
                reason = TOO_LATE
        if reason:
            self._report(ExecKind.REJECTED, new_child.child_id, new_child.order_id, now_ns, reason=reason)
            return False
        qty = self._books[old.symbol].cancel(child_id)
        self._report(ExecKind.CANCELED, child_id, old.order_id, now_ns, last_qty=qty, reason=REPLACED)
        self._accept(new_child, now_ns)  # checked above: a replace is all or nothing
        return True

    # ------------------------------------------------------ market participants

    def submit_agent_order(
        self,
        order_id: str,
        owner: str,
        symbol: str,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce,
        now_ns: int,
    ) -> AddResult:
        """Enter a simulated participant's order (``price=None`` for market).

        If it trades with our resting orders, we get MAKER FILL reports. On a
        DOWN venue nothing trades and the whole quantity comes back canceled.
        Raises ``ValueError`` for a malformed order, an unknown symbol, or an
        owner equal to ``our_owner``.
        """
        if owner == self.our_owner:
            raise ValueError(f"owner {owner!r} is reserved for our own child orders")
        book = self._books.get(symbol)
        if book is None:
            raise ValueError(f"symbol {symbol!r} is not traded on {self.name}")
        if self._status is not _UP:
            if type(qty) is not int or qty <= 0:
                raise ValueError(f"quantity must be a positive int, got {qty!r}")
            return AddResult([], 0, qty)
        if self._rules:
            if self._rule_refusal(symbol, side, price, False, now_ns):  # held for a reopening, or canceled
                return self._refused_agent_order(book, order_id, owner, symbol, side, qty, price, tif, now_ns)
            return self._enter_agent_order(order_id, owner, symbol, side, qty, price, tif, now_ns)
        result = book.add(order_id, side, qty, price, tif, owner)
        if result.fills:
            our, agent_orders = self.our_owner, self._agent_orders
            for fill in result.fills:
                # Inlined _after_fill for the common agent-vs-agent case (hot path).
                if fill.maker_owner == our:
                    self._after_fill(fill, now_ns)
                elif fill.maker_leaves == 0:
                    agent_orders.pop(fill.maker_order_id, None)
        if result.rested_qty:
            self._agent_orders[order_id] = symbol
        return result

    def _enter_agent_order(self, order_id: str, owner: str, symbol: str, side: Side, qty: int,
                           price: int | None, tif: TimeInForce, now_ns: int) -> AddResult:
        """A participant's order into the book under the market rules: collared to the price bands,
        matched, its prints told to the rules."""
        price, tif = self._entry_price(symbol, side, price, tif, now_ns)
        result = self._books[symbol].add(order_id, side, qty, price, tif, owner)
        self._printed(symbol, result.fills, now_ns)
        for fill in result.fills:
            self._after_fill(fill, now_ns)
        if result.rested_qty:
            self._agent_orders[order_id] = symbol
        return result

    def cancel_agent_order(self, order_id: str) -> int:
        """Cancel a participant's resting order; quantity removed (0 if none).

        Works on a DOWN venue too: participants may pull quotes during an
        outage, and it keeps their bookkeeping simple.
        """
        symbol = self._agent_orders.pop(order_id, None)
        if symbol is None:
            return 0
        return self._books[symbol].cancel(order_id) or (self._held.cancel(order_id) if self._held else 0)

    def requote_agent_ladder(
        self,
        owner: str,
        symbol: str,
        cancel_ids: list[str],
        orders: list[tuple[str, Side, int, int | None, TimeInForce]],
        now_ns: int,
        after_each: Callable[[AddResult], None] | None = None,
    ) -> list[AddResult]:
        """A participant's requote in one call: ``cancel_agent_order`` for each of ``cancel_ids``,
        then ``submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now_ns)`` for each
        ``(order_id, side, qty, price, tif)`` of ``orders``, calling ``after_each(result)`` after each
        order; returns the orders' results.

        Same book effects, fills, reports and results as those calls one by one (a market maker's
        ladder is most of a simulated day's orders, so the owner and symbol are checked once and
        each order goes straight to the book while the venue is UP without market rules; otherwise,
        or when this venue's entry points are wrapped, say by ``twin calibrate``'s meter, each
        order takes the plain path). Raises like ``submit_agent_order``.
        """
        wrapped = self.__dict__
        if "submit_agent_order" in wrapped or "cancel_agent_order" in wrapped:
            return plain_agent_ladder(self, owner, symbol, cancel_ids, orders, now_ns, after_each)
        agent_orders, books = self._agent_orders, self._books
        for order_id in cancel_ids:
            held = agent_orders.pop(order_id, None)
            if held is not None and not books[held].cancel(order_id) and self._held:
                self._held.cancel(order_id)  # it was waiting for a reopening auction
        book = books.get(symbol)
        if orders and (owner == self.our_owner or book is None):  # submit_agent_order's refusals, as it raises them
            return plain_agent_ladder(self, owner, symbol, [], orders, now_ns, after_each)
        add, our = book.add, self.our_owner
        results: list[AddResult] = []
        for order_id, side, qty, price, tif in orders:
            if self._status is not _UP or self._rules:  # read per order: a fill or a callback may change them
                result = self.submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now_ns)
            else:
                result = add(order_id, side, qty, price, tif, owner)
                fills = result.fills
                if fills:
                    for fill in fills:  # as submit_agent_order
                        if fill.maker_owner == our:
                            self._after_fill(fill, now_ns)
                        elif fill.maker_leaves == 0:
                            agent_orders.pop(fill.maker_order_id, None)
                if result.rested_qty:
                    agent_orders[order_id] = symbol
            results.append(result)
            if after_each is not None:
                after_each(result)
        return results

    # ------------------------------------------------------------ end of day

    def end_of_day(self, now_ns: int, reopens_ns: int | None = None) -> int:
        """Cancel every resting order; our DAY orders get END_OF_DAY reports.

        ``reopens_ns``: until then a new child of ours is rejected ``MARKET_CLOSED`` (the twin's
        one-session day: an order that reaches the venue after the close, say delayed by a crash,
        must end, not rest on a closed book forever). None: the venue takes orders at once (the
        live stack's embedded venues, whose next session starts after the close).
        Returns the number of orders canceled (ours and participants').
        """
        if reopens_ns is not None:
            self._closed_until_ns = reopens_ns
        count = 0
        our = self.our_owner
        for book in self._books.values():
            for order_id, owner, qty in book.cancel_all():
                count += 1
                if owner == our:
                    child = self._children[order_id]
                    self._report(
                        ExecKind.CANCELED, order_id, child.order_id, now_ns, last_qty=qty, reason=END_OF_DAY
                    )
        count += self._end_held(now_ns)  # held for a reopening that never came: they end with the day too
        self._agent_orders.clear()
        return count

    # --------------------------------------------------------------- helpers

    def _after_fill(self, fill: Fill, now_ns: int) -> None:
        """Book-keeping for the maker side of a fill: report ours, forget done agents'."""
        if fill.maker_owner == self.our_owner:
            child = self._children[fill.maker_order_id]
            self._report(
                _FILL,
                child.child_id,
                child.order_id,
                now_ns,
                last_qty=fill.quantity,
                last_px=fill.price,
                leaves_qty=fill.maker_leaves,
                liquidity=_MAKER,
                fee=self.fees.fee(_MAKER, fill.quantity),
            )
        elif fill.maker_leaves == 0:
            self._agent_orders.pop(fill.maker_order_id, None)

    def _report(
        self,
        kind: ExecKind,
        child_id: str,
        order_id: str,
        now_ns: int,
        *,
        last_qty: int = 0,
        last_px: int = 0,
        leaves_qty: int = 0,
        liquidity: Liquidity | None = None,
        fee: int = 0,
        reason: str = "",
    ) -> None:
        # Every report gets a venue-unique exec id so a consumer behind an
        # at-least-once bus can drop duplicates.
        self._exec_seq += 1
        self._on_report(
            ExecutionReport(
                kind,
                self.name,
                child_id,
                order_id,
                now_ns,
                last_qty,
                last_px,
                leaves_qty,
                liquidity,
                fee,
                reason,
                f"{self.name}-E{self._exec_seq}",
            )
        )


def plain_agent_ladder(
    venue: object,
    owner: str,
    symbol: str,
    cancel_ids: list[str],
    orders: list[tuple[str, Side, int, int | None, TimeInForce]],
    now_ns: int,
    after_each: Callable[[AddResult], None] | None = None,
) -> list[AddResult]:
    """``SimVenue.requote_agent_ladder`` through ``venue``'s own ``cancel_agent_order`` and
    ``submit_agent_order``, one call each (any venue-like front; the reference the fast path
    must match)."""
    for order_id in cancel_ids:
        venue.cancel_agent_order(order_id)  # type: ignore[attr-defined]
    results: list[AddResult] = []
    for order_id, side, qty, price, tif in orders:
        submit = venue.submit_agent_order  # type: ignore[attr-defined]
        result = submit(order_id, owner, symbol, side, qty, price, tif, now_ns)
        results.append(result)
        if after_each is not None:
            after_each(result)
    return results
