"""The Block aggregate: client orders for one symbol and side traded as one.

A block is created with its pre-trade ``AllocationStatement`` and then receives
fills (partial, several, at different prices). It keeps the exact total
notional and quantity, so the average price is exact (a ``Fraction``); the
price every account is allocated at is that average rounded half-up to the
unit (1/10_000 dollar), see ``round_half_up``. The difference between street
cash and client cash at the rounded price is the rounding residual, booked by
the allocation to the firm's rounding account.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping

from ..domain.orders import Order, Side
from .statement import AllocationStatement, ClearingInstructions, _is_int


class BlockError(ValueError):
    """A fill or order the block must refuse (overfill, fill before the statement...)."""


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest int, halves toward +infinity.

    Same rule as ``Order.avg_price`` so single orders and blocks price alike.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class BlockFill:
    """One execution of the block on the street. Price and fee in integer units."""

    exec_id: str
    quantity: int
    price: int
    timestamp_ns: int
    venue: str = ""
    fee: int = 0  # venue fee charged to the firm; negative for a rebate

    def __post_init__(self) -> None:
        if not isinstance(self.exec_id, str) or not self.exec_id:
            raise BlockError(f"BlockFill.exec_id: must be a non-empty str, got {self.exec_id!r}")
        for name in ("quantity", "price"):
            value = getattr(self, name)
            if not _is_int(value) or value <= 0:
                raise BlockError(f"BlockFill.{name}: must be a positive int, got {value!r}")
        if not _is_int(self.timestamp_ns) or self.timestamp_ns < 0:
            raise BlockError(f"BlockFill.timestamp_ns: must be an int >= 0, got {self.timestamp_ns!r}")
        if not _is_int(self.fee):
            raise BlockError(f"BlockFill.fee: must be an int, got {self.fee!r}")

    def to_record(self) -> dict[str, Any]:
        return {"exec_id": self.exec_id, "quantity": self.quantity, "price": self.price,
                "timestamp_ns": self.timestamp_ns, "venue": self.venue, "fee": self.fee}  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "BlockFill":
        return cls(record["exec_id"], record["quantity"], record["price"], record["timestamp_ns"],
                   record.get("venue", ""), record.get("fee", 0))  # fmt: skip


@dataclass(frozen=True, slots=True)
class BlockOrder:
    """A client order folded into the block (for splitting an account's allocation back)."""

    order_id: str
    account_id: str
    quantity: int


class Block:
    """A block of client orders and the fills it received.

    Fills are applied idempotently by ``exec_id`` (at-least-once delivery); an
    overfill, or a fill timestamped before the statement, is refused.
    """

    __slots__ = ("block_id", "statement", "orders", "_fills", "_exec_ids", "filled_qty", "filled_notional", "fees")

    def __init__(self, block_id: str, statement: AllocationStatement, orders: Iterable[BlockOrder] = ()):
        if not isinstance(block_id, str) or not block_id:
            raise BlockError(f"Block.block_id: must be a non-empty str, got {block_id!r}")
        self.block_id = block_id
        self.statement = statement
        self.orders = tuple(orders)
        if self.orders:
            per_account: dict[str, int] = {}
            for o in self.orders:
                per_account[o.account_id] = per_account.get(o.account_id, 0) + o.quantity
            if per_account != dict(statement.requests):
                raise BlockError(f"Block.orders: quantities per account {per_account} do not match the statement")
        self._fills: list[BlockFill] = []
        self._exec_ids: dict[str, BlockFill] = {}
        self.filled_qty = 0
        self.filled_notional = 0  # sum of qty * price, units
        self.fees = 0  # sum of venue fees, units

    @classmethod
    def from_orders(cls, block_id: str, orders: Iterable[Order], created_ns: int,
                    clearing: Iterable[tuple[str, ClearingInstructions]] = ()) -> "Block":  # fmt: skip
        """Aggregate client orders (same symbol, side and advisor) into a block.

        The statement requests each account's total order quantity, accounts in
        first-order order; it is stamped ``created_ns``, which must precede fills.
        """
        orders = list(orders)
        if not orders:
            raise BlockError("Block.from_orders: no orders")
        first = orders[0].spec
        for o in orders:
            for name in ("symbol", "side", "advisor_id"):
                if getattr(o.spec, name) != getattr(first, name):
                    raise BlockError(f"Block.from_orders: order {o.order_id} has a different {name} "
                                     f"({getattr(o.spec, name)!r} vs {getattr(first, name)!r})")  # fmt: skip
        members = [BlockOrder(o.order_id, o.spec.account_id, o.spec.quantity) for o in orders]
        return cls.from_members(block_id, first.symbol, first.side, first.advisor_id, members, created_ns, clearing)

    @classmethod
    def from_members(cls, block_id: str, symbol: str, side: Side, advisor_id: str, members: Iterable[BlockOrder],
                     created_ns: int, clearing: Iterable[tuple[str, ClearingInstructions]] = ()) -> "Block":
        """The block of ``members`` (statement order): each account requests its members' total,
        accounts in first-member order; the statement is stamped ``created_ns``."""
        members = tuple(members)
        requests: dict[str, int] = {}
        for m in members:
            requests[m.account_id] = requests.get(m.account_id, 0) + m.quantity
        statement = AllocationStatement(symbol, side, tuple(requests.items()), advisor_id, created_ns,
                                        tuple(clearing))  # fmt: skip
        return cls(block_id, statement, members)

    @property
    def quantity(self) -> int:
        return self.statement.total_requested

    @property
    def leaves_qty(self) -> int:
        return self.quantity - self.filled_qty

    @property
    def fills(self) -> tuple[BlockFill, ...]:
        return tuple(self._fills)

    @property
    def avg_price_exact(self) -> Fraction:
        """Exact average fill price in units (0 before the first fill)."""
        return Fraction(self.filled_notional, self.filled_qty) if self.filled_qty else Fraction(0)

    @property
    def avg_price(self) -> int:
        """The allocation price: the exact average rounded half-up to the unit (0 if unfilled)."""
        return round_half_up(self.filled_notional, self.filled_qty) if self.filled_qty else 0

    def add_fill(self, fill: BlockFill) -> bool:
        """Apply one fill; False if this exact fill was already applied."""
        known = self._exec_ids.get(fill.exec_id)
        if known is not None:
            if known != fill:
                raise BlockError(f"Block {self.block_id}: exec_id {fill.exec_id!r} seen with different contents")
            return False
        if fill.timestamp_ns < self.statement.created_ns:
            raise BlockError(f"Block {self.block_id}: fill {fill.exec_id} at {fill.timestamp_ns} predates the "
                             f"allocation statement ({self.statement.created_ns})")  # fmt: skip
        if fill.quantity > self.leaves_qty:
            raise BlockError(f"Block {self.block_id}: fill {fill.exec_id} of {fill.quantity} exceeds leaves "
                             f"{self.leaves_qty}")  # fmt: skip
        self._fills.append(fill)
        self._exec_ids[fill.exec_id] = fill
        self.filled_qty += fill.quantity
        self.filled_notional += fill.quantity * fill.price
        self.fees += fill.fee
        return True
