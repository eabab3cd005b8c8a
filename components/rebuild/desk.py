"""Restart the block desk from its last snapshot plus a replay of the event log.

The log holds a block parent's fills and its allocation (``OrderAllocated``
details are exactly ``AllocationResult.to_details()``, so the result and the
advisor's rotation pointer are re-derived with ``blocks.rederive``). It does
not hold what the desk decided before trading: a submitted block's members
and allocation policy, when it left the pending list, the statement it was
formed with. Those changes are counted in ``BlockDesk.unlogged`` and the host
snapshots the desk before the next message, so the replay only adds fills
and allocations. (Recording the policy and members in the parent's
``block_members_approved`` decision would let the log carry them too.)
"""

from __future__ import annotations

import copy
from typing import Any

from ..block_desk import BLOCK_ACCOUNT, BlockDesk, DeskState, fill_of
from ..blocks import rederive
from ..domain.events import EventType, OrderEvent

_FILLS = frozenset({EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED})
_ALLOCATED = EventType.ORDER_ALLOCATED


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
        block = state.blocks.get(event.order_id)
        if block is None:
            return
        kind = event.event_type
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
