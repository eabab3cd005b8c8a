"""A small FIX 4.4 acceptor that misbehaves on purpose, for the gateway's conformance tests (issue 10).

Not ``venues_sim.fix_acceptor``: no order book, no matching engine. A ``Dialect``
says how this venue differs from a well-behaved one, and ``ConformanceVenue``
answers each message by a rule: a NewOrderSingle is acknowledged and, for a
LIMIT order, filled in full at its limit price; an OrderStatusRequest gets the
order as it stands (ExecType I); an OrderCancelRequest cancels; a
MarketDataRequest is refused with a BusinessMessageReject. The venue books
what it executed per ClOrdID (``executed``), the truth the tests compare our
books with. Messages are built field by field here and sent from the
QuickFIX callback that received the request.
"""

from __future__ import annotations

import itertools
import sys
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import quickfix as fix

def data_dictionary() -> Path:
    """FIX44.xml as installed with quickfix (``<venv>/share/quickfix/``)."""
    return Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"


SETTINGS = """[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort={port}
SocketAcceptAddress=127.0.0.1
SenderCompID={venue}
BeginString=FIX.4.4
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=10
UseDataDictionary=Y
DataDictionary={dictionary}
ValidateUserDefinedFields=N
ResetOnLogon=N
ResetOnLogout=N
ResetOnDisconnect=N
FileStorePath={store}
FileLogPath={logs}

[SESSION]
TargetCompID={sender}
"""


@dataclass
class Dialect:
    """How this venue speaks. Defaults: a well-behaved FIX 4.4 venue."""

    ack: bool = True  # answer a NewOrderSingle with ExecType 0
    fill: bool = True  # fill a LIMIT order in full at once
    fill_exec_type: str = "F"  # "2": FIX 4.2 style Fill
    extra_fill_fields: tuple[tuple[int, str], ...] = ()  # e.g. ((851, "9"),): out of range in FIX44.xml
    answer_status: bool = True  # answer OrderStatusRequest
    cancel: str = "accept"  # "accept" | "business_reject" (35=j)
    refuse_every: int = 0  # >0: every n-th fill carries LastLiquidityInd=9 (fails strict validation)


@dataclass
class _Order:
    cl_ord_id: str
    symbol: str
    side: str
    qty: int
    price: Decimal
    cum: int = 0


@dataclass
class Books:
    """What the venue executed, per ClOrdID: shares and price (survives the venue's restarts)."""

    executed: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Rules(fix.Application):
    def __init__(self, venue: "ConformanceVenue") -> None:
        super().__init__()
        self.venue = venue

    def onCreate(self, sessionID):  # noqa: N802, N803
        pass

    def onLogon(self, sessionID):  # noqa: N802, N803
        pass

    def onLogout(self, sessionID):  # noqa: N802, N803
        pass

    def toAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def toApp(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        try:
            self.venue.on_message(message, sessionID)
        except Exception as exc:  # never into QuickFIX
            print("conformance venue:", repr(exc))


def _get(message: fix.Message, tag: int, default: str = "") -> str:
    return message.getField(tag) if message.isSetField(tag) else default


class ConformanceVenue:
    """One venue, one session with our gateway (SenderCompID ``sender``), on ``port``."""

    def __init__(self, root: Path, venue: str, port: int, dialect: Dialect, books: Books | None = None,
                 sender: str = "BD") -> None:
        self.root, self.name, self.port, self.dialect, self.sender = root, venue, port, dialect, sender
        self.books = books or Books()
        self.orders: dict[str, _Order] = {}
        self.exec_ids = itertools.count(1)  # from 1 again at every (re)start
        self.fills = 0
        self.refused_sent = 0
        self.received: list[str] = []
        self.generation = 0
        self._acceptor = None

    def start(self) -> "ConformanceVenue":
        self.generation += 1
        self.orders, self.exec_ids = {}, itertools.count(1)  # a restart: empty, ExecIDs from 1
        here = self.root / f"{self.name}-{self.generation}"
        here.mkdir(parents=True, exist_ok=True)
        cfg = here / "acceptor.cfg"
        cfg.write_text(SETTINGS.format(port=self.port, venue=self.name, dictionary=data_dictionary(),
                                           store=here / "store", logs=here / "log", sender=self.sender))
        settings = fix.SessionSettings(str(cfg))
        self._app = _Rules(self)
        self._keep = (settings, fix.FileStoreFactory(settings), fix.FileLogFactory(settings))
        self._acceptor = fix.ThreadedSocketAcceptor(self._app, self._keep[1], settings, self._keep[2])
        self._acceptor.start()
        return self

    def stop(self) -> None:
        if self._acceptor is not None:
            self._acceptor.stop(True)
            self._acceptor = None

    # -- the rules ---------------------------------------------------------------------
    def on_message(self, message: fix.Message, sid: fix.SessionID) -> None:
        kind = message.getHeader().getField(35)
        self.received.append(kind)
        if kind == "D":
            self._new_order(message, sid)
        elif kind == "H":
            if self.dialect.answer_status:
                self._status(message, sid)
        elif kind == "F":
            self._cancel(message, sid)
        elif kind == "V":
            self._business_reject(message, sid, "V", "market data not offered")

    def _new_order(self, message: fix.Message, sid: fix.SessionID) -> None:
        order = _Order(_get(message, 11), _get(message, 55), _get(message, 54), int(Decimal(_get(message, 38))),
                       Decimal(_get(message, 44, "0")))
        self.orders[order.cl_ord_id] = order
        if self.dialect.ack:
            self._report(sid, order, "0", "0")
        if self.dialect.fill and _get(message, 40) == "2" and self.dialect.ack:
            qty = order.qty - order.cum
            order.cum = order.qty
            with self.books.lock:
                self.books.executed[order.cl_ord_id] = (order.cum, order.price)
            self.fills += 1
            extra = self.dialect.extra_fill_fields
            if self.dialect.refuse_every and self.fills % self.dialect.refuse_every == 0:
                extra = extra + ((851, "9"),)
                self.refused_sent += 1
            self._report(sid, order, self.dialect.fill_exec_type, "2", last=(qty, order.price), extra=extra)

    def _report(self, sid, order: _Order, exec_type: str, status: str, *, last=None, extra=(),
                req_id: str = "") -> None:
        er = fix.Message()
        er.getHeader().setField(fix.MsgType("8"))
        exec_id = "0" if exec_type == "I" else f"E{next(self.exec_ids)}"
        body = [(37, f"O-{order.cl_ord_id}"), (11, order.cl_ord_id), (17, exec_id), (150, exec_type),
                (39, status), (55, order.symbol), (54, order.side), (38, str(order.qty)),
                (151, str(order.qty - order.cum)), (14, str(order.cum)),
                (6, str(order.price if order.cum else 0))]
        if last is not None:
            body += [(32, str(last[0])), (31, str(last[1]))]
        if req_id:
            body.append((790, req_id))
        for tag, value in [*body, *extra]:
            er.setField(tag, value)
        er.setField(fix.TransactTime())
        fix.Session.sendToTarget(er, sid)

    def _status(self, message: fix.Message, sid: fix.SessionID) -> None:
        order = self.orders.get(_get(message, 11))
        if order is None:
            order = _Order(_get(message, 11), _get(message, 55), _get(message, 54), 0, Decimal(0))
            self._report(sid, order, "I", "8", extra=((103, "5"), (58, "UNKNOWN_ORDER")),
                         req_id=_get(message, 790))
            return
        status = "2" if order.cum == order.qty else ("4" if order.cum < 0 else "0")
        self._report(sid, order, "I", status, req_id=_get(message, 790))

    def _cancel(self, message: fix.Message, sid: fix.SessionID) -> None:
        if self.dialect.cancel == "business_reject":
            self._business_reject(message, sid, "F", "cancels are not accepted on this venue")
            return
        order = self.orders.pop(_get(message, 41), None)
        if order is None:
            return
        er_order = _Order(_get(message, 11), order.symbol, order.side, order.qty, order.price, order.cum)
        self._report(sid, er_order, "4", "4", extra=((41, order.cl_ord_id),))

    def _business_reject(self, message: fix.Message, sid: fix.SessionID, ref_type: str, text: str) -> None:
        reject = fix.Message()
        reject.getHeader().setField(fix.MsgType("j"))
        reject.setField(45, message.getHeader().getField(34))
        reject.setField(372, ref_type)
        reject.setField(380, "3")  # unsupported message type
        reject.setField(58, text)
        fix.Session.sendToTarget(reject, sid)
