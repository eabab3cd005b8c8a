"""The order lifecycle state machine: which status may follow which.

NEW -> VALIDATED -> RISK_APPROVED | BLOCKED -> ROUTED -> PARTIALLY_FILLED ->
FILLED -> ALLOCATED -> CONFIRMED -> SETTLED, plus REJECTED, CANCELED, EXPIRED.

A CANCELED or EXPIRED order that had partial fills is "done for day": its filled
part still goes through allocation, confirmation and settlement, so those two
statuses may move on to ALLOCATED only when something was filled.
An order still NEW or VALIDATED at the close expires (EXPIRED) like one that
was approved but never routed.
"""

from __future__ import annotations

from .orders import Order, OrderStatus

S = OrderStatus

ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.VALIDATED, S.REJECTED, S.CANCELED, S.EXPIRED}),
    S.VALIDATED: frozenset({S.RISK_APPROVED, S.BLOCKED, S.REJECTED, S.CANCELED, S.EXPIRED}),
    S.RISK_APPROVED: frozenset({S.ROUTED, S.REJECTED, S.CANCELED, S.EXPIRED}),
    S.ROUTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.FILLED: frozenset({S.ALLOCATED}),
    S.ALLOCATED: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset({S.SETTLED}),
    S.CANCELED: frozenset({S.ALLOCATED}),
    S.EXPIRED: frozenset({S.ALLOCATED}),
    S.SETTLED: frozenset(),
    S.REJECTED: frozenset(),
    S.BLOCKED: frozenset(),
}

#: Statuses from which nothing more can happen to an order with no fills.
FINAL_WITHOUT_FILLS = frozenset({S.SETTLED, S.REJECTED, S.BLOCKED, S.CANCELED, S.EXPIRED})
#: Statuses in which an order is still working at a venue (or about to be).
WORKING = frozenset({S.NEW, S.VALIDATED, S.RISK_APPROVED, S.ROUTED, S.PARTIALLY_FILLED})


class IllegalTransition(Exception):
    """Raised when a status change is not allowed by the lifecycle."""

    def __init__(self, order_id: str, current: OrderStatus, target: OrderStatus, why: str = ""):
        self.order_id = order_id
        self.current = current
        self.target = target
        detail = f" ({why})" if why else ""
        super().__init__(f"order {order_id}: {current.value} -> {target.value} is not allowed{detail}")


def check_transition(order: Order, target: OrderStatus) -> None:
    """Raise IllegalTransition unless ``order`` may move to ``target`` now."""
    current = order.status
    if target not in ALLOWED[current]:
        raise IllegalTransition(order.order_id, current, target)
    if current in (S.CANCELED, S.EXPIRED) and order.filled_qty == 0:
        raise IllegalTransition(order.order_id, current, target, "nothing was filled")


def is_terminal(order: Order) -> bool:
    """True when nothing more will happen to the order."""
    if order.status in (S.CANCELED, S.EXPIRED):
        return order.filled_qty == 0
    return order.status in FINAL_WITHOUT_FILLS
