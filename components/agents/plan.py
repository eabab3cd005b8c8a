"""A trade plan: a proposal's trades assembled into block orders, each with its allocation statement.

``assemble`` groups a ``RebalanceProposal``'s trades by symbol and side (first appearance order);
each group becomes one block (``components.blocks.Block.from_members``, so the pre-trade
``AllocationStatement`` is built and validated by the block code itself), one statement line per
account. The plan is frozen; ``plan_hash`` is the SHA-256 of its canonical JSON record, and an
approval counts only for the plan whose hash it names: a changed plan is a different plan.

``PlannedBlock.command`` is the ``SubmitBlock`` the platform's order entry takes (the same command
an advisor's ``POST /v1/blocks`` and the twin's block flow send).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from ..blocks import AllocationStatement, Block, BlockOrder, get_policy
from ..domain.commands import SubmitBlock, member_client_order_id
from ..domain.orders import Side
from ..portfolio.proposals import ProposedTrade, RebalanceProposal
from .steps import canonical


@dataclass(frozen=True, slots=True)
class PlannedBlock:
    """One block of the plan: its reference, statement, allocation policy and the price it was costed at."""

    block_ref: str
    statement: AllocationStatement
    policy: str
    price: int
    """Units per share the plan was costed at (the proposal's price, else the reference price)."""

    @property
    def lines(self) -> tuple[tuple[str, int], ...]:
        return self.statement.requests

    def notionals(self) -> tuple[tuple[str, int], ...]:
        """(account_id, quantity x price) per statement line: the orders the limits apply to."""
        return tuple((account, qty * self.price) for account, qty in self.statement.requests)

    def command(self, submitted_ns: int) -> SubmitBlock:
        """The block as the platform's order entry takes it (a MARKET DAY block)."""
        s = self.statement
        return SubmitBlock(s.advisor_id, s.symbol, s.side.value, s.requests, self.policy, self.block_ref, submitted_ns)

    def client_order_ids(self) -> tuple[str, ...]:
        """The member orders' client order ids, statement order (how the event log names them)."""
        return tuple(member_client_order_id(self.block_ref, i) for i in range(1, len(self.lines) + 1))

    def to_record(self) -> dict[str, Any]:
        return {"block_ref": self.block_ref, "policy": self.policy, "price": self.price,
                "statement": self.statement.to_record()}


@dataclass(frozen=True, slots=True)
class TradePlan:
    """What the agent asks an advisor to approve: the proposal it came from and its blocks."""

    plan_id: str
    proposal_id: str
    household_id: str
    advisor_id: str
    created_ns: int
    blocks: tuple[PlannedBlock, ...]
    summary: str = ""

    def to_record(self) -> dict[str, Any]:
        """JSON-able, without the hash (the hash is of this)."""
        return {"plan_id": self.plan_id, "proposal_id": self.proposal_id, "household_id": self.household_id,
                "advisor_id": self.advisor_id, "created_ns": self.created_ns, "summary": self.summary,
                "blocks": [b.to_record() for b in self.blocks]}

    @property
    def plan_hash(self) -> str:
        """SHA-256 hex of the canonical JSON record: what an approval must name."""
        return hashlib.sha256(canonical(self.to_record())).hexdigest()

    def notionals(self) -> tuple[tuple[str, int], ...]:
        return tuple(line for block in self.blocks for line in block.notionals())

    @property
    def notional(self) -> int:
        return sum(n for _, n in self.notionals())


def assemble(proposal: RebalanceProposal, plan_id: str, created_ns: int, price_of: Callable[[str], int],
             policy: str) -> TradePlan:
    """The plan for ``proposal``: one block per (symbol, side), one statement line per account.

    ``price_of(symbol)`` prices a trade the proposal did not price (``est_price`` 0). Raises
    ``ValueError`` naming the field for an empty proposal, an unknown policy or a price <= 0.
    """
    if not proposal.trades:
        raise ValueError(f"RebalanceProposal.trades: proposal {proposal.proposal_id} has no trades")
    try:
        get_policy(policy)  # an unknown policy is refused now, not when the platform sees the block
    except KeyError:
        raise ValueError(f"policy: unknown allocation policy {policy!r}") from None
    groups: dict[tuple[str, Side], list[ProposedTrade]] = {}
    for trade in proposal.trades:
        groups.setdefault((trade.symbol, trade.side), []).append(trade)
    blocks = []
    for n, ((symbol, side), trades) in enumerate(groups.items(), 1):
        block_ref = f"{plan_id}-B{n}"
        priced = [t.est_price for t in trades if t.est_price > 0]
        price = max(priced) if priced else price_of(symbol)  # the dearest estimate: limits err on the safe side
        if type(price) is not int or price <= 0:
            raise ValueError(f"price of {symbol}: must be a positive int (units), got {price!r}")
        members = [BlockOrder(f"{block_ref}-{i}", t.account_id, t.quantity) for i, t in enumerate(trades, 1)]
        block = Block.from_members(block_ref, symbol, side, proposal.advisor_id, members, created_ns)
        blocks.append(PlannedBlock(block_ref, block.statement, policy, price))
    return TradePlan(plan_id, proposal.proposal_id, proposal.household_id, proposal.advisor_id, created_ns,
                     tuple(blocks), proposal.summary)
