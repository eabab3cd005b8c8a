"""The FIX gateway's translation rules, as plain data (no quickfix import).

Outbound: a ``ChildOrder`` becomes a NewOrderSingle with ClOrdID = child id,
and a cancel becomes an OrderCancelRequest naming the child as OrigClOrdID;
both as ``(msg_type, [(tag, text)])``. Inbound: an ExecutionReport's fields
(``{tag: text}``) become the domain ``ExecutionReport`` the OMS consumes:

=========  ===========================================================
ExecType   domain report
=========  ===========================================================
0 New      ACK, leaves = LeavesQty
F Trade    FILL, LastQty at LastPx, leaves = LeavesQty, MAKER/TAKER
(1, 2)     (FIX 4.2's partial fill and fill: read as F)
           from LastLiquidityInd (1/2), fee = Commission (signed)
4 Canceled CANCELED, removed = OrderQty - CumQty, reason = the Text's
           code (IOC_REMAINDER, END_OF_DAY, ...) or CANCEL_REQUESTED
C Expired  CANCELED, reason = the Text's code or END_OF_DAY (the OMS
           expires the order)
8 Rejected REJECTED, reason = the Text's code (UNKNOWN_SYMBOL, ...), or
           ``VENUE_REJECTED: OrdRejReason=N: Text`` for a venue's own words
=========  ===========================================================

Order status: after a dropped session logs on again, an OrderStatusRequest
(35=H, ``order_status_request``) per child held meanwhile; the answer, an
ExecutionReport with ExecType I, becomes an ``OrderStatus`` (``order_status``:
OrdStatus, CumQty, LeavesQty exact whole shares, AvgPx an exact Decimal, and
whether the venue knows the order at all). It is never a domain report: the
gateway compares it with what it has seen. Malformed answers raise
``OrderStatusError`` naming the field and tag.

Business time of a report is the venue's TransactTime, but never before the
child was sent: TransactTime has millisecond precision (and a remote
venue's clock may lag ours), and an execution cannot precede its order.
Reports the gateway makes up itself (a venue gone, a message refused by the
FIX session) are ``synthesized``.

Market data: each subscription is one MarketDataRequest (35=V) per venue and
symbol (snapshot and updates, top of book, bid and offer, full refresh), so
a venue refusing one symbol leaves the others. A MarketDataSnapshotFullRefresh
(35=W) becomes a ``BookTop``: MDEntryPx parsed exactly into units (never via
float), MDEntrySize into whole shares; a side with no entry is empty (0).
Anything malformed raises ``MarketDataError`` naming the field and tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from components.domain.orders import OrderType
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from components.fix import market_data as md
from components.fix import wire as w
from components.oms import VENUE_REJECTED  # noqa: F401 - the prefix of a reason in the venue's own words

from live.adapters.fix.market_data import BookTop

Fields = list[tuple[int, str]]
Outbound = tuple[str, Fields]

VENUE_DISCONNECTED = "VENUE_DISCONNECTED"
"""Reason of a child closed because its venue's FIX session went away."""
FIX_REJECTED = "FIX_REJECTED"
"""Reason of a child whose NewOrderSingle the venue's FIX layer refused (session or business reject)."""
UNKNOWN_ORDER = "UNKNOWN_ORDER"
CANCEL_REQUESTED = "CANCEL_REQUESTED"
VENUE_RESTARTED = "VENUE_RESTARTED"
"""Reason of a held child the venue no longer knows after its session started over (a restarted venue)."""
VENUE_ORDER_DONE = "VENUE_ORDER_DONE"
"""Reason of a held child whose order status says it is done at the venue with no final report received."""

REPORT_TAGS = (w.CL_ORD_ID, w.ORIG_CL_ORD_ID, w.ORDER_ID, w.EXEC_ID, w.EXEC_TYPE, w.ORD_STATUS, w.SYMBOL,
               w.ORDER_QTY, w.LAST_QTY, w.LAST_PX, w.CUM_QTY, w.LEAVES_QTY, w.COMMISSION, w.COMM_TYPE,
               w.LAST_LIQUIDITY_IND, w.TEXT, w.TRANSACT_TIME, w.ORD_REJ_REASON, w.CXL_REJ_REASON,
               w.CXL_REJ_RESPONSE_TO, w.REF_SEQ_NUM, w.REF_MSG_TYPE, w.AVG_PX, w.ORD_STATUS_REQ_ID,
               w.SESSION_REJECT_REASON, w.BUSINESS_REJECT_REASON, w.REF_TAG_ID)
"""Tags read from inbound messages."""
MARKET_DATA_TAGS = (md.MD_REQ_ID, w.SYMBOL, md.MD_REQ_REJ_REASON, w.TEXT)
"""Tags read from the body of inbound market data messages (the entries are read as a group)."""
ENTRY_TAGS = (md.MD_ENTRY_TYPE, md.MD_ENTRY_PX, md.MD_ENTRY_SIZE)
"""Tags read from each NoMDEntries entry."""

_ABSOLUTE = "3"  # CommType: absolute amount
PENDING_EXEC_TYPES = frozenset({"6", "A", "E"})
"""ExecTypes that change nothing here (Pending Cancel, Pending New, Pending Replace): ignored. Any other
ExecType ``execution_report`` has no report for is recorded as refused (``reconcile``)."""
_FIX42_FILLS = ("1", "2")
_EXPIRED = "C"
"""ExecType Partial fill and Fill (FIX 4.2; FIX 4.4 has F): a venue speaking 4.2 style, when the
session's dictionary lets them through (ValidateFieldsOutOfRange=N), is read as F (LastQty, LastPx)."""
_REASON_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
"""A reason code as our simulated venues write them at the front of Text (UNKNOWN_SYMBOL: ...)."""


def new_order_single(child: ChildOrder, now_ns: int) -> Outbound:
    """NewOrderSingle (35=D) for ``child``; ClOrdID is the child id."""
    body: Fields = [
        (w.CL_ORD_ID, child.child_id), (w.SYMBOL, child.symbol), (w.SIDE, w.side_code(child.side, child.short)),
        (w.TRANSACT_TIME, w.transact_time(now_ns)), (w.ORDER_QTY, str(child.quantity)),
        (w.ORD_TYPE, w.ORD_TYPE_CODES[child.order_type]), (w.TIME_IN_FORCE, w.TIF_CODES[child.time_in_force]),
    ]
    if child.order_type is OrderType.LIMIT and child.limit_price is not None:
        body.append((w.PRICE, w.price_text(child.limit_price)))
    return w.NEW_ORDER_SINGLE, body


def order_cancel_request(cancel_id: str, child: ChildOrder, now_ns: int) -> Outbound:
    """OrderCancelRequest (35=F) for ``child``, itself identified by ``cancel_id``."""
    return w.ORDER_CANCEL_REQUEST, [
        (w.CL_ORD_ID, cancel_id), (w.ORIG_CL_ORD_ID, child.child_id), (w.SYMBOL, child.symbol),
        (w.SIDE, w.side_code(child.side, child.short)), (w.TRANSACT_TIME, w.transact_time(now_ns)),
        (w.ORDER_QTY, str(child.quantity)),
    ]


def order_status_request(req_id: str, child: ChildOrder) -> Outbound:
    """OrderStatusRequest (35=H) for ``child`` (ClOrdID = child id), itself identified by ``req_id``
    (OrdStatusReqID, echoed in the answer)."""
    return w.ORDER_STATUS_REQUEST, [
        (w.CL_ORD_ID, child.child_id), (w.ORD_STATUS_REQ_ID, req_id), (w.SYMBOL, child.symbol),
        (w.SIDE, w.side_code(child.side, child.short)),
    ]


def _int(fields: dict[int, str], tag: int, default: int = 0) -> int:
    text = fields.get(tag)
    if text is None or not text.strip():
        return default
    value = float(text) if "." in text else int(text)  # QuickFIX may write "100" or "100.0"
    if value != int(value):
        raise ValueError(f"tag {tag}: {text!r} is not a whole number of shares")
    return int(value)


def _business_ns(fields: dict[int, str], received_ns: int, sent_ns: int) -> int:
    try:
        venue_ns = w.parse_transact_time(fields[w.TRANSACT_TIME])
    except (KeyError, ValueError):
        return received_ns
    return max(venue_ns, sent_ns)


def session_exec_id(exec_id: str, session: int) -> str:
    """A venue's ExecID qualified by the FIX session it came in (``session``: 1 for the gateway's first
    session with the venue, +1 each time the session starts over, as after a venue restart). A venue
    that restarts numbers its ExecIDs from 1 again; a resend (PossDupFlag) never crosses a session
    start, so (session, ExecID) still names one execution. The first session's ids are unchanged."""
    return exec_id if session <= 1 or not exec_id else f"{exec_id}/S{session}"


def execution_report(fields: dict[int, str], child: ChildOrder, *, received_ns: int,
                     sent_ns: int = 0, session: int = 1) -> ExecutionReport | None:
    """The domain report for an ExecutionReport about ``child`` (received in the venue's FIX
    ``session``: ``session_exec_id``); None for ExecTypes the gateway does not act on
    (Replaced, Pending, ...). ValueError if malformed."""
    exec_type = fields.get(w.EXEC_TYPE, "")
    at = _business_ns(fields, received_ns, sent_ns)
    exec_id = session_exec_id(fields.get(w.EXEC_ID, ""), session)
    common = (child.venue, child.child_id, child.order_id, at)
    if exec_type == w.EXEC_NEW:
        return ExecutionReport(ExecKind.ACK, *common, leaves_qty=_int(fields, w.LEAVES_QTY, child.quantity),
                               exec_id=exec_id)
    if exec_type in _FIX42_FILLS:  # FIX 4.2's Partial fill (1) and Fill (2): a trade, read the same way
        exec_type = w.EXEC_TRADE
    if exec_type == w.EXEC_TRADE:
        indicator = fields.get(w.LAST_LIQUIDITY_IND)
        liquidity = {w.LIQUIDITY_ADDED: Liquidity.MAKER, w.LIQUIDITY_REMOVED: Liquidity.TAKER}.get(indicator or "")
        fee = 0
        if w.COMMISSION in fields and fields.get(w.COMM_TYPE, _ABSOLUTE) == _ABSOLUTE:
            fee = w.money_units(fields[w.COMMISSION])
        return ExecutionReport(ExecKind.FILL, *common, last_qty=_int(fields, w.LAST_QTY),
                               last_px=w.money_units(fields[w.LAST_PX]), leaves_qty=_int(fields, w.LEAVES_QTY),
                               liquidity=liquidity, fee=fee, exec_id=exec_id)
    if exec_type == _EXPIRED:  # a venue's own expiry (ours write 4 with END_OF_DAY)
        removed = max(0, _int(fields, w.ORDER_QTY, child.quantity) - _int(fields, w.CUM_QTY))
        reason = w.reason_code(fields.get(w.TEXT, ""))
        return ExecutionReport(ExecKind.CANCELED, *common, last_qty=removed,
                               reason=reason if _REASON_CODE.fullmatch(reason) else "END_OF_DAY", exec_id=exec_id)
    if exec_type == w.EXEC_CANCELED:
        removed = max(0, _int(fields, w.ORDER_QTY, child.quantity) - _int(fields, w.CUM_QTY))
        reason = w.reason_code(fields.get(w.TEXT, "")) or CANCEL_REQUESTED
        return ExecutionReport(ExecKind.CANCELED, *common, last_qty=removed, reason=reason, exec_id=exec_id)
    if exec_type == w.EXEC_REJECTED:
        text = fields.get(w.TEXT, "")
        reason = w.reason_code(text)
        if not _REASON_CODE.fullmatch(reason):  # the venue's own words, not one of our codes
            reason = f"{VENUE_REJECTED}: OrdRejReason={fields.get(w.ORD_REJ_REASON, '99')}" + (f": {text}" if text else "")
        return ExecutionReport(ExecKind.REJECTED, *common, reason=reason, exec_id=exec_id)
    return None


class OrderStatusError(ValueError):
    """An order status answer the gateway cannot read; the message names the field and tag."""


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """A venue's answer to an OrderStatusRequest (ExecutionReport, ExecType I).

    ``known`` is False when the venue does not know the ClOrdID (OrdStatus 8 with
    OrdRejReason 5, or the Text's reason UNKNOWN_ORDER). ``avg_px`` is the exact
    Decimal the venue wrote: an average may be finer than a price unit, and it is
    only ever reported, never booked (a fill is booked from its own report).
    """

    cl_ord_id: str
    req_id: str
    ord_status: str
    cum_qty: int
    leaves_qty: int
    avg_px: Decimal
    known: bool = True

    @property
    def final(self) -> bool:
        """Whether the order no longer works at the venue (filled, canceled, rejected, expired)."""
        return not self.known or self.ord_status in w.FINAL_STATUSES


_STATUS_NAMES = {w.CL_ORD_ID: "ClOrdID", w.ORD_STATUS: "OrdStatus", w.CUM_QTY: "CumQty", w.LEAVES_QTY: "LeavesQty",
                 w.AVG_PX: "AvgPx", w.EXEC_TYPE: "ExecType"}


def _status_field(fields: dict[int, str], tag: int) -> str:
    text = (fields.get(tag) or "").strip()
    if not text:
        raise OrderStatusError(f"{_STATUS_NAMES[tag]} ({tag}) is missing")
    return text


def _status_number(fields: dict[int, str], tag: int, *, whole: bool) -> Decimal:
    text = _status_field(fields, tag)
    if not _FIX_DECIMAL.fullmatch(text):
        raise OrderStatusError(f"{_STATUS_NAMES[tag]} ({tag}) is not a number: {text!r}")
    value = Decimal(text)
    if value < 0 or (whole and value != value.to_integral_value()):
        kind = "a whole number of shares >= 0" if whole else "a number >= 0"
        raise OrderStatusError(f"{_STATUS_NAMES[tag]} ({tag}) must be {kind}, got {text!r}")
    return value


def is_order_status(fields: dict[int, str]) -> bool:
    """Whether an ExecutionReport answers an OrderStatusRequest (ExecType I)."""
    return fields.get(w.EXEC_TYPE) == w.EXEC_ORDER_STATUS


def order_status(fields: dict[int, str]) -> OrderStatus:
    """An ExecutionReport with ExecType I as an ``OrderStatus``; ``OrderStatusError``
    naming the field and tag if ClOrdID, OrdStatus, CumQty, LeavesQty or AvgPx is
    missing or not a number (quantities whole shares, all exact, never via float)."""
    if not is_order_status(fields):
        raise OrderStatusError(f"ExecType (150) must be I (order status), got {fields.get(w.EXEC_TYPE)!r}")
    cl_ord_id = _status_field(fields, w.CL_ORD_ID)
    ord_status = _status_field(fields, w.ORD_STATUS)
    cum = int(_status_number(fields, w.CUM_QTY, whole=True))
    leaves = int(_status_number(fields, w.LEAVES_QTY, whole=True))
    avg_px = _status_number(fields, w.AVG_PX, whole=False)
    unknown = ord_status == w.STATUS_REJECTED and (
        fields.get(w.ORD_REJ_REASON) == w.ORD_REJ_UNKNOWN_ORDER or w.reason_code(fields.get(w.TEXT, "")) == UNKNOWN_ORDER)
    return OrderStatus(cl_ord_id, fields.get(w.ORD_STATUS_REQ_ID, ""), ord_status, cum, leaves, avg_px, not unknown)


def is_final(report: ExecutionReport) -> bool:
    """Whether the child is done at its venue after ``report``."""
    return report.kind in (ExecKind.CANCELED, ExecKind.REJECTED) or (
        report.kind is ExecKind.FILL and report.leaves_qty == 0)


def cancel_reject_closes_child(fields: dict[int, str]) -> bool:
    """An OrderCancelReject means the child is gone only when the venue does not
    know the order (CxlRejReason 1); "too late" means a fill or cancel report
    already told (or is telling) the story."""
    return fields.get(w.CXL_REJ_REASON) == w.CXL_REJ_UNKNOWN_ORDER or \
        w.reason_code(fields.get(w.TEXT, "")) == UNKNOWN_ORDER


def synthesized(kind: ExecKind, child: ChildOrder, reason: str, now_ns: int) -> ExecutionReport:
    """A report the gateway makes up for ``child`` (no venue exec id)."""
    return ExecutionReport(kind, child.venue, child.child_id, child.order_id, now_ns, reason=reason)


# -- market data ----------------------------------------------------------------------

class MarketDataError(ValueError):
    """A market data message the gateway cannot use; the message names the field and tag."""


_FIX_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
"""FIX's float/Price/Qty text: digits, an optional point and sign; no exponent, no NaN or inf."""


def _decimal(entry: dict[int, str], tag: int, index: int) -> tuple[Decimal, str]:
    """An entry's ``tag`` as an exact Decimal, and how errors name it."""
    where = f"NoMDEntries entry {index}: {md.field_name(tag)}"
    text = (entry.get(tag) or "").strip()
    if not text:
        raise MarketDataError(f"{where} is missing")
    if not _FIX_DECIMAL.fullmatch(text):
        raise MarketDataError(f"{where} is not a number: {text!r}")
    return Decimal(text), where


def market_data_request(md_req_id: str, symbol: str) -> Outbound:
    """MarketDataRequest (35=V): snapshot and updates of ``symbol``'s top of book (bid and offer)."""
    return md.MARKET_DATA_REQUEST, [
        (md.MD_REQ_ID, md_req_id), (md.SUBSCRIPTION_REQUEST_TYPE, md.SNAPSHOT_AND_UPDATES),
        (md.MARKET_DEPTH, md.TOP_OF_BOOK), (md.MD_UPDATE_TYPE, md.FULL_REFRESH),
        md.Group(md.NO_MD_ENTRY_TYPES, md.MD_ENTRY_TYPE, (((md.MD_ENTRY_TYPE, md.BID),),
                                                         ((md.MD_ENTRY_TYPE, md.OFFER),))),
        md.Group(md.NO_RELATED_SYM, w.SYMBOL, (((w.SYMBOL, symbol),),)),
    ]


def _entry_price(entry: dict[int, str], index: int) -> int:
    price, where = _decimal(entry, md.MD_ENTRY_PX, index)
    try:
        units = w.money_units(str(price))  # exact: refuses anything finer than a unit, never rounds
    except ValueError as exc:
        raise MarketDataError(f"{where} {entry[md.MD_ENTRY_PX]!r}: {exc}") from None
    if units <= 0:
        raise MarketDataError(f"{where} must be positive, got {entry[md.MD_ENTRY_PX]!r}")
    return units


def _entry_size(entry: dict[int, str], index: int) -> int:
    size, where = _decimal(entry, md.MD_ENTRY_SIZE, index)  # "500" or "500.0"; never a float
    if size != size.to_integral_value() or size <= 0:
        raise MarketDataError(f"{where} must be a positive whole number of shares, got {entry[md.MD_ENTRY_SIZE]!r}")
    return int(size)


def market_data_snapshot(entries: list[dict[int, str]]) -> BookTop:
    """The top of book in a MarketDataSnapshotFullRefresh's NoMDEntries ``entries``.

    Bid (MDEntryType 0) and offer (1) entries need MDEntryPx and MDEntrySize;
    other entry types are ignored. Several entries of a side (a venue sending
    depth): the best price counts, with the size of its first entry.
    """
    bid = bid_size = ask = ask_size = 0
    for index, entry in enumerate(entries, 1):
        kind = entry.get(md.MD_ENTRY_TYPE)
        if kind is None:
            raise MarketDataError(f"NoMDEntries entry {index}: {md.field_name(md.MD_ENTRY_TYPE)} is missing")
        if kind not in (md.BID, md.OFFER):
            continue
        price, size = _entry_price(entry, index), _entry_size(entry, index)
        if kind == md.BID and price > bid:
            bid, bid_size = price, size
        elif kind == md.OFFER and (ask == 0 or price < ask):
            ask, ask_size = price, size
    return BookTop(bid, bid_size, ask, ask_size)
