"""Order vocabulary: sides, order types, time in force, statuses, the Order aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .fast_init import fast_frozen_init


class Side(str, Enum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells: position and cash deltas."""
        return 1 if self is Side.BUY else -1


class OrderType(str, Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class TimeInForce(str, Enum):
    DAY = "DAY"
    IOC = "IOC"


class OrderStatus(str, Enum):
    NEW = "NEW"
    VALIDATED = "VALIDATED"
    RISK_APPROVED = "RISK_APPROVED"
    BLOCKED = "BLOCKED"
    ROUTED = "ROUTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    ALLOCATED = "ALLOCATED"
    CONFIRMED = "CONFIRMED"
    SETTLED = "SETTLED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class OrderSpec:
    """What the client asked for: immutable once accepted."""

    account_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: int | None
    time_in_force: TimeInForce
    advisor_id: str
    client_order_id: str


@dataclass(slots=True)
class Order:
    """The OMS aggregate: a spec plus the state the lifecycle has reached.

    Mutated only by ``components.oms`` through the lifecycle state machine.
    """

    order_id: str
    trace_id: str
    spec: OrderSpec
    created_ns: int
    status: OrderStatus = OrderStatus.NEW
    filled_qty: int = 0
    filled_notional: int = 0  # sum of qty * price in units
    fees: int = 0  # units; negative is a net rebate
    open_children: dict[str, int] = field(default_factory=dict)  # child id -> leaves qty

    @property
    def leaves_qty(self) -> int:
        return self.spec.quantity - self.filled_qty

    @property
    def avg_price(self) -> int:
        """Average fill price in units, rounded half-up to the unit."""
        if self.filled_qty == 0:
            return 0
        return (2 * self.filled_notional + self.filled_qty) // (2 * self.filled_qty)
