"""The order event contract: one immutable envelope per fact.

The envelope follows the blueprint's reference shape (OrderValidated v1.3):
event_type, event_version, event_id, trace_id, timestamp_utc (business time) and
recorded_at (system time), order fields, policy_decisions and actor. Event-
specific facts (a fill's price, a routing plan, a reject reason) sit in
``details``, a JSON-able mapping that is never mutated after construction.
Times are integer nanoseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, NamedTuple

from .fast_init import fast_frozen_init
from .orders import OrderStatus

EVENT_VERSION = "1.3"


class Outcome(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """One policy's verdict: machine-readable, with the parameters it used."""

    policy: str
    version: str
    outcome: Outcome
    reason_code: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_record(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "outcome": self.outcome.value,
            "reason_code": self.reason_code,
            "params": {k: v for k, v in self.params},
        }


class EventType(str, Enum):
    """Past-tense facts. Most move an order to a status (see STATUS_OF)."""

    ORDER_RECEIVED = "OrderReceived"
    ORDER_VALIDATED = "OrderValidated"
    ORDER_RISK_APPROVED = "OrderRiskApproved"
    ORDER_BLOCKED = "OrderBlocked"
    ORDER_ROUTED = "OrderRouted"
    ORDER_PARTIALLY_FILLED = "OrderPartiallyFilled"
    ORDER_FILLED = "OrderFilled"
    ORDER_ALLOCATED = "OrderAllocated"
    ORDER_CONFIRMED = "OrderConfirmed"
    ORDER_SETTLED = "OrderSettled"
    ORDER_REJECTED = "OrderRejected"
    ORDER_CANCELED = "OrderCanceled"
    ORDER_EXPIRED = "OrderExpired"
    # Facts that do not change an order's status.
    ORDER_REROUTED = "OrderRerouted"  # leaves re-sent after a venue refused a child
    ORDER_CANCEL_REQUESTED = "OrderCancelRequested"  # a client's cancel sent to the venues (they confirm later)
    CHILD_ORDER_REJECTED = "ChildOrderRejected"
    EXECUTION_REFUSED = "ExecutionRefused"  # a venue fill the order cannot take (e.g. an overfill)
    EXECUTION_DISCREPANCY = "ExecutionDiscrepancy"  # the venue executed more than it reported to us
    # An inbound venue message the gateway could not apply (refused by the FIX data dictionary, an
    # unknown order, an exec id reused with other content, an unparseable field): reason and raw text.
    # On the order it names, or a platform event when none matches.
    VENUE_MESSAGE_REFUSED = "VenueMessageRefused"
    CANCEL_REJECTED = "CancelRejected"  # a venue refused our cancel (35=9 or 35=j); the order works on
    ORDER_FLAGGED = "OrderFlagged"  # needs attention: stuck in a state too long, or unanswered status request
    TRADING_STATE_CHANGED = "TradingStateChanged"
    VENUE_STATUS_CHANGED = "VenueStatusChanged"
    SETTLEMENT_FAILED = "SettlementFailed"  # an attempt failed; the order stays CONFIRMED until retried
    BUY_IN_REQUIRED = "BuyInRequired"  # failed after every retry; the order then settles by buy-in
    # A surveillance analyst's decision on a case (a platform event, live mode only: the twin keeps its
    # case book in memory and never emits it, so no twin fingerprint sees it). Details: case_id, party,
    # pattern, disposition, analyst, reason, status_after, disposition_id, opened_by (CaseDisposed.to_details).
    CASE_DISPOSED = "CaseDisposed"
    # Live AML (live.aml_desk, docs/aml_monitoring.md "Live mode"): platform events, live mode only (the twin
    # keeps its transfer desk and case book in memory and never emits them, so no twin fingerprint sees them).
    # A transfer instruction's screening decision (and alerts its ingestion raised), a monitoring run, and the
    # AML case book's decisions (components.aml.cases event types, same names). Details: each one's record.
    TRANSFER_DECIDED = "TransferDecided"
    AML_ACCOUNTS_EVALUATED = "AmlAccountsEvaluated"
    AML_ALERT_CLOSED = "AmlAlertClosed"
    SAR_REQUESTED = "SarRequested"
    BSA_SIGN_OFF = "BsaSignOff"
    SAR_FILED = "SarFiled"


STATUS_OF: dict[EventType, OrderStatus] = {
    EventType.ORDER_RECEIVED: OrderStatus.NEW,
    EventType.ORDER_VALIDATED: OrderStatus.VALIDATED,
    EventType.ORDER_RISK_APPROVED: OrderStatus.RISK_APPROVED,
    EventType.ORDER_BLOCKED: OrderStatus.BLOCKED,
    EventType.ORDER_ROUTED: OrderStatus.ROUTED,
    EventType.ORDER_PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    EventType.ORDER_FILLED: OrderStatus.FILLED,
    EventType.ORDER_ALLOCATED: OrderStatus.ALLOCATED,
    EventType.ORDER_CONFIRMED: OrderStatus.CONFIRMED,
    EventType.ORDER_SETTLED: OrderStatus.SETTLED,
    EventType.ORDER_REJECTED: OrderStatus.REJECTED,
    EventType.ORDER_CANCELED: OrderStatus.CANCELED,
    EventType.ORDER_EXPIRED: OrderStatus.EXPIRED,
}
EVENT_FOR_STATUS: dict[OrderStatus, EventType] = {s: e for e, s in STATUS_OF.items()}


class OrderEvent(NamedTuple):
    """One recorded fact about an order (or about the platform, order_id empty).

    ``stream_seq`` numbers the events of one order 1, 2, 3...; the invariant
    checker uses it to prove none was lost or duplicated.

    A ``typing.NamedTuple`` rather than a frozen dataclass, for speed: every
    order writes about eight of these, and a frozen dataclass sets its 18
    fields through ``object.__setattr__`` one by one (about 3.5 us per event)
    where a tuple is built in one go (about 0.4 us). It is just as immutable,
    keeps the same field names, defaults and methods, and ``to_record()`` is
    unchanged. Differences worth knowing: derive a changed copy with
    ``event._replace(...)`` (not ``dataclasses.replace``), and equality is
    tuple equality (field by field, as before, but without the type check).
    """

    event_type: EventType
    event_id: str
    trace_id: str
    timestamp_utc: int
    recorded_at: int
    order_id: str
    stream_seq: int
    account_id: str
    symbol: str
    side: str
    quantity: int
    order_type: str
    limit_price: int | None
    time_in_force: str
    actor: str
    policy_decisions: tuple[PolicyDecision, ...] = ()
    details: Mapping[str, Any] | None = None
    event_version: str = EVENT_VERSION

    @property
    def status(self) -> OrderStatus | None:
        """The status this event moves its order to, if any."""
        return STATUS_OF.get(self.event_type)

    def detail(self, key: str, default: Any = None) -> Any:
        return default if self.details is None else self.details.get(key, default)

    def to_record(self) -> dict[str, Any]:
        """A plain, JSON-able dict: the canonical form (fingerprint, parquet)."""
        return {
            "event_type": self.event_type.value,
            "event_version": self.event_version,
            "event_id": self.event_id,
            "trace_id": self.trace_id,
            "timestamp_utc": self.timestamp_utc,
            "recorded_at": self.recorded_at,
            "order_id": self.order_id,
            "stream_seq": self.stream_seq,
            "account_id": self.account_id,
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.quantity,
            "order_type": self.order_type,
            "limit_price": self.limit_price,
            "time_in_force": self.time_in_force,
            "actor": self.actor,
            "policy_decisions": [d.to_record() for d in self.policy_decisions],
            "details": dict(self.details) if self.details else {},
        }
