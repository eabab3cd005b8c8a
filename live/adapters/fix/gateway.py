"""The VenueGateway port as a QuickFIX FIX 4.4 initiator: one session per venue.

``FixVenueGateway`` sends each ``ChildOrder`` as a NewOrderSingle (ClOrdID =
child id) on the session whose TargetCompID is the child's venue, cancels with
OrderCancelRequest, and turns the venues' ExecutionReports into domain
``ExecutionReport`` objects (``messages``). Sessions come from a standard
QuickFIX settings file (``settings`` renders the shipped template).

Threads. QuickFIX calls the application on its own threads (one per session:
``ThreadedSocketInitiator``; the plain ``SocketInitiator`` shares the
acceptor's stop-time hazards). Callbacks never touch components: reports go
onto a queue, and one pump thread hands them, in arrival order, to the sink
given to ``connect`` (the live runtime's thread-safe ``dispatch``). So a
QuickFIX thread never waits for the runtime's lock, while the runtime may
call ``send`` (which takes QuickFIX's session lock): no lock-order deadlock.
The gateway's own lock guards its child table and is never held across a
QuickFIX call.

Venue health. A venue is up while its session is logged on
(``is_logged_on``; the live MarketData reads it, so the router never picks a
venue that is down). When a session logs out or drops, every child still
working there gets an outcome (``on_disconnect``): "cancel" feeds a
CANCELED report at once (reason VENUE_DISCONNECTED; the order is canceled,
or its other children carry on), "reroute" a REJECTED one (the OMS reroutes
the leaves to venues that are up, or rejects with a reason); "hold" keeps
them working up to ``hold_s`` seconds and confirms them with the venue when
it is back (``recovery``). Settled children are remembered as orphans:
at the next logon the gateway asks the venue to cancel them, in case it kept
them; the children a restarted process found working in its log are adopted
as orphans the same way (``adopt_orphans``). A child sent while its venue is
down never leaves and is REJECTED (VENUE_DISCONNECTED) at once.
An OrderCancelReject (or a BusinessMessageReject of our cancel) is recorded
(CANCEL_REJECTED: a ``CancelRejected`` event) and changes nothing else,
except when the venue says the order is unknown: then the child is gone
(REJECTED, UNKNOWN_ORDER, as the simulated venue reports it).

Messages the gateway cannot apply, order status reconciliation and stuck
orders: see ``reconcile`` (``Reconciliation``).

Sequence numbers and holds: see ``recovery`` (``SessionRecovery``).

Market data: see ``subscriptions`` (``MarketDataSubscriptions``); a venue whose dialect
(``dialects``, ``components.config.live.VenueDialect``) has none is never asked for it.
Each venue's dialect validation keys are written into its [SESSION] at ``start``
(``settings.apply_dialects``).

An exception escaping a QuickFIX callback kills the process (the bindings
call ``Py_Exit``), so every callback catches everything not meant for QuickFIX.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Mapping

import quickfix as fix

from components.config.live import VenueDialect
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport
from components.fix import market_data as md
from components.fix import wire as w
from components.oms import is_duplicate_order
from venues_sim.quickfix_io import to_message

from live.adapters.fix import messages as m
from live.adapters.fix.settings import apply_dialects, claim_sessions, release_sessions
from live.adapters.fix.market_data import QuoteCache
from live.adapters.fix.recovery import LostFill, SessionRecovery
from live.adapters.fix.reconcile import (DEFAULT_STATUS_TIMEOUT_S, FILL_AFTER_CLOSE, UNKNOWN_ORDER, UNPARSEABLE, UNSUPPORTED,
                                         Reconciliation, message_logs, readable)
from live.adapters.ids import uuid4_hex
from live.adapters.fix.report_pump import ReportPump
from live.adapters.fix.subscriptions import MarketDataSubscriptions

log = logging.getLogger("live.fix")

ON_DISCONNECT = ("cancel", "reroute", "hold")
DEFAULT_HOLD_S = 30.0
KEEP_FINISHED = 100_000
"""Finished children remembered (for late or duplicate reports about them); older ones are forgotten."""
KEEP_SENT_SEQS = 100_000
"""Outgoing NewOrderSingle sequence numbers remembered per gateway (to match rejects to children)."""


def _copy_session_id(sid: fix.SessionID) -> fix.SessionID:
    """An owned copy: the SessionID QuickFIX passes to a callback is only borrowed."""
    return fix.SessionID(sid.getBeginString().getValue(), sid.getSenderCompID().getValue(),
                         sid.getTargetCompID().getValue(), sid.getSessionQualifier())


def _is_poss_dup(message: fix.Message) -> bool:
    """Whether a message carries PossDupFlag=Y (a resend). Never raises."""
    try:
        header = message.getHeader()
        return header.isSetField(w.POSS_DUP_FLAG) and header.getField(w.POSS_DUP_FLAG) == "Y"
    except Exception:  # must not escape into QuickFIX
        return False


def _fields(message: fix.Message) -> dict[int, str]:
    return {tag: message.getField(tag) for tag in m.REPORT_TAGS if message.isSetField(tag)}


class _App(fix.Application):
    """The QuickFIX application: every callback delegates to the gateway, catching all."""

    def __init__(self, gateway: FixVenueGateway) -> None:
        super().__init__()
        self._gateway = gateway

    def _guard(self, name: str, fn: Callable, *args) -> None:
        try:
            fn(*args)
        except Exception:  # must not escape into QuickFIX
            log.exception("%s failed", name)

    def onCreate(self, sessionID):  # noqa: N802, N803 - QuickFIX names
        self._guard("onCreate", self._gateway._on_create, sessionID)

    def onLogon(self, sessionID):  # noqa: N802, N803
        self._guard("onLogon", self._gateway._on_logon, sessionID)

    def onLogout(self, sessionID):  # noqa: N802, N803
        self._guard("onLogout", self._gateway._on_logout, sessionID)

    def toAdmin(self, message, sessionID):  # noqa: N802, N803
        self._guard("toAdmin", self._gateway._on_admin_sending, message, sessionID)

    def toApp(self, message, sessionID):  # noqa: N802, N803
        if _is_poss_dup(message) and not self._gateway._may_resend(message):
            # QuickFIX turns DoNotSend into a SequenceReset-GapFill over the message.
            raise fix.DoNotSend()
        self._guard("toApp", self._gateway._on_sending, message, sessionID)

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        self._guard("fromAdmin", self._gateway._on_admin, message, sessionID)

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        self._guard("fromApp", self._gateway._on_app, message, sessionID)


class FixVenueGateway(SessionRecovery, Reconciliation, MarketDataSubscriptions):
    """The VenueGateway port over QuickFIX initiator sessions, one per venue in ``venues``."""

    def __init__(self, venues: Iterable[str], *, now_ns: Callable[[], int] = time.time_ns,
                 on_disconnect: str = "cancel", symbols: Iterable[str] = (),
                 quotes: QuoteCache | None = None, hold_s: float = DEFAULT_HOLD_S,
                 stuck_after_s: dict[str, float] | None = None,
                 status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
                 dialects: Mapping[str, VenueDialect] | None = None) -> None:
        if on_disconnect not in ON_DISCONNECT:
            raise ValueError(f"on_disconnect must be one of {ON_DISCONNECT}, got {on_disconnect!r}")
        if not hold_s > 0:
            raise ValueError(f"hold_s must be > 0, got {hold_s!r}")
        self.venues = tuple(venues)
        self._now_ns = now_ns
        self._hold = on_disconnect == "hold"
        self.hold_s = hold_s
        # What a dropped session's children get at once ("cancel", "reroute"), or when a hold expires.
        self._outcome = ExecKind.REJECTED if on_disconnect == "reroute" else ExecKind.CANCELED
        self._lock = threading.Lock()
        self._sessions: dict[str, fix.SessionID] = {}
        self._up: dict[str, bool] = {v: False for v in self.venues}
        self._children: dict[str, ChildOrder] = {}  # every child sent: ClOrdID -> child
        self._sent_ns: dict[str, int] = {}
        self._working: set[str] = set()  # children the OMS still considers open at their venue
        self._finished: deque[str] = deque()  # children done, oldest first (see KEEP_FINISHED)
        self._cancels: dict[str, str] = {}  # cancel ClOrdID -> child id
        self._cancel_seq = 0
        # Cancel ClOrdIDs are ``<child>.X<instance>-<n>``: a restarted gateway asking a remote venue to
        # cancel an earlier process's child must not repeat a cancel ClOrdID that process already used.
        self._cancel_prefix = uuid4_hex()[:8]
        self._orphans: dict[str, set[str]] = {v: set() for v in self.venues}
        self._by_seq: dict[tuple[str, int], str] = {}  # (venue, MsgSeqNum) -> child id of a NewOrderSingle
        self.sent = {v: 0 for v in self.venues}  # application messages this session, per venue
        self.received = {v: 0 for v in self.venues}
        self.disconnects = {v: 0 for v in self.venues}
        self.symbols = tuple(symbols)  # subscribed at every venue after each logon; () = no market data
        # Each venue's dialect (``VenueDialect``): its validation settings are written into its [SESSION]
        # at ``start``, and a venue without market data is never sent a MarketDataRequest (35=V).
        self.dialects = dict(dialects or {})
        self.without_market_data = frozenset(v for v, d in self.dialects.items() if not d.market_data)
        self.quotes = quotes if quotes is not None else QuoteCache()
        self._md_requests: dict[str, tuple[str, str]] = {}  # MDReqID -> (venue, symbol)
        self._md_by_seq: dict[tuple[str, int], str] = {}  # (venue, MsgSeqNum) -> MDReqID of a request
        self._md_seq = 0
        # Session recovery (see "Sequence numbers" above).
        self._reset_next: dict[str, bool] = {v: True for v in self.venues}  # send ResetSeqNumFlag=Y next logon
        self._reset_sent: dict[str, bool] = {}  # this logon started the session over
        self._session_no: dict[str, int] = {}  # sessions started with each venue (1 at the first logon)
        self._held: dict[str, set[str]] = {}  # venue -> children kept working while its session is away
        self._hold_gen: dict[str, int] = {}  # bumped whenever a venue's hold ends: stale timers do nothing
        self._hold_timers: dict[str, threading.Timer] = {}
        self._cancel_wanted: set[str] = set()  # held children a cancel could not be sent for
        self._status_reqs: dict[str, str] = {}  # OrdStatusReqID -> reason if the venue does not know the order
        self._status_seq = 0
        self._filled: dict[str, int] = {}  # child -> shares filled, from the fill reports passed on
        # child -> exec id -> (LastQty, LastPx) passed on: a resend repeats them (``_seen_fill``)
        self._fill_ids: dict[str, dict[str, set[tuple[int, int]]]] = {}
        self.lost_fills: list[LostFill] = []
        """Order status answers showing more executed than the fills received: fills lost despite
        resend (logged as errors; they need booking by hand)."""
        self.resent_received = {v: 0 for v in self.venues}  # PossDupFlag=Y messages taken, per venue
        self._logon_seq: dict[str, int] = {}  # MsgSeqNum of the venue's last Logon
        self._pump = ReportPump()
        self._app = _App(self)
        self._initiator = None
        self._keep: tuple = ()
        self._claimed: list[str] = []
        self._stopping = False
        self._init_reconciliation(stuck_after_s, status_timeout_s)

    # -- the port -----------------------------------------------------------------
    def connect(self, on_report: Callable[[ExecutionReport], None]) -> None:
        self._pump.sink = on_report

    def send(self, child: ChildOrder) -> None:
        venue = child.venue
        now = self._now_ns()
        with self._lock:
            if child.child_id in self._working and self._children.get(child.child_id) == child:
                # At-least-once: a router re-sending a child this session already has working at its
                # venue (docs/router_redelivery.md). The venue would refuse the ClOrdID as a duplicate.
                log.info("child %s is already working at %s; not sent again", child.child_id, venue)
                return
            self._children[child.child_id] = child
            self._sent_ns[child.child_id] = now
            self._working.add(child.child_id)
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
        if up and sid is not None and self._deliver(m.new_order_single(child, now), sid, venue):
            return
        log.warning("child %s not sent: venue %s is not connected", child.child_id, venue)
        self._close(child.child_id, ExecKind.REJECTED, m.VENUE_DISCONNECTED)

    def cancel(self, venue: str, child_id: str) -> None:
        with self._lock:
            child = self._children.get(child_id)
            if child is None or child_id not in self._working:
                log.info("cancel of %s at %s skipped: not working there", child_id, venue)
                return
            cancel_id = self._next_cancel_id(child_id)
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
        if up and sid is not None and self._deliver(m.order_cancel_request(cancel_id, child, self._now_ns()),
                                                    sid, venue):
            with self._lock:
                self._cancel_sent_ns[child_id] = self._now_ns()  # watched until answered (``stuck``)
        else:
            with self._lock:
                held = child_id in self._held.get(venue, ())
                if held:  # sent once the venue is back and has confirmed the child still works
                    self._cancel_wanted.add(child_id)
            # Otherwise the disconnect handling closes (or has closed) the child; nothing to add.
            log.warning("cancel of %s not sent: venue %s is not connected%s", child_id, venue,
                        " (sent when it logs on again)" if held else "")

    def adopt_orphans(self, children: Iterable[ChildOrder]) -> None:
        """Children an earlier process left working, which the OMS has just closed locally
        (``live.recovery``): remembered as orphans of their venues, so after the
        next logon the venue is asked to cancel them, as after a disconnect. Call before ``start``."""
        with self._lock:
            for child in children:
                self._children[child.child_id] = child
                self._orphans.setdefault(child.venue, set()).add(child.child_id)

    # -- lifecycle ------------------------------------------------------------------
    def start(self, settings_path: str | Path) -> FixVenueGateway:
        """Load a rendered settings file (after writing the venues' dialect keys into it), check every venue
        has a session, and start connecting."""
        apply_dialects(Path(settings_path), self.dialects)
        settings = fix.SessionSettings(str(settings_path))
        sids = list(settings.getSessions())
        targets = {sid.getTargetCompID().getValue() for sid in sids}
        missing = [v for v in self.venues if v not in targets]
        if missing:
            raise ValueError(f"{settings_path}: no [SESSION] with TargetCompID for venue(s) {', '.join(missing)}")
        names = [sid.toString() for sid in sids]
        if not claim_sessions(names):
            raise RuntimeError(f"FIX session(s) {', '.join(names)} already in use in this process")
        try:
            store = fix.FileStoreFactory(settings)
            logs = fix.FileLogFactory(settings)
            initiator = fix.ThreadedSocketInitiator(self._app, store, settings, logs)
            self._keep = (settings, store, logs)  # the initiator holds raw C++ references to them
            self._stopping = False
            self._message_logs = message_logs(settings, sids)
            self._pump.start()
            initiator.start()
            self._start_watchdog()
        except BaseException:
            release_sessions(names)
            raise
        self._initiator, self._claimed = initiator, names
        return self

    def wait_logged_on(self, timeout: float) -> list[str]:
        """Wait until every venue's session is logged on; return those still down."""
        deadline = time.monotonic() + timeout
        while True:
            down = [v for v in self.venues if not self._up.get(v)]
            if not down or time.monotonic() >= deadline:
                return down
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """Log every session out (working orders stay at their venues), stop, drain the pump."""
        initiator, self._initiator = self._initiator, None
        if initiator is None:
            return
        self._stopping = True  # a logout now is ours: it closes no orders
        self._stop_watchdog()
        with self._lock:  # held children stay at their venues, like every working order at a stop
            for venue in list(self._hold_timers):
                self._end_hold(venue)
        for sid in initiator.getSessions():
            session = fix.Session.lookupSession(sid)
            if session is not None and session.isLoggedOn():
                session.logout("gateway stopping")
        deadline = time.monotonic() + timeout
        while initiator.isLoggedOn() and time.monotonic() < deadline:
            time.sleep(0.01)
        initiator.stop()  # ``Initiator.stop`` waits in whole seconds for logouts: done above first
        del initiator  # the last reference: its sessions leave QuickFIX's registry now...
        self._keep = ()
        release_sessions(self._claimed)  # ...so their ids may be used again
        self._claimed = []
        self._pump.stop(timeout)

    # -- state read by the live stack -------------------------------------------------
    def is_logged_on(self, venue: str) -> bool:
        """Whether ``venue``'s session is logged on (the venue's health, as live MarketData sees it)."""
        return self._up.get(venue, False)

    @property
    def idle(self) -> bool:
        """No report waiting to be handed to the runtime."""
        return self._pump.idle

    @property
    def working(self) -> int:
        with self._lock:
            return len(self._working)

    # -- QuickFIX callbacks (its threads) ---------------------------------------------
    def _on_create(self, sid: fix.SessionID) -> None:
        venue = sid.getTargetCompID().getValue()
        if venue not in self._up:
            log.warning("session %s is for no configured venue; ignored", sid.toString())
            return
        self._sessions[venue] = _copy_session_id(sid)

    def _on_logon(self, sid: fix.SessionID) -> None:
        venue = sid.getTargetCompID().getValue()
        with self._lock:
            self._up[venue] = True
            self.sent[venue] = self.received[venue] = 0  # counted per logon, as the embedded venues count
            reset = self._reset_sent.pop(venue, False)
            self._reset_next[venue] = False
            if reset:  # a new session: exec ids are qualified by it (``m.session_exec_id``), and
                # sequence numbers restart with it: old ones name nothing now
                self._session_no[venue] = self._session_no.get(venue, 0) + 1
                self._by_seq = {k: c for k, c in self._by_seq.items() if k[0] != venue}
                self._md_by_seq = {k: r for k, r in self._md_by_seq.items() if k[0] != venue}
            held = sorted(c for c in self._held.get(venue, ()) if c in self._working)
            self._end_hold(venue)
            orphans = sorted(self._orphans.get(venue, ()))
            self._orphans[venue] = set()
            self._finished.extend(orphans)  # forgotten in time, like any finished child
        log.info("venue %s logged on (%s)%s", venue, sid.toString(),
                 ", new session (sequence numbers reset)" if reset else "")
        if held:  # sent from the pump: never from inside a QuickFIX callback
            self._pump.put(lambda: self._confirm_held(venue, held, reset))
        if orphans:
            self._pump.put(lambda: self._cancel_orphans(venue, orphans))
        if self.symbols and venue not in self.without_market_data:
            self.quotes.expect(venue, self.symbols)  # before sending: waiters see "not yet answered"
            self._pump.put(lambda: self._subscribe(venue))

    def _on_logout(self, sid: fix.SessionID) -> None:
        venue = sid.getTargetCompID().getValue()
        now = self._now_ns()
        self.quotes.drop(venue)  # whatever the reason: a venue we cannot hear has no quotes
        with self._lock:
            was_up = self._up.get(venue, False)
            self._up[venue] = False
            self._md_requests = {r: vs for r, vs in self._md_requests.items() if vs[0] != venue}
            if self._stopping or not was_up:
                return
            self.disconnects[venue] = self.disconnects.get(venue, 0) + 1
            lost = sorted(c for c in self._working if self._children[c].venue == venue)
            if self._hold:
                self._held.setdefault(venue, set()).update(lost)
                timer = self._start_hold(venue)
            else:
                reports = self._settle(venue, lost, now)
        if self._hold:
            log.warning("venue %s disconnected: %d working child order(s) held up to %.1f s for it to return",
                        venue, len(lost), self.hold_s)
            timer.start()
            return
        self._report_settled(venue, reports)

    def _on_sending(self, message: fix.Message, sid: fix.SessionID) -> None:
        """Remember which child each outgoing NewOrderSingle is, by sequence number (for rejects)."""
        header = message.getHeader()
        msg_type = header.getField(w.MSG_TYPE)
        if msg_type == md.MARKET_DATA_REQUEST:
            venue = sid.getTargetCompID().getValue()
            with self._lock:
                self._md_by_seq[(venue, int(header.getField(w.MSG_SEQ_NUM)))] = message.getField(md.MD_REQ_ID)
            return
        if msg_type not in (w.NEW_ORDER_SINGLE, w.ORDER_CANCEL_REQUEST):
            return
        venue = sid.getTargetCompID().getValue()
        with self._lock:  # a cancel by its own ClOrdID (``_cancels`` maps it to the child)
            self._by_seq[(venue, int(header.getField(w.MSG_SEQ_NUM)))] = message.getField(w.CL_ORD_ID)
            if len(self._by_seq) > KEEP_SENT_SEQS:
                del self._by_seq[next(iter(self._by_seq))]  # the oldest: a reject comes soon or never

    def _on_admin(self, message: fix.Message, sid: fix.SessionID) -> None:
        msg_type = message.getHeader().getField(w.MSG_TYPE)
        if msg_type == w.SESSION_REJECT:
            self._on_refused(_fields(message), sid.getTargetCompID().getValue(), "session")
        elif msg_type == w.LOGOUT:
            self._check_sequence_logout(message, sid, "venue")
        elif msg_type == w.LOGON:  # what came before it belongs to earlier logons (see ``received``)
            with self._lock:
                self._logon_seq[sid.getTargetCompID().getValue()] = int(message.getHeader().getField(w.MSG_SEQ_NUM))

    def _on_app(self, message: fix.Message, sid: fix.SessionID) -> None:
        venue = sid.getTargetCompID().getValue()
        msg_type = message.getHeader().getField(w.MSG_TYPE)
        resent = _is_poss_dup(message)
        # Counted per logon, like the embedded venues count what they send: a message from an
        # earlier logon replayed now was counted then (``quiet`` compares the two counts).
        counted = int(message.getHeader().getField(w.MSG_SEQ_NUM)) > self._logon_seq.get(venue, 0)
        try:
            if msg_type == md.MARKET_DATA_SNAPSHOT:
                self._on_snapshot(message, venue)
                return
            if msg_type == md.MARKET_DATA_REQUEST_REJECT:
                self._on_market_data_reject(message, venue)
                return
            fields = _fields(message)
            if msg_type == w.EXECUTION_REPORT and m.is_order_status(fields):
                self._on_order_status(fields, venue)
            elif msg_type == w.EXECUTION_REPORT:
                self._on_execution_report(fields, venue, message)
            elif msg_type == w.ORDER_CANCEL_REJECT:
                self._on_cancel_reject(fields, venue)
            elif msg_type == w.BUSINESS_MESSAGE_REJECT:
                self._on_refused(fields, venue, "business")
            else:
                self.refuse(venue, self._child_of(fields), f"{UNSUPPORTED}: MsgType {msg_type!r}",
                            readable(message.toString()))
        finally:
            with self._lock:  # counted once its report is queued: see ``quiet``
                if resent:
                    self.resent_received[venue] = self.resent_received.get(venue, 0) + 1
                if counted:
                    self.received[venue] = self.received.get(venue, 0) + 1

    # -- inbound --------------------------------------------------------------------
    def _child_of(self, fields: dict[int, str]) -> str | None:
        cl_ord_id, orig = fields.get(w.CL_ORD_ID, ""), fields.get(w.ORIG_CL_ORD_ID, "")
        if cl_ord_id in self._children:
            return cl_ord_id
        if cl_ord_id in self._cancels:
            return self._cancels[cl_ord_id]
        return orig if orig in self._children else None

    def _on_execution_report(self, fields: dict[int, str], venue: str, message: fix.Message) -> None:
        now = self._now_ns()
        with self._lock:
            child_id = self._child_of(fields)
            child = self._children.get(child_id) if child_id else None
            try:
                report = child and m.execution_report(fields, child, received_ns=now,
                                                      sent_ns=self._sent_ns.get(child_id, 0),
                                                      session=self._session_no.get(venue, 1))
                problem = "" if child else f"{UNKNOWN_ORDER}: ClOrdID {fields.get(w.CL_ORD_ID)!r}"
                if child and report is None and fields.get(w.EXEC_TYPE) not in m.PENDING_EXEC_TYPES:
                    problem = f"{UNSUPPORTED}: ExecType {fields.get(w.EXEC_TYPE)!r}"  # e.g. a trade bust (H)
            except ValueError as exc:
                report, problem = None, f"{UNPARSEABLE}: {exc}"
            if child_id is not None:
                self._acked.add(child_id)  # the venue has answered about it (``stuck``)
        if problem:  # never dropped without a record
            self.refuse(venue, child_id, problem, readable(message.toString()))
            return
        if report is None:
            return
        with self._lock:
            if report.kind is ExecKind.FILL and report.exec_id and self._seen_fill(child_id, report):
                # a resend of a fill already passed on: the OMS has it
                log.info("fill %s for %s from %s again (resent); already passed on", report.exec_id,
                         child_id, venue)
                return
            if report.kind is ExecKind.FILL:
                self._filled[child_id] = self._filled.get(child_id, 0) + report.last_qty
            was_working = child_id in self._working
            # A duplicate-ClOrdID reject (OrdRejReason 6) says the venue already holds the child: it is
            # still working there (the OMS reads the report the same way), so it is not finished here.
            duplicate = report.kind is ExecKind.REJECTED and is_duplicate_order(report.reason)
            if m.is_final(report) and was_working and not duplicate:
                self._finish(child_id)
            if report.kind is not ExecKind.FILL and fields.get(w.CL_ORD_ID) in self._cancels:
                del self._cancels[fields[w.CL_ORD_ID]]  # the cancel is answered
                self._cancel_sent_ns.pop(child_id, None)
        self._pump.put(report)
        if not was_working and report.kind is ExecKind.FILL:
            # The venue kept an order we had closed (VENUE_DISCONNECTED): the OMS will not book it, so it is
            # recorded on the order (VenueMessageRefused) and counted; it needs manual booking.
            self.refuse(venue, child_id, f"{FILL_AFTER_CLOSE}: {report.last_qty} at {w.price_text(report.last_px)}"
                        f" (exec id {report.exec_id}) after the child was closed; needs manual booking",
                        readable(message.toString()))

    # -- helpers ----------------------------------------------------------------------
    def _next_cancel_id(self, child_id: str) -> str:
        self._cancel_seq += 1
        cancel_id = f"{child_id}.X{self._cancel_prefix}-{self._cancel_seq}"
        self._cancels[cancel_id] = child_id
        return cancel_id

    def _finish(self, child_id: str) -> None:
        """The child is done at its venue: stop counting it as working; forget the oldest
        finished ones beyond KEEP_FINISHED. Call holding the lock."""
        self._working.discard(child_id)
        self._cancel_wanted.discard(child_id)
        self._forget_watch(child_id)
        self._finished.append(child_id)
        while len(self._finished) > KEEP_FINISHED:
            old = self._finished.popleft()
            if old not in self._working and not any(old in o for o in self._orphans.values()):
                self._children.pop(old, None)
                self._sent_ns.pop(old, None)
                self._filled.pop(old, None)
                self._fill_ids.pop(old, None)

    def _deliver(self, outbound: m.Outbound, sid: fix.SessionID, venue: str) -> bool:
        msg_type, body = outbound
        message = to_message(msg_type, body)
        try:
            ok = bool(fix.Session.sendToTarget(message, sid))
        except Exception:  # SessionNotFound, a closed socket: not sent
            log.exception("could not send %s to %s", msg_type, venue)
            return False
        if ok:
            with self._lock:
                self.sent[venue] = self.sent.get(venue, 0) + 1
        return ok

    def _close(self, child_id: str, kind: ExecKind, reason: str) -> None:
        """Give a still-working child an outcome the gateway decided (at most once)."""
        with self._lock:
            if child_id not in self._working:
                return
            self._finish(child_id)
            report = m.synthesized(kind, self._children[child_id], reason, self._now_ns())
        self._pump.put(report)

    # -- a dropped session: settle at once, or hold -----------------------------------
    def _settle(self, venue: str, child_ids: Iterable[str], now: int) -> list[ExecutionReport]:
        """Close still-working children of a venue that is away, per the policy's outcome
        (CANCELED, or REJECTED for rerouting; reason VENUE_DISCONNECTED), and remember them as
        orphans to cancel at the venue after the next logon. Call holding the lock."""
        reports = []
        for child_id in child_ids:
            if child_id not in self._working:
                continue
            self._working.discard(child_id)
            self._cancel_wanted.discard(child_id)
            self._forget_watch(child_id)
            self._orphans.setdefault(venue, set()).add(child_id)
            reports.append(m.synthesized(self._outcome, self._children[child_id], m.VENUE_DISCONNECTED, now))
        return reports

    def _report_settled(self, venue: str, reports: list[ExecutionReport]) -> None:
        log.warning("venue %s disconnected: %d working child order(s) %s (%s)", venue, len(reports),
                    "canceled" if self._outcome is ExecKind.CANCELED else "rejected for rerouting",
                    m.VENUE_DISCONNECTED)
        for report in reports:
            self._pump.put(report)
