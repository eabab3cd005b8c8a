"""Restart the risk engine from its last snapshot plus a replay of the event log.

What the engine keeps per account (cash, positions, reserved notional, the
day's approved notional, open buy and sell quantities, the duplicate-detection
window) and per open order (quantity and reservation left) follows from three
kinds of events, replayed through the engine's own code paths:

* ``OrderRiskApproved`` / ``OrderBlocked`` (actor ``risk``): the check made at
  the event's time. ``RiskEngine.replay_check`` rolls the day over, prunes the
  duplicate window and, for an approval, reserves exactly what ``check`` did,
  from the approval's ``reservation`` record (notional, reference price, client
  order id; the reference price of a MARKET order is in no other event).
* fills: ``RiskEngine.on_fill`` (position, cash, reservation released).
* ``OrderFilled``/``Canceled``/``Expired``/``Rejected``: ``on_order_done``.

Block parents trade for the firm's average-price account and never touch
client risk (as in ``Platform._on_event``), so their events are skipped. The
kill switch is replayed from its ``TradingStateChanged`` platform events; the
restricted and sanctions lists are operator settings no event records: they
travel in the snapshot, and ``RiskEngine.unlogged`` tells the host to
snapshot when one changes.
"""

from __future__ import annotations

from typing import Any

from components.block_desk import BLOCK_ACCOUNT
from components.domain.events import EventType, OrderEvent
from components.rebuild import spec_of
from components.risk.engine import DONE_FOR_RISK, RESERVATION, RiskDecision, RiskEngine, _Open

_STATE_CHANGED = EventType.TRADING_STATE_CHANGED
_CHECKED = frozenset({EventType.ORDER_RISK_APPROVED, EventType.ORDER_BLOCKED})
_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})


class MissingReservation(ValueError):
    """An approval without its ``reservation`` record (written before the engine recorded one)."""


def recorded_decision(event: OrderEvent) -> RiskDecision:
    """The ``RiskDecision`` a RISK_APPROVED or BLOCKED event records."""
    decisions = event.policy_decisions
    if event.event_type is not EventType.ORDER_RISK_APPROVED:
        return RiskDecision(False, decisions)
    if not decisions or decisions[-1].policy != RESERVATION:
        raise MissingReservation(f"event {event.event_id} (order {event.order_id}): policy_decisions has no "
                                 f"{RESERVATION!r} record; the reserved notional cannot be replayed")  # fmt: skip
    params = dict(decisions[-1].params)
    return RiskDecision(True, decisions, params["notional"], params["reference_price"])


class RiskPart:
    """The risk engine as a ``components.rebuild.Part``."""

    name = "risk"

    def __init__(self, engine: RiskEngine) -> None:
        self.engine = engine
        # The settings it was built with: the opening state when there is no snapshot yet.
        self._opening = (engine._state, engine._restricted, engine._sanctions)

    @property
    def unlogged(self) -> int:
        return self.engine.unlogged

    def capture(self) -> dict[str, Any]:
        e = self.engine
        books = {account_id: book.copy() for account_id, book in e._books.items()}
        account_of = {id(book): account_id for account_id, book in e._books.items()}
        held = {order_id: (account_of[id(h.book)], h.symbol, h.is_buy, h.qty_left, h.unit_price, h.reserved_left,
                           h.decision) for order_id, h in e._open.items()}  # fmt: skip
        return {"books": books, "open": held, "settings": (e._state, e._restricted, e._sanctions)}

    def reset(self, state: dict[str, Any] | None) -> None:
        e = self.engine
        if state is None:
            e._books, e._open = {}, {}
            e._state, e._restricted, e._sanctions = self._opening
            return
        e._books = {account_id: book.copy() for account_id, book in state["books"].items()}
        e._open = {order_id: _Open(e._books[account_id], *rest) for order_id, (account_id, *rest) in
                   state["open"].items()}  # fmt: skip
        e._state, e._restricted, e._sanctions = state["settings"]

    def apply(self, event: OrderEvent) -> None:
        if event.event_type is _STATE_CHANGED:
            self.engine.set_trading_state(event.details["state"])
            return
        if event.account_id == BLOCK_ACCOUNT or not event.order_id:
            return
        kind, e = event.event_type, self.engine
        if kind in _CHECKED:
            if event.actor == "risk":
                result = recorded_decision(event)
                coid = dict(result.decisions[-1].params)["client_order_id"] if result.approved else ""
                e.replay_check(event.order_id, spec_of(event, coid), event.timestamp_utc, result)
            return
        if kind in _FILLS:
            d = event.details
            e.on_fill(event.order_id, event.account_id, event.symbol, event.side, d["last_qty"], d["last_px"])
        if kind in DONE_FOR_RISK:
            e.on_order_done(event.order_id)

    def dump(self) -> dict[str, Any]:
        return dump(self.engine)


def dump(engine: RiskEngine) -> dict[str, Any]:
    """The engine's whole mutable state as plain data, in the engine's own (insertion) order."""
    account_of = {id(book): account_id for account_id, book in engine._books.items()}
    return {
        "books": {account_id: {
            "account": None if b.account is None else b.account.account_id, "cash": b.cash,
            "credit_limit": b.credit_limit, "positions": list(b.positions.items()), "reserved": b.reserved,
            "day": b.day, "day_notional": b.day_notional, "open_buy": list(b.open_buy.items()),
            "open_sell": list(b.open_sell.items()), "recent": list(b.recent),
            "recent_by_key": list(b.recent_by_key.items()), "sanctioned_match": b.sanctioned_match,
        } for account_id, b in engine._books.items()},
        "open": {order_id: (account_of[id(h.book)], h.symbol, h.is_buy, h.qty_left, h.unit_price, h.reserved_left,
                            h.decision) for order_id, h in engine._open.items()},
        "state": engine._state.value,
        "restricted": sorted(engine._restricted),
    }  # fmt: skip
