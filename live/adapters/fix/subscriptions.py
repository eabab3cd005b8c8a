"""The FIX gateway's market data subscriptions: one MarketDataRequest per symbol and venue, answers into quotes.

Market data. Given ``symbols``, the gateway subscribes at every logon to
each symbol's top of book at the venue (one MarketDataRequest per symbol,
sent from the pump) and parses each MarketDataSnapshotFullRefresh into
``quotes`` (a ``QuoteCache``) on the QuickFIX thread that received it, before
counting it as received (so "nothing in flight" means the cache is current).
A MarketDataRequestReject, or a session or business reject of the request,
leaves that symbol without quotes; a malformed snapshot drops the symbol's
quote (logged, naming the field) rather than keep one that may be wrong.
When the session logs out or breaks, all the venue's quotes are dropped.

A mixin of ``FixVenueGateway`` (as ``recovery.SessionRecovery``): it uses the
gateway's lock, sessions, ``symbols``, ``quotes`` and ``_deliver``, and keeps
the subscriptions in ``_md_requests`` (MDReqID -> venue, symbol).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

import quickfix as fix

from components.fix import market_data as md
from components.fix import wire as w
from live.adapters.fix import messages as m
from live.adapters.fix.market_data import QuoteCache
from venues_sim.quickfix_io import group_entries

log = logging.getLogger("live.fix")


class MarketDataSubscriptions:
    """Subscribing after each logon, and taking snapshots and rejects of those subscriptions."""

    _lock: threading.Lock
    _sessions: dict[str, fix.SessionID]
    _up: dict[str, bool]
    _md_requests: dict[str, tuple[str, str]]
    _md_seq: int
    symbols: tuple[str, ...]
    quotes: QuoteCache
    _deliver: Callable[[m.Outbound, fix.SessionID, str], bool]

    def _subscribe(self, venue: str) -> None:
        """After a logon (from the pump): one MarketDataRequest per symbol, snapshot and updates."""
        with self._lock:
            sid, up = self._sessions.get(venue), self._up.get(venue, False)
            requests = []
            for symbol in self.symbols:
                self._md_seq += 1
                md_req_id = f"MD-{venue}-{symbol}-{self._md_seq}"  # new ids per logon: old answers are ignored
                self._md_requests[md_req_id] = (venue, symbol)
                requests.append((md_req_id, symbol))
        for md_req_id, symbol in requests:
            if not (up and sid is not None and self._deliver(m.market_data_request(md_req_id, symbol), sid, venue)):
                log.warning("market data request for %s not sent to %s: not connected", symbol, venue)
                self.quotes.refused(venue, symbol)

    def _subscription(self, md_req_id: str, symbol: str, venue: str) -> str | None:
        """The symbol a market data message is about, if it answers a live subscription of ours."""
        with self._lock:
            known = self._md_requests.get(md_req_id)
        if known is None or known[0] != venue or (symbol and symbol != known[1]):
            log.warning("market data from %s for MDReqID %r (Symbol %r) matches no subscription; dropped",
                        venue, md_req_id, symbol)
            return None
        return known[1]

    def _on_snapshot(self, message: fix.Message, venue: str) -> None:
        fields = {t: message.getField(t) for t in m.MARKET_DATA_TAGS if message.isSetField(t)}
        symbol = self._subscription(fields.get(md.MD_REQ_ID, ""), fields.get(w.SYMBOL, ""), venue)
        if symbol is None:
            return
        try:
            top = m.market_data_snapshot(group_entries(message, md.NO_MD_ENTRIES, md.MD_ENTRY_TYPE, m.ENTRY_TAGS))
        except ValueError as exc:  # a quote we cannot read must not stand: drop it
            log.error("malformed market data snapshot from %s for %s: %s", venue, symbol, exc)
            self.quotes.refused(venue, symbol)
            return
        self.quotes.put(venue, symbol, top)

    def _on_market_data_reject(self, message: fix.Message, venue: str) -> None:
        fields = {t: message.getField(t) for t in m.MARKET_DATA_TAGS if message.isSetField(t)}
        md_req_id = fields.get(md.MD_REQ_ID, "")
        symbol = self._subscription(md_req_id, "", venue)
        if symbol is None:
            return
        if fields.get(md.MD_REQ_REJ_REASON) == md.REJ_DUPLICATE_MD_REQ_ID:
            # The answer to a resent request (PossDupFlag=Y) the venue had after all: subscribed.
            log.info("%s already has market data subscription %s (%s)", venue, md_req_id, symbol)
            return
        with self._lock:
            self._md_requests.pop(md_req_id, None)
        log.warning("%s refused market data for %s: MDReqRejReason %s %s", venue, symbol,
                    fields.get(md.MD_REQ_REJ_REASON, "?"), fields.get(w.TEXT, ""))
        self.quotes.refused(venue, symbol)
