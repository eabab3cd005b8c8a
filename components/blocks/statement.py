"""The pre-trade allocation statement and per-account clearing instructions.

An advisor who trades several accounts as one block must say, before the block
trades, which accounts get how much (FINRA/SEC expectations for fair
allocation: the statement is written first, so nobody can hand the good fills
to favoured accounts afterwards). ``AllocationStatement`` is that record; it is
frozen and validated on construction, and every error names the field.

``ClearingInstructions`` carries the optional step-out / give-up fields an
allocation line may need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..domain.orders import Side


class StatementError(ValueError):
    """A malformed allocation statement; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"AllocationStatement.{field}: {problem}")
        self.field = field


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class ClearingInstructions:
    """Who executed an allocation line and who clears it.

    Empty strings mean "this firm". A *give-up* is a line cleared by a firm
    other than the executing broker; a *step-out* additionally moves the trade
    (and the client confirmation and commission) to ``clearing_broker``.
    """

    executing_broker: str = ""
    clearing_broker: str = ""
    step_out: bool = False

    def __post_init__(self) -> None:
        for name in ("executing_broker", "clearing_broker"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"ClearingInstructions.{name} must be a str")
        if not isinstance(self.step_out, bool):
            raise TypeError("ClearingInstructions.step_out must be a bool")
        if self.step_out and not self.clearing_broker:
            raise ValueError("ClearingInstructions.clearing_broker: a step-out needs the broker stepped in to")

    @property
    def give_up(self) -> bool:
        """Cleared by a firm other than the one that executed."""
        return bool(self.clearing_broker) and self.clearing_broker != self.executing_broker

    def to_record(self) -> dict[str, Any]:
        return {"executing_broker": self.executing_broker, "clearing_broker": self.clearing_broker,
                "step_out": self.step_out}  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ClearingInstructions":
        return cls(record["executing_broker"], record["clearing_broker"], record["step_out"])


@dataclass(frozen=True, slots=True)
class AllocationStatement:
    """Which accounts share a block, and how much each asked for, fixed pre-trade.

    ``requests`` keeps the advisor's order (it is the record as written); no
    policy depends on that order. ``clearing`` optionally maps accounts to
    clearing instructions. Lists are accepted and stored as tuples.
    """

    symbol: str
    side: Side
    requests: tuple[tuple[str, int], ...]
    advisor_id: str
    created_ns: int
    clearing: tuple[tuple[str, ClearingInstructions], ...] = ()

    def __post_init__(self) -> None:
        # Normalise sequences to tuples so the statement is hashable and truly immutable.
        try:
            object.__setattr__(self, "requests", tuple(tuple(r) for r in self.requests))
            object.__setattr__(self, "clearing", tuple(tuple(c) for c in self.clearing))
        except TypeError as exc:
            raise StatementError("requests", f"must be a sequence of (account_id, quantity) pairs: {exc}") from None
        if not isinstance(self.symbol, str) or not self.symbol:
            raise StatementError("symbol", f"must be a non-empty str, got {self.symbol!r}")
        if not isinstance(self.side, Side):
            raise StatementError("side", f"must be a Side, got {self.side!r}")
        if not isinstance(self.advisor_id, str) or not self.advisor_id:
            raise StatementError("advisor_id", f"must be a non-empty str, got {self.advisor_id!r}")
        if not _is_int(self.created_ns) or self.created_ns < 0:
            raise StatementError("created_ns", f"must be an int >= 0, got {self.created_ns!r}")
        if not self.requests:
            raise StatementError("requests", "must name at least one account")
        seen: set[str] = set()
        for i, pair in enumerate(self.requests):
            if len(pair) != 2:
                raise StatementError(f"requests[{i}]", f"must be (account_id, quantity), got {pair!r}")
            account, qty = pair
            if not isinstance(account, str) or not account:
                raise StatementError(f"requests[{i}].account_id", f"must be a non-empty str, got {account!r}")
            if account in seen:
                raise StatementError(f"requests[{i}].account_id", f"duplicate account {account!r}")
            seen.add(account)
            if not _is_int(qty) or qty <= 0:
                raise StatementError(f"requests[{i}].quantity", f"must be a positive int, got {qty!r}")
        cleared: set[str] = set()
        for i, pair in enumerate(self.clearing):
            if len(pair) != 2 or not isinstance(pair[1], ClearingInstructions):
                raise StatementError(f"clearing[{i}]", f"must be (account_id, ClearingInstructions), got {pair!r}")
            if pair[0] not in seen:
                raise StatementError(f"clearing[{i}].account_id", f"{pair[0]!r} is not in requests")
            if pair[0] in cleared:
                raise StatementError(f"clearing[{i}].account_id", f"duplicate account {pair[0]!r}")
            cleared.add(pair[0])

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.requests)

    @property
    def total_requested(self) -> int:
        return sum(q for _, q in self.requests)

    def requested(self, account_id: str) -> int:
        """The account's requested quantity; KeyError if it is not in the statement."""
        for account, qty in self.requests:
            if account == account_id:
                return qty
        raise KeyError(account_id)

    def clearing_for(self, account_id: str) -> ClearingInstructions | None:
        for account, instructions in self.clearing:
            if account == account_id:
                return instructions
        return None

    def to_record(self) -> dict[str, Any]:
        """JSON-able form; ``from_record`` inverts it exactly."""
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "requests": [[a, q] for a, q in self.requests],
            "advisor_id": self.advisor_id,
            "created_ns": self.created_ns,
            "clearing": [[a, c.to_record()] for a, c in self.clearing],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "AllocationStatement":
        return cls(
            symbol=record["symbol"],
            side=Side(record["side"]),
            requests=tuple((a, q) for a, q in record["requests"]),
            advisor_id=record["advisor_id"],
            created_ns=record["created_ns"],
            clearing=tuple((a, ClearingInstructions.from_record(c)) for a, c in record.get("clearing", ())),
        )
