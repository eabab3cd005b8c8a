"""One order's reportable facts, gathered from the event log.

Every report (606, CAT, the reconciliation) reads orders through
``collect_orders`` so they all see the same routes, fills, cancels and
allocations. Prices and fees stay integer units (``components.domain.money``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from components.domain.events import EventType as E
from components.domain.events import OrderEvent

BLOCK_ACTOR = "block_desk"
"""The actor of a block (representative) order's OrderReceived."""


@dataclass(frozen=True, slots=True)
class Route:
    """One child order sent to a venue (first route or a reroute)."""

    child_id: str
    venue: str
    quantity: int
    limit_price: int | None
    timestamp_ns: int
    event_id: str
    reroute: bool


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution report applied to the order."""

    exec_id: str
    child_id: str
    venue: str
    quantity: int
    price: int
    fee: int  # units; negative is a rebate
    liquidity: str
    timestamp_ns: int
    event_id: str


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """One account's share of an order's fills."""

    account_id: str
    quantity: int
    requested: int | None


@dataclass(slots=True)
class OrderFacts:
    """What the event log says about one order (built by ``collect_orders``; read-only after)."""

    order_id: str
    account_id: str
    symbol: str
    side: str
    quantity: int
    order_type: str
    limit_price: int | None
    time_in_force: str
    actor: str
    received_ns: int
    received_event_id: str
    routes: list[Route] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    allocations: list[AllocationLine] = field(default_factory=list)
    allocation_event_id: str = ""
    allocation_ns: int = 0
    cancel_event_id: str = ""
    cancel_ns: int = 0
    cancel_leaves: int = 0
    final_event: str = ""
    block_id: str = ""  # the block (representative order) this customer order was aggregated into
    rejected_children: set[str] = field(default_factory=set)  # children the venue refused (then rerouted)
    # (bid, ask) in units when the order was received, when a market timeline is known (not in the log).
    nbbo_at_receipt: tuple[int, int] | None = None

    @property
    def venue_fills(self) -> list[Fill]:
        """Fills executed at a venue (a block's fills passed to its customer orders have no venue)."""
        return [f for f in self.fills if f.venue]

    @property
    def is_block(self) -> bool:
        """A representative order the block desk built for several accounts."""
        return self.actor == BLOCK_ACTOR

    @property
    def routed(self) -> bool:
        """Sent to a venue, or aggregated into a block (which routes for it)."""
        return bool(self.routes) or bool(self.block_id)

    @property
    def filled_qty(self) -> int:
        return sum(f.quantity for f in self.fills)

    @property
    def filled_notional(self) -> int:
        """Sum of quantity * price, in units."""
        return sum(f.quantity * f.price for f in self.fills)

    @property
    def canceled_before_route(self) -> bool:
        return bool(self.cancel_event_id) and not self.block_id and (
            not self.routes or self.routes[0].timestamp_ns > self.cancel_ns)


def collect_orders(events: Iterable[OrderEvent]) -> dict[str, OrderFacts]:
    """Orders keyed by id, in the order they were received; platform events are skipped.

    Raises ``ValueError`` naming the event when an order's first event is not OrderReceived
    (a log cut in the middle of a lifecycle cannot be reported honestly)."""
    orders: dict[str, OrderFacts] = {}
    for ev in events:
        if not ev.order_id:
            continue
        facts = orders.get(ev.order_id)
        if facts is None:
            if ev.event_type is not E.ORDER_RECEIVED:
                raise ValueError(f"event {ev.event_id}: order {ev.order_id} starts with {ev.event_type.value}, "
                                 "not OrderReceived")
            orders[ev.order_id] = OrderFacts(
                ev.order_id, ev.account_id, ev.symbol, ev.side, ev.quantity, ev.order_type, ev.limit_price,
                ev.time_in_force, ev.actor, ev.timestamp_utc, ev.event_id)
            continue
        _apply(facts, ev)
    return orders


def _apply(facts: OrderFacts, ev: OrderEvent) -> None:
    t = ev.event_type
    if t is E.ORDER_ROUTED or t is E.ORDER_REROUTED:
        facts.block_id = facts.block_id or ev.detail("block_id", "")
        for c in ev.detail("children", ()):
            facts.routes.append(Route(c["child_id"], c["venue"], c["quantity"], c.get("limit_price"),
                                      ev.timestamp_utc, ev.event_id, t is E.ORDER_REROUTED))
    elif t is E.ORDER_PARTIALLY_FILLED or t is E.ORDER_FILLED:
        facts.fills.append(Fill(ev.detail("exec_id", ""), ev.detail("child_id", ""), ev.detail("venue", ""),
                                ev.detail("last_qty"), ev.detail("last_px"), ev.detail("fee", 0),
                                ev.detail("liquidity", ""), ev.timestamp_utc, ev.event_id))
    elif t is E.ORDER_ALLOCATED:
        facts.allocations = [AllocationLine(a["account_id"], a["quantity"], a.get("requested"))
                             for a in ev.detail("allocations", ())]
        facts.allocation_event_id, facts.allocation_ns = ev.event_id, ev.timestamp_utc
    elif t is E.CHILD_ORDER_REJECTED:
        facts.rejected_children.add(ev.detail("child_id", ""))
    elif t is E.ORDER_CANCELED:
        facts.cancel_event_id, facts.cancel_ns = ev.event_id, ev.timestamp_utc
        facts.cancel_leaves = ev.detail("leaves_qty", 0)
    if ev.status is not None:
        facts.final_event = t.value
