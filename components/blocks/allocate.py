"""Allocating a block: the result record, its JSON details, and re-derivation.

``allocate`` runs one registered policy over a block's statement and filled
quantity. Every account gets the same price: the block's exact average rounded
half-up to the unit. Client cash at that price differs from street cash by
``rounding_residual = filled_notional - price * filled_qty`` (``|residual| <=
filled_qty / 2`` units), booked to the firm's rounding account so that client
cash plus the residual equals street cash exactly.

``AllocationResult.to_details()`` holds the inputs (statement, fills, policy
name and version, rotation pointer) as well as the outputs, so an auditor can
``rederive`` the allocation from the record alone and compare (``verify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..domain.orders import Side
from .block import Block, BlockFill
from .policies import AllocationPolicy, get_policy
from .statement import AllocationStatement, ClearingInstructions

DETAILS_SCHEMA = "block-allocation/1"
"""Version of the ``to_details`` layout (not of any policy)."""


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """One account's share of the block."""

    account_id: str
    requested: int
    quantity: int
    price: int
    clearing: ClearingInstructions | None = None

    @property
    def gross(self) -> int:
        """quantity * price, units."""
        return self.quantity * self.price

    def to_record(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "requested": self.requested, "quantity": self.quantity,
                "price": self.price, "gross": self.gross,
                "clearing": None if self.clearing is None else self.clearing.to_record()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """What a block was split into, and everything needed to split it again."""

    block_id: str
    policy: str
    policy_version: str
    statement: AllocationStatement
    fills: tuple[BlockFill, ...]
    filled_qty: int
    filled_notional: int
    price: int
    rounding_residual: int
    """Street cash minus client cash at ``price`` (units): the rounding account's share."""
    venue_fees: int
    lines: tuple[AllocationLine, ...]
    pointer_in: str
    pointer_out: str

    @property
    def symbol(self) -> str:
        return self.statement.symbol

    @property
    def side(self) -> Side:
        return self.statement.side

    @property
    def allocated_qty(self) -> int:
        return sum(line.quantity for line in self.lines)

    def quantity_for(self, account_id: str) -> int:
        for line in self.lines:
            if line.account_id == account_id:
                return line.quantity
        raise KeyError(account_id)

    def to_details(self) -> dict[str, Any]:
        """JSON-able record: enough to re-derive this result (see ``rederive``)."""
        return {
            "schema": DETAILS_SCHEMA,
            "block_id": self.block_id,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "statement": self.statement.to_record(),
            "fills": [f.to_record() for f in self.fills],
            "pointer_in": self.pointer_in,
            "pointer_out": self.pointer_out,
            "filled_qty": self.filled_qty,
            "filled_notional": self.filled_notional,
            "price": self.price,
            "rounding_residual": self.rounding_residual,
            "venue_fees": self.venue_fees,
            "allocations": [line.to_record() for line in self.lines],
        }


def allocate(block: Block, policy: str | AllocationPolicy, pointer: str = "") -> AllocationResult:
    """Split ``block``'s fills among its statement's accounts with ``policy``.

    ``policy`` is a registered policy or a registry name (latest version).
    ``pointer`` is the rotation pointer carried from the previous block of the
    same book (rotational policy); the result records it and the new one.
    Does not change the block.
    """
    chosen = get_policy(policy) if isinstance(policy, str) else policy
    statement = block.statement
    output = chosen.split(statement.requests, block.filled_qty, pointer)
    price = block.avg_price
    requested = dict(statement.requests)
    lines = tuple(
        AllocationLine(account, requested[account], qty, price, statement.clearing_for(account))
        for account, qty in output.quantities
    )
    # Guard the policy contract here too: a registered policy that breaks it is a bug, not a result.
    if sum(line.quantity for line in lines) != block.filled_qty:
        raise AssertionError(f"policy {chosen.name} {chosen.version} allocated {sum(ln.quantity for ln in lines)} "
                             f"of {block.filled_qty}")  # fmt: skip
    for line in lines:
        if not 0 <= line.quantity <= line.requested:
            raise AssertionError(f"policy {chosen.name} {chosen.version} gave {line.account_id} {line.quantity} "
                                 f"of {line.requested} requested")  # fmt: skip
    return AllocationResult(
        block_id=block.block_id,
        policy=chosen.name,
        policy_version=chosen.version,
        statement=statement,
        fills=block.fills,
        filled_qty=block.filled_qty,
        filled_notional=block.filled_notional,
        price=price,
        rounding_residual=block.filled_notional - price * block.filled_qty,
        venue_fees=block.fees,
        lines=lines,
        pointer_in=pointer,
        pointer_out=output.pointer,
    )


def rederive(details: Mapping[str, Any]) -> AllocationResult:
    """Re-run the allocation recorded in ``details`` from its inputs only.

    Uses the recorded policy *version* from the registry; the recorded outputs
    are ignored (compare them with ``verify``).
    """
    if details.get("schema") != DETAILS_SCHEMA:
        raise ValueError(f"unknown allocation details schema {details.get('schema')!r}; expected {DETAILS_SCHEMA}")
    block = Block(details["block_id"], AllocationStatement.from_record(details["statement"]))
    for record in details["fills"]:
        block.add_fill(BlockFill.from_record(record))
    return allocate(block, get_policy(details["policy"], details["policy_version"]), details["pointer_in"])


def verify(details: Mapping[str, Any]) -> bool:
    """True when re-deriving ``details`` reproduces every recorded field."""
    return rederive(details).to_details() == dict(details)


def order_quantities(block: Block, result: AllocationResult) -> tuple[tuple[str, int], ...]:
    """Split each account's allocation over its client orders, first order first.

    Returns ``(order_id, quantity)`` for every order the block was built from
    (``Block.from_orders``), in block order; empty if it was built without orders.
    """
    left = {line.account_id: line.quantity for line in result.lines}
    out = []
    for order in block.orders:
        qty = min(order.quantity, left[order.account_id])
        left[order.account_id] -= qty
        out.append((order.order_id, qty))
    return tuple(out)
