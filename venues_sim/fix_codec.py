"""FIX 4.4 fields <-> venue orders and reports, as plain data (no quickfix import).

Owns the translation rules of the FIX front (``venues_sim.fix_acceptor``):
incoming order messages arrive as ``{tag: text}`` and become a ``ChildOrder``
or a reason code; outgoing messages are built as ``(msg_type, [(tag, text)])``
for the acceptor to put on the wire. Keeping this free of quickfix makes the
rules unit-testable and the acceptor a thin shell. The FIX vocabulary itself
(tags, message types, enumerations, price and time text) lives in
``components.fix.wire``, shared with the live gateway; it is re-exported here.

Prices and fees cross the wire as decimals with four places and are converted
exactly to integer units (``components.domain.money``); a price finer than
1/10_000 of a dollar is refused, never rounded. Quantities are whole shares.
``AvgPx`` is the one computed price: rounded half-even to four places.

Order status: an OrderStatusRequest (35=H) is answered with an
ExecutionReport ExecType I (``order_status``: OrdStatus, CumQty, LeavesQty,
AvgPx as they stand) or, for a ClOrdID the venue does not know, ExecType I
with OrdStatus 8 and OrdRejReason 5 (``order_status_unknown``).

Market data: a MarketDataRequest (35=V, its repeating groups already read
into lists) becomes a ``MarketDataRequest`` or a ``MarketDataRefusal``
naming the MDReqRejReason and the field; the answers are a
MarketDataSnapshotFullRefresh (35=W, top of book: one bid and one offer
entry, an empty side left out) and a MarketDataRequestReject (35=Y). The
market data vocabulary is ``components.fix.market_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from components.domain.money import PRICE_SCALE, to_units
from components.domain.orders import OrderType, Side
from components.domain.venues import ChildOrder, Quote
from components.fix import market_data as md
from components.fix.wire import (  # noqa: F401 - re-exported: the front's users read them from here
    AVG_PX,
    BUSINESS_MESSAGE_REJECT,
    BUSINESS_REJECT_REASON,
    CL_ORD_ID,
    COMM_TYPE,
    COMMISSION,
    CUM_QTY,
    CXL_REJ_REASON,
    CXL_REJ_RESPONSE_TO,
    EXEC_CANCELED,
    EXEC_ID,
    EXEC_NEW,
    EXEC_ORDER_STATUS,
    EXEC_REJECTED,
    EXEC_REPLACED,
    EXEC_TRADE,
    EXEC_TYPE,
    EXECUTION_REPORT,
    LAST_LIQUIDITY_IND,
    LAST_PX,
    LAST_QTY,
    LEAVES_QTY,
    MSG_TYPE,
    NEW_ORDER_SINGLE,
    ORD_REJ_REASON,
    ORD_REJ_UNKNOWN_ORDER,
    ORD_STATUS,
    ORD_STATUS_REQ_ID,
    ORD_TYPE,
    ORDER_CANCEL_REJECT,
    ORDER_CANCEL_REPLACE_REQUEST,
    ORDER_CANCEL_REQUEST,
    ORDER_ID,
    ORDER_QTY,
    ORDER_STATUS_REQUEST,
    ORIG_CL_ORD_ID,
    POSS_DUP_FLAG,
    PRICE,
    REF_MSG_TYPE,
    REF_SEQ_NUM,
    SIDE,
    SIDE_SELL_SHORT,
    STATUS_CANCELED,
    STATUS_FILLED,
    STATUS_EXEC_ID,
    STATUS_NEW,
    STATUS_PARTIAL,
    STATUS_REJECTED,
    SYMBOL,
    TEXT,
    TIME_IN_FORCE,
    TRANSACT_TIME,
    price_text,
    transact_time,
)
from components.fix.wire import ORD_TYPES as _ORD_TYPES
from components.fix.wire import SIDE_CODES as _SIDE_CODES
from components.fix.wire import SIDES as _SIDES
from components.fix.wire import TIFS as _TIFS

from . import venue as v

# OrdRejReason (103) for venue reason codes; anything else is 99 Other.
_ORD_REJ = {v.UNKNOWN_SYMBOL: "1", v.VENUE_DOWN: "2", v.DUPLICATE_CHILD_ID: "6", v.UNKNOWN_ORDER: "5"}
# CxlRejReason (102): 0 too late, 1 unknown order, 2 broker/exchange option, 99 other.
_CXL_REJ = {v.TOO_LATE: "0", v.UNKNOWN_ORDER: "1", v.VENUE_DOWN: "2"}
_FOUR_PLACES = Decimal("0.0001")

Fields = list[tuple[int, str]]
Outbound = tuple[str, Fields]


class FieldError(ValueError):
    """A field the front cannot turn into an order; ``reason`` is a venue reason code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- values


def parse_price(text: str) -> int:
    """A wire price like ``"190.01"`` to units; FieldError(INVALID_PRICE) if inexact or <= 0."""
    try:
        units = to_units(text.strip())
    except (TypeError, ValueError) as exc:
        raise FieldError(v.INVALID_PRICE, str(exc)) from None
    if units <= 0:
        raise FieldError(v.INVALID_PRICE, f"price must be positive, got {text!r}")
    return units


def parse_qty(text: str) -> int:
    """A wire quantity (``"100"`` or ``"100.0"``) to whole shares; FieldError(INVALID_QUANTITY)."""
    try:
        dec = Decimal(text.strip())
    except InvalidOperation:
        raise FieldError(v.INVALID_QUANTITY, f"not a number: {text!r}") from None
    if not dec.is_finite() or dec != dec.to_integral_value() or dec <= 0:
        raise FieldError(v.INVALID_QUANTITY, f"quantity must be a positive whole number, got {text!r}")
    return int(dec)


def avg_px_text(notional: int, qty: int) -> str:
    """Average price of ``qty`` shares costing ``notional`` units, four decimals (0 if none)."""
    if qty == 0:
        return "0"
    avg = (Decimal(notional) / (qty * PRICE_SCALE)).quantize(_FOUR_PLACES, rounding=ROUND_HALF_EVEN)
    return f"{avg:.4f}"


# ---------------------------------------------------------------- inbound


def parse_order(fields: dict[int, str], *, child_id: str, order_id: str, venue: str,
                cum_qty: int = 0) -> ChildOrder:
    """A NewOrderSingle or OrderCancelReplaceRequest body as a ``ChildOrder``.

    ``cum_qty`` is what the order already executed (replace): FIX OrderQty is
    the order's total, the venue child gets what is left of it (which may be
    0 or less; the venue refuses that with INVALID_QUANTITY). Raises
    ``FieldError`` naming a venue reason code for anything the venue does not
    support: OrdType other than 1/2, TimeInForce other than 0/3 (absent means
    Day), a limit without a price. Side 5 (sell short) is a sell marked short.
    """
    side = _SIDES.get(fields.get(SIDE, ""))
    if side is None:
        raise FieldError(v.INVALID_ORDER, f"Side {fields.get(SIDE)!r} not supported (1 buy, 2 sell, 5 sell short)")
    order_type = _ORD_TYPES.get(fields.get(ORD_TYPE, ""))
    if order_type is None:
        raise FieldError(v.INVALID_ORDER, f"OrdType {fields.get(ORD_TYPE)!r} not supported (1 market, 2 limit)")
    tif = _TIFS.get(fields.get(TIME_IN_FORCE, "0"))
    if tif is None:
        raise FieldError(v.INVALID_ORDER, f"TimeInForce {fields.get(TIME_IN_FORCE)!r} not supported (0 day, 3 IOC)")
    qty = parse_qty(fields.get(ORDER_QTY, ""))
    price: int | None = None
    if order_type is OrderType.LIMIT:
        if PRICE not in fields:
            raise FieldError(v.INVALID_PRICE, "a limit order needs Price (44)")
        price = parse_price(fields[PRICE])
    return ChildOrder(child_id, order_id, venue, fields.get(SYMBOL, ""), side, qty - cum_qty, order_type,
                      price, tif, short=fields.get(SIDE) == SIDE_SELL_SHORT)


# ---------------------------------------------------------------- outbound


@dataclass
class FixOrder:
    """The FIX view of one order chain (an order and its replacements) at the venue.

    ``order_qty`` is the FIX total; ``cum_qty`` and ``notional`` (sum of
    price x quantity, units) carry across replaces, so CumQty and AvgPx are
    those of the whole chain.
    """

    session: str
    order_id: str
    cl_ord_id: str
    child_id: str
    symbol: str
    side: Side
    order_qty: int
    cum_qty: int = 0
    notional: int = 0
    status: str = STATUS_NEW
    cl_ord_ids: list[str] = field(default_factory=list)

    def fill(self, qty: int, px: int) -> None:
        self.cum_qty += qty
        self.notional += qty * px

    @property
    def working_status(self) -> str:
        """OrdStatus while the order is live: New or Partially filled."""
        return STATUS_PARTIAL if self.cum_qty else STATUS_NEW


def execution_report(order: FixOrder, exec_id: str, exec_type: str, status: str, leaves: int, now_ns: int,
                     *, last_qty: int = 0, last_px: int = 0, fee: int | None = None, maker: bool | None = None,
                     cl_ord_id: str | None = None, orig_cl_ord_id: str | None = None, text: str = "") -> Outbound:
    """An ExecutionReport (35=8) about ``order``; LastQty/LastPx only for trades."""
    body: Fields = [
        (ORDER_ID, order.order_id), (CL_ORD_ID, cl_ord_id or order.cl_ord_id), (EXEC_ID, exec_id),
        (EXEC_TYPE, exec_type), (ORD_STATUS, status), (SYMBOL, order.symbol), (SIDE, _SIDE_CODES[order.side]),
        (ORDER_QTY, str(order.order_qty)), (LEAVES_QTY, str(leaves)), (CUM_QTY, str(order.cum_qty)),
        (AVG_PX, avg_px_text(order.notional, order.cum_qty)), (TRANSACT_TIME, transact_time(now_ns)),
    ]
    if orig_cl_ord_id:
        body.append((ORIG_CL_ORD_ID, orig_cl_ord_id))
    if exec_type == EXEC_TRADE:
        body += [(LAST_QTY, str(last_qty)), (LAST_PX, price_text(last_px))]
        if maker is not None:
            body.append((LAST_LIQUIDITY_IND, "1" if maker else "2"))  # 1 added, 2 removed liquidity
        if fee is not None:
            body += [(COMMISSION, price_text(fee)), (COMM_TYPE, "3")]  # 3 = absolute amount
    if text:
        body.append((TEXT, text))
    return EXECUTION_REPORT, body


def order_status(order: FixOrder, now_ns: int, req_id: str = "", cl_ord_id: str | None = None) -> Outbound:
    """The answer to an OrderStatusRequest (35=H) for an order the venue knows: an
    ExecutionReport with ExecType I (order status) and ExecID 0, nothing executed by it.

    OrdStatus, CumQty and AvgPx are the order chain's as they stand; LeavesQty is
    what still works (0 once the order is filled, canceled or expired). ClOrdID is
    the one asked about (``cl_ord_id``, default the chain's latest); OrdStatusReqID
    is echoed when the request had one.
    """
    working = order.status in (STATUS_NEW, STATUS_PARTIAL)
    leaves = max(0, order.order_qty - order.cum_qty) if working else 0
    _, body = execution_report(order, STATUS_EXEC_ID, EXEC_ORDER_STATUS, order.status, leaves, now_ns,
                               cl_ord_id=cl_ord_id)
    if req_id:
        body.append((ORD_STATUS_REQ_ID, req_id))
    return EXECUTION_REPORT, body


def order_status_unknown(fields: dict[int, str], now_ns: int) -> Outbound:
    """The answer to an OrderStatusRequest for a ClOrdID the venue does not know (it never
    received the order, or restarted without it): ExecType I with OrdStatus 8 Rejected,
    OrdRejReason 5 Unknown order and Text UNKNOWN_ORDER, nothing executed."""
    body: Fields = [
        (ORDER_ID, "NONE"), (CL_ORD_ID, fields.get(CL_ORD_ID, "")), (EXEC_ID, STATUS_EXEC_ID),
        (EXEC_TYPE, EXEC_ORDER_STATUS), (ORD_STATUS, STATUS_REJECTED), (ORD_REJ_REASON, ORD_REJ_UNKNOWN_ORDER),
        (SYMBOL, fields.get(SYMBOL, "")), (SIDE, fields.get(SIDE, "1")), (LEAVES_QTY, "0"), (CUM_QTY, "0"),
        (AVG_PX, "0"), (TRANSACT_TIME, transact_time(now_ns)), (TEXT, v.UNKNOWN_ORDER),
    ]
    if fields.get(ORD_STATUS_REQ_ID):
        body.append((ORD_STATUS_REQ_ID, fields[ORD_STATUS_REQ_ID]))
    return EXECUTION_REPORT, body


def order_rejected(fields: dict[int, str], exec_id: str, reason: str, now_ns: int, detail: str = "") -> Outbound:
    """ExecutionReport 150=8 / 39=8 refusing a NewOrderSingle that never became an order."""
    qty = fields.get(ORDER_QTY, "0")
    body: Fields = [
        (ORDER_ID, "NONE"), (CL_ORD_ID, fields.get(CL_ORD_ID, "")), (EXEC_ID, exec_id),
        (EXEC_TYPE, EXEC_REJECTED), (ORD_STATUS, STATUS_REJECTED), (ORD_REJ_REASON, _ORD_REJ.get(reason, "99")),
        (SYMBOL, fields.get(SYMBOL, "")), (SIDE, fields.get(SIDE, "1")), (ORDER_QTY, qty),
        (LEAVES_QTY, "0"), (CUM_QTY, "0"), (AVG_PX, "0"), (TRANSACT_TIME, transact_time(now_ns)),
        (TEXT, f"{reason}: {detail}" if detail else reason),
    ]
    return EXECUTION_REPORT, body


def cancel_reject(fields: dict[int, str], order: FixOrder | None, reason: str, response_to: str,
                  detail: str = "") -> Outbound:
    """OrderCancelReject (35=9) for a cancel (``response_to`` "1") or replace ("2") request.

    OrdStatus is the order's status as it stands, Rejected (8) for an order
    the venue does not know, as FIX 4.4 asks.
    """
    body: Fields = [
        (ORDER_ID, order.order_id if order else "NONE"), (CL_ORD_ID, fields.get(CL_ORD_ID, "")),
        (ORIG_CL_ORD_ID, fields.get(ORIG_CL_ORD_ID, "")), (ORD_STATUS, order.status if order else STATUS_REJECTED),
        (CXL_REJ_RESPONSE_TO, response_to), (CXL_REJ_REASON, _CXL_REJ.get(reason, "99")),
        (TEXT, f"{reason}: {detail}" if detail else reason),
    ]
    return ORDER_CANCEL_REJECT, body


def business_reject(ref_msg_type: str, ref_seq_num: str, text: str) -> Outbound:
    """BusinessMessageReject (35=j, reason 0 Other) for a message the front failed to process."""
    body: Fields = [(REF_MSG_TYPE, ref_msg_type), (BUSINESS_REJECT_REASON, "0"), (TEXT, text[:200])]
    if ref_seq_num:
        body.insert(0, (REF_SEQ_NUM, ref_seq_num))
    return BUSINESS_MESSAGE_REJECT, body


# ---------------------------------------------------------------- market data


@dataclass(frozen=True, slots=True)
class MarketDataRequest:
    """A parsed MarketDataRequest: subscribe (``subscription`` 0 snapshot, 1 snapshot and
    updates) to the top of book of ``symbols``, or cancel (2) the subscription ``md_req_id``."""

    md_req_id: str
    subscription: str
    symbols: tuple[str, ...] = ()
    entry_types: tuple[str, ...] = (md.BID, md.OFFER)
    """The sides asked for, of the two served (bid 0, offer 1)."""


class MarketDataRefusal(ValueError):
    """A MarketDataRequest the venue will not serve: ``reason`` is the MDReqRejReason (281)
    code ("" when the request has no MDReqID to answer), the message names the field."""

    def __init__(self, md_req_id: str, reason: str, detail: str):
        super().__init__(detail)
        self.md_req_id = md_req_id
        self.reason = reason
        self.detail = detail


_SERVED_ENTRY_TYPES = (md.BID, md.OFFER)


def parse_market_data_request(fields: dict[int, str], entry_types: list[str], symbols: list[str],
                              known_symbols) -> MarketDataRequest:
    """A MarketDataRequest body (``fields``) with its NoMDEntryTypes values and NoRelatedSym
    symbols, checked against what the venue serves. Raises ``MarketDataRefusal``.

    Served: SubscriptionRequestType 0, 1 or 2; any MarketDepth (top of book
    is what is sent); MDUpdateType absent or 0 (full refresh); entry types
    of which at least one is bid (0) or offer (1), the others are ignored;
    every symbol traded at the venue (``known_symbols``), else the whole
    request is refused with reason 0 naming them.
    """
    req_id = fields.get(md.MD_REQ_ID, "").strip()
    if not req_id:
        # No MDReqID, no MarketDataRequestReject to refer to it: ``reason`` "" says so.
        raise MarketDataRefusal("", "", f"{md.field_name(md.MD_REQ_ID)} is missing or empty")
    kind = fields.get(md.SUBSCRIPTION_REQUEST_TYPE, "")
    if kind not in (md.SNAPSHOT, md.SNAPSHOT_AND_UPDATES, md.DISABLE):
        raise MarketDataRefusal(req_id, md.REJ_UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE,
                                f"{md.field_name(md.SUBSCRIPTION_REQUEST_TYPE)} {kind!r} not supported "
                                "(0 snapshot, 1 snapshot and updates, 2 disable)")
    if kind == md.DISABLE:
        return MarketDataRequest(req_id, kind)
    depth = fields.get(md.MARKET_DEPTH, "")
    if not depth.strip().isdigit():
        raise MarketDataRefusal(req_id, md.REJ_UNSUPPORTED_MARKET_DEPTH,
                                f"{md.field_name(md.MARKET_DEPTH)} must be a whole number >= 0, got {depth!r}")
    update_type = fields.get(md.MD_UPDATE_TYPE, md.FULL_REFRESH)
    if update_type != md.FULL_REFRESH:
        raise MarketDataRefusal(req_id, md.REJ_UNSUPPORTED_MD_UPDATE_TYPE,
                                f"{md.field_name(md.MD_UPDATE_TYPE)} {update_type!r} not supported (0 full refresh)")
    served = tuple(t for t in _SERVED_ENTRY_TYPES if t in entry_types)
    if not served:
        raise MarketDataRefusal(req_id, md.REJ_UNSUPPORTED_MD_ENTRY_TYPE,
                                f"{md.field_name(md.MD_ENTRY_TYPE)} {entry_types!r}: only 0 bid and 1 offer are served")
    wanted = tuple(dict.fromkeys(s.strip() for s in symbols))  # distinct, in request order
    if not wanted or "" in wanted:
        raise MarketDataRefusal(req_id, md.REJ_UNKNOWN_SYMBOL,
                                f"{md.field_name(SYMBOL)} missing from {md.field_name(md.NO_RELATED_SYM)}")
    unknown = [s for s in wanted if s not in known_symbols]
    if unknown:
        raise MarketDataRefusal(req_id, md.REJ_UNKNOWN_SYMBOL,
                                f"{md.field_name(SYMBOL)} {', '.join(unknown)} not traded here")
    return MarketDataRequest(req_id, kind, wanted, served)


def market_data_snapshot(md_req_id: str, quote: Quote, entry_types=_SERVED_ENTRY_TYPES) -> Outbound:
    """MarketDataSnapshotFullRefresh (35=W): ``quote``'s top of book. An empty side has no
    entry; with both empty NoMDEntries is 0 (the book is empty, or the venue is down)."""
    entries = []
    if md.BID in entry_types and quote.bid > 0 and quote.bid_size > 0:
        entries.append(((md.MD_ENTRY_TYPE, md.BID), (md.MD_ENTRY_PX, price_text(quote.bid)),
                        (md.MD_ENTRY_SIZE, str(quote.bid_size))))
    if md.OFFER in entry_types and quote.ask > 0 and quote.ask_size > 0:
        entries.append(((md.MD_ENTRY_TYPE, md.OFFER), (md.MD_ENTRY_PX, price_text(quote.ask)),
                        (md.MD_ENTRY_SIZE, str(quote.ask_size))))
    body: list = [(md.MD_REQ_ID, md_req_id), (SYMBOL, quote.symbol)]
    if entries:
        body.append(md.Group(md.NO_MD_ENTRIES, md.MD_ENTRY_TYPE, tuple(entries)))
    else:
        body.append((md.NO_MD_ENTRIES, "0"))  # required even when there is nothing to show
    return md.MARKET_DATA_SNAPSHOT, body


def market_data_request_reject(md_req_id: str, reason: str, text: str) -> Outbound:
    """MarketDataRequestReject (35=Y) for the request ``md_req_id``."""
    return md.MARKET_DATA_REQUEST_REJECT, [(md.MD_REQ_ID, md_req_id), (md.MD_REQ_REJ_REASON, reason),
                                          (TEXT, text[:200])]
