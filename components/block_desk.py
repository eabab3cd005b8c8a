"""The block desk: client orders traded together as one block, then allocated.

Design (the simplest honest shape we found):

* ``SubmitBlock`` opens one ordinary client order per statement line. Each is
  validated and risk-checked on its own through the normal path; none is
  routed by itself.
* When every member has been decided (approved, blocked or rejected), the desk
  builds the ``Block`` from the approved members, so its ``AllocationStatement``
  is fixed *before* anything trades, and the platform opens a *block parent*
  order for the block's total in the firm's average-price account
  (``BLOCK_ACCOUNT``). The parent's risk approval is the conjunction of its
  members' (a ``block_members_approved`` policy decision); the parent is what
  the router splits and what venues fill, so street fills match venue reports.
* Every parent fill becomes a ``BlockFill``. When the parent is done, the desk
  allocates with the statement's policy (the rotation pointer is kept per
  advisor). The parent records ``OrderAllocated`` whose details are exactly
  ``AllocationResult.to_details()`` (re-derivable); each member receives one
  fill at the allocation price, then a member short of its quantity is
  canceled (or expired at the close) with a reason, and members with shares go
  through confirmation and settlement like single orders. The parent is
  confirmed and settled on the street side.
* The ledger books street fills to ``BLOCK_ACCOUNT`` and moves the allocated
  shares out at the allocation price, so that account ends flat in shares and
  holds only the rounding residual and venue fees (the firm's cost).

Pure bookkeeping: no clock, no I/O; the platform drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .blocks import AllocationResult, Block, BlockFill, BlockOrder, allocate, get_policy
from .domain.events import Outcome, OrderEvent, PolicyDecision
from .domain.orders import Order, OrderStatus, Side

BLOCK_ACCOUNT = "FIRM-AVGPX"
"""The firm's average-price account: block parents trade here, allocations empty it."""

BLOCK_FORMED = "block_members_approved"
"""The parent's risk decision: its members' approvals, with what the desk fixed when the block formed."""
BLOCK_FORMED_VERSION = "1.1"  # 1.1: the statement (accounts, quantities), policy, block ref and advisor too

# A member is decided once it is past validation and risk (approved, blocked, rejected, canceled,
# expired, or further on: a replay may ask with the statuses members have reached since).
_UNDECIDED = frozenset({OrderStatus.NEW, OrderStatus.VALIDATED})


@dataclass
class PendingBlock:
    """A block whose members are still being validated and risk-checked."""

    block_ref: str
    advisor_id: str
    policy: str
    members: list[str]  # member order ids, statement order


@dataclass
class DeskState:
    pending: dict[str, PendingBlock] = field(default_factory=dict)  # block_ref -> pending block
    pending_of: dict[str, str] = field(default_factory=dict)  # member order id -> block_ref
    blocks: dict[str, Block] = field(default_factory=dict)  # parent order id (= block id) -> block
    policy_of: dict[str, str] = field(default_factory=dict)  # block id -> policy name
    member_of: dict[str, str] = field(default_factory=dict)  # member order id -> block id
    pointers: dict[str, str] = field(default_factory=dict)  # advisor id -> rotation pointer
    results: dict[str, AllocationResult] = field(default_factory=dict)  # block id -> allocation


def fill_of(event: OrderEvent) -> BlockFill:
    """The ``BlockFill`` a block parent's fill event stands for (a fill without an exec id is
    named by its child and the event's place in the parent's stream)."""
    d = event.details
    return BlockFill(d["exec_id"] or f"{d['child_id']}#{event.stream_seq}", d["last_qty"], d["last_px"],
                     event.timestamp_utc, d["venue"], d["fee"])  # fmt: skip


class BlockDesk:
    """Tracks blocks from submission to allocation."""

    def __init__(self) -> None:
        self.state = DeskState()

    # -- queries --------------------------------------------------------------
    def is_parent(self, order_id: str) -> bool:
        return order_id in self.state.blocks

    def is_member(self, order_id: str) -> bool:
        return order_id in self.state.pending_of or order_id in self.state.member_of

    def block_of_member(self, order_id: str) -> str | None:
        return self.state.member_of.get(order_id)

    # -- lifecycle --------------------------------------------------------------
    def open(self, block_ref: str, advisor_id: str, policy: str, member_ids: list[str]) -> None:
        """Remember a submitted block and its member orders (policy checked now, not at allocation)."""
        get_policy(policy)
        for order_id in member_ids:
            self.join(block_ref, advisor_id, policy, order_id)

    def join(self, block_ref: str, advisor_id: str, policy: str, order_id: str) -> None:
        """Order ``order_id`` is the next member of block ``block_ref`` (each member's
        ``OrderReceived`` records its block, so a replay of the log joins them again)."""
        pending = self.state.pending.get(block_ref)
        if pending is None:
            pending = self.state.pending[block_ref] = PendingBlock(block_ref, advisor_id, policy, [])
        pending.members.append(order_id)
        self.state.pending_of[order_id] = block_ref

    def ready(self, order_id: str, status_of: Callable[[str], OrderStatus]) -> PendingBlock | None:
        """The member's pending block if every member is now decided (``status_of`` a member
        id gives its status), else None.

        The block is taken off the pending list; the caller forms it (or drops
        it when no member was approved).
        """
        ref = self.state.pending_of.get(order_id)
        pending = self.state.pending.get(ref) if ref is not None else None
        if pending is None or any(status_of(m) in _UNDECIDED for m in pending.members):
            return None
        del self.state.pending[ref]
        for m in pending.members:
            del self.state.pending_of[m]
        return pending

    @staticmethod
    def formation(pending: PendingBlock, approved: list[Order]) -> PolicyDecision:
        """The parent's ``BLOCK_FORMED`` decision: the approved members (statement order) with
        their accounts and quantities, the allocation policy, the block ref and the advisor, so
        the log alone re-forms the block (``form``)."""
        return PolicyDecision(BLOCK_FORMED, BLOCK_FORMED_VERSION, Outcome.PASS, params=(
            ("members", tuple(o.order_id for o in approved)),
            ("accounts", tuple(o.spec.account_id for o in approved)),
            ("quantities", tuple(o.spec.quantity for o in approved)),
            ("policy", pending.policy), ("block_ref", pending.block_ref), ("advisor_id", pending.advisor_id)))

    def form(self, parent_id: str, symbol: str, side: Side, formation: PolicyDecision, created_ns: int) -> Block:
        """Fix the block ``parent_id`` (the block id) as its ``formation`` decision records it,
        stamped ``created_ns`` (the parent's approval time). The same call forms a block live
        and re-forms it from the log; a block already formed is returned as it is."""
        known = self.state.blocks.get(parent_id)
        if known is not None:
            return known
        p = dict(formation.params)
        members = [BlockOrder(*line) for line in zip(p["members"], p["accounts"], p["quantities"])]
        block = Block.from_members(parent_id, symbol, side, p["advisor_id"], members, created_ns)
        pending = self.state.pending.pop(p["block_ref"], None)
        if pending is not None:  # replaying: the block left the pending list when it formed
            for m in pending.members:
                self.state.pending_of.pop(m, None)
        self.state.blocks[parent_id] = block
        self.state.policy_of[parent_id] = p["policy"]
        for m in members:
            self.state.member_of[m.order_id] = parent_id
        return block

    def on_fill(self, parent_id: str, fill: BlockFill) -> None:
        self.state.blocks[parent_id].add_fill(fill)

    def allocate(self, parent_id: str) -> AllocationResult:
        """Allocate the block's fills (once; a repeat returns the same result)."""
        done = self.state.results.get(parent_id)
        if done is not None:
            return done
        block = self.state.blocks[parent_id]
        advisor = block.statement.advisor_id
        result = allocate(block, self.state.policy_of[parent_id], self.state.pointers.get(advisor, ""))
        self.state.pointers[advisor] = result.pointer_out
        self.state.results[parent_id] = result
        return result

    def members(self, parent_id: str) -> tuple[BlockOrder, ...]:
        return self.state.blocks[parent_id].orders
