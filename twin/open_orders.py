"""The stuck-order list of ``twin replay-log``: every open order with its age and its last event.

Ages are measured against the last event in the log (``as of``), not the
wall clock, so a replay of an old log reads the same every time: "ROUTED for
600.0 s, last OrderFlagged (STUCK_ROUTED_NO_ACK...)" says the order was still
working that long after it was routed when the log ends.
"""

from __future__ import annotations

from typing import Any

MAX_LISTED = 50
"""Open orders listed by name; beyond that only counted."""


def open_order_lines(projections: Any, limit: int = MAX_LISTED) -> list[str]:
    """Lines naming each open order of ``projections`` (``components.eventstore.Projections``):
    id, status, age since it was received, seconds since its last event, and that event's type."""
    open_ids = projections.open_orders()
    if not open_ids:
        return []
    as_of = max((h[-1][2] for h in projections.history.values() if h), default=0)
    lines = ["open orders (age as of the log's last event):"]
    for order_id in open_ids[:limit]:
        history = projections.history[order_id]
        view = projections.orders[order_id]
        received, last = history[0][2], history[-1]
        lines.append(f"  {order_id}  {view['status']}  {view['symbol']} {view['side']} "
                     f"{view['filled_qty']}/{view['quantity']}  age {(as_of - received) / 1e9:.1f} s  "
                     f"last {last[1]} {(as_of - last[2]) / 1e9:.1f} s ago")
    if len(open_ids) > limit:
        lines.append(f"  ... and {len(open_ids) - limit} more")
    return lines
