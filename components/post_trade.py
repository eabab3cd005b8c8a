"""Post-trade minimum: allocation, confirmation and settlement at T+1.

A single-account order is allocated 1:1 at its average price, confirmed to the
client at once, and settled on the settlement date given by the business
calendar (a callable, so the twin and live runtimes share this code). With a
``SettlementRail`` settlement goes through a clearing adapter instead, which
may fail, retry and require a buy-in (see ``components.settlement_rail``). Blocks
and fair allocation policies build on this in their own module.
"""

from __future__ import annotations

from typing import Callable

from .domain.events import EventType
from .domain.orders import OrderStatus
from .oms import Oms
from .ports import Clock
from .settlement_rail import BUY_IN, FAILED, SETTLED, SettlementRail, order_id_of


# Enum members bound once: Enum class attribute access is slow on Python 3.11.
_DONE_WITH_FILLS = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED)
_STATUS_ALLOCATED = OrderStatus.ALLOCATED
_ALLOCATED = EventType.ORDER_ALLOCATED
_CONFIRMED = EventType.ORDER_CONFIRMED
_SETTLED = EventType.ORDER_SETTLED
_SETTLEMENT_FAILED = EventType.SETTLEMENT_FAILED
_BUY_IN_REQUIRED = EventType.BUY_IN_REQUIRED


class PostTrade:
    def __init__(self, oms: Oms, clock: Clock, settlement_ns_for: Callable[[int], int],
                 rail: SettlementRail | None = None):  # fmt: skip
        self._oms = oms
        self._clock = clock
        self._settlement_ns_for = settlement_ns_for
        self._rail = rail
        self._due: dict[int, list[str]] = {}

    def process(self, order_id: str, allocation: dict | None = None, confirmation: str = "CLIENT") -> None:
        """Allocate and confirm an order that is done with fills; book its settlement.

        ``allocation`` replaces the single-account allocation details (a block
        parent records its block allocation; a block member names its block);
        ``confirmation`` says who is confirmed to ("CLIENT", or "STREET" for a
        block parent).
        """
        order = self._oms.get(order_id)
        # ALLOCATED: the process died between the two records and the bus redelivered this
        # message (at-least-once); the allocation is stored, so carry on with the confirmation.
        resuming = order.status is _STATUS_ALLOCATED
        if not resuming and (order.status not in _DONE_WITH_FILLS or order.filled_qty == 0):
            return  # already processed (at-least-once delivery), not done, or nothing to settle
        avg_price = order.avg_price
        if not resuming:
            if allocation is None:
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
                "confirmation": confirmation,
                "quantity": order.filled_qty,
                "avg_price": avg_price,
                "fees": order.fees,
                "settlement_ns": settle_ns,
            },
        )
        if self._rail is not None:
            self._submit(order, settle_ns)
            return
        batch = self._due.get(settle_ns)
        if batch is None:
            batch = self._due[settle_ns] = []
            self._clock.call_at(settle_ns, lambda: self._settle(settle_ns))
        batch.append(order_id)

    # -- through a clearing adapter ------------------------------------------------
    def _submit(self, order, settle_ns: int) -> None:
        rail = self._rail
        now = self._clock.now_ns()
        rail.clearing.submit(rail.instruction(order, now, settle_ns, self._net_cash(order)), now)
        self._book_run(settle_ns)

    def _book_run(self, run_ns: int) -> None:
        if run_ns not in self._due:
            self._due[run_ns] = []  # the clearing adapter knows what is due; this marks the run booked
            self._clock.call_at(run_ns, lambda: self._run(run_ns))

    def _run(self, run_ns: int) -> None:
        """One settlement run: record every outcome the clearing adapter reports."""
        del self._due[run_ns]
        rail = self._rail
        for outcome in rail.clearing.run_settlement(rail.day_of(run_ns), self._clock.now_ns()):
            order_id = order_id_of(outcome.instruction_id)
            order = self._oms.get(order_id)
            attempt = {"attempt": outcome.attempt, "reason": outcome.reason_code}
            if outcome.status is SETTLED:
                self._oms.record_post_trade(order_id, _SETTLED, {
                    "quantity": order.filled_qty, "net_cash": self._net_cash(order), "settlement_ns": run_ns,
                    "attempt": outcome.attempt, "buy_in": False})  # fmt: skip
            elif outcome.status is FAILED:
                next_ns = rail.run_ns(outcome.next_attempt)
                self._oms.record_post_trade(order_id, _SETTLEMENT_FAILED, {**attempt, "next_attempt_ns": next_ns})
                self._book_run(next_ns)
            elif outcome.status is BUY_IN:
                self._oms.record_post_trade(order_id, _BUY_IN_REQUIRED, attempt)
                self._oms.record_post_trade(order_id, _SETTLED, {
                    "quantity": order.filled_qty, "net_cash": self._net_cash(order), "settlement_ns": run_ns,
                    "attempt": outcome.attempt, "buy_in": True})  # fmt: skip

    @staticmethod
    def _net_cash(order) -> int:
        return -(order.spec.side.sign * order.filled_notional + order.fees)

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
        """Orders confirmed but not yet settled (with a rail: instructions still open at clearing)."""
        if self._rail is not None:
            return len(self._rail.clearing.open_instructions())
        return sum(len(v) for v in self._due.values())
