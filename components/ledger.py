"""Positions and cash per account, as a projection of fill events.

Trade-date accounting: a fill moves the position and the cash at once (cash
includes venue fees and rebates). A block allocation moves the block's shares
out of the firm's average-price account at the allocation price (see
``components.block_desk``). Built only from events, so replaying the
event log into a fresh Ledger must give the same books as the live one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from .blocks.allocate import DETAILS_SCHEMA
from .domain.events import EventType, OrderEvent

FILL_EVENTS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ALLOCATED = EventType.ORDER_ALLOCATED


class Ledger:
    def __init__(self, opening_cash: dict[str, int], opening_positions: dict[str, dict[str, int]]):
        self.cash: dict[str, int] = dict(opening_cash)
        self.positions: dict[str, dict[str, int]] = defaultdict(dict)
        for account, held in opening_positions.items():
            self.positions[account] = dict(held)

    def apply(self, event: OrderEvent) -> None:
        if event.event_type not in FILL_EVENTS:
            if event.event_type is _ALLOCATED and event.details and event.details.get("schema") == DETAILS_SCHEMA:
                self._move_out_block(event)
            return
        details = event.details
        qty = details["last_qty"]
        sign = 1 if event.side == "BUY" else -1
        held = self.positions[event.account_id]
        held[event.symbol] = held.get(event.symbol, 0) + sign * qty
        self.cash[event.account_id] = (
            self.cash.get(event.account_id, 0) - sign * qty * details["last_px"] - details["fee"]
        )

    def _move_out_block(self, event: OrderEvent) -> None:
        """A block allocation empties the average-price account at the allocation
        price; the members' own fill events book the shares to the clients."""
        d = event.details
        sign = 1 if event.side == "BUY" else -1
        held = self.positions[event.account_id]
        held[event.symbol] = held.get(event.symbol, 0) - sign * d["filled_qty"]
        self.cash[event.account_id] = self.cash.get(event.account_id, 0) + sign * d["filled_qty"] * d["price"]

    def apply_all(self, events: Iterable[OrderEvent]) -> "Ledger":
        for event in events:
            self.apply(event)
        return self

    def position(self, account_id: str, symbol: str) -> int:
        return self.positions.get(account_id, {}).get(symbol, 0)

    def snapshot(self) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """Comparable books: zero positions dropped so equality means same holdings."""
        positions = {a: {s: q for s, q in sorted(h.items()) if q} for a, h in sorted(self.positions.items())}
        return dict(sorted(self.cash.items())), {a: h for a, h in positions.items() if h}
