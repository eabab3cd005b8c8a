"""Session recovery for the FIX gateway: sequence numbers, resends, holds and order status.

Sequence numbers. They survive a dropped session (the settings have no
ResetOn*), so on logging on again QuickFIX asks each side for what it missed
and the venue replays its reports (PossDupFlag=Y): a fill passes on once per
ExecID. What the venue asks us to resend goes again only while it still
means something (``_may_resend``), else it is gap-filled. The gateway starts
a new session itself (ResetSeqNumFlag=Y on its Logon, ``_on_admin_sending``)
at its first logon to each venue and after a Logout "MsgSeqNum too low" (a
venue restarted with an empty store): recovery is within one gateway's life.

Holds (``on_disconnect = "hold"``). The children working at a venue whose
session dropped stay working up to ``hold_s`` (``_start_hold``: a timer
thread; ``_hold_expired`` settles them as "cancel" does). Back in time, the
missed reports arrive by resend, then one OrderStatusRequest per held child
(``_confirm_held``) confirms it (``_on_order_status``): unknown to the venue,
it is closed; done there without a final report, closed; more executed than
received, a ``LostFill`` is logged and kept. Orphans (children closed while
their venue was away, or adopted from a restarted process's log) are asked
to be canceled after the next logon (``_cancel_orphans``).

``SessionRecovery`` is the part of ``FixVenueGateway`` that does this: a
mixin over the gateway's own state (its lock, child table, working set,
sessions, pump and the hold bookkeeping it declares), split out by
responsibility. Every method runs on a QuickFIX thread, a timer thread or
the pump, never inside the runtime.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from decimal import Decimal

import quickfix as fix

from components.domain.venues import ExecKind, ExecutionReport
from components.fix import market_data as md
from components.fix import wire as w

from live.adapters.fix import messages as m

log = logging.getLogger("live.fix")

LOST_FILL = "LOST_FILL"
"""The reason of the ``ExecutionDiscrepancy`` a lost fill records."""

_TOO_LOW = "MsgSeqNum too low"
"""How QuickFIX starts the Logout text when a peer's sequence numbers went backwards."""


@dataclass(frozen=True, slots=True)
class LostFill:
    """An order status showing more shares executed at the venue than the gateway received fills for."""

    venue: str
    child_id: str
    order_id: str
    venue_cum_qty: int
    received_qty: int
    avg_px: Decimal
    """The venue's average price over all its executions of the child, as written (not booked)."""
    at_ns: int


class SessionRecovery:
    """Resend decisions, session resets, holds and order-status confirmation (module docstring)."""

    def _may_resend(self, message: fix.Message) -> bool:
        """Whether to resend a message the venue asked for again (ResendRequest) or gap-fill it.

        Resent (PossDupFlag=Y) only while it still means something: an order, a cancel or a
        status request for a child still working (the venue never got it; it asked because the
        message went missing), a market data request of a live subscription. Anything else,
        e.g. the order of a child closed while the venue was away, is gap-filled: replayed late
        it would trade for an order the OMS has closed. Never raises (QuickFIX thread)."""
        try:
            msg_type = message.getHeader().getField(w.MSG_TYPE)
            with self._lock:
                if msg_type in (w.NEW_ORDER_SINGLE, w.ORDER_STATUS_REQUEST):
                    return message.getField(w.CL_ORD_ID) in self._working
                if msg_type == w.ORDER_CANCEL_REQUEST:
                    return message.getField(w.ORIG_CL_ORD_ID) in self._working
                if msg_type == md.MARKET_DATA_REQUEST:
                    return message.getField(md.MD_REQ_ID) in self._md_requests
            return False
        except Exception:  # must not escape into QuickFIX
            log.exception("resend check failed; gap-filling")
            return False

    def _on_admin_sending(self, message: fix.Message, sid: fix.SessionID) -> None:
        """Start the session over (ResetSeqNumFlag=Y on our Logon) when this gateway first logs on
        to a venue, or after either side found the other's sequence numbers gone backwards. Our
        session Reject of an inbound message goes to ``_on_reject_sent``."""
        msg_type = message.getHeader().getField(w.MSG_TYPE)
        if msg_type == w.SESSION_REJECT:  # QuickFIX refused an inbound message: ``reconcile`` records it
            self._on_reject_sent(message, sid)
            return
        if msg_type == w.LOGOUT:
            self._check_sequence_logout(message, sid, "gateway")
            return
        if msg_type != w.LOGON:
            return
        venue = sid.getTargetCompID().getValue()
        with self._lock:
            reset = self._reset_next.get(venue, True)
            self._reset_sent[venue] = reset
        if reset:  # QuickFIX resets our side and numbers this Logon 1 when it sees the flag here
            message.setField(w.RESET_SEQ_NUM_FLAG, "Y")

    def _check_sequence_logout(self, message: fix.Message, sid: fix.SessionID, side: str) -> None:
        """A Logout saying "MsgSeqNum too low": one side's sequence numbers went backwards (a venue
        restarted with an empty store). QuickFIX cannot recover that: the next Logon starts over."""
        text = message.getField(w.TEXT) if message.isSetField(w.TEXT) else ""
        if not text.startswith(_TOO_LOW):
            return
        venue = sid.getTargetCompID().getValue()
        with self._lock:
            self._reset_next[venue] = True
        log.warning("FIX session with %s: %s (%s side); the next logon starts a new session", venue, text, side)

    def _start_hold(self, venue: str) -> threading.Timer:
        """Arm (not start) the timer that settles ``venue``'s held children after ``hold_s``
        unless it logs on first. Call holding the lock; start the timer after releasing it."""
        old = self._hold_timers.pop(venue, None)
        if old is not None:  # held again before the last hold ended: the new deadline counts
            old.cancel()
        generation = self._hold_gen[venue] = self._hold_gen.get(venue, 0) + 1
        timer = threading.Timer(self.hold_s, self._hold_expired, (venue, generation))
        timer.daemon = True
        timer.name = f"fix-hold-{venue}"
        self._hold_timers[venue] = timer
        return timer

    def _end_hold(self, venue: str) -> None:
        """The venue is back (or we stop): its hold timer, if any, does nothing now. Holding the lock."""
        self._hold_gen[venue] = self._hold_gen.get(venue, 0) + 1
        timer = self._hold_timers.pop(venue, None)
        if timer is not None:
            timer.cancel()
        self._held.pop(venue, None)

    def _hold_expired(self, venue: str, generation: int) -> None:
        """``hold_s`` passed with the venue still away: its held children are settled as the
        "cancel" policy settles them at once (timer thread)."""
        try:
            with self._lock:
                if self._hold_gen.get(venue) != generation or self._up.get(venue, False) or self._stopping:
                    return  # the venue came back (or we stop) meanwhile
                held = sorted(self._held.pop(venue, ()))
                self._hold_timers.pop(venue, None)
                reports = self._settle(venue, held, self._now_ns())
            log.warning("venue %s still away after %.1f s: hold over", venue, self.hold_s)
            self._report_settled(venue, reports)
        except Exception:  # a timer thread has nobody to tell
            log.exception("hold expiry for %s failed", venue)

    def _confirm_held(self, venue: str, child_ids: list[str], reset: bool) -> None:
        """After a held venue logs on again (from the pump): by now the venue has been asked to
        resend what it sent while away; ask for the status of every held child (the answers come
        after the resent reports), then send the cancels that could not be sent meanwhile."""
        unknown_reason = m.VENUE_RESTARTED if reset else m.UNKNOWN_ORDER
        with self._lock:
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
            requests = []
            for child_id in child_ids:
                if child_id not in self._working:
                    continue  # a resent report finished it already
                self._status_seq += 1
                req_id = f"ST-{self._cancel_prefix}-{self._status_seq}"
                self._status_reqs[req_id] = unknown_reason
                requests.append((req_id, self._children[child_id]))
            cancels = [c for c in child_ids if c in self._cancel_wanted and c in self._working]
            self._cancel_wanted.difference_update(cancels)
        sent = 0
        for req_id, child in requests:
            if up and sid is not None and self._deliver(m.order_status_request(req_id, child), sid, venue):
                sent += 1
            else:  # the session went again: the next disconnect holds the child again
                with self._lock:
                    self._status_reqs.pop(req_id, None)
        log.info("asked %s for the status of %d child order(s) held while it was away", venue, sent)
        for child_id in cancels:
            self.cancel(venue, child_id)

    def _on_order_status(self, fields: dict[int, str], venue: str) -> None:
        """An ExecutionReport ExecType I, the answer to our OrderStatusRequest (QuickFIX thread).

        Unknown to the venue: the child is closed (CANCELED, VENUE_RESTARTED when the session
        had started over, else UNKNOWN_ORDER; its fills stay booked). Done at the venue with no
        final report seen: closed (VENUE_ORDER_DONE). More executed than the fills passed on:
        fills were lost; logged as an error, kept in ``lost_fills`` and reported to the OMS as a
        DISCREPANCY (recorded, never booked as a fill: its price is unknown)."""
        try:
            status = m.order_status(fields)
        except ValueError as exc:  # recorded, never dropped (``reconcile``)
            with self._lock:
                child_id = self._child_of(fields)
            self.refuse(venue, child_id, f"UNPARSEABLE: order status: {exc}",
                        "|".join(f"{tag}={value}" for tag, value in sorted(fields.items())))
            return
        now = self._now_ns()
        report = lost = None
        with self._lock:
            reason = self._status_reqs.pop(status.req_id, m.UNKNOWN_ORDER)
            self._status_answered(status.req_id)
            child_id = self._child_of(fields)
        if child_id is None:  # recorded, never dropped (``reconcile``)
            self.refuse(venue, None, f"UNKNOWN_ORDER: order status for ClOrdID {status.cl_ord_id!r}",
                        "|".join(f"{tag}={value}" for tag, value in sorted(fields.items())))
            return
        with self._lock:
            known = self._filled.get(child_id, 0)
            if status.known and status.cum_qty > known:
                lost = LostFill(venue, child_id, self._children[child_id].order_id, status.cum_qty, known,
                                status.avg_px, now)
                self.lost_fills.append(lost)
                self._filled[child_id] = status.cum_qty  # reported once: a later status finds no new loss
                # Into the books and records: the missing shares, never a made-up price.
                discrepancy = ExecutionReport(ExecKind.DISCREPANCY, venue, child_id, lost.order_id, now,
                                              last_qty=status.cum_qty - known, leaves_qty=status.leaves_qty,
                                              reason=LOST_FILL)
            if status.final and child_id in self._working:
                self._finish(child_id)
                report = m.synthesized(ExecKind.CANCELED, self._children[child_id],
                                       reason if not status.known else m.VENUE_ORDER_DONE, now)
        if lost is not None:
            self._pump.put(discrepancy)
            log.error("LOST FILL: %s says child %s (order %s) executed %d, but only %d were received "
                      "(average %s); the difference needs booking by hand", venue, child_id, lost.order_id,
                      lost.venue_cum_qty, lost.received_qty, lost.avg_px)
        log.info("order status of %s at %s: OrdStatus %s, CumQty %d, LeavesQty %d%s", child_id, venue,
                 status.ord_status, status.cum_qty, status.leaves_qty, "" if status.known else " (unknown order)")
        if report is not None:
            self._pump.put(report)

    def _cancel_orphans(self, venue: str, child_ids: list[str]) -> None:
        """After a reconnect: ask the venue to cancel children we closed while it was away."""
        with self._lock:
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
            requests = [(self._next_cancel_id(c), self._children[c]) for c in child_ids if c in self._children]
        unsent = [child.child_id for cancel_id, child in requests
                  if not (up and sid is not None
                          and self._deliver(m.order_cancel_request(cancel_id, child, self._now_ns()), sid, venue))]
        if unsent:  # the session went again before they left: asked at the next logon
            with self._lock:
                self._orphans.setdefault(venue, set()).update(unsent)
        log.info("asked %s to cancel %d child order(s) closed while it was away", venue, len(requests) - len(unsent))
