"""How agents reach a venue: a thin front that records the trade tape.

``TapedVenue`` stands in for a ``venues_sim.venue.SimVenue`` wherever an agent
(or a ``venues_sim.liquidity.NoiseTrader``) sends orders: it forwards each
order and cancel to the real venue and writes every resulting trade to that
symbol's ``TradeTape``. The venue itself is not touched, so a tape holds the
trades agents' orders take part in as the aggressor; trades of the
broker-dealer's own child orders against agents are not on it.

A tape also keeps the running position of owners that asked to be tracked
(the adaptive market makers read their inventory there), whichever side of
the trade they were on, and tells a watching owner when one of its resting
orders has been filled completely (how a maker learns its ladder is gone
without polling the book). In ``mode: network`` that news is a message: the
tape's ``watch_through`` (set by ``scenarios.agents.network``) delays it.

With several venues (``agents.venues``) every venue's front shares one tape
per symbol, so a tape covers the agents' trades on every venue.
"""

from __future__ import annotations

from array import array
from typing import Callable

from components.domain.orders import Side, TimeInForce
from venues_sim.book import AddResult, OrderBook
from venues_sim.venue import SimVenue, plain_agent_ladder

_BUY = Side.BUY


class TradeTape:
    """Trades of one symbol in time order: time, price, quantity, aggressor side (+1 buy)."""

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.times = array("q")
        self.prices = array("q")
        self.quantities = array("q")
        self.aggressor = array("b")
        self.volume = 0
        """Shares traded so far."""
        self.buy_volume = 0
        """Shares traded so far where the aggressor bought (``volume - buy_volume`` sold)."""
        self.orders = 0
        """Orders sent through the tape's venue front for this symbol."""
        self.positions: dict[str, int] = {}
        self._watchers: dict[str, Callable[[str], None]] = {}
        self.watch_through: Callable[[str, Callable[[str], None]], Callable[[str], None]] | None = None
        """If set, ``watch`` registers ``watch_through(owner, on_done)`` instead of ``on_done`` (how the
        network front turns the news into a delayed message)."""

    def track(self, owner: str) -> None:
        """Keep ``owner``'s position (shares, + long) from now on."""
        self.positions.setdefault(owner, 0)

    def watch(self, owner: str, on_done: Callable[[str], None]) -> None:
        """Call ``on_done(order_id)`` when a resting order of ``owner`` is filled completely."""
        if self.watch_through is not None:
            on_done = self.watch_through(owner, on_done)
        self._watchers[owner] = on_done

    def position(self, owner: str) -> int:
        """Tracked position of ``owner`` (0 if not tracked)."""
        return self.positions.get(owner, 0)

    def __len__(self) -> int:
        return len(self.times)

    def record_print(self, now_ns: int, price: int, qty: int, aggressor: int) -> None:
        """Append one print that did not come through this front: the broker-dealer's own taker fill
        (``tape.own_fills``, ``twin.market_view.print_own_fills``). Volume counts it; tracked positions
        and watchers do not see it (a print names no maker)."""
        self.times.append(now_ns)
        self.prices.append(price)
        self.quantities.append(qty)
        self.aggressor.append(aggressor)
        self.volume += qty
        if aggressor > 0:
            self.buy_volume += qty

    def record(self, now_ns: int, result: AddResult) -> None:
        """Append the fills of one order's outcome."""
        positions = self.positions
        for fill in result.fills:
            sign = 1 if fill.taker_side is _BUY else -1
            qty = fill.quantity
            self.times.append(now_ns)
            self.prices.append(fill.price)
            self.quantities.append(qty)
            self.aggressor.append(sign)
            self.volume += qty
            if sign > 0:
                self.buy_volume += qty
            if positions:
                if fill.taker_owner in positions:
                    positions[fill.taker_owner] += sign * qty
                if fill.maker_owner in positions:
                    positions[fill.maker_owner] -= sign * qty
            if fill.maker_leaves == 0 and self._watchers:
                on_done = self._watchers.get(fill.maker_owner)
                if on_done is not None:
                    on_done(fill.maker_order_id)


class TapedVenue:
    """The agent-facing front of one venue: same order entry calls, plus a tape per symbol."""

    def __init__(self, venue: SimVenue, tapes: dict[str, TradeTape] | None = None,
                 after_order: Callable[[str, int], None] | None = None):
        """``tapes``: share these tapes (one per symbol, e.g. with other venues' fronts); default new ones.
        ``after_order(symbol, now_ns)``: called after each order sent and after each whole ladder, once its
        trades are on the tape (how the market timeline checks the NBBO: ``twin.market_recorder``)."""
        self.venue = venue
        self.name = venue.name
        self.our_owner = venue.our_owner
        self.tapes: dict[str, TradeTape] = {s: TradeTape(s) for s in venue.symbols} if tapes is None else tapes
        self.after_order = after_order
        self.sent = 0
        """Orders sent to this venue through this front (the tapes' ``orders`` count every venue's)."""

    def book(self, symbol: str) -> OrderBook:
        return self.venue.book(symbol)

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
        """``SimVenue.submit_agent_order``, with the trades written to the tape."""
        result = self.venue.submit_agent_order(order_id, owner, symbol, side, qty, price, tif, now_ns)
        self.sent += 1
        tape = self.tapes[symbol]
        tape.orders += 1
        if result.fills:
            tape.record(now_ns, result)
        if self.after_order is not None:
            self.after_order(symbol, now_ns)
        return result

    def cancel_agent_order(self, order_id: str) -> int:
        return self.venue.cancel_agent_order(order_id)

    def requote_agent_ladder(
        self,
        owner: str,
        symbol: str,
        cancel_ids: list[str],
        orders: list[tuple[str, Side, int, int | None, TimeInForce]],
        now_ns: int,
        after_each: Callable[[AddResult], None] | None = None,
    ) -> list[AddResult]:
        """``SimVenue.requote_agent_ladder`` with the orders' trades written to the tape, as
        ``cancel_agent_order`` and ``submit_agent_order`` one by one would: each order's before its
        ``after_each``, or, with no ``after_each`` and no watcher, the ladder's after it (same tape).
        ``after_order`` is called after the whole ladder (a ladder is one quote update, as an exchange
        applies a mass quote), and after each of its orders only where they go one by one."""
        venue = self.venue
        if not isinstance(venue, SimVenue):  # a front of its own (its calls must each be seen): one by one
            results = plain_agent_ladder(self, owner, symbol, cancel_ids, orders, now_ns, after_each)
        elif after_each is None and not self.tapes[symbol]._watchers:
            # Nobody acts on an order's trades mid-ladder: the tape takes the ladder's trades after it, in
            # the same order (a maker's ladder is most of a day's orders; a callback per order shows).
            results = venue.requote_agent_ladder(owner, symbol, cancel_ids, orders, now_ns)
            tape = self.tapes[symbol]
            self.sent += len(results)
            tape.orders += len(results)
            for result in results:
                if result.fills:
                    tape.record(now_ns, result)
        else:
            tape = self.tapes[symbol]

            def taped(result: AddResult) -> None:
                self.sent += 1
                tape.orders += 1
                if result.fills:
                    tape.record(now_ns, result)
                if after_each is not None:
                    after_each(result)

            results = venue.requote_agent_ladder(owner, symbol, cancel_ids, orders, now_ns, taped)
        if self.after_order is not None:
            self.after_order(symbol, now_ns)
        return results
