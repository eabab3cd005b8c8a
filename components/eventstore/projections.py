"""CQRS read models rebuilt from the event log.

``Projections`` folds events, in log order, into: positions and cash per
account (through ``components.ledger.Ledger``, from the opening balances
given), every order's current view, the open (still working) orders, and each
order's history. ``to_bytes`` is a canonical serialization, so two projections
are equal exactly when their bytes are, and ``from_bytes`` restores one from
a snapshot.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from components.domain.events import STATUS_OF, OrderEvent
from components.domain.lifecycle import WORKING
from components.ledger import FILL_EVENTS, Ledger

_WORKING = frozenset(s.value for s in WORKING)


class Projections:
    """Read models after ``events`` events of the log (offsets 0 .. events-1)."""

    def __init__(self, opening_cash: dict[str, int] | None = None,
                 opening_positions: dict[str, dict[str, int]] | None = None):
        self.ledger = Ledger(dict(opening_cash or {}), {a: dict(h) for a, h in (opening_positions or {}).items()})
        self.orders: dict[str, dict[str, Any]] = {}  # order_id -> current view
        self.history: dict[str, list[list[Any]]] = {}  # order_id -> [stream_seq, event_type, business, system]
        self.events = 0

    def apply(self, event: OrderEvent) -> None:
        self.events += 1
        self.ledger.apply(event)
        order_id = event.order_id
        if not order_id:
            return  # a platform fact (venue status, trading state): no order to project
        view = self.orders.get(order_id)
        if view is None:
            view = self.orders[order_id] = {
                "account_id": event.account_id, "symbol": event.symbol, "side": event.side,
                "quantity": event.quantity, "status": None, "filled_qty": 0, "notional": 0, "fees": 0,
                "first_offset": self.events - 1,  # keeps log order across a snapshot round trip
            }
            self.history[order_id] = []
        status = STATUS_OF.get(event.event_type)
        if status is not None:
            view["status"] = status.value
        if event.event_type in FILL_EVENTS:
            details = event.details
            view["filled_qty"] += details["last_qty"]
            view["notional"] += details["last_qty"] * details["last_px"]
            view["fees"] += details["fee"]
        self.history[order_id].append(
            [event.stream_seq, event.event_type.value, event.timestamp_utc, event.recorded_at])

    def apply_all(self, events: Iterable[OrderEvent]) -> "Projections":
        for event in events:
            self.apply(event)
        return self

    # -- queries -------------------------------------------------------------
    @property
    def cash(self) -> dict[str, int]:
        return self.ledger.snapshot()[0]

    @property
    def positions(self) -> dict[str, dict[str, int]]:
        """Account -> symbol -> quantity, zero holdings dropped."""
        return self.ledger.snapshot()[1]

    def open_orders(self) -> list[str]:
        """Orders still working (NEW through PARTIALLY_FILLED), in first-seen order."""
        return [o for o, v in self.orders.items() if v["status"] in _WORKING]

    def avg_price(self, order_id: str) -> int:
        view = self.orders[order_id]
        filled = view["filled_qty"]
        return (2 * view["notional"] + filled) // (2 * filled) if filled else 0

    # -- serialization -------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, compact, UTF-8): equal projections, equal bytes."""
        cash, positions = self.ledger.snapshot()
        state = {"events": self.events, "cash": cash, "positions": positions,
                 "orders": self.orders, "history": self.history}
        return json.dumps(state, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Projections":
        state = json.loads(data)
        restored = cls(state["cash"], state["positions"])
        restored.events = state["events"]
        # The bytes hold orders in key order; put them back in log order so that
        # open_orders() lists them as a full replay would.
        order_ids = sorted(state["orders"], key=lambda o: state["orders"][o]["first_offset"])
        restored.orders = {o: state["orders"][o] for o in order_ids}
        restored.history = {o: state["history"][o] for o in order_ids}
        return restored

