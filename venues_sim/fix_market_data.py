"""Market data of a simulated venue served over FIX: subscriptions and push-on-change snapshots.

Owns what the FIX front (``venues_sim.fix_acceptor``) does with a
MarketDataRequest (35=V): ``MarketDataPublisher`` checks it (the codec's
``parse_market_data_request``), answers with a MarketDataSnapshotFullRefresh
(35=W) per symbol, remembers subscriptions with updates, and on ``publish``
queues a new snapshot for every subscribed symbol whose top of book moved
since the last one sent. Refusals are MarketDataRequestReject (35=Y).

Why push on change, through a lock. Every change to a venue is made holding
its front's lock (order messages, the market maker's requotes, tests seeding
the book), so that lock is a ``PublishingLock`` calling ``publish`` as its
outermost holder lets go: no change goes unpublished, its snapshot is queued
behind the execution reports of the change that caused it, and before the
changer carries on. An unchanged book sends nothing (a book version check
first, then the top itself); the FIX session's heartbeats tell a subscriber
the venue is still there. No quickfix import: messages leave through
``emit`` as codec bodies.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

from components.fix import market_data as md

from . import fix_codec as c
from .venue import SimVenue

log = logging.getLogger(__name__)


class PublishingLock:
    """A reentrant lock that calls ``on_release`` as its outermost holder lets go (still holding it).

    ``on_release`` runs before the lock is free, so whatever changed under
    the lock is published before anyone else can touch what it guards.
    Errors in it are logged, never raised into the releasing caller (whose
    change is done). Supports ``with``, ``acquire`` and ``release``.
    """

    def __init__(self, on_release: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # only ever changed by the thread holding ``_lock``
        self._on_release = on_release

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._depth += 1
        return got

    def release(self) -> None:
        if self._depth == 1:
            try:
                self._on_release()  # may take the lock again: depth 2 then, so no recursion
            except Exception:
                log.exception("release hook failed")
        self._depth -= 1
        self._lock.release()

    def __enter__(self) -> PublishingLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass
class _Subscription:
    """One request with updates: who gets which symbols, and what they were last sent."""

    session: object  # the QuickFIX SessionID to send to (opaque here)
    md_req_id: str
    symbols: tuple[str, ...]
    entry_types: tuple[str, ...]
    versions: dict[str, int] = field(default_factory=dict)  # book version when last looked at
    sent: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # last top sent per symbol


class MarketDataPublisher:
    """Top-of-book market data of ``venue`` for FIX subscribers. Call every method holding
    the venue's lock; ``emit(session, outbound)`` queues a message (it must not block)."""

    def __init__(self, venue: SimVenue, now_ns: Callable[[], int], emit: Callable[[object, c.Outbound], None]):
        self._venue = venue
        self._now_ns = now_ns
        self._emit = emit
        self._subscriptions: dict[tuple[str, str], _Subscription] = {}  # (session name, MDReqID) ->

    def request(self, session: object, seq_num: str, fields: dict[int, str], entry_types: list[str],
                symbols: list[str]) -> None:
        """Serve a MarketDataRequest from ``session`` (MsgSeqNum ``seq_num``): ``fields`` is its
        body, ``entry_types`` and ``symbols`` its NoMDEntryTypes and NoRelatedSym values."""
        name = str(session)
        try:
            request = c.parse_market_data_request(fields, entry_types, symbols, self._venue.symbols)
            key = (name, request.md_req_id)
            if request.subscription == md.DISABLE:
                if self._subscriptions.pop(key, None) is None:
                    raise c.MarketDataRefusal(request.md_req_id, md.REJ_DUPLICATE_MD_REQ_ID,
                                              f"{md.field_name(md.MD_REQ_ID)} {request.md_req_id!r}: "
                                              "no such subscription to disable")
                return
            if key in self._subscriptions:
                raise c.MarketDataRefusal(request.md_req_id, md.REJ_DUPLICATE_MD_REQ_ID,
                                          f"{md.field_name(md.MD_REQ_ID)} {request.md_req_id!r} is already "
                                          "subscribed")
        except c.MarketDataRefusal as refusal:
            log.info("market data request from %s refused (%s): %s", name, refusal.reason, refusal.detail)
            if refusal.reason:
                self._emit(session, c.market_data_request_reject(refusal.md_req_id, refusal.reason, refusal.detail))
            else:  # no MDReqID to answer with a 35=Y
                self._emit(session, c.business_reject(md.MARKET_DATA_REQUEST, seq_num, refusal.detail))
            return
        subscription = _Subscription(session, request.md_req_id, request.symbols, request.entry_types)
        self._snapshot(subscription, force=True)
        if request.subscription == md.SNAPSHOT_AND_UPDATES:
            self._subscriptions[key] = subscription

    def publish(self) -> None:
        """Queue a snapshot for every subscribed symbol whose top of book moved since its last one."""
        for subscription in self._subscriptions.values():
            self._snapshot(subscription)

    def end_session(self, session: object) -> None:
        """Forget ``session``'s subscriptions (it logged out)."""
        name = str(session)
        for key in [k for k in self._subscriptions if k[0] == name]:
            del self._subscriptions[key]

    @property
    def subscriptions(self) -> int:
        return len(self._subscriptions)

    def _snapshot(self, sub: _Subscription, force: bool = False) -> None:
        now = None
        for symbol in sub.symbols:
            version = self._venue.book(symbol).version
            if not force and sub.versions.get(symbol) == version:
                continue  # the book has not changed at all
            sub.versions[symbol] = version
            if now is None:
                now = self._now_ns()
            quote = self._venue.quote(symbol, now)
            top = (quote.bid, quote.bid_size, quote.ask, quote.ask_size)
            if force or top != sub.sent.get(symbol):  # a change behind the top shows nothing new
                sub.sent[symbol] = top
                self._emit(sub.session, c.market_data_snapshot(sub.md_req_id, quote, sub.entry_types))
