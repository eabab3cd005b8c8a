"""What ``/healthz`` says about the venues beyond up/down: messages refused and orders flagged.

A venue whose gateway refused a message (``reconcile``: a data-dictionary
reject, an unknown order, an unparseable field) or flagged an order (stuck, an
exec id reused, a status request unanswered) makes the whole process
"degraded", naming the venue, until an operator has looked (the counts only
grow during a process's life; the events say which order and why).
"""

from __future__ import annotations

from typing import Any


def venue_health(gateway: Any) -> dict[str, Any]:
    """The venue part of ``/healthz`` for a venue gateway (any: one without these counts has none)."""
    refused = dict(getattr(gateway, "refused", {}) or {})
    flagged = dict(getattr(gateway, "flagged", {}) or {})
    open_flags = dict(getattr(gateway, "flagged_children", {}) or {})
    degraded = sorted(v for v in set(refused) | set(flagged) if refused.get(v) or flagged.get(v))
    return {"refused_messages": refused, "flagged_orders": flagged, "flagged_working": len(open_flags),
            "degraded_venues": degraded}
