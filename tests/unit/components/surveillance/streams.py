"""Builders of small synthetic event streams for the surveillance tests (public API only)."""

from __future__ import annotations

from itertools import count

from components.domain.events import EventType, Outcome, OrderEvent, PolicyDecision

S = 1_000_000_000
MS = 1_000_000
T0 = 1_795_530_600 * S  # 2026-11-24 14:30 UTC (09:30 New York)
_ids = count(1)


class Stream:
    """Appends order events the way the platform would write them."""

    def __init__(self) -> None:
        self.events: list[OrderEvent] = []
        self._n = 0

    def _ev(self, t: EventType, at: int, oid: str, acct: str, sym: str, side: str, qty: int, otype: str,
            limit: int | None, actor: str, details=None, decisions=()) -> OrderEvent:
        ev = OrderEvent(t, f"E{next(_ids)}", "tr", at, at, oid, 1, acct, sym, side, qty, otype, limit, "DAY", actor,
                        decisions, details)
        self.events.append(ev)
        return ev

    def order(self, at: int, acct: str, sym: str, side: str, qty: int, limit: int | None = None, ref: int = 1_900_000,
              advisor: str = "ADV-001", block_ref: str = "") -> str:
        self._n += 1
        oid = f"O{self._n}"
        otype = "MARKET" if limit is None else "LIMIT"
        details = {"client_order_id": f"C{self._n}", **({"block_ref": block_ref} if block_ref else {})}
        self._ev(EventType.ORDER_RECEIVED, at, oid, acct, sym, side, qty, otype, limit, f"advisor:{advisor}", details)
        res = PolicyDecision("reservation", "1.0", Outcome.PASS, "", (("notional", 1), ("reference_price", ref)))
        self._ev(EventType.ORDER_RISK_APPROVED, at + MS, oid, acct, sym, side, qty, otype, limit, "risk", None, (res,))
        self._meta = getattr(self, "_meta", {})
        self._meta[oid] = (acct, sym, side, qty, otype, limit)
        return oid

    def cancel(self, at: int, oid: str, reason: str = "CLIENT_REQUEST") -> None:
        acct, sym, side, qty, otype, limit = self._meta[oid]
        self._ev(EventType.ORDER_CANCELED, at, oid, acct, sym, side, qty, otype, limit, "oms",
                 {"leaves_qty": qty, "reason": reason})

    def fill(self, at: int, oid: str, qty: int | None = None, px: int = 1_900_000) -> None:
        acct, sym, side, oqty, otype, limit = self._meta[oid]
        self._ev(EventType.ORDER_FILLED, at, oid, acct, sym, side, oqty, otype, limit, "venue:XNAS",
                 {"last_qty": qty or oqty, "last_px": px, "cum_qty": qty or oqty, "leaves_qty": 0})

    def sorted(self) -> list[OrderEvent]:
        return sorted(self.events, key=lambda e: e.timestamp_utc)
