"""A historical replay venue: our child orders against a recorded day.

``ReplayVenue`` stands in for ``venues_sim.venue.SimVenue`` (same ``submit``,
``cancel``, ``quote``, ``status``/``set_status``, ``leaves``, ``end_of_day``,
and ``ExecutionReport`` s to ``on_report`` with the same reason codes). It
replays the rows of one venue from a ``RecordedDay`` (file format:
``venues_sim.replay_format`` and ``docs/replay_format.md``). Time is passed in;
whoever drives it calls ``advance(now_ns)`` at each recorded event
(``next_event_ns``), or hands ``start`` a ``Clock.call_at``-shaped scheduler.
Every public call first advances to its ``now_ns``.

Fill assumptions (documented in ``docs/replay_format.md``; all deliberate):

* No market impact: the recorded quotes and trades happen exactly as recorded
  whatever we do. Our taking only depletes the *displayed* size of the
  current recorded quote, until the next recorded quote replaces it, so we
  never take the same displayed shares twice.
* Marketable orders (market, or a limit at/through the displayed opposite
  quote) fill as TAKER at the displayed quote price, up to its displayed size;
  only the top of book is known, so nothing fills beyond it. The remainder of
  an IOC or market order is canceled (``IOC_REMAINDER``/``MARKET_REMAINDER``);
  a DAY limit remainder rests.
* A resting order that a later recorded quote makes marketable takes that
  quote the same way (TAKER, at the quote price, up to its displayed size).
* Queue position: a resting order joining at the displayed best price on its
  side queues behind that displayed size; improving the best, it queues
  behind nothing; behind the best, its queue is unknown until the displayed
  best reaches its price (then behind that size) or moves past it (then
  behind nothing). A later quote showing less size at its price shrinks the
  queue ahead (cancellations ahead of us); it never grows. While its queue
  is unknown, a print at its price does not fill it (conservative).
* A resting order fills as MAKER, at its own limit price, from later recorded
  trades: a print at its price first depletes the queue ahead, the excess
  fills it; a print through its price fills it up to the printed size. One
  print never fills more of our orders in total than its size; our orders
  share it in price-time priority. Prints carry no aggressor side, so a print
  is offered to our buys at or above it and to our sells at or below it.
* An order that rests although its limit is at or through the displayed
  opposite quote (it took that quote's displayed size and the rest waited)
  is not a resting maker: no real book holds a bid above the ask. A print
  through its limit fills it as TAKER at the print's price, never at its own
  worse limit (a buy at 183.36 under a displayed 183.03/183.04 and a print at
  183.03 fills at 183.03, not 183.36 with a rebate).
* At equal timestamps recorded trades apply before recorded quotes (the print
  hit the book that was displayed before the update).
* While DOWN the recorded market goes on (quotes are tracked) but nothing of
  ours trades, and the venue publishes an all-zero quote, like ``SimVenue``.
"""

from __future__ import annotations

from typing import Callable, Iterator

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, Quote, VenueStatus

from .fees import FeeModel
from .replay_format import RecordedDay, RecordedQuote, RecordedTrade
from .venue import (
    CANCEL_REQUESTED,
    DUPLICATE_CHILD_ID,
    END_OF_DAY,
    INVALID_ORDER,
    INVALID_PRICE,
    INVALID_QUANTITY,
    IOC_REMAINDER,
    MARKET_REMAINDER,
    TOO_LATE,
    UNKNOWN_ORDER,
    UNKNOWN_SYMBOL,
    VENUE_DOWN,
    WRONG_VENUE,
)

_BUY = Side.BUY
_TRADE, _QUOTE = 0, 1  # sort rank at equal timestamps: trades first


class _Working:
    """One of our resting child orders. ``ahead`` None: queue position not yet known."""

    __slots__ = ("child", "price", "leaves", "ahead", "seq")

    def __init__(self, child: ChildOrder, leaves: int, ahead: int | None, seq: int):
        self.child = child
        self.price: int = child.limit_price  # type: ignore[assignment]  # only limits rest
        self.leaves = leaves
        self.ahead = ahead
        self.seq = seq


class _Shown:
    """The displayed top of book of one symbol, less what we have taken from it."""

    __slots__ = ("bid", "bid_size", "ask", "ask_size", "version")

    def __init__(self) -> None:
        self.bid = self.bid_size = self.ask = self.ask_size = 0
        self.version = 0  # bumped on every change, as OrderBook.version (market data caches on it)

    def top(self) -> tuple[int, int, int, int]:
        """``(bid, bid size, ask, ask size)``; a fully taken side shows as empty."""
        return (self.bid if self.bid_size else 0, self.bid_size,
                self.ask if self.ask_size else 0, self.ask_size)


class ReplayVenue:
    """One venue of a recorded day, trading ``symbols`` (rows of other symbols are skipped)."""

    def __init__(
        self,
        name: str,
        day: RecordedDay,
        fees: FeeModel,
        symbols: list[str],
        on_report: Callable[[ExecutionReport], None],
        on_quote: Callable[[Quote], None] | None = None,
    ):
        self.name = name
        self.fees = fees
        self._on_report = on_report
        self._on_quote = on_quote  # e.g. Sip.on_quote: each recorded quote as published
        self._shown = {s: _Shown() for s in symbols}
        rows: list[tuple[int, int, int, RecordedTrade | RecordedQuote]] = []
        for rank, table in ((_TRADE, day.trades), (_QUOTE, day.quotes)):
            rows += [(r.timestamp_ns, rank, i, r) for i, r in enumerate(table)
                     if r.venue == name and r.symbol in self._shown]
        rows.sort(key=lambda e: e[:3])
        self._events = [(ts, r) for ts, _, _, r in rows]
        self._next = 0
        self._now = 0
        self._children: dict[str, ChildOrder] = {}
        self._working: dict[str, _Working] = {}
        self._seq = 0
        self._exec_seq = 0
        self._status = VenueStatus.UP

    # ------------------------------------------------------------ status and queries

    @property
    def status(self) -> VenueStatus:
        return self._status

    def set_status(self, status: VenueStatus) -> None:
        if not isinstance(status, VenueStatus):
            raise ValueError(f"status must be a VenueStatus, got {status!r}")
        for shown in self._shown.values():
            shown.version += 1
        self._status = status

    @property
    def symbols(self) -> list[str]:
        return list(self._shown)

    def book(self, symbol: str) -> _Shown:
        """A book-like view (``top()``, ``version``) so market data can read it as a SimVenue's."""
        try:
            return self._shown[symbol]
        except KeyError:
            raise KeyError(f"venue {self.name} does not trade {symbol!r}") from None

    def quote(self, symbol: str, now_ns: int) -> Quote:
        """Displayed top of book (less our taking) at ``now_ns``; all zeros when DOWN."""
        shown = self.book(symbol)
        self.advance(now_ns)
        if self._status is not VenueStatus.UP:
            return Quote(self.name, symbol, 0, 0, 0, 0, now_ns)
        return Quote(self.name, symbol, *shown.top(), now_ns)

    def recorded_trades(self, symbol: str) -> list[RecordedTrade]:
        """This venue's recorded prints in ``symbol``, in time order (what the market did, not our fills)."""
        return [r for _, r in self._events if isinstance(r, RecordedTrade) and r.symbol == symbol]

    def leaves(self, child_id: str) -> int:
        working = self._working.get(child_id)
        return 0 if working is None else working.leaves

    def next_event_ns(self) -> int | None:
        """Timestamp of the next recorded event not yet applied, or None at the end."""
        return self._events[self._next][0] if self._next < len(self._events) else None

    # ------------------------------------------------------------ driving

    def advance(self, now_ns: int) -> None:
        """Apply every recorded event with ``timestamp_ns <= now_ns``, in order."""
        events = self._events
        while self._next < len(events) and events[self._next][0] <= now_ns:
            ts, row = events[self._next]
            self._next += 1
            self._now = ts
            if isinstance(row, RecordedTrade):
                self._on_trade(row)
            else:
                self._on_recorded_quote(row)
        self._now = max(self._now, now_ns)

    def start(self, schedule: Callable[[int, Callable[[], None]], None]) -> None:
        """Self-drive: ``schedule(when_ns, callback)`` (``Clock.call_at``) at each event time."""

        def step(when: int) -> None:
            self.advance(when)
            following = self.next_event_ns()
            if following is not None:
                schedule(following, lambda: step(following))

        first = self.next_event_ns()
        if first is not None:
            schedule(first, lambda: step(first))

    # ------------------------------------------------------------ our orders

    def submit(self, child: ChildOrder, now_ns: int) -> None:
        """ACK, TAKER fills at the displayed quote, then CANCELED for an IOC or
        market remainder or a resting DAY remainder; or one REJECTED report."""
        self.advance(now_ns)
        reason = self._check_child(child)
        if reason:
            self._report(ExecKind.REJECTED, child, now_ns, reason=reason)
            return
        self._children[child.child_id] = child
        self._report(ExecKind.ACK, child, now_ns, leaves_qty=child.quantity)
        leaves = self._take(child, child.quantity, now_ns)
        if not leaves:
            return
        if child.order_type is OrderType.MARKET or child.time_in_force is TimeInForce.IOC:
            reason = MARKET_REMAINDER if child.order_type is OrderType.MARKET else IOC_REMAINDER
            self._report(ExecKind.CANCELED, child, now_ns, last_qty=leaves, reason=reason)
            return
        self._seq += 1
        self._working[child.child_id] = _Working(child, leaves, self._ahead_on_join(child), self._seq)

    def cancel(self, child_id: str, now_ns: int) -> int:
        """Cancel a resting child order; same reports and reasons as ``SimVenue.cancel``."""
        self.advance(now_ns)
        child = self._children.get(child_id)
        if self._status is not VenueStatus.UP or child is None:
            reason = VENUE_DOWN if self._status is not VenueStatus.UP else UNKNOWN_ORDER
            self._report_raw(ExecKind.REJECTED, child_id, "" if child is None else child.order_id, now_ns,
                             reason=reason)
            return 0
        working = self._working.pop(child_id, None)
        if working is None:
            self._report(ExecKind.REJECTED, child, now_ns, reason=TOO_LATE)
            return 0
        self._report(ExecKind.CANCELED, child, now_ns, last_qty=working.leaves, reason=CANCEL_REQUESTED)
        return working.leaves

    def end_of_day(self, now_ns: int) -> int:
        """Cancel every resting child order (END_OF_DAY); return how many."""
        self.advance(now_ns)
        working, self._working = self._working, {}
        for w in working.values():
            self._report(ExecKind.CANCELED, w.child, now_ns, last_qty=w.leaves, reason=END_OF_DAY)
        return len(working)

    # ------------------------------------------------------------ matching

    def _take(self, child: ChildOrder, qty: int, now_ns: int) -> int:
        """Take the displayed opposite quote if marketable; return what is left."""
        if self._status is not VenueStatus.UP:
            return qty
        shown = self._shown[child.symbol]
        buy = child.side is _BUY
        px, size = (shown.ask, shown.ask_size) if buy else (shown.bid, shown.bid_size)
        limit = child.limit_price if child.order_type is OrderType.LIMIT else None
        if not size or (limit is not None and (limit < px if buy else limit > px)):
            return qty
        traded = min(qty, size)
        if buy:
            shown.ask_size -= traded
        else:
            shown.bid_size -= traded
        shown.version += 1
        qty -= traded
        self._fill(child, traded, px, qty, Liquidity.TAKER, now_ns)
        return qty

    def _ahead_on_join(self, child: ChildOrder) -> int | None:
        shown = self._shown[child.symbol]
        best, size = (shown.bid, shown.bid_size) if child.side is _BUY else (shown.ask, shown.ask_size)
        price = child.limit_price
        if not size or price == best:
            return size  # behind the displayed size at our price (0 if that side is empty)
        improves = price > best if child.side is _BUY else price < best
        return 0 if improves else None

    def _on_recorded_quote(self, row: RecordedQuote) -> None:
        shown = self._shown[row.symbol]
        shown.bid, shown.bid_size, shown.ask, shown.ask_size = row.bid, row.bid_size, row.ask, row.ask_size
        shown.version += 1
        for w in self._resting(row.symbol):
            buy = w.child.side is _BUY
            best, size = (row.bid, row.bid_size) if buy else (row.ask, row.ask_size)
            if size and best == w.price:
                w.ahead = size if w.ahead is None else min(w.ahead, size)
            elif not size or (best < w.price if buy else best > w.price):
                w.ahead = 0  # the public queue at our price is gone
        if self._status is VenueStatus.UP:
            for w in self._resting(row.symbol):
                w.leaves = self._take(w.child, w.leaves, row.timestamp_ns)
                if not w.leaves:
                    del self._working[w.child.child_id]
        if self._on_quote is not None:  # built here: quote() would re-enter advance()
            top = shown.top() if self._status is VenueStatus.UP else (0, 0, 0, 0)
            self._on_quote(Quote(self.name, row.symbol, *top, row.timestamp_ns))

    def _on_trade(self, row: RecordedTrade) -> None:
        if self._status is not VenueStatus.UP:
            return
        for side in (Side.BUY, Side.SELL):
            used = 0  # of this print, already given to our orders on this side
            for w in self._resting(row.symbol, side):
                through = row.price < w.price if side is _BUY else row.price > w.price
                if not through and row.price != w.price:
                    break  # priority order: no later order is reached either
                if through:
                    excess, w.ahead = row.size, 0
                elif w.ahead is None:
                    continue  # queue at our price never seen: cannot tell the print reached us
                else:
                    excess, w.ahead = max(0, row.size - w.ahead), max(0, w.ahead - row.size)
                traded = min(w.leaves, max(0, excess - used))
                if traded:
                    used += traded
                    w.leaves -= traded
                    if self._crosses_displayed(w):
                        # Our limit is at or through the displayed opposite quote (we took its displayed size):
                        # no real book rests there, so we are the aggressor and trade at the print, never worse.
                        self._fill(w.child, traded, row.price, w.leaves, Liquidity.TAKER, row.timestamp_ns)
                    else:
                        self._fill(w.child, traded, w.price, w.leaves, Liquidity.MAKER, row.timestamp_ns)
                    if not w.leaves:
                        del self._working[w.child.child_id]

    def _crosses_displayed(self, w: _Working) -> bool:
        """True when a resting order's limit is at or through the displayed opposite price."""
        shown = self._shown[w.child.symbol]
        if w.child.side is _BUY:
            return shown.ask > 0 and w.price >= shown.ask
        return shown.bid > 0 and w.price <= shown.bid

    def _resting(self, symbol: str, side: Side | None = None) -> Iterator[_Working]:
        """Our resting orders in ``symbol`` in price-time priority (a snapshot list)."""
        found = [w for w in self._working.values()
                 if w.child.symbol == symbol and (side is None or w.child.side is side)]
        found.sort(key=lambda w: (-w.price if w.child.side is _BUY else w.price, w.seq))
        return iter(found)

    # ------------------------------------------------------------ validation and reports

    def _check_child(self, child: ChildOrder) -> str:
        if self._status is not VenueStatus.UP:
            return VENUE_DOWN
        if child.venue != self.name:
            return WRONG_VENUE
        if child.symbol not in self._shown:
            return UNKNOWN_SYMBOL
        if child.child_id in self._children:
            return DUPLICATE_CHILD_ID
        if type(child.quantity) is not int or child.quantity <= 0:
            return INVALID_QUANTITY
        if child.order_type is OrderType.LIMIT:
            if type(child.limit_price) is not int or child.limit_price <= 0:
                return INVALID_PRICE
        elif child.order_type is not OrderType.MARKET:
            return INVALID_ORDER
        if not isinstance(child.side, Side) or not isinstance(child.time_in_force, TimeInForce):
            return INVALID_ORDER
        return ""

    def _fill(self, child: ChildOrder, qty: int, px: int, leaves: int, liq: Liquidity, now_ns: int) -> None:
        self._report(ExecKind.FILL, child, now_ns, last_qty=qty, last_px=px, leaves_qty=leaves,
                     liquidity=liq, fee=self.fees.fee(liq, qty))

    def _report(self, kind: ExecKind, child: ChildOrder, now_ns: int, **fields) -> None:
        self._report_raw(kind, child.child_id, child.order_id, now_ns, **fields)

    def _report_raw(self, kind: ExecKind, child_id: str, order_id: str, now_ns: int, **fields) -> None:
        self._exec_seq += 1
        self._on_report(ExecutionReport(kind, self.name, child_id, order_id, now_ns,
                                        exec_id=f"{self.name}-E{self._exec_seq}", **fields))
