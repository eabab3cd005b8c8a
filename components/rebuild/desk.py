"""Restart the block desk from its last snapshot plus a replay of the event log.

The log holds how each block formed (its parent's ``BLOCK_FORMED`` risk
decision: members, accounts, quantities, policy, advisor; replayed through
``BlockDesk.form``, the call that formed it), the parent's fills and its
allocation (``OrderAllocated`` details are exactly
``AllocationResult.to_details()``, so the result and the advisor's rotation
pointer are re-derived with ``blocks.rederive``). It does not hold a block
still pending (members submitted, not all decided) nor one dropped with no
member approved: those changes are counted in ``BlockDesk.unlogged`` and the
host snapshots the desk before the next message.
"""

from __future__ import annotations

import copy
from typing import Any

from ..block_desk import BLOCK_ACCOUNT, BLOCK_FORMED, BlockDesk, DeskState, fill_of
from ..blocks import rederive
from ..domain.events import EventType, OrderEvent
from ..domain.orders import Side

_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ALLOCATED = EventType.ORDER_ALLOCATED
_APPROVED = EventType.ORDER_RISK_APPROVED


class DeskPart:
    """The block desk as a ``components.rebuild.Part``."""

    name = "desk"

    def __init__(self, desk: BlockDesk) -> None:
        self.desk = desk

    @property
    def unlogged(self) -> int:
        return self.desk.unlogged

    def capture(self) -> DeskState:
        return copy.deepcopy(self.desk.state)

    def reset(self, state: DeskState | None) -> None:
        self.desk.state = DeskState() if state is None else copy.deepcopy(state)

    def apply(self, event: OrderEvent) -> None:
        if event.account_id != BLOCK_ACCOUNT:
            return
        state = self.desk.state
        kind = event.event_type
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
