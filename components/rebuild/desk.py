"""Restart the block desk from its last snapshot plus a replay of the event log.

Everything the desk decides is in the log: each member's ``OrderReceived``
names its block and policy (``BlockDesk.join``); a member's status events
tell when its block has every member decided (``BlockDesk.ready``, asked of
the OMS's statuses: as at that event when the OMS is replayed alongside, the
current ones when only the desk restarts, which leads to the same end
state); the parent's ``BLOCK_FORMED`` risk decision
holds the statement the block formed with (``BlockDesk.form``); the parent's
fills and its allocation (``OrderAllocated`` details are exactly
``AllocationResult.to_details()``, so the result and the advisor's rotation
pointer are re-derived with ``blocks.rederive``) follow. The replay calls
the same desk methods the platform calls.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..block_desk import BLOCK_ACCOUNT, BLOCK_FORMED, BlockDesk, DeskState, fill_of
from ..blocks import rederive
from ..domain.events import STATUS_OF, EventType, OrderEvent
from ..domain.orders import OrderStatus, Side

_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ALLOCATED = EventType.ORDER_ALLOCATED
_APPROVED = EventType.ORDER_RISK_APPROVED
_RECEIVED = EventType.ORDER_RECEIVED


class DeskPart:
    """The block desk as a ``components.rebuild.Part``."""

    name = "desk"
    unlogged = 0  # every desk decision is in the log (module docstring)

    def __init__(self, desk: BlockDesk, status_of: Callable[[str], OrderStatus]) -> None:
        """``status_of``: an order's status in the OMS (rebuilt before the desk, or live)."""
        self.desk = desk
        self._status_of = status_of

    def capture(self) -> DeskState:
        return copy.deepcopy(self.desk.state)

    def reset(self, state: DeskState | None) -> None:
        self.desk.state = DeskState() if state is None else copy.deepcopy(state)

    def apply(self, event: OrderEvent) -> None:
        kind = event.event_type
        if event.account_id != BLOCK_ACCOUNT:
            desk = self.desk
            if kind is _RECEIVED:
                d = event.details
                if d and d.get("block_ref"):
                    desk.join(d["block_ref"], event.actor.removeprefix("advisor:"), d["block_policy"], event.order_id)
            elif kind in STATUS_OF and event.order_id in desk.state.pending_of:
                desk.ready(event.order_id, self._status_of)
            return
        state = self.desk.state
        if kind is _APPROVED:
            for decision in event.policy_decisions:
                if decision.policy == BLOCK_FORMED:
                    self.desk.form(event.order_id, event.symbol, Side(event.side), decision, event.timestamp_utc)
            return
        block = state.blocks.get(event.order_id)
        if block is None:
            return
        if kind in _FILLS:
            block.add_fill(fill_of(event))  # idempotent by exec id, as the live desk
        elif kind is _ALLOCATED:
            result = rederive(event.details)
            state.results[event.order_id] = result
            state.pointers[block.statement.advisor_id] = result.pointer_out

    def dump(self) -> dict[str, Any]:
        return dump(self.desk)


def dump(desk: BlockDesk) -> dict[str, Any]:
    """The desk's state as plain data (insertion order kept)."""
    s = desk.state
    return {
        "pending": [(ref, p.advisor_id, p.policy, list(p.members)) for ref, p in s.pending.items()],
        "pending_of": list(s.pending_of.items()),
        "blocks": [(block_id, b.statement.to_record(), b.orders, [f.to_record() for f in b.fills], b.filled_qty,
                    b.filled_notional, b.fees) for block_id, b in s.blocks.items()],  # fmt: skip
        "policy_of": list(s.policy_of.items()),
        "member_of": list(s.member_of.items()),
        "pointers": sorted(s.pointers.items()),
        "results": [(block_id, r.to_details()) for block_id, r in s.results.items()],
    }
