"""Restart post-trade from its last snapshot plus a replay of the event log.

Post-trade keeps the settlement runs it has booked (``PostTrade._due``): on the
plain T+N path, the orders due at each settlement time; with a clearing
adapter (``SettlementRail``), the run times booked (the clearing adapter, like
a clearing house, keeps the instructions). Both follow from the log:
``OrderConfirmed`` books ``settlement_ns``; an ``OrderSettled`` on the plain
path settles its order out of its batch; with a rail, every outcome of a run
(settled, failed, buy-in) is recorded at the run's time, which the run took
off the book, and a failure books its ``next_attempt_ns``.

The clock keeps the timers post-trade asked for (a scheduler outlives the
process, as a cron entry would), and a run finds its due orders in the rebuilt
book. Not replayed: a rail run that had nothing to report leaves no event, so
its booking would come back (runs happen after the session, so a mid-day
restart never meets one).
"""

from __future__ import annotations

from typing import Any

from ..domain.events import EventType, OrderEvent
from ..ports import Clock
from ..post_trade import PostTrade

_CONFIRMED = EventType.ORDER_CONFIRMED
_SETTLED = EventType.ORDER_SETTLED
_FAILED = EventType.SETTLEMENT_FAILED
_RUN_OUTCOMES = frozenset({EventType.ORDER_SETTLED, EventType.SETTLEMENT_FAILED, EventType.BUY_IN_REQUIRED})


class PostTradePart:
    """Post-trade as a ``components.rebuild.Part``."""

    name = "post_trade"
    unlogged = 0

    def __init__(self, post_trade: PostTrade) -> None:
        self.post_trade = post_trade

    def capture(self) -> dict[int, list[str]]:
        return {run_ns: list(due) for run_ns, due in self.post_trade._due.items()}

    def reset(self, state: dict[int, list[str]] | None) -> None:
        self.post_trade._due = {run_ns: list(due) for run_ns, due in (state or {}).items()}

    def apply(self, event: OrderEvent) -> None:
        if event.actor != "post_trade":
            return
        kind, due = event.event_type, self.post_trade._due
        if kind is _CONFIRMED:
            batch = due.setdefault(event.details["settlement_ns"], [])
            if self.post_trade._rail is None:
                batch.append(event.order_id)
        elif self.post_trade._rail is None:
            if kind is _SETTLED:
                run_ns = event.details["settlement_ns"]
                batch = due.get(run_ns, [])
                if event.order_id in batch:
                    batch.remove(event.order_id)
                if not batch:
                    due.pop(run_ns, None)
        elif kind in _RUN_OUTCOMES:
            due.pop(event.timestamp_utc, None)
            if kind is _FAILED:
                due.setdefault(event.details["next_attempt_ns"], [])

    def dump(self) -> list[tuple[int, list[str]]]:
        return [(run_ns, list(due)) for run_ns, due in self.post_trade._due.items()]


def rearm(post_trade: PostTrade, clock: Clock) -> int:
    """Book a timer on ``clock`` for every settlement run the rebuilt ``post_trade`` holds.

    For a host whose timers died with the process (the live wall clock; the
    twin's clock outlives a crash and keeps them). A run whose time has passed
    runs as soon as the clock fires it. Returns how many runs were booked.
    """
    run = post_trade._settle if post_trade._rail is None else post_trade._run
    for run_ns in list(post_trade._due):
        clock.call_at(run_ns, lambda run_ns=run_ns: run(run_ns))
    return len(post_trade._due)
