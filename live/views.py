"""What the API shows of an order: a small projection of OMS events, and JSON.

``OrderViews`` listens to the OMS (after each event is stored) and keeps, per
order, the risk decisions that approved or blocked it, the reason of the
last refusal, cancel or expiry, and the reasons of the venue's refused
cancels, the order's flags and the venue messages the gateway refused about
it, so reading an order never scans the log. The
same ``on_event`` replays the log into fresh views when a process starts on
an existing log (``live.recovery``).
``order_json`` renders an order (``block_json`` a block) as the API's JSON: money as decimal strings,
times as ISO-8601 UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from components.domain.events import EventType, OrderEvent, PolicyDecision
from components.domain.identity_cache import IdentityCache
from components.domain.money import PRICE_SCALE
from components.domain.orders import Order

_RISK = frozenset({EventType.ORDER_RISK_APPROVED, EventType.ORDER_BLOCKED})
# Facts with a reason that is not the order's status reason: a child's reject (the order may be
# rerouted), and what the gateway records about venue messages, refused cancels and flags.
_NOT_STATUS = frozenset({EventType.CHILD_ORDER_REJECTED, EventType.VENUE_MESSAGE_REFUSED,
                         EventType.CANCEL_REJECTED, EventType.ORDER_FLAGGED})
_NOTES = {EventType.CANCEL_REJECTED: "cancel_rejections", EventType.ORDER_FLAGGED: "flags",
          EventType.VENUE_MESSAGE_REFUSED: "refused_messages"}
_NOTE_KEYS = tuple(_NOTES.values())


_SECOND: tuple[int, str] = (-1 << 64, "")  # the last whole second rendered, and its text


def iso_utc(ns: int) -> str:
    """UTC nanoseconds -> ``2026-11-24T14:30:00.123456Z`` (microseconds, exactly)."""
    global _SECOND
    seconds, rest = divmod(ns, 1_000_000_000)
    second, text = _SECOND  # one tuple read: another thread may replace it, never half of it
    if second != seconds:  # the date and time to the second are formatted once per second
        text = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _SECOND = (seconds, text)
    return f"{text}.{rest // 1_000:06d}Z"


def dollars(units: int | None, places: int = 2) -> str | None:
    """Integer units -> a decimal dollar string (None stays None)."""
    if units is None:
        return None
    return _dollars(units, places)


@lru_cache(maxsize=8_192)  # the same prices and fees come back order after order
def _dollars(units: int, places: int) -> str:
    return f"{Decimal(units) / PRICE_SCALE:.{places}f}"


_DECISION_JSON = IdentityCache(maxsize=4_096)
_cached = _DECISION_JSON.get


def decision_json(decision: PolicyDecision) -> dict[str, Any]:
    """A decision's record, shared by every view of a decision without parameters (policies that pass
    return one shared decision; the views are read, never changed in place).

    Only those are kept: a decision with parameters is the order's own (the reservation's notional and
    client order id), met once. Kept too, they filled the cache every ~4,000 orders and its clearing
    (thousands of records freed at once) cost one request about 4 ms (``bench_hot_path --tail``)."""
    record = _DECISION_JSON.get(decision)
    if record is None:
        record = decision.to_record()
        if not decision.params:
            _DECISION_JSON.put(decision, record)
    return record


class OrderViews:
    """Per-order facts the API needs that the Order aggregate does not hold."""

    def __init__(self) -> None:
        self.decisions: dict[str, tuple[PolicyDecision, ...]] = {}
        self.reasons: dict[str, str] = {}
        # order id -> kind -> the reasons, in order: cancels a venue refused, flags, venue messages refused
        self.notes: dict[str, dict[str, list[str]]] = {}
        # order id -> its OrderReceived event's time: what the API serves as accepted_at. Taken from the
        # stored event, not the Order (whose created_ns the OMS reads from the clock a moment before it
        # stamps the event), so a restarted process, which rebuilds from the events, serves the same value.
        self.accepted_ns: dict[str, int] = {}

    def on_event(self, event: OrderEvent, order: Order | None = None) -> None:
        """The OMS listener (after ``event`` is stored); also the replay of one logged event
        at start-up (``recovery``), which needs no order: everything kept is in the event."""
        if not event.order_id:
            return  # a platform event (the kill switch): no order's view
        kind = event.event_type
        if kind is EventType.ORDER_RECEIVED:
            self.accepted_ns[event.order_id] = event.timestamp_utc
        if kind in _RISK:
            self.decisions[event.order_id] = event.policy_decisions
        reason = event.detail("reason") if event.details else None
        if reason and kind not in _NOT_STATUS:
            self.reasons[event.order_id] = reason
        elif kind in _NOTES:
            self.notes.setdefault(event.order_id, {}).setdefault(_NOTES[kind], []).append(reason or "")

    def order_json(self, order: Order) -> dict[str, Any]:
        spec = order.spec
        view = {
            "order_id": order.order_id,
            "client_order_id": spec.client_order_id,
            "account_id": spec.account_id,
            "advisor_id": spec.advisor_id,
            "symbol": spec.symbol,
            # ``_value_``, not ``.value``: the same string, without 3.11's enum property (0.4 us each)
            "side": spec.side._value_,
            "quantity": spec.quantity,
            "order_type": spec.order_type._value_,
            "limit_price": dollars(spec.limit_price),
            "time_in_force": spec.time_in_force._value_,
            "status": order.status._value_,
            "status_reason": self.reasons.get(order.order_id, ""),
            "filled_quantity": order.filled_qty,
            "average_price": dollars(order.avg_price, 4) if order.filled_qty else None,
            "fees": dollars(order.fees, 4),
            "accepted_at": iso_utc(self.accepted_ns.get(order.order_id, order.created_ns)),
            "trace_id": order.trace_id,
            # the cache's hit inline (one call per decision, not two): an order carries about 11
            "risk_decisions": [_cached(d) or decision_json(d) for d in self.decisions.get(order.order_id, ())],
        }
        notes = self.notes.get(order.order_id)
        for key in _NOTE_KEYS:
            view[key] = list(notes.get(key, ())) if notes else []
        return view


def block_json(block_ref: str, advisor_id: str, symbol: str, side: str, policy: str, parent_order_id: str | None,
               members: list[dict[str, Any]]) -> dict[str, Any]:
    """A block as the API shows it: its terms, the order the venues trade, and its members' order views."""
    return {"block_ref": block_ref, "advisor_id": advisor_id, "symbol": symbol, "side": side, "policy": policy,
            "parent_order_id": parent_order_id, "members": members}
