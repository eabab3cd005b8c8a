"""The order facts surveillance keeps while it reads the event log, one record per order.

``OrderTape.apply`` folds one ``OrderEvent`` into its order's record and says
what kind of fact it was (new order, client cancel, fill, other), so the
detectors do not each re-parse events. Only what the detectors use is kept:
who (account, owner), what (symbol, side, quantity, limit), the market
reference at risk approval, the client-cancel time, fills, and block membership.

Market reference ("the touch"): order events carry no quote. The one market
fact on them is the risk engine's ``reservation`` decision on
``OrderRiskApproved``, whose ``reference_price`` is the consolidated mid
(NBBO mid in the twin, the market data port's reference price live) at the
moment the order was approved. Detectors measure "near the touch" and "away
from the touch" against that mid, in basis points.
"""

from __future__ import annotations

from typing import Callable

from ..domain.events import EventType, OrderEvent

BLOCK_ACCOUNT = "FIRM-AVGPX"  # the firm's average-price account (components.block_desk): not a beneficial owner

NEW, CANCEL, FILL, OTHER = 0, 1, 2, 3
"""What ``OrderTape.apply`` saw."""

_RECEIVED = EventType.ORDER_RECEIVED
_APPROVED = EventType.ORDER_RISK_APPROVED
_CANCELED = EventType.ORDER_CANCELED
_PARTIAL = EventType.ORDER_PARTIALLY_FILLED
_FILLED = EventType.ORDER_FILLED
_RELEVANT = frozenset({_RECEIVED, _APPROVED, _CANCELED, _PARTIAL, _FILLED})


class OrderFacts:
    """What surveillance knows about one order so far (mutable, owned by the tape)."""

    __slots__ = ("order_id", "account_id", "owner", "symbol", "side", "quantity", "order_type", "limit_price",
                 "received_ns", "reference", "canceled_ns", "filled_qty", "first_fill_ns", "last_px",
                 "block_ref", "advisor_id", "event_ids")

    def __init__(self, ev: OrderEvent, owner: str) -> None:
        self.order_id = ev.order_id
        self.account_id = ev.account_id
        self.owner = owner
        self.symbol = ev.symbol
        self.side = ev.side
        self.quantity = ev.quantity
        self.order_type = ev.order_type
        self.limit_price = ev.limit_price
        self.received_ns = ev.timestamp_utc
        self.reference = 0
        self.canceled_ns = 0
        self.filled_qty = 0
        self.first_fill_ns = 0
        self.last_px = 0
        details = ev.details or {}
        self.block_ref: str = details.get("block_ref", "")
        actor = ev.actor
        self.advisor_id: str = actor[8:] if actor.startswith("advisor:") else details.get("advisor_id", "")
        self.event_ids = [ev.event_id]

    def distance_bps(self) -> float | None:
        """Signed distance of the limit from the reference mid, bps; positive = aggressive. None if unknown."""
        if self.limit_price is None or self.reference <= 0:
            return None
        diff = self.limit_price - self.reference
        return (diff if self.side == "BUY" else -diff) * 10_000 / self.reference


class OrderTape:
    """Order records by id, fed one event at a time; forgets orders older than ``horizon_ns``."""

    __slots__ = ("orders", "_owner_of")

    def __init__(self, owner_of: Callable[[str], str]) -> None:
        self.orders: dict[str, OrderFacts] = {}
        self._owner_of = owner_of

    def apply(self, ev: OrderEvent) -> tuple[int, OrderFacts | None, int, int]:
        """Fold one event in; returns (kind, facts, fill quantity, fill price)."""
        t = ev.event_type
        if t not in _RELEVANT:  # most of an order's events (validated, routed, allocated...) tell nothing here
            return OTHER, None, 0, 0
        if t is _RECEIVED:
            facts = self.orders.get(ev.order_id)
            if facts is None:  # at-least-once delivery: a redelivered OrderReceived is the same order
                facts = self.orders[ev.order_id] = OrderFacts(ev, self._owner_of(ev.account_id))
                return NEW, facts, 0, 0
            return OTHER, facts, 0, 0
        facts = self.orders.get(ev.order_id)
        if facts is None:
            return OTHER, None, 0, 0
        if t is _PARTIAL or t is _FILLED:
            d = ev.details or {}
            qty, px = int(d.get("last_qty", 0)), int(d.get("last_px", 0))
            if qty <= 0:
                return OTHER, facts, 0, 0
            if not facts.filled_qty:
                facts.first_fill_ns = ev.timestamp_utc
            facts.filled_qty += qty
            facts.last_px = px
            facts.event_ids.append(ev.event_id)
            return FILL, facts, qty, px
        if t is _APPROVED:
            for decision in ev.policy_decisions:
                if decision.policy == "reservation":
                    for key, value in decision.params:
                        if key == "reference_price":
                            facts.reference = int(value)
            return OTHER, facts, 0, 0
        if t is _CANCELED:
            if (ev.details or {}).get("reason") == "CLIENT_REQUEST" and not facts.canceled_ns:
                facts.canceled_ns = ev.timestamp_utc
                facts.event_ids.append(ev.event_id)
                return CANCEL, facts, 0, 0
        return OTHER, facts, 0, 0

    def forget_before(self, cutoff_ns: int) -> None:
        """Drop orders received before ``cutoff_ns`` (bounded memory for a live stream)."""
        old = [k for k, f in self.orders.items() if f.received_ns < cutoff_ns]
        for k in old:
            del self.orders[k]
