"""What the FIX gateway does with a venue message it cannot apply, and with an order that is stuck.

No inbound application message is dropped without a record. Whatever the
gateway cannot apply (``refuse``) is logged at ERROR, counted per venue
(``refused``, shown by ``/healthz``) and handed to the OMS as a REFUSED
report, which becomes a ``VenueMessageRefused`` event on the order it names
(a platform event when it names none) with the reason and the raw FIX text:

* QUICKFIX_REJECTED: QuickFIX refused the message against the data
  dictionary (an out-of-range value, a missing or unknown field). It then
  answers the venue with a session Reject (35=3) and never calls ``fromApp``,
  so the gateway sees our outgoing Reject (``toAdmin``, ``_on_reject_sent``)
  and finds the raw message in the session's message log (QuickFIX writes
  every incoming message there before it validates it; ``raw_message``).
* UNKNOWN_ORDER: an ExecutionReport for a ClOrdID the gateway never sent.
* UNPARSEABLE: a field the translation (``messages``) cannot read exactly
  (an ExecutionReport or an order status answer).
* FILL_AFTER_CLOSE: a fill for a child already closed here (its venue was
  away, ``on_disconnect``): passed on, but the OMS books nothing for a
  closed child, so the record says it needs booking by hand.
* UNSUPPORTED: an ExecType the gateway does not act on other than the
  pending ones (e.g. a trade bust, H), or a message type it does not expect.

A refused message about a child still working puts the child into
reconciliation: an OrderStatusRequest (35=H, ``ask_status``), whose answer
the recovery code compares with the fills received (a shortfall is an
``ExecutionDiscrepancy``). A status request the venue does not answer within
``status_timeout_s`` flags the order for manual review (a FLAGGED report:
an ``OrderFlagged`` event, counted in ``flagged``).

An exec id the venue repeats for a child with another quantity or price is
another fill (passed on; the OMS keys fills by venue, child, exec id,
quantity and price) and flags the order (EXEC_ID_REUSED), never dropped.

Stuck orders (``_watch``, a wall-clock timer thread): a child sent but not
acknowledged (no report of any kind) for ``stuck_after_s["ROUTED"]``
seconds, or with a cancel sent and unanswered for
``stuck_after_s["PENDING_CANCEL"]``, is flagged once per state (STUCK_...)
and its status asked.

``Reconciliation`` is a mixin over ``FixVenueGateway``'s state (its lock,
child table, working set, sessions, pump), split out by responsibility like
``recovery.SessionRecovery``; its own state is set up by ``_init_reconciliation``.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Mapping

import quickfix as fix

from components.domain.venues import ExecKind, ExecutionReport
from components.fix import wire as w

from live.adapters.fix import messages as m

log = logging.getLogger("live.fix")

QUICKFIX_REJECTED = "QUICKFIX_REJECTED"
UNKNOWN_ORDER = "UNKNOWN_ORDER"
UNPARSEABLE = "UNPARSEABLE"
UNSUPPORTED = "UNSUPPORTED"
FILL_AFTER_CLOSE = "FILL_AFTER_CLOSE"
EXEC_ID_REUSED = "EXEC_ID_REUSED"
MANUAL_REVIEW = "MANUAL_REVIEW"
STUCK = {"ROUTED": "STUCK_ROUTED_NO_ACK", "PENDING_CANCEL": "STUCK_PENDING_CANCEL"}
DEFAULT_STUCK_AFTER_S = {"ROUTED": 10.0, "PENDING_CANCEL": 10.0}
DEFAULT_STATUS_TIMEOUT_S = 10.0

_ADMIN_TYPES = frozenset({"0", "1", "2", "3", "4", "5", "A"})
_SESSION_REJECT_REASON, _REF_TAG_ID, _REF_MSG_TYPE = w.SESSION_REJECT_REASON, w.REF_TAG_ID, w.REF_MSG_TYPE
_TAIL = 256 * 1024
"""Bytes of a session's message log searched for a refused message (it was written just before)."""


def readable(raw: str) -> str:
    """A FIX message as text: SOH shown as ``|``."""
    return raw.replace("\x01", "|")


def raw_message(log_path: Path | None, venue: str, seq: int) -> str:
    """The incoming message ``seq`` from ``venue`` in a QuickFIX FileLog messages file (its last
    ``_TAIL`` bytes), SOH as ``|``; "" when it is not there (no log, or rotated away)."""
    if log_path is None or seq < 0:
        return ""
    try:
        with open(log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _TAIL))
            tail = f.read().decode("latin-1")
    except OSError:
        return ""
    sender, number = f"\x0149={venue}\x01", f"\x0134={seq}\x01"
    for line in reversed(tail.splitlines()):
        if sender in line and number in line:
            return readable(line.split(" : ", 1)[-1])
    return ""


def message_logs(settings: fix.SessionSettings, sids: list[fix.SessionID]) -> dict[str, Path]:
    """Venue -> the FileLog messages file of its session (QuickFIX's naming), where one is configured."""
    paths = {}
    for sid in sids:
        dictionary = settings.get(sid)
        if not dictionary.has("FileLogPath"):
            continue
        name = f"{sid.getBeginString().getValue()}-{sid.getSenderCompID().getValue()}-" \
               f"{sid.getTargetCompID().getValue()}"
        if sid.getSessionQualifier():
            name += f"-{sid.getSessionQualifier()}"
        paths[sid.getTargetCompID().getValue()] = Path(dictionary.getString("FileLogPath")) / \
            f"{name}.messages.current.log"
    return paths


class Reconciliation:
    """Refused messages, status requests with a deadline, exec id reuse and the stuck-order watchdog."""

    def _init_reconciliation(self, stuck_after_s: Mapping[str, float] | None, status_timeout_s: float) -> None:
        ages = dict(DEFAULT_STUCK_AFTER_S if stuck_after_s is None else stuck_after_s)
        unknown = sorted(set(ages) - set(STUCK))
        if unknown or not all(a > 0 for a in ages.values()) or not status_timeout_s > 0:
            raise ValueError(f"stuck_after_s: states {sorted(STUCK)} with ages > 0 (got {ages}), "
                             f"status_timeout_s > 0 (got {status_timeout_s})")
        self.stuck_after_s = ages
        self.status_timeout_s = status_timeout_s
        self.refused: dict[str, int] = {v: 0 for v in self.venues}  # messages refused, per venue
        self.flagged: dict[str, int] = {v: 0 for v in self.venues}  # orders flagged, per venue
        self.flagged_children: dict[str, str] = {}  # child id -> the last flag's reason
        self._message_logs: dict[str, Path] = {}
        self._status_pending: dict[str, tuple[str, str, str]] = {}  # OrdStatusReqID -> (venue, child, why)
        self._acked: set[str] = set()  # children the venue has said anything about
        self._cancel_sent_ns: dict[str, int] = {}  # child -> when its (latest) cancel left
        self._stuck_seen: set[tuple[str, str]] = set()  # (child, state) flagged already
        self._watch_stop = threading.Event()
        self._watch_thread: threading.Thread | None = None

    # -- refusals -----------------------------------------------------------------
    def refuse(self, venue: str, child_id: str | None, reason: str, raw: str) -> None:
        """Record a message from ``venue`` the gateway cannot apply (any thread, without the lock)."""
        now = self._now_ns()
        with self._lock:
            self.refused[venue] = self.refused.get(venue, 0) + 1
            child = self._children.get(child_id) if child_id else None
            working = child is not None and child_id in self._working
        log.error("REFUSED message from %s (%s), order %s: %s", venue, reason,
                  child.order_id if child else "none", raw or "(raw text not found)")
        self._pump.put(ExecutionReport(ExecKind.REFUSED, venue, child_id or "", child.order_id if child else "",
                                       now, reason=reason, text=raw))
        if working:
            self._pump.put(lambda: self.ask_status(venue, child_id, reason))

    def _on_reject_sent(self, message: fix.Message, sid: fix.SessionID) -> None:
        """Our session Reject (35=3) of an inbound message (toAdmin, QuickFIX thread): QuickFIX
        refused it (data dictionary) and will never pass it to ``fromApp``."""
        ref_type = message.getField(_REF_MSG_TYPE) if message.isSetField(_REF_MSG_TYPE) else ""
        if ref_type in _ADMIN_TYPES:
            return
        venue = sid.getTargetCompID().getValue()
        seq = int(message.getField(w.REF_SEQ_NUM)) if message.isSetField(w.REF_SEQ_NUM) else -1
        why = " ".join(f"{tag}={message.getField(tag)}" for tag in (_SESSION_REJECT_REASON, _REF_TAG_ID, w.TEXT)
                       if message.isSetField(tag))
        # From the pump: by then QuickFIX has long written the message to its log.
        self._pump.put(lambda: self._refuse_rejected(venue, seq, ref_type, why))

    def _refuse_rejected(self, venue: str, seq: int, ref_type: str, why: str) -> None:
        raw = raw_message(self._message_logs.get(venue), venue, seq)
        fields = dict(part.split("=", 1) for part in raw.split("|") if "=" in part)
        with self._lock:
            child_id = self._child_of({w.CL_ORD_ID: fields.get(str(w.CL_ORD_ID), ""),
                                       w.ORIG_CL_ORD_ID: fields.get(str(w.ORIG_CL_ORD_ID), "")})
        self.refuse(venue, child_id, f"{QUICKFIX_REJECTED}: 35={ref_type or '?'} {why}".strip(), raw)

    def flag(self, venue: str, child_id: str, reason: str) -> None:
        """Flag a child's order for attention: an ``OrderFlagged`` event, counted (without the lock)."""
        with self._lock:
            child = self._children.get(child_id)
            if child is None:
                return
            self.flagged[venue] = self.flagged.get(venue, 0) + 1
            if child_id in self._working:  # until it is done (``_forget_watch``)
                self.flagged_children[child_id] = reason
        log.error("FLAGGED order %s (child %s at %s): %s", child.order_id, child_id, venue, reason)
        self._pump.put(ExecutionReport(ExecKind.FLAGGED, venue, child_id, child.order_id, self._now_ns(),
                                       reason=reason))

    # -- rejects of what we sent -------------------------------------------------------
    def _on_cancel_reject(self, fields: dict[int, str], venue: str) -> None:
        """An OrderCancelReject (35=9): the child is gone when the venue does not know it; otherwise
        the cancel is refused and the order works on (a CANCEL_REJECTED report records why)."""
        now = self._now_ns()
        report = None
        with self._lock:
            child_id = self._child_of(fields)
            self._cancels.pop(fields.get(w.CL_ORD_ID, ""), None)
            if child_id is not None:
                self._cancel_sent_ns.pop(child_id, None)
            gone = child_id is not None and child_id in self._working and m.cancel_reject_closes_child(fields)
            if gone:
                self._finish(child_id)
                report = m.synthesized(ExecKind.REJECTED, self._children[child_id], m.UNKNOWN_ORDER, now)
            elif child_id is not None and child_id in self._working:  # an orphan's refusal changes nothing
                reason = f"CxlRejReason={fields.get(w.CXL_REJ_REASON, '')}: {fields.get(w.TEXT, '')}".rstrip(": ")
                report = m.synthesized(ExecKind.CANCEL_REJECTED, self._children[child_id], reason, now)
        log.warning("cancel of %s refused by %s: %s", child_id, venue, fields.get(w.TEXT, ""))
        if report is not None:
            self._pump.put(report)

    def _on_refused(self, fields: dict[int, str], venue: str, level: str) -> None:
        """A session Reject (35=3) or BusinessMessageReject (35=j) of something we sent: a
        NewOrderSingle (the child never reached the venue's book: REJECTED, ``VENUE_REJECTED: ...``
        with the venue's words), an OrderCancelRequest (the cancel is refused: CANCEL_REJECTED), a
        MarketDataRequest (the symbol has no quotes from that venue)."""
        try:
            seq = int(fields.get(w.REF_SEQ_NUM, ""))
        except ValueError:
            seq = -1
        now = self._now_ns()
        words = " ".join(f"{tag}={fields[tag]}" for tag in (w.SESSION_REJECT_REASON, w.BUSINESS_REJECT_REASON,
                                                            w.REF_TAG_ID, w.TEXT) if tag in fields)
        with self._lock:
            md_req_id = self._md_by_seq.pop((venue, seq), None)
            subscription = self._md_requests.pop(md_req_id, None) if md_req_id else None
        if subscription is not None:
            log.warning("%s reject from %s of market data request %s (%s): %s", level, venue, md_req_id,
                        subscription[1], fields.get(w.TEXT, ""))
            self.quotes.refused(venue, subscription[1])
            return
        report = None
        with self._lock:
            sent_id = self._by_seq.pop((venue, seq), None)
            if sent_id in self._cancels:  # our cancel refused: the child works on
                child_id = self._cancels.pop(sent_id)
                self._cancel_sent_ns.pop(child_id, None)
                report = m.synthesized(ExecKind.CANCEL_REJECTED, self._children[child_id],
                                       f"{level.upper()}_REJECT: {words}", now)
            elif sent_id is not None and sent_id in self._working:
                self._finish(sent_id)
                report = m.synthesized(ExecKind.REJECTED, self._children[sent_id],
                                       f"{m.VENUE_REJECTED}: {m.FIX_REJECTED} ({level}) {words}".rstrip(), now)
        log.error("%s reject from %s of message %s: %s", level, venue, seq, words)
        if report is not None:
            self._pump.put(report)

    # -- status requests with a deadline ---------------------------------------------
    def ask_status(self, venue: str, child_id: str, why: str) -> bool:
        """Send an OrderStatusRequest for a working child (from the pump); flag the order for manual
        review if the venue does not answer within ``status_timeout_s``. Whether it was sent."""
        with self._lock:
            if child_id not in self._working:
                return False
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
            self._status_seq += 1
            req_id = f"RC-{self._cancel_prefix}-{self._status_seq}"
            self._status_reqs[req_id] = m.UNKNOWN_ORDER
            self._status_pending[req_id] = (venue, child_id, why)
            child = self._children[child_id]
        sent = up and sid is not None and self._deliver(m.order_status_request(req_id, child), sid, venue)
        timer = threading.Timer(self.status_timeout_s, self._status_deadline, (req_id,))
        timer.daemon = True
        timer.start()
        log.warning("asked %s for the status of child %s (%s)%s", venue, child_id, why,
                    "" if sent else ": not sent, the venue is away")
        return sent

    def _status_answered(self, req_id: str) -> None:
        """An order status answer arrived (holding the lock)."""
        self._status_pending.pop(req_id, None)

    def _status_deadline(self, req_id: str) -> None:
        try:
            with self._lock:
                pending = self._status_pending.pop(req_id, None)
                self._status_reqs.pop(req_id, None)
                if pending is not None and pending[1] not in self._working:
                    pending = None  # closed meanwhile (a report, or its venue went away): nothing to review
            if pending is not None and not self._stopping:
                venue, child_id, why = pending
                self.flag(venue, child_id, f"{MANUAL_REVIEW}: no answer to an OrderStatusRequest within "
                                           f"{self.status_timeout_s:g} s ({why})")
        except Exception:  # a timer thread has nobody to tell
            log.exception("status deadline for %s failed", req_id)

    # -- exec id reuse ----------------------------------------------------------------
    def _seen_fill(self, child_id: str, report: ExecutionReport) -> bool:
        """Whether ``report`` repeats a fill already passed on (a resend: same exec id, quantity and
        price). An exec id seen with other content is a new fill, and flags the order. Holding the lock;
        returns True for a repeat."""
        seen = self._fill_ids.setdefault(child_id, {})
        content = (report.last_qty, report.last_px)
        earlier = seen.get(report.exec_id)
        if earlier is not None and content in earlier:
            return True
        seen.setdefault(report.exec_id, set()).add(content)
        if earlier is not None:
            self._pump.put(lambda: self.flag(report.venue, child_id, f"{EXEC_ID_REUSED}: exec id {report.exec_id} "
                                             f"first {sorted(earlier)}, now {content} (booked as another fill)"))
        return False

    # -- the stuck-order watchdog -----------------------------------------------------
    def _forget_watch(self, child_id: str) -> None:
        """The child is done: nothing left to watch (holding the lock)."""
        self._acked.discard(child_id)
        self._cancel_sent_ns.pop(child_id, None)
        self._stuck_seen.discard((child_id, "ROUTED"))
        self._stuck_seen.discard((child_id, "PENDING_CANCEL"))
        self.flagged_children.pop(child_id, None)

    def _start_watchdog(self) -> None:
        self._watch_stop.clear()
        period = max(0.05, min(self.stuck_after_s.values(), default=1.0) / 4)
        self._watch_thread = threading.Thread(target=self._watch, args=(period,), name="fix-watchdog", daemon=True)
        self._watch_thread.start()

    def _stop_watchdog(self) -> None:
        self._watch_stop.set()
        if self._watch_thread is not None:
            self._watch_thread.join(2.0)
            self._watch_thread = None

    def _watch(self, period: float) -> None:
        while not self._watch_stop.wait(period):
            try:
                for venue, child_id, state, age in self.stuck():
                    self.flag(venue, child_id, f"{STUCK[state]}: {state} for {age:.1f} s")
                    self._pump.put(lambda v=venue, c=child_id, s=state: self.ask_status(v, c, STUCK[s]))
            except Exception:  # keep watching
                log.exception("stuck-order check failed")

    def stuck(self) -> list[tuple[str, str, str, float]]:
        """Children newly past their state's age: (venue, child, state, age in s); each is reported once
        per state. Only venues that are up: a venue away has its own handling (``on_disconnect``)."""
        now = self._now_ns()
        found = []
        with self._lock:
            for child_id in sorted(self._working):
                child = self._children[child_id]
                if not self._up.get(child.venue, False):
                    continue
                checks = []
                if child_id not in self._acked:
                    checks.append(("ROUTED", self._sent_ns.get(child_id, now)))
                if child_id in self._cancel_sent_ns:
                    checks.append(("PENDING_CANCEL", self._cancel_sent_ns[child_id]))
                for state, since in checks:
                    age = (now - since) / 1e9
                    limit = self.stuck_after_s.get(state)
                    if limit is not None and age >= limit and (child_id, state) not in self._stuck_seen:
                        self._stuck_seen.add((child_id, state))
                        found.append((child.venue, child_id, state, age))
        return found
