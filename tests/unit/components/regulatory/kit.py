"""A small builder of order event logs for the regulatory tests (hand-made days with known figures)."""

from __future__ import annotations

from datetime import datetime

from components.domain.events import EventType as E
from components.domain.events import OrderEvent


def ns(day: str, hhmmss: str = "14:30:00") -> int:
    """UTC nanoseconds of ``YYYY-MM-DD`` at ``HH:MM:SS`` (14:30 UTC is 09:30 New York in winter)."""
    return int(datetime.fromisoformat(f"{day}T{hhmmss}+00:00").timestamp()) * 1_000_000_000


class LogBuilder:
    """Appends events with ids, per-order sequence numbers and each order's fixed fields."""

    def __init__(self) -> None:
        self.events: list[OrderEvent] = []
        self._orders: dict[str, dict] = {}
        self._seq: dict[str, int] = {}

    def _emit(self, order_id: str, t: E, ts: int, actor: str, **details) -> OrderEvent:
        o = self._orders[order_id]
        self._seq[order_id] = self._seq.get(order_id, 0) + 1
        ev = OrderEvent(t, f"EV-{len(self.events) + 1:07d}", f"TR-{order_id}", ts, ts, order_id,
                        self._seq[order_id], o["account"], o["symbol"], o["side"], o["qty"], o["type"], o["limit"],
                        o["tif"], actor, (), details or None)
        self.events.append(ev)
        return ev

    def order(self, order_id: str, ts: int, *, symbol: str = "AAPL", side: str = "BUY", qty: int = 100,
              limit: int | None = None, tif: str = "DAY", account: str = "AC-1", block: bool = False) -> None:
        self._orders[order_id] = {"account": account, "symbol": symbol, "side": side, "qty": qty,
                                  "type": "MARKET" if limit is None else "LIMIT", "limit": limit, "tif": tif}
        self._emit(order_id, E.ORDER_RECEIVED, ts, "block_desk" if block else "advisor:ADV-1")
        self._emit(order_id, E.ORDER_VALIDATED, ts, "oms")
        self._emit(order_id, E.ORDER_RISK_APPROVED, ts, "risk")

    def route(self, order_id: str, ts: int, *children: tuple[str, str, int], reroute: bool = False,
              block_id: str = "") -> None:
        """``children``: (child id, venue, quantity)."""
        o = self._orders[order_id]
        plan = [{"child_id": c, "venue": v, "quantity": q, "limit_price": o["limit"]} for c, v, q in children]
        details = {"children": plan, **({"block_id": block_id} if block_id else {})}
        self._emit(order_id, E.ORDER_REROUTED if reroute else E.ORDER_ROUTED, ts, "router", **details)

    def fill(self, order_id: str, ts: int, child: str, venue: str, qty: int, px: int, fee: int, liq: str,
             exec_id: str, last: bool = False, block_id: str = "") -> None:
        self._emit(order_id, E.ORDER_FILLED if last else E.ORDER_PARTIALLY_FILLED, ts,
                   f"venue:{venue}" if venue else "block_desk", child_id=child, venue=venue, last_qty=qty,
                   last_px=px, fee=fee, liquidity=liq, exec_id=exec_id, **({"block_id": block_id} if block_id else {}))

    def child_rejected(self, order_id: str, ts: int, child: str, venue: str) -> None:
        self._emit(order_id, E.CHILD_ORDER_REJECTED, ts, f"venue:{venue}", child_id=child, venue=venue,
                   reason="VENUE_REFUSED")

    def cancel(self, order_id: str, ts: int, leaves: int, reason: str = "CLIENT_REQUEST") -> None:
        self._emit(order_id, E.ORDER_CANCELED, ts, "oms", leaves_qty=leaves, reason=reason)

    def allocate(self, order_id: str, ts: int, *lines: tuple[str, int], block_id: str = "") -> None:
        allocs = [{"account_id": a, "quantity": q} for a, q in lines]
        self._emit(order_id, E.ORDER_ALLOCATED, ts, "post_trade", allocations=allocs,
                   **({"block_id": block_id} if block_id else {}))
