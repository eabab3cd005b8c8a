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
           from LastLiquidityInd (1/2), fee = Commission (signed)
4 Canceled CANCELED, removed = OrderQty - CumQty, reason = the Text's
           code (IOC_REMAINDER, END_OF_DAY, ...) or CANCEL_REQUESTED
8 Rejected REJECTED, reason = the Text's code (UNKNOWN_SYMBOL, ...)
=========  ===========================================================

Business time of a report is the venue's TransactTime, but never before the
child was sent: TransactTime has millisecond precision (and a remote
venue's clock may lag ours), and an execution cannot precede its order.
Reports the gateway makes up itself (a venue gone, a message refused by the
FIX session) are ``synthesized``.
"""

from __future__ import annotations

from components.domain.orders import OrderType
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from components.fix import wire as w

Fields = list[tuple[int, str]]
Outbound = tuple[str, Fields]

VENUE_DISCONNECTED = "VENUE_DISCONNECTED"
"""Reason of a child closed because its venue's FIX session went away."""
FIX_REJECTED = "FIX_REJECTED"
"""Reason of a child whose NewOrderSingle the venue's FIX layer refused (session or business reject)."""
UNKNOWN_ORDER = "UNKNOWN_ORDER"
CANCEL_REQUESTED = "CANCEL_REQUESTED"

REPORT_TAGS = (w.CL_ORD_ID, w.ORIG_CL_ORD_ID, w.ORDER_ID, w.EXEC_ID, w.EXEC_TYPE, w.ORD_STATUS, w.SYMBOL,
               w.ORDER_QTY, w.LAST_QTY, w.LAST_PX, w.CUM_QTY, w.LEAVES_QTY, w.COMMISSION, w.COMM_TYPE,
               w.LAST_LIQUIDITY_IND, w.TEXT, w.TRANSACT_TIME, w.ORD_REJ_REASON, w.CXL_REJ_REASON,
               w.CXL_REJ_RESPONSE_TO, w.REF_SEQ_NUM, w.REF_MSG_TYPE)
"""Tags read from inbound messages."""

_ABSOLUTE = "3"  # CommType: absolute amount


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


def execution_report(fields: dict[int, str], child: ChildOrder, *, received_ns: int,
                     sent_ns: int = 0) -> ExecutionReport | None:
    """The domain report for an ExecutionReport about ``child``; None for ExecTypes
    the gateway does not act on (Replaced, Pending, ...). ValueError if malformed."""
    exec_type = fields.get(w.EXEC_TYPE, "")
    at = _business_ns(fields, received_ns, sent_ns)
    exec_id = fields.get(w.EXEC_ID, "")
    common = (child.venue, child.child_id, child.order_id, at)
    if exec_type == w.EXEC_NEW:
        return ExecutionReport(ExecKind.ACK, *common, leaves_qty=_int(fields, w.LEAVES_QTY, child.quantity),
                               exec_id=exec_id)
    if exec_type == w.EXEC_TRADE:
        indicator = fields.get(w.LAST_LIQUIDITY_IND)
        liquidity = {w.LIQUIDITY_ADDED: Liquidity.MAKER, w.LIQUIDITY_REMOVED: Liquidity.TAKER}.get(indicator or "")
        fee = 0
        if w.COMMISSION in fields and fields.get(w.COMM_TYPE, _ABSOLUTE) == _ABSOLUTE:
            fee = w.money_units(fields[w.COMMISSION])
        return ExecutionReport(ExecKind.FILL, *common, last_qty=_int(fields, w.LAST_QTY),
                               last_px=w.money_units(fields[w.LAST_PX]), leaves_qty=_int(fields, w.LEAVES_QTY),
                               liquidity=liquidity, fee=fee, exec_id=exec_id)
    if exec_type == w.EXEC_CANCELED:
        removed = max(0, _int(fields, w.ORDER_QTY, child.quantity) - _int(fields, w.CUM_QTY))
        reason = w.reason_code(fields.get(w.TEXT, "")) or CANCEL_REQUESTED
        return ExecutionReport(ExecKind.CANCELED, *common, last_qty=removed, reason=reason, exec_id=exec_id)
    if exec_type == w.EXEC_REJECTED:
        reason = w.reason_code(fields.get(w.TEXT, "")) or f"ORD_REJ_REASON_{fields.get(w.ORD_REJ_REASON, '99')}"
        return ExecutionReport(ExecKind.REJECTED, *common, reason=reason, exec_id=exec_id)
    return None


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
