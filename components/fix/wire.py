"""FIX 4.4 vocabulary and exact value conversions (no quickfix import).

Tag numbers, message types and the enumerations both the venue front and the
gateway speak, and the conversions between wire text and the domain's exact
integers: prices and fees as decimals with four places (integer units,
``components.domain.money``), quantities as whole shares, times as UTC
timestamps with milliseconds. Moved here from ``venues_sim.fix_codec`` so the
live gateway does not depend on the simulator; the codec re-exports every name.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timezone

from components.domain.money import format_price, to_units
from components.domain.orders import OrderType, Side, TimeInForce

# Tags (FIX 4.4 numbers).
AVG_PX, CL_ORD_ID, COMMISSION, COMM_TYPE, CUM_QTY = 6, 11, 12, 13, 14
EXEC_ID, LAST_PX, LAST_QTY, MSG_SEQ_NUM, MSG_TYPE, ORDER_ID, ORDER_QTY = 17, 31, 32, 34, 35, 37, 38
ORD_STATUS, ORD_TYPE, ORIG_CL_ORD_ID, PRICE, REF_SEQ_NUM = 39, 40, 41, 44, 45
SIDE, SYMBOL, TEXT, TIME_IN_FORCE, TRANSACT_TIME = 54, 55, 58, 59, 60
CXL_REJ_REASON, ORD_REJ_REASON, EXEC_TYPE, LEAVES_QTY = 102, 103, 150, 151
REF_TAG_ID, REF_MSG_TYPE, SESSION_REJECT_REASON = 371, 372, 373
BUSINESS_REJECT_REASON, CXL_REJ_RESPONSE_TO, LAST_LIQUIDITY_IND = 380, 434, 851
POSS_DUP_FLAG, RESET_SEQ_NUM_FLAG, ORD_STATUS_REQ_ID = 43, 141, 790

# Message types.
SESSION_REJECT, EXECUTION_REPORT, ORDER_CANCEL_REJECT, BUSINESS_MESSAGE_REJECT = "3", "8", "9", "j"
NEW_ORDER_SINGLE, ORDER_CANCEL_REQUEST, ORDER_CANCEL_REPLACE_REQUEST = "D", "F", "G"
ORDER_STATUS_REQUEST = "H"
LOGON, LOGOUT = "A", "5"

# ExecType (150) and OrdStatus (39) values.
EXEC_NEW, EXEC_CANCELED, EXEC_REPLACED, EXEC_REJECTED, EXEC_TRADE = "0", "4", "5", "8", "F"
EXEC_ORDER_STATUS = "I"  # the answer to an OrderStatusRequest: no execution, the order as it stands
STATUS_NEW, STATUS_PARTIAL, STATUS_FILLED, STATUS_CANCELED, STATUS_REJECTED = "0", "1", "2", "4", "8"
STATUS_DONE_FOR_DAY, STATUS_EXPIRED = "3", "C"
FINAL_STATUSES = frozenset({STATUS_FILLED, STATUS_DONE_FOR_DAY, STATUS_CANCELED, STATUS_REJECTED, STATUS_EXPIRED})
"""OrdStatus values after which an order no longer works at its venue."""
ORD_REJ_UNKNOWN_ORDER = "5"  # OrdRejReason (103): what an order status answer says of an order it does not know
STATUS_EXEC_ID = "0"  # FIX 4.4: ExecID is 0 on an ExecType I (order status) report

# CxlRejReason (102) values; LastLiquidityInd (851) values.
CXL_REJ_TOO_LATE, CXL_REJ_UNKNOWN_ORDER, CXL_REJ_BROKER_OPTION, CXL_REJ_OTHER = "0", "1", "2", "99"
LIQUIDITY_ADDED, LIQUIDITY_REMOVED = "1", "2"

# Enumerations the venues support, both ways. Side 5 (sell short) is a SELL marked short,
# so a venue can apply the short-sale restriction; reports answer with the plain side.
SIDE_SELL_SHORT = "5"
SIDES = {"1": Side.BUY, "2": Side.SELL, SIDE_SELL_SHORT: Side.SELL}
SIDE_CODES = {Side.BUY: "1", Side.SELL: "2"}
ORD_TYPES = {"1": OrderType.MARKET, "2": OrderType.LIMIT}
ORD_TYPE_CODES = {OrderType.MARKET: "1", OrderType.LIMIT: "2"}
TIFS = {"0": TimeInForce.DAY, "3": TimeInForce.IOC}
TIF_CODES = {TimeInForce.DAY: "0", TimeInForce.IOC: "3"}

_TIME_FORMATS = ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S")


def side_code(side: Side, short: bool = False) -> str:
    """Side (54) of an order: 1 buy, 2 sell, 5 sell short."""
    return SIDE_SELL_SHORT if short and side is Side.SELL else SIDE_CODES[side]


def price_text(units: int) -> str:
    """Units to a wire price (or fee) with four decimals, exactly; negative stays negative."""
    return format_price(units)


def money_units(text: str) -> int:
    """A wire price or fee (signed) to exact units; ValueError if finer than 1/10_000 of a dollar."""
    return to_units(text.strip())


def transact_time(now_ns: int) -> str:
    """UTC nanoseconds to a FIX UTCTimestamp with milliseconds."""
    moment = datetime.fromtimestamp(now_ns // 1_000_000_000, tz=timezone.utc)
    return f"{moment:%Y%m%d-%H:%M:%S}.{now_ns // 1_000_000 % 1000:03d}"


def parse_transact_time(text: str) -> int:
    """A FIX UTCTimestamp (seconds, or up to microseconds) to UTC nanoseconds; ValueError if malformed."""
    text = text.strip()
    for layout in _TIME_FORMATS:
        try:
            moment = datetime.strptime(text, layout).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        return calendar.timegm(moment.utctimetuple()) * 1_000_000_000 + moment.microsecond * 1_000
    raise ValueError(f"not a FIX UTCTimestamp: {text!r}")


def reason_code(text: str) -> str:
    """The machine-readable reason at the front of a Text (58) like ``"INVALID_PRICE: detail"``."""
    return text.split(":", 1)[0].strip()
