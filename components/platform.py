"""The trading platform as a message bus with small handlers.

``Platform`` holds the components and maps each message type to the service
that handles it (``SERVICE_OF``) and a handler that returns the follow-up
messages. The runtime decides how messages travel: the twin delays each hop and
queues it at its simulated service; the live runtime dispatches in process or
over NATS. Nothing here knows which one it is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .domain.commands import (
    CancelOrder,
    CheckRisk,
    ExpireDay,
    ProcessPostTrade,
    RouteOrder,
    SubmitOrder,
    ValidateOrder,
)
from .domain.events import EventType, OrderEvent
from .domain.orders import Order, OrderStatus
from .domain.venues import ExecutionReport
from .ledger import Ledger
from .oms import Oms
from .order_entry import IdempotencyConflict, NotEntitled, OrderEntry, OrderRequestError
from .post_trade import PostTrade
from .ports import Clock, VenueGateway
from .risk.engine import RiskEngine
from .routing import SmartOrderRouter

SERVICE_OF: dict[type, str] = {
    SubmitOrder: "gateway",
    ValidateOrder: "oms",
    CheckRisk: "risk",
    RouteOrder: "router",
    CancelOrder: "oms",
    ExecutionReport: "oms",
    ProcessPostTrade: "post_trade",
    ExpireDay: "oms",
}
SERVICES = ("gateway", "oms", "risk", "router", "post_trade")

_DONE_FOR_RISK = frozenset({EventType.ORDER_FILLED, EventType.ORDER_CANCELED, EventType.ORDER_EXPIRED,
                            EventType.ORDER_REJECTED})
_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
# Enum members bound once: Enum class attribute access is slow on Python 3.11.
_VALIDATED = OrderStatus.VALIDATED
_ROUTABLE = (OrderStatus.RISK_APPROVED, OrderStatus.ROUTED, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class RefusedRequest:
    """A submission that never became an order, and why (kept, never dropped)."""

    submitted_ns: int
    status: int  # the HTTP status a live gateway answers with
    fields: tuple[str, ...]
    problem: str


@dataclass
class Platform:
    clock: Clock
    oms: Oms
    entry: OrderEntry
    risk: RiskEngine
    router: SmartOrderRouter
    venues: VenueGateway
    post_trade: PostTrade
    ledger: Ledger
    account_known: Callable[[str], bool]
    refused: list[RefusedRequest] = field(default_factory=list)
    replays: int = 0

    def __post_init__(self) -> None:
        self.oms.subscribe(self._on_event)
        self._handlers = {
            SubmitOrder: self.submit,
            ValidateOrder: self.validate,
            CheckRisk: self.check_risk,
            RouteOrder: self.route,
            CancelOrder: self.cancel,
            ExecutionReport: self.on_execution,
            ProcessPostTrade: self.process_post_trade,
            ExpireDay: self.expire_day,
        }

    def handle(self, message: object) -> list[object]:
        """Run the handler for ``message``; return the messages it gives rise to."""
        return self._handlers[type(message)](message)

    # -- handlers -------------------------------------------------------------
    def submit(self, msg: SubmitOrder) -> list[object]:
        try:
            accepted = self.entry.submit(msg.body, msg.submitted_ns)
        except OrderRequestError as exc:
            self.refused.append(RefusedRequest(msg.submitted_ns, 422, exc.fields, str(exc)))
            return []
        except NotEntitled as exc:
            self.refused.append(RefusedRequest(msg.submitted_ns, 403, ("account_id",), str(exc)))
            return []
        except IdempotencyConflict as exc:
            self.refused.append(RefusedRequest(msg.submitted_ns, 409, ("client_order_id",), str(exc)))
            return []
        if accepted.replayed:
            self.replays += 1
            return []
        return [ValidateOrder(accepted.order.order_id)]

    def validate(self, msg: ValidateOrder) -> list[object]:
        return [CheckRisk(msg.order_id)] if self.oms.validate(msg.order_id, self.account_known) else []

    def check_risk(self, msg: CheckRisk) -> list[object]:
        order = self.oms.get(msg.order_id)
        if order.status is not _VALIDATED:
            return []
        decision = self.risk.check(order.order_id, order.spec, self.clock.now_ns())
        approved = self.oms.record_risk(order.order_id, decision.approved, decision.decisions)
        return [RouteOrder(order.order_id)] if approved else []

    def route(self, msg: RouteOrder) -> list[object]:
        order = self.oms.get(msg.order_id)
        if order.status not in _ROUTABLE:
            return []
        plan = self.router.route(order, msg.exclude)
        if not plan.children:
            if self.oms.close_unroutable(order.order_id, plan.reason):
                return [ProcessPostTrade(order.order_id)]
            return []
        self.oms.record_routed(order.order_id, plan.children, reason="REROUTE" if msg.exclude else "")
        for child in plan.children:
            self.venues.send(child)
        return []

    def cancel(self, msg: CancelOrder) -> list[object]:
        order = self.entry.lookup(msg.account_id, msg.client_order_id)
        if order is None:
            self.refused.append(RefusedRequest(msg.requested_ns, 404, ("client_order_id",), "no such order"))
            return []
        for venue, child_id in self.oms.request_cancel(order.order_id):
            self.venues.cancel(venue, child_id)
        return []

    def on_execution(self, report: ExecutionReport) -> list[object]:
        next_step = self.oms.on_execution(report)
        if next_step == "post_trade":
            return [ProcessPostTrade(report.order_id)]
        if next_step == "reroute":
            # Never back to a venue that already refused this order.
            return [RouteOrder(report.order_id, exclude=frozenset(self.oms.refused_by[report.order_id]))]
        return []

    def process_post_trade(self, msg: ProcessPostTrade) -> list[object]:
        self.post_trade.process(msg.order_id)
        return []

    def expire_day(self, msg: ExpireDay) -> list[object]:
        """Orders that never reached a venue expire now; venues expire the rest."""
        for order in self.oms.open_orders():
            if order.status in (OrderStatus.NEW, OrderStatus.VALIDATED, OrderStatus.RISK_APPROVED):
                self.oms.expire(order.order_id)
        return []

    # -- listeners --------------------------------------------------------------
    def _on_event(self, event: OrderEvent, order: Order) -> None:
        kind = event.event_type
        if kind in _FILLS:
            d = event.details
            self.risk.on_fill(order.order_id, order.spec.account_id, order.spec.symbol, order.spec.side,
                              d["last_qty"], d["last_px"])
            self.ledger.apply(event)
        if kind in _DONE_FOR_RISK:
            self.risk.on_order_done(order.order_id)
