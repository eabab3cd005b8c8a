"""A simulated venue as a FIX 4.4 acceptor (QuickFIX), so a live gateway can trade against it.

Owns the QuickFIX ``Application`` (``VenueFixApp``) that turns NewOrderSingle,
OrderCancelRequest and OrderCancelReplaceRequest into ``SimVenue.submit`` /
``cancel`` / ``replace`` calls and the venue's reports into ExecutionReports
and OrderCancelRejects, answers OrderStatusRequest (35=H) with an
ExecutionReport ExecType I (the order as it stands, or "unknown order"), and ``FixVenueServer``, which runs it behind a
``ThreadedSocketAcceptor`` with an optional market maker requoting on a timer.
(Not the plain ``SocketAcceptor``: in quickfix 1.16 its ``stop`` closes the
socket server while the acceptor thread may be deleting it, a SIGSEGV seen
here in repeated runs.)

Matching is the twin's own ``SimVenue`` code on the wall clock. Message
validation is QuickFIX's (data dictionary): a malformed message is rejected at
the session level before it reaches ``fromApp``. Field translation is in
``venues_sim.fix_codec``, settings files in ``venues_sim.fix_config``.

Market data. A MarketDataRequest (35=V) is answered with a
MarketDataSnapshotFullRefresh (35=W) per symbol, the venue's published top of
book, and with updates a new snapshot follows every change of that top
(``venues_sim.fix_market_data``: pushed when it happens, not polled).
``VenueFixApp.lock`` is the ``PublishingLock`` that makes that work: every
change to the venue holds it, and its release publishes. Unknown symbols and
unsupported requests get a MarketDataRequestReject (35=Y) naming the field;
subscriptions end with SubscriptionRequestType 2 or with the session.

Threads: QuickFIX calls the application on its own threads and the requoter
runs on another, so every venue call holds ``VenueFixApp.lock``. Outgoing
messages are queued under that lock (so they leave in venue order) and sent
by one sender thread that holds no venue lock while QuickFIX takes its
session locks: no lock-order deadlock between the two.

Sequence numbers. The acceptor keeps them across disconnects and logouts
(QuickFIX's ResetOn* settings default to N and ``fix_config`` writes them so;
the store is a FileStore): reports the venue produced while a session was away
are stored under their sequence numbers and replayed (PossDupFlag=Y) when the
gateway, logging on again, asks for them with a ResendRequest. A Logon with
ResetSeqNumFlag=Y (the gateway's first logon, or after a venue restart with an
empty store) starts the session over at 1.

An exception escaping a QuickFIX callback kills the process (the bindings
call ``Py_Exit``), so every callback catches everything that is not a FIX
exception meant for QuickFIX.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import quickfix as fix

from components.domain.venues import ExecKind, ExecutionReport, Liquidity
from components.fix import market_data as md
from venues_sim.quickfix_io import group_entries, to_message

from . import fix_codec as c
from . import venue as v
from .fees import FeeModel
from .fix_market_data import MarketDataPublisher, PublishingLock
from .venue import SimVenue

log = logging.getLogger(__name__)

# Exceptions QuickFIX turns into session or business rejects; all others are ours.
_FIX_ERRORS = (fix.FieldNotFound, fix.IncorrectDataFormat, fix.IncorrectTagValue, fix.UnsupportedMessageType)
# Tags read from order messages (the codec's input).
_ORDER_TAGS = (c.CL_ORD_ID, c.ORIG_CL_ORD_ID, c.SYMBOL, c.SIDE, c.ORDER_QTY, c.ORD_TYPE, c.PRICE, c.TIME_IN_FORCE,
               c.ORD_STATUS_REQ_ID)


@dataclass
class _Request:
    """The FIX request being handed to the venue, so its reports can be answered in kind."""

    kind: str  # "new", "cancel" or "replace"
    session: fix.SessionID
    fields: dict[int, str]
    order: c.FixOrder | None  # the order it is about (new: the order to be)
    child_id: str  # child whose ACK/REJECTED answers this request
    order_qty: int = 0  # replace: the new FIX total


def _copy_session_id(sid: fix.SessionID) -> fix.SessionID:
    """An owned copy: the SessionID QuickFIX passes to a callback is only borrowed."""
    return fix.SessionID(sid.getBeginString().getValue(), sid.getSenderCompID().getValue(),
                         sid.getTargetCompID().getValue(), sid.getSessionQualifier())


class VenueFixApp(fix.Application):
    """QuickFIX application fronting one ``SimVenue`` (created here, as ``venue``).

    ``clock`` gives wall-clock nanoseconds; the venue sees a never-decreasing
    version of it, so report timestamps and the fair-value path stay ordered
    even if the system clock steps back.
    """

    def __init__(self, name: str, fees: FeeModel, symbols: list[str], clock: Callable[[], int] = time.time_ns):
        super().__init__()
        self.venue = SimVenue(name, fees, symbols, self._on_report)
        # Every change to the venue holds this lock; letting it go publishes what moved.
        self.lock = PublishingLock(self._publish_market_data)
        self.market_data = MarketDataPublisher(self.venue, self.now_ns, self._emit)
        self._clock = clock
        self._last_ns = 0
        self._outbox: queue.Queue = queue.Queue()
        self._by_child: dict[str, c.FixOrder] = {}
        self._by_cl_ord_id: dict[tuple[str, str], c.FixOrder] = {}
        self._request: _Request | None = None
        self._order_seq = 0
        self._reject_seq = 0
        self._sessions: dict[str, fix.SessionID] = {}

    # ----------------------------------------------------------- time, ids

    def now_ns(self) -> int:
        """Venue time: the wall clock, never going backwards. Call with ``lock`` held."""
        self._last_ns = max(self._last_ns, self._clock())
        return self._last_ns

    def _next_order_id(self) -> str:
        self._order_seq += 1
        return f"{self.venue.name}-O{self._order_seq}"

    def _next_reject_id(self) -> str:
        # Refusals made by the front itself (no venue report); venue exec ids are "-E<n>".
        self._reject_seq += 1
        return f"{self.venue.name}-R{self._reject_seq}"

    # ----------------------------------------------------- QuickFIX callbacks

    def onCreate(self, sessionID):  # noqa: N802, N803 - QuickFIX names
        try:
            self._sessions[sessionID.toString()] = _copy_session_id(sessionID)
        except Exception:  # pragma: no cover - must not escape into QuickFIX
            log.exception("onCreate failed")

    def onLogon(self, sessionID):  # noqa: N802, N803
        try:
            log.info("logon %s", sessionID.toString())
        except Exception:  # pragma: no cover
            log.exception("onLogon failed")

    def onLogout(self, sessionID):  # noqa: N802, N803
        try:
            log.info("logout %s", sessionID.toString())
            with self.lock:  # market data subscriptions end with their session
                self.market_data.end_session(sessionID)
        except Exception:  # pragma: no cover
            log.exception("onLogout failed")

    def toAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def toApp(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        """Dispatch an order message or a MarketDataRequest; anything else gets a BusinessMessageReject."""
        msg_type = ""
        try:
            msg_type = message.getHeader().getField(c.MSG_TYPE)
            if msg_type == md.MARKET_DATA_REQUEST:  # Symbol is inside its NoRelatedSym group
                self._market_data_request(message, _copy_session_id(sessionID))
                return
            handler = self._HANDLERS.get(msg_type)
            if handler is None:
                raise fix.UnsupportedMessageType()
            # Symbol is optional in the FIX 4.4 Instrument block but the venue needs it:
            # a FieldNotFound becomes QuickFIX's reject naming the tag.
            if not message.isSetField(c.SYMBOL):
                raise fix.FieldNotFound(c.SYMBOL)
            fields = {tag: message.getField(tag) for tag in _ORDER_TAGS if message.isSetField(tag)}
            if msg_type == c.NEW_ORDER_SINGLE:
                header = message.getHeader()
                poss_dup = header.isSetField(c.POSS_DUP_FLAG) and header.getField(c.POSS_DUP_FLAG) == "Y"
                self._new_order(fields, _copy_session_id(sessionID), poss_dup)
                return
            handler(self, fields, _copy_session_id(sessionID))
        except _FIX_ERRORS:
            raise
        except Exception as exc:
            log.exception("failed to process %s", msg_type)
            try:
                seq = message.getHeader().getField(34)
                self._outbox.put((_copy_session_id(sessionID), c.business_reject(msg_type, seq, f"venue error: {exc}")))
            except Exception:  # pragma: no cover
                log.exception("could not queue a business reject")

    # ---------------------------------------------------------- requests

    def _new_order(self, fields: dict[int, str], sid: fix.SessionID, poss_dup: bool = False) -> None:
        session = sid.toString()
        cl_ord_id = fields[c.CL_ORD_ID]
        child_id = f"{session}|{cl_ord_id}"
        with self.lock:
            known = (session, cl_ord_id) in self._by_cl_ord_id
            if poss_dup and known:
                # A resend of an order already taken (PossDupFlag=Y): FIX asks the receiver to
                # check, and the original's reports already answered it.
                log.info("resent NewOrderSingle %s already known; ignored", cl_ord_id)
                return
            now = self.now_ns()
            if known:
                # A new order reusing a ClOrdID of the session (FIX 4.4: ClOrdID is unique per
                # session): rejected, OrdRejReason 6 Duplicate Order; the order holding it is
                # untouched (and the initiator's OMS takes the reject for "already there").
                self._emit(sid, c.order_rejected(fields, self._next_reject_id(), v.DUPLICATE_CHILD_ID, now))
                return
            try:
                child = c.parse_order(fields, child_id=child_id, order_id=self._next_order_id(),
                                      venue=self.venue.name)
            except c.FieldError as err:
                self._emit(sid, c.order_rejected(fields, self._next_reject_id(), err.reason, now, err.detail))
                return
            order = c.FixOrder(session, child.order_id, cl_ord_id, child_id, child.symbol, child.side,
                               child.quantity, cl_ord_ids=[cl_ord_id])
            self._call(_Request("new", sid, fields, order, child_id), self.venue.submit, child, now)

    def _cancel(self, fields: dict[int, str], sid: fix.SessionID) -> None:
        session = sid.toString()
        with self.lock:
            order = self._by_cl_ord_id.get((session, fields[c.ORIG_CL_ORD_ID]))
            # An unknown order still goes to the venue, which answers UNKNOWN_ORDER.
            child_id = order.child_id if order else f"{session}|{fields[c.ORIG_CL_ORD_ID]}"
            self._call(_Request("cancel", sid, fields, order, child_id), self.venue.cancel, child_id, self.now_ns())

    def _replace(self, fields: dict[int, str], sid: fix.SessionID) -> None:
        session = sid.toString()
        with self.lock:
            now = self.now_ns()
            order = self._by_cl_ord_id.get((session, fields[c.ORIG_CL_ORD_ID]))
            old_child = order.child_id if order else f"{session}|{fields[c.ORIG_CL_ORD_ID]}"
            new_child_id = f"{session}|{fields[c.CL_ORD_ID]}"
            try:
                new_child = c.parse_order(fields, child_id=new_child_id, order_id=order.order_id if order else "",
                                          venue=self.venue.name, cum_qty=order.cum_qty if order else 0)
            except c.FieldError as err:
                self._emit(sid, c.cancel_reject(fields, order, err.reason, "2", err.detail))
                return
            total = new_child.quantity + (order.cum_qty if order else 0)  # the FIX OrderQty
            request = _Request("replace", sid, fields, order, new_child_id, total)
            self._call(request, self.venue.replace, old_child, new_child, now)

    def _order_status(self, fields: dict[int, str], sid: fix.SessionID) -> None:
        """OrderStatusRequest (35=H): the order as it stands (ExecType I), or "unknown".

        Looked up by ClOrdID among every ClOrdID of the session's order chains (the
        original, its replacements and its cancel requests), as FIX asks. Answered
        through the outbox under the venue lock, so the answer leaves after every
        report the venue produced before it.
        """
        cl_ord_id = fields[c.CL_ORD_ID]
        with self.lock:
            now = self.now_ns()
            order = self._by_cl_ord_id.get((sid.toString(), cl_ord_id))
            if order is None:
                self._emit(sid, c.order_status_unknown(fields, now))
            else:
                self._emit(sid, c.order_status(order, now, fields.get(c.ORD_STATUS_REQ_ID, ""), cl_ord_id))

    def _market_data_request(self, message: fix.Message, sid: fix.SessionID) -> None:
        fields = {tag: message.getField(tag) for tag in (md.MD_REQ_ID, md.SUBSCRIPTION_REQUEST_TYPE,
                                                         md.MARKET_DEPTH, md.MD_UPDATE_TYPE)
                  if message.isSetField(tag)}
        entry_types = [e.get(md.MD_ENTRY_TYPE, "") for e in
                       group_entries(message, md.NO_MD_ENTRY_TYPES, md.MD_ENTRY_TYPE, (md.MD_ENTRY_TYPE,))]
        symbols = [e.get(c.SYMBOL, "") for e in group_entries(message, md.NO_RELATED_SYM, c.SYMBOL, (c.SYMBOL,))]
        with self.lock:
            self.market_data.request(sid, message.getHeader().getField(34), fields, entry_types, symbols)

    def _publish_market_data(self) -> None:
        self.market_data.publish()

    _HANDLERS = {
        c.NEW_ORDER_SINGLE: _new_order,
        c.ORDER_CANCEL_REQUEST: _cancel,
        c.ORDER_CANCEL_REPLACE_REQUEST: _replace,
        c.ORDER_STATUS_REQUEST: _order_status,
    }

    def _call(self, request: _Request, op: Callable, *args) -> None:
        """Run one venue operation with ``request`` as the context of its reports."""
        self._request = request
        try:
            op(*args)
        finally:
            self._request = None

    # ---------------------------------------------------------- reports

    def _on_report(self, report: ExecutionReport) -> None:
        """Venue report -> FIX message(s) on the outbox. Runs under ``lock``."""
        req = self._request
        if req is not None and report.child_id == req.child_id and report.kind in (ExecKind.ACK, ExecKind.REJECTED):
            self._answer(req, report)
            return
        order = self._by_child.get(report.child_id)
        if order is None:
            log.warning("report for unknown child %s dropped: %s", report.child_id, report)
            return
        sid = self._sessions[order.session]
        now = report.timestamp_ns
        if report.kind is ExecKind.FILL:
            order.fill(report.last_qty, report.last_px)
            order.status = c.STATUS_FILLED if report.leaves_qty == 0 else c.STATUS_PARTIAL
            self._emit(sid, c.execution_report(
                order, report.exec_id, c.EXEC_TRADE, order.status, report.leaves_qty, now,
                last_qty=report.last_qty, last_px=report.last_px, fee=report.fee,
                maker=report.liquidity is Liquidity.MAKER))
        elif report.kind is ExecKind.CANCELED:
            if report.reason == v.REPLACED:
                return  # the Replaced report on the new ClOrdID tells the whole story
            order.status = c.STATUS_CANCELED
            if req is not None and req.kind == "cancel":
                cl_ord_id = req.fields[c.CL_ORD_ID]
                self._emit(sid, c.execution_report(order, report.exec_id, c.EXEC_CANCELED, order.status, 0, now,
                                                   cl_ord_id=cl_ord_id, orig_cl_ord_id=order.cl_ord_id))
                self._adopt_cl_ord_id(order, cl_ord_id)
            else:  # IOC / market remainder, end of day: unsolicited
                self._emit(sid, c.execution_report(order, report.exec_id, c.EXEC_CANCELED, order.status, 0, now,
                                                   text=report.reason))
        else:
            log.warning("unexpected %s report for %s dropped", report.kind.value, report.child_id)

    def _answer(self, req: _Request, report: ExecutionReport) -> None:
        """The venue's ACK or REJECTED in reply to ``req``."""
        now, sid, order = report.timestamp_ns, req.session, req.order
        if report.kind is ExecKind.REJECTED:
            if req.kind == "new":
                self._emit(sid, c.order_rejected(req.fields, report.exec_id, report.reason, now))
            else:
                self._emit(sid, c.cancel_reject(req.fields, order, report.reason, "1" if req.kind == "cancel" else "2"))
            return
        if req.kind == "new":
            self._by_child[order.child_id] = order
            self._by_cl_ord_id[(order.session, order.cl_ord_id)] = order
            self._emit(sid, c.execution_report(order, report.exec_id, c.EXEC_NEW, c.STATUS_NEW,
                                               report.leaves_qty, now))
            return
        # Replace: the chain moves to the new child and ClOrdID, keeping CumQty.
        old_cl_ord_id = order.cl_ord_id
        order.child_id = req.child_id
        order.order_qty = req.order_qty
        order.status = order.working_status
        self._by_child[req.child_id] = order
        self._adopt_cl_ord_id(order, req.fields[c.CL_ORD_ID])
        self._emit(sid, c.execution_report(order, report.exec_id, c.EXEC_REPLACED, order.status,
                                           report.leaves_qty, now, orig_cl_ord_id=old_cl_ord_id))

    def _adopt_cl_ord_id(self, order: c.FixOrder, cl_ord_id: str) -> None:
        order.cl_ord_id = cl_ord_id
        order.cl_ord_ids.append(cl_ord_id)
        self._by_cl_ord_id[(order.session, cl_ord_id)] = order

    def _emit(self, sid: fix.SessionID, outbound: c.Outbound) -> None:
        self._outbox.put((sid, outbound))

    # ---------------------------------------------------------- sending

    def send_pending(self, timeout: float) -> bool:
        """Send the next queued message, waiting up to ``timeout`` s; False if none came."""
        try:
            sid, (msg_type, body) = self._outbox.get(timeout=timeout)
        except queue.Empty:
            return False
        try:
            fix.Session.sendToTarget(to_message(msg_type, body), sid)
        except Exception:  # a session gone away must not stop the sender
            log.exception("could not send %s to %s", msg_type, sid.toString())
        finally:
            self._outbox.task_done()
        return True

    def outbox_empty(self) -> bool:
        return self._outbox.unfinished_tasks == 0


class Requoter(Protocol):
    """A participant that refreshes its quotes when told the time (``MarketMaker``)."""

    def requote(self, now_ns: int) -> object: ...


class FixVenueServer:
    """Runs a ``VenueFixApp`` behind a QuickFIX ``ThreadedSocketAcceptor`` (a thread per connection).

    ``settings_path`` is a rendered QuickFIX settings file
    (``fix_config.write_acceptor_settings``). ``makers`` requote every
    ``requote_s`` seconds on a timer thread. Use as a context manager or call
    ``start`` / ``stop``; ``stop`` is idempotent.
    """

    def __init__(self, app: VenueFixApp, settings_path: Path, *, makers: list[Requoter] = (),
                 requote_s: float = 1.0, screen_log: bool = False):
        self.app = app
        self.settings_path = Path(settings_path)
        self.makers = list(makers)
        self.requote_s = requote_s
        self._screen_log = screen_log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = None

    def start(self) -> FixVenueServer:
        """Load settings, bind the port and start serving (raises fix.ConfigError / fix.RuntimeError)."""
        settings = fix.SessionSettings(str(self.settings_path))
        store = fix.FileStoreFactory(settings)
        logs = fix.ScreenLogFactory(settings) if self._screen_log else fix.FileLogFactory(settings)
        acceptor = fix.ThreadedSocketAcceptor(self.app, store, settings, logs)
        # Keep the factories alive as long as the acceptor: it holds raw C++ references.
        self._keep = (settings, store, logs)
        self._requote()  # quotes in the book before the first logon
        acceptor.start()
        self._acceptor = acceptor
        self._spawn("fix-sender", self._send_loop)
        if self.makers:
            self._spawn("fix-requote", self._requote_loop)
        return self

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"{name}-{self.app.venue.name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            self.app.send_pending(0.1)

    def _requote(self) -> None:
        with self.app.lock:
            now = self.app.now_ns()
            for maker in self.makers:
                try:
                    maker.requote(now)
                except Exception:  # one bad requote must not stop the venue's liquidity
                    log.exception("requote failed")

    def _requote_loop(self) -> None:
        while not self._stop.wait(self.requote_s):
            self._requote()

    def is_logged_on(self) -> bool:
        return bool(self._acceptor is not None and self._acceptor.isLoggedOn())

    def stop(self, flush_timeout: float = 2.0) -> None:
        """Send what is queued (up to ``flush_timeout`` s), log sessions out, stop threads."""
        if self._acceptor is None:
            return
        deadline = time.monotonic() + flush_timeout
        while not self.app.outbox_empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads.clear()
        self._logout_all(timeout=5.0)
        self._acceptor.stop()
        self._acceptor = None

    def _logout_all(self, timeout: float) -> None:
        """Log every session out and wait for the peers to confirm.

        ``Acceptor.stop`` does the same but polls in whole seconds; done
        here first, a stop takes milliseconds.
        """
        for sid in self._acceptor.getSessions():
            session = fix.Session.lookupSession(sid)
            if session is not None and session.isLoggedOn():
                session.logout("venue stopping")
        deadline = time.monotonic() + timeout
        while self._acceptor.isLoggedOn() and time.monotonic() < deadline:
            time.sleep(0.02)

    def __enter__(self) -> FixVenueServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
