"""Settlement through a clearing adapter, for ``PostTrade``: fails, retries, buy-ins.

``PostTrade`` without a rail settles every confirmed order on its settlement
date. With a ``SettlementRail`` each confirmed order becomes a
``SettlementInstruction`` at the ``ClearingAdapter`` (e.g. ``InMemoryClearing``
with a ``SeededFailModel``) and the day's settlement run decides:

* SETTLED: the order is SETTLED (details as without a rail, plus the attempt);
* FAILED: a ``SettlementFailed`` event (no status change: the order stays
  CONFIRMED) and another run on the next business day;
* BUY_IN_REQUIRED: a ``BuyInRequired`` event, then the order is SETTLED with
  ``buy_in: true``. The firm closes the fail by buying in (or selling out) the
  securities for the client's account; we record that the obligation was met
  by buy-in at the confirmed quantity and cash. The buy-in execution and its
  price difference are not simulated (documented gap).

The rail converts between clock time and business days with two injected
functions, so component code never knows a time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from .clearing import ClearingAdapter, SettlementInstruction, SettlementStatus
from .confirmations import FIRM
from .domain.orders import Order


@dataclass(frozen=True)
class SettlementRail:
    clearing: ClearingAdapter
    day_of: Callable[[int], date]
    """Business date (exchange time zone) of a clock time in ns."""
    run_ns: Callable[[date], int]
    """Clock time in ns of the settlement run on a date."""

    def instruction(self, order: Order, trade_ns: int, settle_ns: int, net_cash: int) -> SettlementInstruction:
        """The order's instruction; its id derives from the order id, so a resubmission is a duplicate."""
        spec = order.spec
        return SettlementInstruction(f"{order.order_id}/SI", order.order_id, spec.account_id, spec.symbol, spec.side,
                                     order.filled_qty, abs(net_cash), self.day_of(trade_ns), self.day_of(settle_ns),
                                     FIRM)  # fmt: skip


SETTLED, FAILED, BUY_IN = SettlementStatus.SETTLED, SettlementStatus.FAILED, SettlementStatus.BUY_IN_REQUIRED


def order_id_of(instruction_id: str) -> str:
    return instruction_id.removesuffix("/SI")
