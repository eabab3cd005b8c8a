"""A historical replay venue: our child orders against a recorded day.

``ReplayVenue`` stands in for ``venues_sim.venue.SimVenue`` (same ``submit``,
``cancel``, ``quote``, ``status``/``set_status``, ``leaves``, ``end_of_day``,
and ``ExecutionReport`` s to ``on_report`` with the same reason codes). It
replays the rows of one venue from a ``RecordedDay`` (file format:
``venues_sim.replay_format`` and ``docs/replay_format.md``). Time is passed in;
whoever drives it calls ``advance(now_ns)`` at each recorded event
(``next_event_ns``), or hands ``start`` a ``Clock.call_at``-shaped scheduler.
Every public call first advances to its ``now_ns``. The day is held as numpy
columns (``venues_sim.replay_columns``) turned into Python values a chunk at a
time, so a million-quote day never exists as a million row objects. While
every quote listener takes quotes in bulk (``replay_columns.BulkQuoteListener``),
none of ours rests and the venue is UP, runs of quotes are applied in one step
and handed to the listeners as column positions (``_in_bulk``; docs/replay_bulk_quotes.md).

Fill assumptions (the rules, each with its test and the defence of rule 4:
``docs/fill_model.md``; all deliberate):

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

import numpy as np

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, Quote, VenueStatus

from .fees import FeeModel
from .replay_columns import (
    BulkQuoteListener,
    RecordedTables,
    VenueQuotes,
    release_unused_memory,
    takes_quotes_in_bulk,
)
from .replay_format import RecordedDay, RecordedTrade
from .venue import (
    CANCEL_REQUESTED,
    DUPLICATE_CHILD_ID,
    END_OF_DAY,
    INVALID_ORDER,
    INVALID_PRICE,
    INVALID_QUANTITY,
    IOC_REMAINDER,
    MARKET_CLOSED,
    MARKET_REMAINDER,
    TOO_LATE,
    UNKNOWN_ORDER,
    UNKNOWN_SYMBOL,
    VENUE_DOWN,
    WRONG_VENUE,
)

_BUY = Side.BUY
_UP = VenueStatus.UP  # bound once: Enum attribute access is slow on Python 3.11, and this runs per quote
_TRADE, _QUOTE = 0, 1  # sort rank at equal timestamps: trades first
_CHUNK = 16_384  # events turned into Python values at a time: a long day never is all at once
_BULK_CHUNK = 1_024  # the same while listeners take quotes in bulk: most events are never turned into values


def _timeline(trades: dict[str, np.ndarray], quotes: dict[str, np.ndarray]) -> list[np.ndarray]:
    """One venue's events in replay order as columns ``[time, kind, symbol, a, b, c, d]``: a trade is
    ``(price, size, 0, 0)``, a quote ``(bid, bid size, ask, ask size)``. Ordered by time, trades before
    quotes at equal times, then file order (the tables are sorted stably by time already)."""
    nt, nq = len(trades["timestamp_ns"]), len(quotes["timestamp_ns"])
    if not nt:  # a day of quotes only is in order already, and its columns are used as they are (no copy)
        return [quotes["timestamp_ns"], np.full(nq, _QUOTE, dtype=np.int8), quotes["symbol"], quotes["bid"],
                quotes["bid_size"], quotes["ask"], quotes["ask_size"]]
    zeros = np.zeros(nt, dtype=np.int64)
    columns = [
        np.concatenate([trades["timestamp_ns"], quotes["timestamp_ns"]]),
        np.concatenate([np.full(nt, _TRADE, dtype=np.int64), np.full(nq, _QUOTE, dtype=np.int64)]),
        np.concatenate([trades["symbol"], quotes["symbol"]]),
        np.concatenate([trades["price"], quotes["bid"]]),
        np.concatenate([trades["size"], quotes["bid_size"]]),
        np.concatenate([zeros, quotes["ask"]]),
        np.concatenate([zeros, quotes["ask_size"]]),
    ]
    order = np.lexsort((np.arange(nt + nq), columns[1], columns[0]))
    return [c[order] for c in columns]


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
        day: RecordedDay | RecordedTables,
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
        self._symbols = list(self._shown)  # index -> symbol, as in the event columns
        tables = day if isinstance(day, RecordedTables) else RecordedTables.from_day(day)
        self._trades = tables.rows_of("trades", name, self._symbols)
        self._events = _timeline(self._trades, tables.rows_of("quotes", name, self._symbols))
        self._count = len(self._events[0])
        self._chunk: list[tuple[int, ...]] = []  # the events being applied, as Python tuples
        self._pos = 0  # next event in ``_chunk``
        self._chunk_end = 0  # index (in ``_events``) after the last event of ``_chunk``
        self._now = 0
        self._children: dict[str, ChildOrder] = {}
        self._working: dict[str, _Working] = {}
        self._closed_until_ns = -1  # see end_of_day
        self._seq = 0
        self._exec_seq = 0
        self._status = VenueStatus.UP
        self._listeners: list[Callable[[Quote], None]] = []
        self._publish: list[Callable[[Quote], None]] = [] if on_quote is None else [on_quote]  # then listeners
        self._idle_until: Callable[[int], bool] | None = None  # see ``run_ahead``
        self._horizon: Callable[[], int | None] | None = None  # see ``run_ahead``
        self._bulk = on_quote is None or takes_quotes_in_bulk(on_quote)  # every listener can take runs of quotes at once
        self._quotes: VenueQuotes | None = None  # what they read, built at the first run (``_in_bulk``)
        self._trade_at: np.ndarray | None = None  # event indices of recorded trades (a run ends before one)

    def listen(self, callback: Callable[[Quote], None] | BulkQuoteListener) -> None:
        """Call ``callback`` with each recorded quote as published (after our resting orders took it),
        at its recorded time: how ``twin replay``'s strategy hook sees the market. A callback with the
        bulk form (``venues_sim.replay_columns.BulkQuoteListener``) is handed runs of quotes at once while
        every listener has it, none of our orders rests here and the venue is UP."""
        self._listeners.append(callback)
        self._publish.append(callback)
        self._bulk = self._bulk and takes_quotes_in_bulk(callback)

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

    def top_reader(self, symbol: str) -> Callable[[int], tuple[int, int, int, int]]:
        """``read(now_ns)``: what ``quote`` would publish now, without advancing (``quote`` would apply
        due events): the displayed top less our taking, all zeros while DOWN. One call per read: a
        market recorder reads it at every recorded quote."""
        shown = self.book(symbol)

        def read(now_ns: int) -> tuple[int, int, int, int]:
            if self._status is not _UP:
                return 0, 0, 0, 0
            return (shown.bid if shown.bid_size else 0, shown.bid_size,
                    shown.ask if shown.ask_size else 0, shown.ask_size)  # as _Shown.top, inlined

        return read

    def recorded_trades(self, symbol: str) -> list[RecordedTrade]:
        """This venue's recorded prints in ``symbol``, in time order (what the market did, not our fills)."""
        if symbol not in self._shown:
            return []
        t = self._trades
        keep = t["symbol"] == self._symbols.index(symbol)
        return [RecordedTrade(ts, self.name, symbol, price, size) for ts, price, size in
                zip(t["timestamp_ns"][keep].tolist(), t["price"][keep].tolist(), t["size"][keep].tolist())]

    def leaves(self, child_id: str) -> int:
        working = self._working.get(child_id)
        return 0 if working is None else working.leaves

    def next_event_ns(self) -> int | None:
        """Timestamp of the next recorded event not yet applied, or None at the end."""
        if self._pos < len(self._chunk):
            return self._chunk[self._pos][0]
        return int(self._events[0][self._chunk_end]) if self._chunk_end < self._count else None

    # ------------------------------------------------------------ driving

    def advance(self, now_ns: int, idle_until: Callable[[int], bool] | None = None) -> None:
        """Apply every recorded event with ``timestamp_ns <= now_ns``, in order; then, given
        ``idle_until`` (see ``run_ahead``: only the self-driven step passes it), each following event
        while ``idle_until(its time)`` says the clock has moved there with nothing else due before it."""
        on_trade, on_quote, symbols, shown_of = self._on_trade, self._on_recorded_quote, self._symbols, self._shown
        name = self.name
        while True:
            chunk, pos = self._chunk, self._pos  # read afresh each time: a callback may have advanced us
            if pos == len(chunk):
                if not self._load_chunk():
                    break
                continue
            ts, kind, symbol, a, b, c, d = chunk[pos]
            if ts > now_ns:
                if idle_until is None or not idle_until(ts):
                    break
                now_ns = ts  # the clock is there already: nothing else could run in between
            if kind == _QUOTE and self._bulk and not self._working and self._status is _UP:
                # Nothing but the listeners needs these quotes one by one: a run of them in one step.
                if self._in_bulk(self._chunk_end - len(chunk) + pos, now_ns, idle_until):
                    now_ns = max(now_ns, self._now)  # the clock was moved to the run's last quote
                    continue
            self._pos = pos + 1  # before applying it, for the same reason
            self._now = ts
            if kind == _TRADE:
                on_trade(ts, symbols[symbol], a, b)
            elif self._working or self._status is not _UP:
                on_quote(ts, symbols[symbol], a, b, c, d)
            else:  # _on_recorded_quote with none of ours resting, inlined (it runs at every recorded quote)
                symbol = symbols[symbol]
                shown = shown_of[symbol]
                shown.bid, shown.bid_size, shown.ask, shown.ask_size = a, b, c, d
                shown.version += 1
                publish = self._publish
                if publish:  # as _published while UP, from the values just shown
                    published = Quote(name, symbol, a if b else 0, b, c if d else 0, d, ts)
                    for listener in publish:
                        listener(published)
        if now_ns > self._now:
            self._now = now_ns

    def _load_chunk(self) -> bool:
        """Turn the next ``_CHUNK`` events into Python tuples; False at the end of the day."""
        start = self._chunk_end
        if start >= self._count:
            if self._count and len(self._events[0]):  # the whole day is applied: its columns are not read again
                self._events = [np.empty(0, dtype=c.dtype) for c in self._events]
                self._quotes = self._trade_at = None
                release_unused_memory()  # a million-quote day's columns, handed back before the outputs are written
            return False
        end = min(self._count, start + (_BULK_CHUNK if self._bulk else _CHUNK))
        self._chunk = list(zip(*(column[start:end].tolist() for column in self._events)))
        self._pos, self._chunk_end = 0, end
        return True

    def _in_bulk(self, start: int, now_ns: int, idle_until: Callable[[int], bool] | None) -> int:
        """Apply the recorded quotes from event ``start`` on in one step; return the event index after them,
        or 0 (none: ``start`` is applied on its own). Only while every listener takes quotes in bulk, none of
        ours rests and the venue is UP: then a quote only replaces the displayed top and is published. The
        run ends before the next recorded trade, before the first quote a listener must see as a ``Quote``
        (``bulk_stop``), and after the last quote due by ``now_ns`` or, given ``idle_until`` (see
        ``run_ahead``), the last one before anything else the clock holds: what applying them one at a
        time would apply, in the same order, leaving the same top, book versions and clock."""
        quotes = self._quotes or self._quote_columns()
        stop = self._count
        if self._trade_at is not None:
            after = int(self._trade_at.searchsorted(start))
            if after < len(self._trade_at):
                stop = self._trade_at.item(after)
        for listener in self._publish:
            stop = listener.bulk_stop(quotes, start, stop)
        if stop <= start:
            return 0
        times = quotes.time  # ``start`` is due (``advance`` saw to it); so are the following ones up to ``now_ns``
        end = start + 1
        if end < stop and times.item(end) <= now_ns:
            end = start + int(times[start:stop].searchsorted(now_ns, "right"))
        if end < stop and idle_until is not None:
            end = _idle_end(times, end, stop, idle_until, self._horizon if idle_until is self._idle_until else None)
        _, _, _, bid, bid_size, ask, ask_size = self._events
        for s, _, last, count in quotes.symbols_in(start, end):
            shown = self._shown[self._symbols[s]]
            shown.bid, shown.bid_size = bid.item(last), bid_size.item(last)
            shown.ask, shown.ask_size = ask.item(last), ask_size.item(last)
            shown.version += count  # one bump per quote, as one at a time
        self._now = times.item(end - 1)
        base = self._chunk_end - len(self._chunk)
        if end < self._chunk_end:
            self._pos = end - base
        else:  # past the chunk: the next one is loaded from ``end``
            self._chunk, self._pos, self._chunk_end = [], 0, end
        for listener in self._publish:
            listener.on_quotes(quotes, start, end)
        return end

    def _quote_columns(self) -> VenueQuotes:
        """The day's events as published quotes for bulk listeners (the columns themselves where a side is
        never empty, which is every recorded quote of a well-formed day)."""
        time, kind, symbol, a, b, c, d = self._events
        trades = bool(len(self._trades["timestamp_ns"]))
        self._quotes = VenueQuotes(self.name, tuple(self._symbols), time, symbol,
                                   a if b.all() else np.where(b != 0, a, 0), b,
                                   c if d.all() else np.where(d != 0, c, 0), d, trades, kind)
        if trades:
            self._trade_at = np.flatnonzero(kind == _TRADE)
        return self._quotes

    def start(self, schedule: Callable[[int, Callable[[], None]], None]) -> None:
        """Self-drive: ``schedule(when_ns, callback)`` (``Clock.call_at``) at each event time.

        With ``run_ahead`` set, an event due before anything else the clock has scheduled is applied in
        the same step instead of being scheduled (see ``run_ahead``)."""

        def step(when: int) -> None:
            self.advance(when, self._idle_until)
            following = self.next_event_ns()
            if following is not None:
                schedule(following, lambda: step(following))

        first = self.next_event_ns()
        if first is not None:
            schedule(first, lambda: step(first))

    def run_ahead(self, idle_until: Callable[[int], bool] | None) -> None:
        """Let the self-driven replay skip the scheduler between recorded events: ``idle_until(when_ns)``
        returns True, having moved the clock to ``when_ns``, when the clock holds nothing due at or before
        ``when_ns`` (then scheduling the event and running it next would do exactly the same, in the same
        order, only slower: a million-quote day is a million scheduler round trips); None turns it off.
        Its optional attribute ``horizon_ns()`` (the time of the clock's next queued thing, None: nothing)
        lets a run of quotes in bulk find its end with one search instead of probing ``idle_until``."""
        self._idle_until = idle_until
        self._horizon = getattr(idle_until, "horizon_ns", None)

    # ------------------------------------------------------------ our orders

    def submit(self, child: ChildOrder, now_ns: int) -> None:
        """ACK, TAKER fills at the displayed quote, then CANCELED for an IOC or
        market remainder or a resting DAY remainder; or one REJECTED report."""
        self.advance(now_ns)
        reason = self._check_child(child) or (MARKET_CLOSED if now_ns < self._closed_until_ns else "")
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

    def end_of_day(self, now_ns: int, reopens_ns: int | None = None) -> int:
        """Cancel every resting child order (END_OF_DAY); return how many. Until ``reopens_ns``
        new children are rejected MARKET_CLOSED, as ``SimVenue.end_of_day`` does."""
        self.advance(now_ns)
        if reopens_ns is not None:
            self._closed_until_ns = reopens_ns
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

    def _on_recorded_quote(self, timestamp_ns: int, symbol: str, bid: int, bid_size: int, ask: int,
                           ask_size: int) -> None:
        shown = self._shown[symbol]
        shown.bid, shown.bid_size, shown.ask, shown.ask_size = bid, bid_size, ask, ask_size
        shown.version += 1
        if self._working:  # most quotes find none of ours resting: skip the priority sort
            for w in self._resting(symbol):
                buy = w.child.side is _BUY
                best, size = (bid, bid_size) if buy else (ask, ask_size)
                if size and best == w.price:
                    w.ahead = size if w.ahead is None else min(w.ahead, size)
                elif not size or (best < w.price if buy else best > w.price):
                    w.ahead = 0  # the public queue at our price is gone
            if self._status is _UP:
                for w in self._resting(symbol):
                    w.leaves = self._take(w.child, w.leaves, timestamp_ns)
                    if not w.leaves:
                        del self._working[w.child.child_id]
        if self._publish:
            self._published(symbol, shown, timestamp_ns)

    def _published(self, symbol: str, shown: _Shown, timestamp_ns: int) -> None:
        """Hand ``symbol``'s displayed top, as now published, to ``on_quote`` then the listeners, in that order
        (built here: ``quote()`` would re-enter ``advance()``)."""
        if self._status is _UP:  # _Shown.top, inlined (this runs at every recorded quote)
            bid_size, ask_size = shown.bid_size, shown.ask_size
            published = Quote(self.name, symbol, shown.bid if bid_size else 0, bid_size,
                              shown.ask if ask_size else 0, ask_size, timestamp_ns)
        else:
            published = Quote(self.name, symbol, 0, 0, 0, 0, timestamp_ns)
        for listener in self._publish:
            listener(published)

    def _on_trade(self, timestamp_ns: int, symbol: str, price: int, size: int) -> None:
        if self._status is not VenueStatus.UP or not self._working:
            return
        for side in (Side.BUY, Side.SELL):
            used = 0  # of this print, already given to our orders on this side
            for w in self._resting(symbol, side):
                through = price < w.price if side is _BUY else price > w.price
                if not through and price != w.price:
                    break  # priority order: no later order is reached either
                if through:
                    excess, w.ahead = size, 0
                elif w.ahead is None:
                    continue  # queue at our price never seen: cannot tell the print reached us
                else:
                    excess, w.ahead = max(0, size - w.ahead), max(0, w.ahead - size)
                traded = min(w.leaves, max(0, excess - used))
                if traded:
                    used += traded
                    w.leaves -= traded
                    if self._crosses_displayed(w):
                        # Our limit is at or through the displayed opposite quote (we took its displayed size):
                        # no real book rests there, so we are the aggressor and trade at the print, never worse.
                        self._fill(w.child, traded, price, w.leaves, Liquidity.TAKER, timestamp_ns)
                    else:
                        self._fill(w.child, traded, w.price, w.leaves, Liquidity.MAKER, timestamp_ns)
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


def _idle_end(times: np.ndarray, lo: int, stop: int, idle_until: Callable[[int], bool],
              horizon: Callable[[], int | None] | None = None) -> int:
    """The first event in ``[lo, stop)`` that ``idle_until`` refuses (``stop``: none), leaving the clock at the
    event before it, as probing each in turn would. ``idle_until`` is monotone: it accepts a time before
    the clock's next due thing and refuses any later one, so that time (``horizon()``, None: nothing due),
    when given, or a binary search finds the edge (the search's last accepted probe, which moved the
    clock, is the event before it)."""
    if horizon is not None:
        due = horizon()
        end = stop if due is None else lo + int(times[lo:stop].searchsorted(due))
        if end == lo or idle_until(times.item(end - 1)):  # accepted: moves the clock there
            return end
    if idle_until(times.item(stop - 1)):
        return stop
    hi = stop - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if idle_until(times.item(mid)):
            lo = mid + 1
        else:
            hi = mid
    return lo
