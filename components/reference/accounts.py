"""Client accounts at start of day, and which advisor may trade which account.

An ``Account`` is the start-of-day snapshot the platform loads from the books
of record: cash, an optional credit line, and positions. Intraday changes
(fills, reservations) are tracked by the components that own them (for
example ``components.risk.engine``), never written back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass(frozen=True, slots=True)
class Account:
    """One client account at start of day. Money in integer units
    (``components.domain.money``: 1 dollar = 10_000 units)."""

    account_id: str
    client_id: str
    client_name: str
    advisor_id: str
    cash: int
    credit_limit: int = 0
    positions: tuple[tuple[str, int], ...] = ()  # (symbol, quantity); negative is short

    def __post_init__(self) -> None:
        for name in ("cash", "credit_limit"):
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"Account.{name} must be int units, not {type(value).__name__}")
        if self.credit_limit < 0:
            raise ValueError(f"Account.credit_limit must be >= 0, got {self.credit_limit}")
        seen: set[str] = set()
        for symbol, qty in self.positions:
            if type(qty) is not int:
                raise TypeError(f"Account.positions[{symbol!r}] must be an int quantity")
            if symbol in seen:
                raise ValueError(f"Account.positions lists {symbol!r} twice")
            seen.add(symbol)

    def position(self, symbol: str) -> int:
        """Start-of-day quantity held in ``symbol`` (0 if none)."""
        for held, qty in self.positions:
            if held == symbol:
                return qty
        return 0


class AccountDirectory:
    """Accounts by id, and advisor entitlements.

    An advisor is entitled to an account they are the advisor of, or to any
    account explicitly granted to them (``grants``: (advisor_id, account_id)
    pairs, e.g. a branch supervisor or a covering advisor).
    """

    __slots__ = ("_accounts", "_grants")

    def __init__(
        self,
        accounts: Iterable[Account] = (),
        grants: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._accounts: dict[str, Account] = {}
        for account in accounts:
            if account.account_id in self._accounts:
                raise ValueError(f"duplicate account id {account.account_id!r}")
            self._accounts[account.account_id] = account
        self._grants: frozenset[tuple[str, str]] = frozenset(grants)

    def get(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def entitled(self, advisor_id: str, account_id: str) -> bool:
        """May ``advisor_id`` enter orders for ``account_id``? False for unknown accounts."""
        account = self._accounts.get(account_id)
        if account is None:
            return False
        return account.advisor_id == advisor_id or (advisor_id, account_id) in self._grants

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._accounts

    def __iter__(self) -> Iterator[Account]:
        """Accounts in insertion order (deterministic)."""
        return iter(self._accounts.values())

    def __len__(self) -> int:
        return len(self._accounts)
