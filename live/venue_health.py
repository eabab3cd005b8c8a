"""What ``/healthz`` says about the venues beyond up/down: messages refused and orders flagged.

A venue whose gateway refused a message (``reconcile``: a data-dictionary
reject, an unknown order, an unparseable field) or flagged an order (stuck, an
exec id reused, a status request unanswered) makes the whole process
"degraded", naming the venue, until an operator has looked (the counts only
grow during a process's life; the events say which order and why).

Also where each symbol's reference price comes from (``SourcedMarketData``).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from components.config.live import VenueDialect
from components.domain.orders import OrderType, TimeInForce
from components.reference_price import CONFIGURED
from components.routing import VenueCapabilities

from live.adapters.market_data import VenueMarketData

log = logging.getLogger("live.fix")


def venue_health(gateway: Any) -> dict[str, Any]:
    """The venue part of ``/healthz`` for a venue gateway (any: one without these counts has none)."""
    refused = dict(getattr(gateway, "refused", {}) or {})
    flagged = dict(getattr(gateway, "flagged", {}) or {})
    open_flags = dict(getattr(gateway, "flagged_children", {}) or {})
    degraded = sorted(v for v in set(refused) | set(flagged) if refused.get(v) or flagged.get(v))
    return {"refused_messages": refused, "flagged_orders": flagged, "flagged_working": len(open_flags),
            "degraded_venues": degraded}


class SourcedMarketData(VenueMarketData):
    """The live MarketData port that also says where each reference price comes from (issue 10).

    Risk reads ``reference_source`` for the record of each approval (the twin's market data has no such
    method, so the twin's decisions are unchanged); ``/healthz`` reads ``reference_health``. A symbol priced
    from the configured fallback (no venue quote yet this session: a venue without market data, or quotes
    refused) for more than ``fallback_warn_s`` is a warning there, and is logged once (until a quote comes).
    """

    def __init__(self, *args: Any, fallback_warn_s: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fallback_warn_s = fallback_warn_s
        self._symbols = tuple(self._mids.prices)
        start = self._now_ns()  # every symbol starts on its configured price, until a venue quotes it
        self._fallback_since: dict[str, int] = {symbol: start for symbol in self._symbols}
        self._warned: set[str] = set()

    def reference_source(self, symbol: str) -> str:
        """``venue_quotes``, ``last_good_mid`` or ``configured`` (``components.reference_price``) for the
        reference price ``reference_price(symbol)`` answered last."""
        source = self._mids.source(symbol)
        if source == CONFIGURED:
            self._fallback_since.setdefault(symbol, self._now_ns())
        else:
            self._fallback_since.pop(symbol, None)
            self._warned.discard(symbol)
        return source

    def reference_health(self) -> dict[str, Any]:
        """Per symbol the reference price's source now, and the warnings: symbols on the configured
        fallback for longer than ``fallback_warn_s`` (each logged at WARNING once)."""
        now = self._now_ns()
        sources, warnings = {}, []
        for symbol in self._symbols:
            self.reference_price(symbol)
            sources[symbol] = source = self.reference_source(symbol)
            since = self._fallback_since.get(symbol)
            if source == CONFIGURED and since is not None and (now - since) / 1e9 > self.fallback_warn_s:
                seconds = (now - since) / 1e9
                warnings.append(f"{symbol}: reference price from the configured fallback for {seconds:.0f} s "
                                f"(no venue quote; more than {self.fallback_warn_s:g} s)")
                if symbol not in self._warned:
                    self._warned.add(symbol)
                    log.warning("reference price of %s has come from the configured fallback for %.0f s: "
                                "no venue sends a quote for it (risk marks orders at a fixed price)", symbol, seconds)
        return {"reference_sources": sources, "reference_warnings": warnings}


def venue_capabilities(dialects: Mapping[str, VenueDialect]) -> dict[str, VenueCapabilities]:
    """The router's restrictions from the venues' dialects: only venues that do not take every order type
    and time in force are named (none named: the router routes as the twin's does)."""
    return {venue: VenueCapabilities(frozenset(OrderType(t) for t in d.order_types),
                                     frozenset(TimeInForce(t) for t in d.time_in_force))
            for venue, d in dialects.items() if not d.all_orders}


def reference_health(market_data: Any) -> dict[str, Any]:
    """The reference-price part of ``/healthz``: each symbol's source and the fallback warnings
    (``SourcedMarketData.reference_health``); for market data that cannot say (direct mode's in-process
    venues), no sources and no warnings."""
    report = getattr(market_data, "reference_health", None)
    return report() if report is not None else {"reference_sources": {}, "reference_warnings": []}
