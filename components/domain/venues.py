"""What crosses the venue boundary: child orders out, execution reports and quotes in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .fast_init import fast_frozen_init
from .orders import OrderType, Side, TimeInForce


class VenueStatus(str, Enum):
    UP = "UP"
    DOWN = "DOWN"


class ExecKind(str, Enum):
    ACK = "ACK"
    FILL = "FILL"
    CANCELED = "CANCELED"  # leaves canceled: on request, IOC remainder, or end of day
    REJECTED = "REJECTED"
    # Not a venue report: the gateway found the venue executed more of a child than it reported
    # (``last_qty`` the missing shares, ``last_px`` 0: the price is unknown and never made up).
    DISCREPANCY = "DISCREPANCY"
    # Not venue reports either: what the gateway records about a venue message or order. REFUSED: an
    # inbound message it could not apply (``reason`` why, ``text`` the raw FIX); CANCEL_REJECTED: the
    # venue refused our cancel (OrderCancelReject or BusinessMessageReject; ``reason``); FLAGGED: an
    # order needs attention (stuck, or a status request unanswered: ``reason`` says which).
    REFUSED = "REFUSED"
    CANCEL_REJECTED = "CANCEL_REJECTED"
    FLAGGED = "FLAGGED"


class Liquidity(str, Enum):
    MAKER = "MAKER"
    TAKER = "TAKER"


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ChildOrder:
    """A slice of a client order sent to one venue."""

    child_id: str
    order_id: str
    venue: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    limit_price: int | None
    time_in_force: TimeInForce
    short: bool = False  # a sell marked short (more than the seller holds): SSR applies


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """A venue's answer about one child order. Prices and fees in integer units."""

    kind: ExecKind
    venue: str
    child_id: str
    order_id: str
    timestamp_ns: int
    last_qty: int = 0
    last_px: int = 0
    leaves_qty: int = 0
    liquidity: Liquidity | None = None
    fee: int = 0  # units charged to us; negative for a rebate
    reason: str = ""
    exec_id: str = ""
    text: str = ""  # REFUSED: the raw FIX message (SOH shown as |), when the gateway has it


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book at one venue. Sizes are shares; prices units (0 when empty)."""

    venue: str
    symbol: str
    bid: int
    bid_size: int
    ask: int
    ask_size: int
    timestamp_ns: int = 0


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Per-share maker rebate (paid to us) and taker fee (charged), in units."""

    maker_rebate: int
    taker_fee: int
