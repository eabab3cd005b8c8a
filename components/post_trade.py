"""Post-trade minimum: allocation, confirmation and settlement at T+1.

A single-account order is allocated 1:1 at its average price, confirmed to the
client at once, and settled on the settlement date given by the business
calendar (a callable, so the twin and live runtimes share this code). Blocks
and fair allocation policies build on this in their own module.
"""

from __future__ import annotations

from typing import Callable

from .domain.events import EventType
from .domain.orders import OrderStatus
from .oms import Oms
from .ports import Clock


# Enum members bound once: Enum class attribute access is slow on Python 3.11.
_DONE_WITH_FILLS = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED)
_ALLOCATED = EventType.ORDER_ALLOCATED
_CONFIRMED = EventType.ORDER_CONFIRMED
_SETTLED = EventType.ORDER_SETTLED


class PostTrade:
    def __init__(self, oms: Oms, clock: Clock, settlement_ns_for: Callable[[int], int]):
        self._oms = oms
        self._clock = clock
        self._settlement_ns_for = settlement_ns_for
        self._due: dict[int, list[str]] = {}

    def process(self, order_id: str) -> None:
        """Allocate and confirm an order that is done with fills; book its settlement."""
        order = self._oms.get(order_id)
        if order.status not in _DONE_WITH_FILLS or order.filled_qty == 0:
            return  # already processed (at-least-once delivery), not done, or nothing to settle
        avg_price = order.avg_price
        allocation = {
            "policy": "SINGLE_ACCOUNT",
            "allocations": [{"account_id": order.spec.account_id, "quantity": order.filled_qty}],
            "avg_price": avg_price,
        }
        self._oms.record_post_trade(order_id, _ALLOCATED, allocation)
        settle_ns = self._settlement_ns_for(self._clock.now_ns())
        self._oms.record_post_trade(
            order_id,
            _CONFIRMED,
            {
                "confirmation": "CLIENT",
                "quantity": order.filled_qty,
                "avg_price": avg_price,
                "fees": order.fees,
                "settlement_ns": settle_ns,
            },
        )
        batch = self._due.get(settle_ns)
        if batch is None:
            batch = self._due[settle_ns] = []
            self._clock.call_at(settle_ns, lambda: self._settle(settle_ns))
        batch.append(order_id)

    def _settle(self, settle_ns: int) -> None:
        for order_id in self._due.pop(settle_ns, ()):
            order = self._oms.get(order_id)
            net = order.spec.side.sign * order.filled_notional + order.fees
            self._oms.record_post_trade(
                order_id,
                _SETTLED,
                {"quantity": order.filled_qty, "net_cash": -net, "settlement_ns": settle_ns},
            )

    @property
    def pending(self) -> int:
        return sum(len(v) for v in self._due.values())
